#include "server/autoscaling/autoscaling_objects.h"

#include <vector>

#include "absl/strings/match.h"

namespace capi_bridge::autoscaling {

const kube::ResourceType kRole{"rbac.authorization.k8s.io", "v1", "roles",
                               "Role", true};
const kube::ResourceType kRoleBinding{"rbac.authorization.k8s.io", "v1",
                                      "rolebindings", "RoleBinding", true};

namespace {

using nlohmann::json;

// Deletes the object after a read finds it, so that a cluster that never
// had one costs no write.
absl::Status DeleteIfPresent(kube::KubeClient& kube,
                             const kube::ResourceType& type,
                             const ClusterRef& cluster) {
  const std::string name = TemplateReaderName(cluster.release);
  auto current = kube.Get(type, cluster.namespace_name, name);
  if (absl::IsNotFound(current.status())) return absl::OkStatus();
  if (!current.ok()) return current.status();
  absl::Status status = kube.Delete(type, cluster.namespace_name, name);
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

// True when every field `desired` sets (but metadata) is stored as is, and
// its labels are there: applying it again would change nothing.
bool AlreadyStored(const json& stored, const json& desired) {
  for (const auto& [key, value] : desired.items()) {
    if (key == "metadata" || key == "apiVersion" || key == "kind") continue;
    if (!stored.contains(key) || stored.at(key) != value) return false;
  }
  const json& labels = desired.at("metadata").at("labels");
  const json* stored_labels = nullptr;
  if (auto meta = stored.find("metadata"); meta != stored.end()) {
    if (auto it = meta->find("labels"); it != meta->end()) stored_labels = &*it;
  }
  for (const auto& [key, value] : labels.items()) {
    if (stored_labels == nullptr || !stored_labels->contains(key) ||
        stored_labels->at(key) != value) {
      return false;
    }
  }
  return true;
}

absl::Status ApplyIfChanged(kube::KubeClient& kube,
                            const kube::ResourceType& type,
                            const json& desired) {
  const json& meta = desired.at("metadata");
  auto current = kube.Get(type, meta.at("namespace").get<std::string>(),
                          meta.at("name").get<std::string>());
  if (current.ok() && AlreadyStored(*current, desired)) {
    return absl::OkStatus();
  }
  if (!current.ok() && !absl::IsNotFound(current.status())) {
    return current.status();
  }
  auto applied = kube.Apply(type, desired, kFieldManager);
  return applied.ok() ? absl::OkStatus() : applied.status();
}

Annotations CapacityAnnotationsOf(const json& object) {
  Annotations out;
  const json* annotations = nullptr;
  if (auto meta = object.find("metadata"); meta != object.end()) {
    if (auto it = meta->find("annotations");
        it != meta->end() && it->is_object()) {
      annotations = &*it;
    }
  }
  if (annotations == nullptr) return out;
  for (const auto& [key, value] : annotations->items()) {
    if (absl::StartsWith(key, kCapacityPrefix) && value.is_string()) {
      out[key] = value.get<std::string>();
    }
  }
  return out;
}

// True when kFieldManager owns some field of `object` (so an apply naming
// fewer annotations would drop some).
bool ManagedHere(const json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end()) return false;
  auto fields = meta->find("managedFields");
  if (fields == meta->end() || !fields->is_array()) return false;
  for (const json& entry : *fields) {
    if (entry.is_object() && entry.value("manager", "") == kFieldManager) {
      return true;
    }
  }
  return false;
}

absl::Status SyncMachineDeployment(kube::KubeClient& kube,
                                   const ClusterRef& cluster,
                                   const GroupPlan& plan) {
  auto current = kube.Get(kube::kinds::kMachineDeployment,
                          cluster.namespace_name, plan.machine_deployment);
  if (absl::IsNotFound(current.status())) return absl::OkStatus();
  if (!current.ok()) return current.status();
  const Annotations present = CapacityAnnotationsOf(*current);
  bool stale = false;
  for (const auto& [key, value] : present) {
    if (plan.annotations.count(key) == 0) stale = true;
  }
  if (stale && !ManagedHere(*current)) stale = false;  // not ours to drop
  bool missing = false;
  for (const auto& [key, value] : plan.annotations) {
    auto it = present.find(key);
    if (it == present.end() || it->second != value) missing = true;
  }
  if (!stale && !missing) return absl::OkStatus();
  json metadata = {{"name", plan.machine_deployment},
                   {"namespace", cluster.namespace_name}};
  if (!plan.annotations.empty()) metadata["annotations"] = plan.annotations;
  json object = {{"apiVersion", kube::kinds::kMachineDeployment.ApiVersion()},
                 {"kind", kube::kinds::kMachineDeployment.kind},
                 {"metadata", std::move(metadata)}};
  auto applied =
      kube.Apply(kube::kinds::kMachineDeployment, object, kFieldManager);
  return applied.ok() ? absl::OkStatus() : applied.status();
}

}  // namespace

std::map<std::string, FlavorCapacity> FlavorCapacities(
    const magnum::capi::bridge::v1::OpenStackFacts& facts) {
  std::map<std::string, FlavorCapacity> out;
  for (const auto& [key, flavor] : facts.flavors()) {
    FlavorCapacity& capacity = out[key];
    capacity.vcpus = flavor.vcpus();
    capacity.ram_mb = flavor.ram_mb();
    capacity.gpu_count = flavor.gpu_count();
    capacity.gpu_type = flavor.gpu_type();
  }
  return out;
}

absl::Status SyncAutoscalingObjects(
    kube::KubeClient& kube, const ClusterRef& cluster, const json& values,
    const std::map<std::string, FlavorCapacity>& flavors) {
  const std::vector<GroupPlan> plans =
      PlanGroups(values, cluster.release, flavors);
  bool on = false;
  for (const GroupPlan& plan : plans) on = on || plan.autoscaled;
  if (on) {
    if (absl::Status status =
            ApplyIfChanged(kube, kRole, TemplateReaderRole(cluster));
        !status.ok()) {
      return status;
    }
    if (absl::Status status = ApplyIfChanged(
            kube, kRoleBinding, TemplateReaderRoleBinding(cluster));
        !status.ok()) {
      return status;
    }
  } else {
    if (absl::Status status = RemoveAutoscalingObjects(kube, cluster);
        !status.ok()) {
      return status;
    }
  }
  for (const GroupPlan& plan : plans) {
    if (absl::Status status = SyncMachineDeployment(kube, cluster, plan);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status RemoveAutoscalingObjects(kube::KubeClient& kube,
                                      const ClusterRef& cluster) {
  if (absl::Status status = DeleteIfPresent(kube, kRoleBinding, cluster);
      !status.ok()) {
    return status;
  }
  return DeleteIfPresent(kube, kRole, cluster);
}

}  // namespace capi_bridge::autoscaling
