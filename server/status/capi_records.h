// Compact records of the Cluster API objects that cluster status reads,
// projected from the Kubernetes JSON (pure). The watch cache holds these,
// not the objects: a record keeps only what StatusRules and the health
// report use (conditions that are not True keep their reason and message),
// so memory stays proportional to the clusters and machines cached.
//
// Grouping: every record names the CAPI cluster it belongs to (`cluster`),
// from the labels CAPI, the chart and the addon provider set, or
// spec.clusterName.
//
// API versions: Cluster API objects are read as v1beta1 or v1beta2 (CAPI
// v1.11+) and projected into the same records, so the rules need not know
// which was read. A v1beta2 object (by its apiVersion, else the version it
// was read in) gives:
//  - counts from status.replicas / readyReplicas / availableReplicas /
//    upToDateReplicas (v1beta1's updatedReplicas);
//  - its v1beta2 conditions (Available, ControlPlaneAvailable, ...), which
//    carry no severity; negative-polarity ones (RollingOut, ScalingUp,
//    Deleting, ...) only while True;
//  - failures from status.deprecated.v1beta1, which CAPI v1.11-v1.15
//    still write: failureReason and failureMessage, and the
//    Error-severity v1beta1 conditions as `v1beta1_errors`.
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
// ControlPlaneAvailable); all others only while they are not True, except
// v1beta2's negative-polarity ones, kept only while True.
struct Condition {
  std::string type;
  bool is_true = false;
  bool unknown = false;                           // status "Unknown"
  std::shared_ptr<const ConditionDetail> detail;  // null when True

  const std::string& severity() const;
  const std::string& reason() const;
  const std::string& message() const;
};

// v1beta2 conditions whose healthy state is False (Deleting, Paused,
// RollingOut, ScalingUp, ScalingDown, Remediating, Updating).
bool NegativePolarity(const std::string& type);

// The Cluster API version an object is written in: its apiVersion's
// version when it has one, else `read_as` (the version it was read in).
// True for "v1beta2".
bool IsV1Beta2(const nlohmann::json& object, const std::string& read_as);

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
  bool ready = false;  // status.ready or status.initialization.provisioned
  std::string failure_reason;
  std::string failure_message;
  std::vector<Condition> conditions;
};

struct ControlPlaneRecord {  // KubeadmControlPlane
  RecordMeta meta;
  int32_t desired = 0;  // spec.replicas
  std::string desired_version;
  // updated: v1beta1 updatedReplicas, v1beta2 upToDateReplicas.
  int32_t replicas = 0, ready = 0, updated = 0, unavailable = 0;
  std::string version;  // status.version
  std::vector<Condition> conditions;
  std::vector<Condition> v1beta1_errors;  // v1beta2 only (see above)
};

struct MachineDeploymentRecord {
  RecordMeta meta;
  std::optional<int32_t> desired;  // spec.replicas (absent: autoscaler)
  bool autoscaled = false;         // carries the autoscaler size annotations
  // updated: v1beta1 updatedReplicas, v1beta2 upToDateReplicas.
  int32_t replicas = 0, ready = 0, updated = 0, available = 0;
  std::string phase;
  std::vector<Condition> conditions;
  std::vector<Condition> v1beta1_errors;  // v1beta2 only
};

struct MachineRecord {
  RecordMeta meta;
  bool control_plane = false;
  std::string deployment;  // cluster.x-k8s.io/deployment-name
  std::string phase;
  std::string failure_reason;
  std::string failure_message;
  std::vector<std::string> addresses;     // ExternalIP first, then InternalIP
  std::vector<Condition> conditions;      // only those that are not True
  std::vector<Condition> v1beta1_errors;  // v1beta2 only
};

struct AddonRecord {  // HelmRelease, Manifests or HelmChartProxy
  RecordMeta meta;
  std::string kind;
  std::string phase;    // status.phase ("" for HelmChartProxy)
  std::string message;  // failure message, if any
  std::vector<Condition> conditions;
};

// Projections. Each returns std::nullopt for an object without a name or
// without a cluster to group it under. `read_as` is the API version the
// object was read in ("" = unknown), for objects without an apiVersion
// (see IsV1Beta2).
std::optional<ClusterRecord> ProjectCluster(const nlohmann::json& object,
                                            const std::string& read_as = "");
std::optional<InfrastructureRecord> ProjectInfrastructure(
    const nlohmann::json& object);
std::optional<ControlPlaneRecord> ProjectControlPlane(
    const nlohmann::json& object, const std::string& read_as = "");
std::optional<MachineDeploymentRecord> ProjectMachineDeployment(
    const nlohmann::json& object, const std::string& read_as = "");
std::optional<MachineRecord> ProjectMachine(const nlohmann::json& object,
                                            const std::string& read_as = "");
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
