// Addon sections: storage classes, cloud-provider load balancers, CNI,
// Keystone auth, monitoring, ingress and the optional operators.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/render/naming.h"
#include "server/render/sections.h"

namespace capi_bridge::render {
namespace {

using nlohmann::json;

bool IsFsType(absl::string_view text) {
  if (text.empty() || text.size() > 16) return false;
  for (char c : text) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c)) return false;
  }
  return true;
}

void RenderCinder(RenderContext* ctx, json* openstack) {
  LabelReader& r = ctx->reader;
  json& cinder = (*openstack)["csiCinder"];
  if (!r.Bool("cinder_csi_enabled", true)) {
    cinder["enabled"] = false;
    return;
  }
  std::string zone = r.Name("csi_cinder_availability_zone", "nova");
  std::string reclaim =
      r.Enum("csi_cinder_reclaim_policy", "Retain", {"Retain", "Delete"});
  std::string binding =
      r.Enum("csi_cinder_volume_binding_mode", "WaitForFirstConsumer",
             {"WaitForFirstConsumer", "Immediate"});
  std::string fstype = r.Text("csi_cinder_fstype", "ext4");
  if (!IsFsType(fstype)) {
    r.Reject("csi_cinder_fstype", "a filesystem type, e.g. ext4 or xfs");
    fstype = "ext4";
  }
  bool expansion = r.Bool("csi_cinder_allow_volume_expansion", true);

  const auto& facts = ctx->spec.facts();
  std::string default_type = facts.default_volume_type();
  std::string default_field = "facts.default_volume_type";
  ctx->default_volume_type_configured = facts.default_volume_type_configured();
  if (default_type.empty()) {
    default_type = ctx->options.csi_cinder_default_volume_type;
    default_field = "csi_cinder_default_volume_type (bridge config)";
    ctx->default_volume_type_configured = !default_type.empty();
  }
  if (facts.volume_types().empty()) {
    ctx->Warn("facts.volume_types",
              "Cinder offers no volume types: no StorageClass is rendered");
    cinder["defaultStorageClass"]["enabled"] = false;
    return;
  }
  if (default_type.empty()) default_type = facts.volume_types(0);
  bool default_found = false;
  json additional = json::array();
  std::set<std::string> names;
  for (const std::string& type : facts.volume_types()) {
    std::string name = SanitizedName(type);
    if (name.empty() || !names.insert(name).second) {
      ctx->problems.Add("facts.volume_types", type,
                        "volume type names that stay distinct and non-empty "
                        "once sanitised into StorageClass names");
      continue;
    }
    json sc = {
        {"name", name},
        {"reclaimPolicy", reclaim},
        {"allowVolumeExpansion", expansion},
        {"volumeBindingMode", binding},
        {"availabilityZone", zone},
        {"volumeType", type},
        {"allowedTopologies", ctx->options.csi_cinder_allowed_topologies},
        {"fstype", fstype},
        {"enabled", true}};
    if (type == default_type && !default_found) {
      default_found = true;
      cinder["defaultStorageClass"] = sc;
    } else {
      additional.push_back(sc);
    }
  }
  if (!default_found) {
    ctx->problems.Add(default_field, default_type,
                      absl::StrCat("one of the project's Cinder volume types: ",
                                   absl::StrJoin(facts.volume_types(), ", ")));
  }
  cinder["additionalStorageClasses"] = additional;
}

void RenderManila(RenderContext* ctx, json* openstack) {
  LabelReader& r = ctx->reader;
  if (!r.IsSet("manila_csi_enabled")) return;
  bool enabled = r.Bool("manila_csi_enabled", false);
  json& manila = (*openstack)["csiManila"];
  manila["enabled"] = enabled;
  if (!enabled) return;
  std::string share_type = r.Name("manila_csi_share_type", "");
  if (share_type.empty()) {
    ctx->problems.Missing("labels.manila_csi_share_type",
                          "the Manila share type (required with "
                          "manila_csi_enabled)");
  } else {
    manila["defaultStorageClass"]["parameters"]["type"] = share_type;
  }
  std::string network = r.Text("manila_csi_share_network_id", "");
  if (!network.empty()) {
    if (!IsUuid(network)) {
      r.Reject("manila_csi_share_network_id", "a Manila share network UUID");
    } else {
      manila["defaultStorageClass"]["parameters"]["shareNetworkID"] = network;
    }
  }
}

void RenderLoadBalancers(RenderContext* ctx, json* openstack) {
  LabelReader& r = ctx->reader;
  std::string provider = ctx->values["apiServer"]["loadBalancerProvider"];
  bool ovn = absl::AsciiStrToLower(provider) == "ovn";
  std::string algorithm = r.Enum(
      "octavia_lb_algorithm", "",
      {"", "ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT"});
  if (algorithm.empty()) algorithm = ovn ? "SOURCE_IP_PORT" : "ROUND_ROBIN";
  if (ovn && algorithm != "SOURCE_IP_PORT") {
    r.Reject("octavia_lb_algorithm",
             "SOURCE_IP_PORT (the only algorithm of the ovn provider)");
  }
  (*openstack)["cloudConfig"]["LoadBalancer"] = {
      {"lb-provider", provider},
      {"lb-method", algorithm},
      {"create-monitor", r.Bool("octavia_lb_healthcheck", true)}};
}

