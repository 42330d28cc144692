#include "server/status/capi_records.h"

#include <utility>

#include "server/util/kube_time.h"

namespace capi_bridge::status {
namespace {

using json = nlohmann::json;

const json& Child(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Text(const json& object, const char* key) {
  const json& value = Child(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

int32_t Int(const json& object, const char* key, int32_t fallback = 0) {
  const json& value = Child(object, key);
  return value.is_number_integer() ? value.get<int32_t>() : fallback;
}

std::string Label(const json& meta, const char* key) {
  return Text(Child(meta, "labels"), key);
}

// Fills the common part; the cluster from the first of `labels` present,
// else spec.clusterName.
bool FillMeta(const json& object, std::initializer_list<const char*> labels,
              RecordMeta* meta) {
  const json& m = Child(object, "metadata");
  meta->ns = Text(m, "namespace");
  meta->name = Text(m, "name");
  if (meta->name.empty()) return false;
  for (const char* label : labels) {
    meta->cluster = Label(m, label);
    if (!meta->cluster.empty()) break;
  }
  if (meta->cluster.empty()) {
    meta->cluster = Text(Child(object, "spec"), "clusterName");
  }
  meta->deleting = !Text(m, "deletionTimestamp").empty();
  meta->created = util::ParseKubeTime(Text(m, "creationTimestamp"));
  meta->deleted = util::ParseKubeTime(Text(m, "deletionTimestamp"));
  return !meta->cluster.empty();
}

// True conditions whose presence status reads.
bool KeepWhenTrue(const std::string& type) {
  return type == "Ready" || type == "Available" ||
         type == "InfrastructureReady" || type == "ControlPlaneReady" ||
         type == "ControlPlaneAvailable";
}

std::vector<Condition> Conditions(const json& status, bool only_not_true) {
  std::vector<Condition> out;
  const json& list = Child(status, "conditions");
  if (!list.is_array()) return out;
  for (const json& c : list) {
    Condition condition;
    condition.type = Text(c, "type");
    std::string state = Text(c, "status");
    condition.is_true = state == "True";
    condition.unknown = state == "Unknown";
    if (condition.type.empty()) continue;
    if (condition.is_true && (only_not_true || !KeepWhenTrue(condition.type))) {
      continue;
    }
    if (!condition.is_true) {
      condition.detail =
          std::make_shared<const ConditionDetail>(ConditionDetail{
              Text(c, "severity"), Text(c, "reason"), Text(c, "message")});
    }
    out.push_back(std::move(condition));
  }
  out.shrink_to_fit();
  return out;
}

const std::string& Empty() {
  static const std::string kEmpty;
  return kEmpty;
}

constexpr const char* kClusterNameLabel = "cluster.x-k8s.io/cluster-name";
constexpr const char* kChartClusterLabel = "capi.stackhpc.com/cluster";
constexpr const char* kAddonClusterLabel = "addons.stackhpc.com/cluster";

}  // namespace

const std::string& Condition::severity() const {
  return detail ? detail->severity : Empty();
}
const std::string& Condition::reason() const {
  return detail ? detail->reason : Empty();
}
const std::string& Condition::message() const {
  return detail ? detail->message : Empty();
}

const Condition* FindCondition(const std::vector<Condition>& conditions,
                               const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::optional<ClusterRecord> ProjectCluster(const json& object) {
  ClusterRecord r;
  FillMeta(object, {}, &r.meta);
  if (r.meta.name.empty()) return std::nullopt;
  r.meta.cluster = r.meta.name;
  const json& annotations = Child(Child(object, "metadata"), "annotations");
  r.operation_started =
      util::ParseKubeTime(Text(annotations, kOperationStartedAnnotation));
  r.operation = Text(annotations, kOperationAnnotation);
  const json& endpoint = Child(Child(object, "spec"), "controlPlaneEndpoint");
  r.endpoint_host = Text(endpoint, "host");
  r.endpoint_port = Int(endpoint, "port");
  const json& status = Child(object, "status");
  r.phase = Text(status, "phase");
  r.failure_reason = Text(status, "failureReason");
  r.failure_message = Text(status, "failureMessage");
  r.conditions = Conditions(status, false);
  return r;
}

std::optional<InfrastructureRecord> ProjectInfrastructure(const json& object) {
  InfrastructureRecord r;
  if (!FillMeta(object, {kClusterNameLabel, kChartClusterLabel}, &r.meta)) {
    // CAPO's OpenStackCluster is named after the cluster by the chart.
    if (r.meta.name.empty()) return std::nullopt;
    r.meta.cluster = r.meta.name;
  }
  const json& status = Child(object, "status");
  const json& ready = Child(status, "ready");
  r.ready = ready.is_boolean() && ready.get<bool>();
  r.failure_reason = Text(status, "failureReason");
  r.failure_message = Text(status, "failureMessage");
  r.conditions = Conditions(status, false);
  return r;
}

std::optional<ControlPlaneRecord> ProjectControlPlane(const json& object) {
  ControlPlaneRecord r;
  if (!FillMeta(object, {kClusterNameLabel, kChartClusterLabel}, &r.meta)) {
    return std::nullopt;
  }
  const json& spec = Child(object, "spec");
  r.desired = Int(spec, "replicas", 1);
  r.desired_version = Text(spec, "version");
  const json& status = Child(object, "status");
  r.replicas = Int(status, "replicas");
  r.ready = Int(status, "readyReplicas");
  r.updated = Int(status, "updatedReplicas");
  r.unavailable = Int(status, "unavailableReplicas");
  r.version = Text(status, "version");
  r.conditions = Conditions(status, false);
  return r;
}

std::optional<MachineDeploymentRecord> ProjectMachineDeployment(
    const json& object) {
  MachineDeploymentRecord r;
  if (!FillMeta(object, {kClusterNameLabel, kChartClusterLabel}, &r.meta)) {
    return std::nullopt;
  }
  const json& spec = Child(object, "spec");
  if (Child(spec, "replicas").is_number_integer()) {
    r.desired = Int(spec, "replicas");
  }
  const json& annotations = Child(Child(object, "metadata"), "annotations");
  r.autoscaled = Child(annotations,
                       "cluster.x-k8s.io/"
                       "cluster-api-autoscaler-node-group-max-size")
                     .is_string();
  const json& status = Child(object, "status");
  r.replicas = Int(status, "replicas");
  r.ready = Int(status, "readyReplicas");
  r.updated = Int(status, "updatedReplicas");
  r.available = Int(status, "availableReplicas");
  r.phase = Text(status, "phase");
  r.conditions = Conditions(status, false);
  return r;
}

std::optional<MachineRecord> ProjectMachine(const json& object) {
  MachineRecord r;
  if (!FillMeta(object, {kClusterNameLabel}, &r.meta)) return std::nullopt;
  const json& meta = Child(object, "metadata");
  r.control_plane =
      Child(Child(meta, "labels"), "cluster.x-k8s.io/control-plane")
          .is_string();
  r.deployment = Label(meta, "cluster.x-k8s.io/deployment-name");
  const json& status = Child(object, "status");
  r.phase = Text(status, "phase");
  r.failure_reason = Text(status, "failureReason");
  r.failure_message = Text(status, "failureMessage");
  const json& addresses = Child(status, "addresses");
  if (addresses.is_array()) {
    for (const char* type : {"ExternalIP", "InternalIP"}) {
      for (const json& a : addresses) {
        if (Text(a, "type") == type && !Text(a, "address").empty()) {
          r.addresses.push_back(Text(a, "address"));
        }
      }
    }
  }
  r.conditions = Conditions(status, true);
  return r;
}

std::optional<AddonRecord> ProjectAddon(const json& object) {
  AddonRecord r;
  // The addon provider's label, once it has reconciled the addon; the
  // chart's before that.
  if (!FillMeta(object, {kAddonClusterLabel, kChartClusterLabel}, &r.meta)) {
    return std::nullopt;
  }
  r.kind = Text(object, "kind");
  const json& status = Child(object, "status");
  r.phase = Text(status, "phase");
  r.message = Text(status, "failureMessage");
  r.conditions = Conditions(status, false);
  return r;
}

}  // namespace capi_bridge::status
