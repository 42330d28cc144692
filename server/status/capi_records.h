// Compact records of the Cluster API objects that cluster status reads,
// projected from the Kubernetes JSON (pure). The watch cache holds these,
// not the objects: a record keeps only what StatusRules and the health
// report use (conditions that are not True keep their reason and message),
// so memory stays proportional to the clusters and machines cached.
//
// Grouping: every record names the CAPI cluster it belongs to (`cluster`),
// from the labels CAPI, the chart and the addon provider set, or
// spec.clusterName.
#ifndef CAPI_BRIDGE_SERVER_STATUS_CAPI_RECORDS_H_
#define CAPI_BRIDGE_SERVER_STATUS_CAPI_RECORDS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::status {

// Why a condition is not True (shared between copies of a record).
struct ConditionDetail {
  std::string severity;  // "Error", "Warning", "Info" or ""
  std::string reason;
  std::string message;
};

// A condition. True ones are kept only for the types status asks about
// (Ready, Available, InfrastructureReady, ControlPlaneReady,
// ControlPlaneAvailable); all others only while they are not True.
struct Condition {
  std::string type;
  bool is_true = false;
  bool unknown = false;                           // status "Unknown"
  std::shared_ptr<const ConditionDetail> detail;  // null when True

  const std::string& severity() const;
  const std::string& reason() const;
  const std::string& message() const;
};

// What every record carries.
struct RecordMeta {
  std::string ns;
  std::string name;
  std::string cluster;  // the CAPI cluster (release) it belongs to
  bool deleting = false;
  absl::Time created = absl::InfinitePast();
  absl::Time deleted = absl::InfinitePast();  // deletionTimestamp
};

// The annotation a lifecycle verb writes on the CAPI Cluster when it has
// applied (RFC 3339): when the operation Magnum waits for started, the
// same for every replica and after every restart.
inline constexpr char kOperationStartedAnnotation[] =
    "capi-bridge.magnum.openstack.org/operation-started";
// Written with it: the verb, e.g. "CreateCluster", "ResizeCluster".
inline constexpr char kOperationAnnotation[] =
    "capi-bridge.magnum.openstack.org/operation";

struct ClusterRecord {
  RecordMeta meta;
  absl::Time operation_started = absl::InfinitePast();  // the annotation
  std::string operation;  // the verb that wrote it ("" when unknown)
  std::string endpoint_host;
  int endpoint_port = 0;
  std::string phase;
  std::string failure_reason;
  std::string failure_message;
  std::vector<Condition> conditions;
};

struct InfrastructureRecord {  // OpenStackCluster
  RecordMeta meta;
  bool ready = false;
  std::string failure_reason;
  std::string failure_message;
  std::vector<Condition> conditions;
};

struct ControlPlaneRecord {  // KubeadmControlPlane
  RecordMeta meta;
  int32_t desired = 0;  // spec.replicas
  std::string desired_version;
  int32_t replicas = 0, ready = 0, updated = 0, unavailable = 0;
  std::string version;  // status.version
  std::vector<Condition> conditions;
};

struct MachineDeploymentRecord {
  RecordMeta meta;
  std::optional<int32_t> desired;  // spec.replicas (absent: autoscaler)
  bool autoscaled = false;         // carries the autoscaler size annotations
  int32_t replicas = 0, ready = 0, updated = 0, available = 0;
  std::string phase;
  std::vector<Condition> conditions;
};

struct MachineRecord {
  RecordMeta meta;
  bool control_plane = false;
  std::string deployment;  // cluster.x-k8s.io/deployment-name
  std::string phase;
  std::string failure_reason;
  std::string failure_message;
  std::vector<std::string> addresses;  // ExternalIP first, then InternalIP
  std::vector<Condition> conditions;   // only those that are not True
};

struct AddonRecord {  // HelmRelease, Manifests or HelmChartProxy
  RecordMeta meta;
  std::string kind;
  std::string phase;    // status.phase ("" for HelmChartProxy)
  std::string message;  // failure message, if any
  std::vector<Condition> conditions;
};

// Projections. Each returns std::nullopt for an object without a name or
// without a cluster to group it under.
std::optional<ClusterRecord> ProjectCluster(const nlohmann::json& object);
std::optional<InfrastructureRecord> ProjectInfrastructure(
    const nlohmann::json& object);
std::optional<ControlPlaneRecord> ProjectControlPlane(
    const nlohmann::json& object);
std::optional<MachineDeploymentRecord> ProjectMachineDeployment(
    const nlohmann::json& object);
std::optional<MachineRecord> ProjectMachine(const nlohmann::json& object);
std::optional<AddonRecord> ProjectAddon(const nlohmann::json& object);

// The condition of `type`, or nullptr.
const Condition* FindCondition(const std::vector<Condition>& conditions,
                               const std::string& type);

// Everything cached about one CAPI cluster.
struct ClusterObjects {
  std::optional<ClusterRecord> cluster;
  std::optional<InfrastructureRecord> infrastructure;
  std::vector<ControlPlaneRecord> control_planes;
  std::vector<MachineDeploymentRecord> deployments;
  std::vector<MachineRecord> machines;
  std::vector<AddonRecord> addons;
};

}  // namespace capi_bridge::status

#endif  // CAPI_BRIDGE_SERVER_STATUS_CAPI_RECORDS_H_
