#include "server/status/capi_records.h"

#include <algorithm>
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

// The conditions of `status` status reads (see Condition).
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
    if (NegativePolarity(condition.type)) {
      // Healthy while False: nothing to say then.
      if (state == "False") continue;
    } else if (condition.is_true &&
               (only_not_true || !KeepWhenTrue(condition.type))) {
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

// status.deprecated.v1beta1 of a v1beta2 object (null when absent).
const json& DeprecatedV1Beta1(const json& status) {
  return Child(Child(status, "deprecated"), "v1beta1");
}

// The Error-severity conditions among the v1beta1 conditions CAPI keeps
// under status.deprecated.v1beta1 of a v1beta2 object.
std::vector<Condition> V1Beta1Errors(const json& status) {
  std::vector<Condition> out;
  for (Condition& c : Conditions(DeprecatedV1Beta1(status), true)) {
    if (c.severity() == "Error") out.push_back(std::move(c));
  }
  out.shrink_to_fit();
  return out;
}

// Where a status keeps failureReason / failureMessage: v1beta1 at the top,
// v1beta2 under deprecated.v1beta1.
const json& FailureHolder(const json& status, bool v1beta2) {
  return v1beta2 ? DeprecatedV1Beta1(status) : status;
}

const std::string& Empty() {
  static const std::string kEmpty;
  return kEmpty;
}

constexpr const char* kClusterNameLabel = "cluster.x-k8s.io/cluster-name";
constexpr const char* kChartClusterLabel = "capi.stackhpc.com/cluster";
constexpr const char* kAddonClusterLabel = "addons.stackhpc.com/cluster";

}  // namespace

bool NegativePolarity(const std::string& type) {
  return type == "Deleting" || type == "Paused" || type == "RollingOut" ||
         type == "ScalingUp" || type == "ScalingDown" ||
         type == "Remediating" || type == "Updating";
}

bool IsV1Beta2(const json& object, const std::string& read_as) {
  const std::string api_version = Text(object, "apiVersion");
  if (api_version.empty()) return read_as == "v1beta2";
  const size_t slash = api_version.rfind('/');
  return api_version.substr(slash == std::string::npos ? 0 : slash + 1) ==
         "v1beta2";
}

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

std::optional<ClusterRecord> ProjectCluster(const json& object,
                                            const std::string& read_as) {
  const bool v1beta2 = IsV1Beta2(object, read_as);
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
  const json& failure = FailureHolder(status, v1beta2);
  r.failure_reason = Text(failure, "failureReason");
  r.failure_message = Text(failure, "failureMessage");
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
  // CAPO v0.14+ also writes the v1beta2 contract's
  // initialization.provisioned.
  const json& ready = Child(status, "ready");
  const json& provisioned =
      Child(Child(status, "initialization"), "provisioned");
  r.ready = (ready.is_boolean() && ready.get<bool>()) ||
            (provisioned.is_boolean() && provisioned.get<bool>());
  r.failure_reason = Text(status, "failureReason");
  r.failure_message = Text(status, "failureMessage");
  r.conditions = Conditions(status, false);
  return r;
}

std::optional<ControlPlaneRecord> ProjectControlPlane(
    const json& object, const std::string& read_as) {
  const bool v1beta2 = IsV1Beta2(object, read_as);
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
  r.version = Text(status, "version");
  r.conditions = Conditions(status, false);
  if (v1beta2) {
    r.updated = Int(status, "upToDateReplicas");
    r.unavailable =
        std::max(0, r.replicas - Int(status, "availableReplicas", r.replicas));
    r.v1beta1_errors = V1Beta1Errors(status);
  } else {
    r.updated = Int(status, "updatedReplicas");
    r.unavailable = Int(status, "unavailableReplicas");
  }
  return r;
}

std::optional<MachineDeploymentRecord> ProjectMachineDeployment(
    const json& object, const std::string& read_as) {
  const bool v1beta2 = IsV1Beta2(object, read_as);
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
  r.updated = Int(status, v1beta2 ? "upToDateReplicas" : "updatedReplicas");
  r.available = Int(status, "availableReplicas");
  r.phase = Text(status, "phase");
  r.conditions = Conditions(status, false);
  if (v1beta2) r.v1beta1_errors = V1Beta1Errors(status);
  return r;
}

std::optional<MachineRecord> ProjectMachine(const json& object,
                                            const std::string& read_as) {
  const bool v1beta2 = IsV1Beta2(object, read_as);
  MachineRecord r;
  if (!FillMeta(object, {kClusterNameLabel}, &r.meta)) return std::nullopt;
  const json& meta = Child(object, "metadata");
  r.control_plane =
      Child(Child(meta, "labels"), "cluster.x-k8s.io/control-plane")
          .is_string();
  r.deployment = Label(meta, "cluster.x-k8s.io/deployment-name");
  const json& status = Child(object, "status");
  r.phase = Text(status, "phase");
  const json& failure = FailureHolder(status, v1beta2);
  r.failure_reason = Text(failure, "failureReason");
  r.failure_message = Text(failure, "failureMessage");
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
  if (v1beta2) r.v1beta1_errors = V1Beta1Errors(status);
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