void RenderKeystoneAuth(RenderContext* ctx, json* openstack) {
  LabelReader& r = ctx->reader;
  if (!r.Bool("keystone_auth_enabled", false)) return;
  const std::string& auth_url = ctx->spec.facts().keystone().auth_url();
  if (auth_url.empty()) {
    ctx->problems.Missing("facts.keystone.auth_url",
                          "the Keystone public endpoint (required with "
                          "keystone_auth_enabled)");
  }
  ctx->values["authWebhook"] = "k8s-keystone-auth";
  // The cluster's project and the configured public endpoint, not the
  // caller's (reference defect 13).
  (*openstack)["k8sKeystoneAuth"] = {
      {"enabled", true},
      {"values",
       {{"openstackAuthUrl", auth_url},
        {"projectId", ctx->spec.cluster().project_id()}}}};
}

void RenderCni(RenderContext* ctx, json* addons) {
  const std::string& driver = ctx->spec.template_().network_driver();
  if (driver == "calico" || driver == "cilium") {
    (*addons)["cni"]["type"] = driver;
  } else if (driver == "flannel") {
    // Magnum's default when a template names none; the chart has no
    // flannel, so the chart default (calico) is installed instead of no CNI
    // at all (reference defect 2).
    ctx->Warn("template.network_driver",
              "flannel is not offered by the chart; calico is installed");
  } else if (!driver.empty()) {
    ctx->problems.Add("template.network_driver", driver,
                      "calico or cilium (flannel or empty select calico)");
  }
}

}  // namespace

void RenderAddons(RenderContext* ctx) {
  LabelReader& r = ctx->reader;
  json& addons = ctx->values["addons"];
  json& openstack = addons["openstack"];
  RenderCinder(ctx, &openstack);
  RenderManila(ctx, &openstack);
  RenderLoadBalancers(ctx, &openstack);
  RenderKeystoneAuth(ctx, &openstack);
  RenderCni(ctx, &addons);

  addons["monitoring"]["enabled"] = r.Bool("monitoring_enabled", false);

  bool dashboard = r.Bool("kube_dashboard_enabled", true);
  if (!ctx->ChartAtLeast("0.20.0")) {
    addons["kubernetesDashboard"]["enabled"] = dashboard;
  } else if (dashboard && r.IsSet("kube_dashboard_enabled")) {
    ctx->Warn("labels.kube_dashboard_enabled",
              absl::StrCat("the dashboard addon was removed in chart 0.20.0; "
                           "nothing is installed (rendering for ",
                           ctx->chart.ToString(), ")"));
  }

  std::string ingress = r.Enum("ingress_controller", "", {"", "traefik"});
  if (ingress == "traefik") {
    if (!ctx->ChartAtLeast("0.23.0")) {
      ctx->NeedsChart("ingress_controller", "0.23.0");
      addons["ingress"]["enabled"] = false;
    } else {
      addons["ingress"] = {{"enabled", true},
                           {"traefik", {{"enabled", true}}},
                           {"nginx", {{"enabled", false}}}};
    }
  } else {
    addons["ingress"]["enabled"] = false;
  }

  struct Toggle {
    absl::string_view label, key;
  };
  for (const Toggle& t :
       {Toggle{"metrics_server_enabled", "metricsServer"},
        Toggle{"npd_enabled", "nodeProblemDetector"},
        Toggle{"nvidia_gpu_operator_enabled", "nvidiaGPUOperator"},
        Toggle{"node_feature_discovery_enabled", "nodeFeatureDiscovery"},
        Toggle{"mellanox_network_operator_enabled",
               "mellanoxNetworkOperator"}}) {
    if (r.IsSet(t.label)) {
      addons[std::string(t.key)]["enabled"] = r.Bool(t.label, true);
    }
  }
}

void CheckMergedValues(RenderContext* ctx) {
  const json& v = ctx->values;
  const json* manila = nullptr;
  if (v.contains("addons") && v["addons"].contains("openstack") &&
      v["addons"]["openstack"].contains("csiManila")) {
    manila = &v["addons"]["openstack"]["csiManila"];
  }
  if (manila == nullptr || !manila->value("enabled", false)) return;
  bool cephfs = v["addons"].contains("csi") &&
                v["addons"]["csi"].contains("cephfs") &&
                v["addons"]["csi"]["cephfs"].value("enabled", false);
  bool provisioner = manila->contains("defaultStorageClass") &&
                     !(*manila)["defaultStorageClass"]
                          .value("provisioner", std::string())
                          .empty();
  if (!cephfs && !provisioner) {
    ctx->reader.Reject(
        "manila_csi_enabled",
        "false, unless operator overrides enable the CephFS CSI addon "
        "(addons.csi.cephfs.enabled) or name "
        "addons.openstack.csiManila.defaultStorageClass.provisioner; the "
        "chart cannot render Manila storage without a provisioner");
  }
}

}  // namespace capi_bridge::render
