// Node-group sections: the control plane, the defaults every worker group
// inherits, and one nodeGroups[] item per Magnum worker group.
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/render/naming.h"
#include "server/render/sections.h"

namespace capi_bridge::render {
namespace {

using magnum::capi::bridge::v1::NodeGroup;
using nlohmann::json;

constexpr absl::string_view kGroupNameAccepted =
    "a name that sanitises (lower-case, runs of other characters to '-') to "
    "^[a-z][a-z0-9-]+[a-z0-9]$: at least 3 characters, starting with a letter";

bool IsChartGroupName(const std::string& name) {
  if (name.size() < 3 || !absl::ascii_islower(name.front())) return false;
  char last = name.back();
  if (!absl::ascii_islower(last) && !absl::ascii_isdigit(last)) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

std::string GroupField(const NodeGroup& ng, absl::string_view field) {
  return absl::StrCat("node_groups[", ng.name(), "].", field);
}

// The per-node-group labels, as resolved for the cluster (defaults) or for
// one group.
struct GroupLabels {
  std::string boot_volume_type;
  int64_t boot_volume_size = 0;
  std::string availability_zone;
  std::string boot_volume_az;
  std::string server_group_policy;
};

GroupLabels ReadGroupLabels(RenderContext* ctx, LabelReader& r) {
  GroupLabels g;
  g.boot_volume_type =
      r.Name("boot_volume_type", ctx->options.default_boot_volume_type);
  g.boot_volume_size = r.Int(
      "boot_volume_size", ctx->options.default_boot_volume_size_gb, 0, 100000);
  g.availability_zone = r.Name("availability_zone", "");
  g.boot_volume_az = r.Name("boot_volume_availability_zone", "");
  g.server_group_policy = r.Enum(
      "server_group_policies", "",
      {"", "affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"});
  if (!g.boot_volume_az.empty() && g.boot_volume_size == 0) {
    r.Reject("boot_volume_availability_zone",
             "unset unless boot_volume_size is above 0 (it places the root "
             "volume)");
  }
  return g;
}

json RootVolume(const GroupLabels& g) {
  json volume = json::object();
  if (!g.boot_volume_type.empty()) volume["volumeType"] = g.boot_volume_type;
  if (g.boot_volume_size > 0) volume["diskSize"] = g.boot_volume_size;
  if (!g.boot_volume_az.empty() && g.boot_volume_size > 0) {
    volume["availabilityZone"] = g.boot_volume_az;
  }
  return volume;
}

// Flavor floors from the resolved Nova facts.
void CheckFlavor(RenderContext* ctx, const std::string& flavor,
                 const std::string& field) {
  const auto& flavors = ctx->spec.facts().flavors();
  auto it = flavors.find(flavor);
  if (it == flavors.end()) {
    ctx->problems.Missing(
        absl::StrCat("facts.flavors[", flavor, "]"),
        absl::StrCat("the Nova RAM and vCPUs of flavor ",
                     QuoteForMessage(flavor), " used by ", field));
    return;
  }
  const auto& facts = it->second;
  const RenderOptions& o = ctx->options;
  if (facts.ram_mb() < o.minimum_flavor_ram_mb) {
    ctx->problems.Add(
        field, flavor,
        absl::StrCat("a flavor with at least ", o.minimum_flavor_ram_mb,
                     " MB of RAM (this one has ", facts.ram_mb(), " MB)"));
  }
  if (facts.vcpus() < o.minimum_flavor_vcpus) {
    ctx->problems.Add(
        field, flavor,
        absl::StrCat("a flavor with at least ", o.minimum_flavor_vcpus,
                     " vCPUs (this one has ", facts.vcpus(), ")"));
  }
}

std::string ServerGroupId(RenderContext* ctx, const std::string& key,
                          const std::string& field) {
  const auto& ids = ctx->spec.facts().server_group_ids();
  auto it = ids.find(key);
  if (it == ids.end() || it->second.empty()) {
    ctx->problems.Missing(
        absl::StrCat("facts.server_group_ids[", key, "]"),
        absl::StrCat("the Nova server group the shim created for ", field,
                     " (server_group_policies is set)"));
    return "";
  }
  return it->second;
}

// The first chart version whose node groups may autoscale from zero.
constexpr absl::string_view kScaleFromZeroChart = "0.26.0";

// Autoscaling bounds of one worker group: min at least 1 (0 from chart
// 0.26.0), at most node_count and at most max; on the default group
// Magnum's stored minimum of 0 or 1 means unset and the labels may set
// both. Returns false when the
// group is fixed-size.
bool AutoscaleBounds(RenderContext* ctx, const NodeGroup& ng, bool is_default,
                     int64_t* min, int64_t* max) {
  int64_t count = ng.node_count();
  *min = ng.min_node_count();
  *max = ng.has_max_node_count() ? ng.max_node_count() : count;
  std::string min_field = GroupField(ng, "min_node_count");
  std::string max_field = GroupField(ng, "max_node_count");
  if (is_default) {
    // Magnum stores min_node_count = 1 (or 0) on the default group when the
    // user gave none: treat it as unset; the labels may then set it.
    if (*min <= 1) *min = count;
    LabelReader& r = ctx->reader;
    if (r.IsSet("min_node_count")) {
      *min = r.Int("min_node_count", *min, 0, 100000);
      min_field = "labels.min_node_count";
    }
    if (r.IsSet("max_node_count")) {
      *max = r.Int("max_node_count", *max, 0, 100000);
      max_field = "labels.max_node_count";
    }
  }
  bool ok = true;
  // A group may scale from zero from chart 0.26.0 on (capi-helm-charts
  // #745): CAPO publishes the flavor's capacity on the machine template,
  // which the cluster-autoscaler reads to size a group that has no
  // machines. Older charts refuse machineCountMin 0.
  const bool from_zero = ctx->ChartAtLeast(kScaleFromZeroChart);
  if (*min < 0) {
    ctx->problems.Add(min_field, std::to_string(*min),
                      "0 or more with autoscaling");
    ok = false;
  } else if (*min < 1 && !from_zero) {
    ctx->problems.Add(min_field, std::to_string(*min),
                      absl::StrCat("at least 1 with autoscaling on chart ",
                                   ctx->chart.ToString(),
                                   "; 0 (scale from zero) needs "
                                   "capi_helm_chart_version ",
                                   kScaleFromZeroChart, " or later"));
    ok = false;
  } else if (*min > count) {
    ctx->problems.Add(
        min_field, std::to_string(*min),
        absl::StrCat("at most the group's node_count (", count, ")"));
    ok = false;
  }
  if (*max < *min) {
    ctx->problems.Add(max_field, std::to_string(*max),
                      absl::StrCat("at least the minimum (", *min, ")"));
    ok = false;
  }
  return ok && *min != *max;
}

void RenderTaints(RenderContext* ctx, const NodeGroup& ng, json* item) {
  json taints = json::array();
  for (const auto& t : ng.node_taints()) {
    if (!IsK8sLabelKey(t.key()) || !IsK8sLabelValue(t.value())) {
      ctx->problems.Add(GroupField(ng, "node_taints"),
                        absl::StrCat(t.key(), "=", t.value()),
                        "key=value with a Kubernetes label key and value");
      continue;
    }
    if (t.effect() != "NoSchedule" && t.effect() != "PreferNoSchedule" &&
        t.effect() != "NoExecute") {
      ctx->problems.Add(GroupField(ng, "node_taints"), t.effect(),
                        "effect NoSchedule, PreferNoSchedule or NoExecute");
      continue;
    }
    json taint = {{"key", t.key()}, {"effect", t.effect()}};
    if (!t.value().empty()) taint["value"] = t.value();
    taints.push_back(taint);
  }
  if (!taints.empty()) {
    (*item)["kubeadmConfigSpec"]["joinConfiguration"]["nodeRegistration"]
           ["taints"] = taints;
  }
}

json NodeLabels(RenderContext* ctx, const NodeGroup& ng) {
  json labels = json::object();
  std::map<std::string, std::string> sorted(ng.node_labels().begin(),
                                            ng.node_labels().end());
  for (const auto& [key, value] : sorted) {
    if (!IsK8sLabelKey(key) || !IsK8sLabelValue(value)) {
      ctx->problems.Add(GroupField(ng, "node_labels"),
                        absl::StrCat(key, "=", value),
                        "Kubernetes label keys and values (63 characters, "
                        "alphanumerics, '-', '_', '.')");
      continue;
    }
    labels[key] = value;
  }
  return labels;
}

// Per-group image: only when it differs from the cluster's and carries the
// same Kubernetes version.
void RenderGroupImage(RenderContext* ctx, const NodeGroup& ng, json* item) {
  const std::string& image = ng.image_id();
  const auto& facts = ctx->spec.facts();
  if (image.empty() || image == facts.image().id() ||
      image == ctx->spec.template_().image_id()) {
    return;
  }
  auto it = facts.node_group_images().find(image);
  if (it == facts.node_group_images().end()) {
    ctx->problems.Missing(absl::StrCat("facts.node_group_images[", image, "]"),
                          absl::StrCat("the Glance facts of the image of node "
                                       "group ",
                                       QuoteForMessage(ng.name())));
    return;
  }
  std::optional<KubeVersion> version =
      ParseKubeVersion(it->second.kube_version());
  if (!version || !ctx->kube_version ||
      version->ToString() != ctx->kube_version->ToString()) {
    ctx->problems.Add(
        GroupField(ng, "image_id"), image,
        absl::StrCat("an image whose kube_version equals the cluster's (",
                     ctx->kube_version ? ctx->kube_version->ToString() : "?",
                     "); this one has ",
                     QuoteForMessage(it->second.kube_version())));
    return;
  }
  (*item)["machineImageId"] = it->second.id().empty() ? image : it->second.id();
}

}  // namespace

void RenderNodeGroups(RenderContext* ctx) {
  const auto& spec = ctx->spec;
  LabelReader& r = ctx->reader;
  json& cp = ctx->values["controlPlane"];
  json& defaults = ctx->values["nodeGroupDefaults"];

  // Control plane: every group with role "master".
  int64_t master_count = 0;
  std::string master_flavor = spec.cluster().master_flavor_id();
  const NodeGroup* master_group = nullptr;
  for (const NodeGroup& ng : spec.node_groups()) {
    if (ng.role() != "master") continue;
    master_count += ng.node_count();
    if (master_group == nullptr) master_group = &ng;
    if (master_flavor.empty()) master_flavor = ng.flavor_id();
  }
  if (master_group == nullptr) {
    ctx->problems.Missing("node_groups",
                          "a control-plane group (role \"master\")");
  } else if (master_count < 1 || master_count % 2 == 0) {
    ctx->problems.Add(GroupField(*master_group, "node_count"),
                      std::to_string(master_count),
                      "an odd number of control-plane machines, at least 1");
  }
  cp["machineCount"] = master_count;
  if (master_flavor.empty()) {
    ctx->problems.Missing("cluster.master_flavor_id",
                          "the control-plane flavor");
  } else {
    cp["machineFlavor"] = master_flavor;
    CheckFlavor(ctx, master_flavor, "cluster.master_flavor_id");
  }
  bool healing = r.Bool("auto_healing_enabled", true);
  cp["healthCheck"]["enabled"] = healing;
  defaults["healthCheck"]["enabled"] = healing;

  // Cluster-level values of the per-group labels: control plane and the
  // worker defaults.
  GroupLabels cluster = ReadGroupLabels(ctx, r);
  json root = RootVolume(cluster);
  if (!root.empty()) {
    cp["machineRootVolume"] = root;
    defaults["machineRootVolume"] = root;
  }
  if (!cluster.availability_zone.empty()) {
    defaults["failureDomain"] = cluster.availability_zone;
  }
  if (!cluster.server_group_policy.empty()) {
    std::string id = ServerGroupId(ctx, "control-plane", "the control plane");
    if (!id.empty()) cp["serverGroupId"] = id;
  }
  std::vector<std::string> cp_zones =
      r.Csv("control_plane_availability_zones", IsOpenStackName,
            "availability zone names");
  if (!cp_zones.empty()) {
    cp["failureDomains"] = cp_zones;
    cp["omitFailureDomain"] = false;
  }
  if (master_group != nullptr) {
    json labels = NodeLabels(ctx, *master_group);
    if (!labels.empty()) cp["nodeLabels"] = labels;
    if (master_group->node_taints_size() > 0) {
      ctx->Warn(GroupField(*master_group, "node_taints"),
                "taints on the control plane are not applied; the control "
                "plane keeps Kubernetes' own taint");
    }
  }
  if (r.IsSet("control_plane_cert_expiry_days")) {
    int64_t days = r.Int("control_plane_cert_expiry_days", 0, 1, 3650);
    if (!(ctx->chart > ChartVersion::Of(kNewestKnownChart))) {
      ctx->NeedsChart("control_plane_cert_expiry_days", "0.27.1");
    } else if (days > 0) {
      cp["certificatesExpiryDays"] = days;
    }
  }

  // extra_network_names (the deprecated extra_network_name only when the
  // new label is absent): workers get the cluster network plus these.
  std::string extra = r.IsSet("extra_network_names")
                          ? r.Text("extra_network_names", "")
                          : r.Text("extra_network_name", "");
  json ports = json::array({json::object()});
  for (absl::string_view name : absl::StrSplit(extra, ' ', absl::SkipEmpty())) {
    if (!IsOpenStackName(name)) {
      r.Reject(r.IsSet("extra_network_names") ? "extra_network_names"
                                              : "extra_network_name",
               "space-separated Neutron network names");
      continue;
    }
    ports.push_back({{"network", {{"name", std::string(name)}}},
                     {"securityGroups", json::array()}});
  }
  if (ports.size() > 1) defaults["machineNetworking"]["ports"] = ports;

  // Worker groups.
  bool autoscaling = r.Bool("auto_scaling_enabled", false);
  json groups = json::array();
  std::map<std::string, std::string> chart_names;  // chart name -> Magnum name
  for (const NodeGroup& ng : spec.node_groups()) {
    if (ng.role() == "master") continue;
    json item = json::object();
    std::string name = SanitizedName(ng.name());
    if (!IsChartGroupName(name)) {
      ctx->problems.Add(GroupField(ng, "name"), ng.name(), kGroupNameAccepted);
    } else if (name == "control-plane") {
      ctx->problems.Add(GroupField(ng, "name"), ng.name(),
                        "any name but control-plane, which the chart uses "
                        "for the control plane's objects");
    } else if (auto [it, fresh] = chart_names.emplace(name, ng.name());
               !fresh) {
      ctx->problems.Add(
          GroupField(ng, "name"), ng.name(),
          absl::StrCat("a name that differs from ", QuoteForMessage(it->second),
                       " after sanitising (both become ", QuoteForMessage(name),
                       ")"));
    } else if (ctx->release.size() + 1 + name.size() > kMaxObjectNameLength) {
      ctx->problems.Add(
          GroupField(ng, "name"), ng.name(),
          absl::StrCat("a name of at most ",
                       kMaxObjectNameLength - 1 - ctx->release.size(),
                       " characters, so that ", ctx->release,
                       "-<name> fits "
                       "the 63 characters of a Kubernetes name"));
    }
    item["name"] = name;

    std::string flavor =
        !ng.flavor_id().empty() ? ng.flavor_id() : spec.cluster().flavor_id();
    if (flavor.empty()) {
      ctx->problems.Missing(GroupField(ng, "flavor_id"), "the group's flavor");
    } else {
      item["machineFlavor"] = flavor;
      CheckFlavor(ctx, flavor, GroupField(ng, "flavor_id"));
    }
    if (ng.node_count() < 0) {
      ctx->problems.Add(GroupField(ng, "node_count"),
                        std::to_string(ng.node_count()), "0 or more");
    }
    item["machineCount"] = ng.node_count();
    if (autoscaling) {
      int64_t min = 0, max = 0;
      if (AutoscaleBounds(ctx, ng, ng.is_default(), &min, &max)) {
        item["autoscale"] = true;
        item["machineCountMin"] = min;
        item["machineCountMax"] = max;
      }
    }
    RenderGroupImage(ctx, ng, &item);

    // Node-group labels that differ from the cluster's. The chart merges
    // each item over nodeGroupDefaults and treats false/0/"" as absent, so
    // a group cannot switch off what the defaults switch on.
    LabelMap ng_labels(ng.labels().begin(), ng.labels().end());
    LabelSet group_set = ctx->labels.ForNodeGroup(&ng_labels, ng.name());
    LabelReader gr(group_set, &ctx->problems);
    GroupLabels group = ReadGroupLabels(ctx, gr);
    auto cannot_unset = [&](absl::string_view label) {
      gr.Reject(label,
                "a non-empty value: the cluster sets one, and the chart "
                "cannot switch it off for one group");
    };
    if (group.boot_volume_type != cluster.boot_volume_type) {
      if (group.boot_volume_type.empty())
        cannot_unset("boot_volume_type");
      else
        item["machineRootVolume"]["volumeType"] = group.boot_volume_type;
    }
    if (group.boot_volume_size != cluster.boot_volume_size) {
      if (group.boot_volume_size == 0)
        cannot_unset("boot_volume_size");
      else
        item["machineRootVolume"]["diskSize"] = group.boot_volume_size;
    }
    if (group.boot_volume_az != cluster.boot_volume_az &&
        group.boot_volume_size > 0) {
      if (group.boot_volume_az.empty()) {
        cannot_unset("boot_volume_availability_zone");
      } else {
        item["machineRootVolume"]["availabilityZone"] = group.boot_volume_az;
      }
    }
    if (group.availability_zone != cluster.availability_zone) {
      if (group.availability_zone.empty())
        cannot_unset("availability_zone");
      else
        item["failureDomain"] = group.availability_zone;
    }
    if (!group.server_group_policy.empty()) {
      std::string id =
          ServerGroupId(ctx, ng.name(), absl::StrCat("node group ", ng.name()));
      if (!id.empty()) item["serverGroupId"] = id;
    }
    json labels = NodeLabels(ctx, ng);
    if (!labels.empty()) item["nodeLabels"] = labels;
    RenderTaints(ctx, ng, &item);
    groups.push_back(item);
  }
  ctx->values["nodeGroups"] = groups;
}

}  // namespace capi_bridge::render
