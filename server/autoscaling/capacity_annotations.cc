#include "server/autoscaling/capacity_annotations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/render/deep_merge.h"

namespace capi_bridge::autoscaling {
namespace {

using nlohmann::json;

constexpr char kDefaultProjectPrefix[] = "capi.stackhpc.com";
constexpr size_t kMaxChartName = 63;

std::string Key(absl::string_view suffix) {
  return absl::StrCat(kCapacityPrefix, suffix);
}

std::string ChartComponentName(absl::string_view release,
                               absl::string_view name) {
  std::string full = absl::StrCat(release, "-", name);
  if (full.size() > kMaxChartName) full.resize(kMaxChartName);
  while (!full.empty() && full.back() == '-') full.pop_back();
  return full;
}

std::string StringOr(const json& object, const char* key,
                     const std::string& fallback) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

GroupCapacity CapacityOf(const json& group, const std::string& prefix,
                         const std::map<std::string, FlavorCapacity>& flavors) {
  GroupCapacity capacity;
  const std::string name = StringOr(group, "name", "");
  if (auto labels = group.find("nodeLabels");
      labels != group.end() && labels->is_object()) {
    for (const auto& [key, value] : labels->items()) {
      if (value.is_string())
        capacity.node_labels[key] = value.get<std::string>();
    }
  }
  capacity.node_labels[absl::StrCat(prefix, "/node-group")] = name;
  static const json::json_pointer kTaints(
      "/kubeadmConfigSpec/joinConfiguration/nodeRegistration/taints");
  if (group.contains(kTaints) && group.at(kTaints).is_array()) {
    for (const json& taint : group.at(kTaints)) {
      if (!taint.is_object()) continue;
      capacity.taints.push_back({StringOr(taint, "key", ""),
                                 StringOr(taint, "value", ""),
                                 StringOr(taint, "effect", "")});
    }
  }
  auto flavor = flavors.find(StringOr(group, "machineFlavor", ""));
  if (flavor != flavors.end()) capacity.flavor = flavor->second;
  return capacity;
}

}  // namespace

Annotations CapacityAnnotations(const GroupCapacity& group) {
  Annotations out;
  if (!group.node_labels.empty()) {
    out[Key("labels")] =
        absl::StrJoin(group.node_labels, ",", absl::PairFormatter("="));
  }
  std::vector<std::string> taints;
  for (const NodeTaint& taint : group.taints) {
    if (taint.key.empty()) continue;
    std::string text = taint.key;
    if (!taint.value.empty()) absl::StrAppend(&text, "=", taint.value);
    if (!taint.effect.empty()) absl::StrAppend(&text, ":", taint.effect);
    taints.push_back(std::move(text));
  }
  if (!taints.empty()) out[Key("taints")] = absl::StrJoin(taints, ",");
  if (group.flavor.has_value()) {
    const FlavorCapacity& flavor = *group.flavor;
    if (flavor.vcpus > 0) out[Key("cpu")] = std::to_string(flavor.vcpus);
    if (flavor.ram_mb > 0)
      out[Key("memory")] = absl::StrCat(flavor.ram_mb, "Mi");
    if (flavor.gpu_count > 0) {
      out[Key("gpu-count")] = std::to_string(flavor.gpu_count);
      out[Key("gpu-type")] =
          flavor.gpu_type.empty() ? kDefaultGpuResource : flavor.gpu_type;
    }
  }
  return out;
}

std::vector<GroupPlan> PlanGroups(
    const json& values, absl::string_view release,
    const std::map<std::string, FlavorCapacity>& flavors) {
  std::vector<GroupPlan> plans;
  auto groups = values.find("nodeGroups");
  if (groups == values.end() || !groups->is_array()) return plans;
  const std::string prefix =
      StringOr(values, "projectPrefix", kDefaultProjectPrefix);
  json defaults = json::object();
  if (auto it = values.find("nodeGroupDefaults");
      it != values.end() && it->is_object()) {
    defaults = *it;
  }
  for (const json& item : *groups) {
    if (!item.is_object()) continue;
    json group = defaults;
    render::DeepMerge(item, &group);
    GroupPlan plan;
    plan.machine_deployment =
        ChartComponentName(release, StringOr(group, "name", ""));
    auto autoscale = group.find("autoscale");
    plan.autoscaled = autoscale != group.end() && autoscale->is_boolean() &&
                      autoscale->get<bool>();
    if (plan.autoscaled) {
      plan.annotations =
          CapacityAnnotations(CapacityOf(group, prefix, flavors));
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

bool AutoscalingOn(const json& values) {
  for (const GroupPlan& plan : PlanGroups(values, "", {})) {
    if (plan.autoscaled) return true;
  }
  return false;
}

}  // namespace capi_bridge::autoscaling
