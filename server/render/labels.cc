#include "server/render/labels.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace capi_bridge::render {

absl::string_view LabelSourceName(LabelSource source) {
  switch (source) {
    case LabelSource::kSite:
      return "site default";
    case LabelSource::kTemplate:
      return "template label";
    case LabelSource::kCluster:
      return "cluster label";
    case LabelSource::kNodeGroup:
      return "node-group label";
  }
  return "label";
}

const std::vector<LabelInfo>& KnownLabels() {
  // labels.md §2, in its order. NG = may be overridden per node group.
  static const std::vector<LabelInfo> kLabels = {
      {"capi_helm_chart_version", false, true},
      {"helm_extra_values", false, true},
      {"etcd_blockdevice_size"},
      {"etcd_blockdevice_type"},
      {"etcd_blockdevice_volume_type"},
      {"etcd_blockdevice_volume_az"},
      {"etcd_volume_size"},
      {"etcd_volume_type"},
      {"monitoring_enabled"},
      {"kube_dashboard_enabled"},
      {"auto_healing_enabled"},
      {"auto_scaling_enabled"},
      {"min_node_count"},
      {"max_node_count"},
      {"keystone_auth_enabled"},
      {"csi_cinder_availability_zone"},
      {"csi_cinder_reclaim_policy"},
      {"csi_cinder_volume_binding_mode"},
      {"csi_cinder_fstype"},
      {"csi_cinder_allow_volume_expansion"},
      {"octavia_provider"},
      {"octavia_lb_algorithm"},
      {"octavia_lb_healthcheck"},
      {"master_lb_floating_ip_enabled"},
      {"fixed_subnet_cidr"},
      {"api_master_lb_allowed_cidrs"},
      {"extra_network_names"},
      {"extra_network_name"},
      {"boot_volume_type", true},
      {"boot_volume_size", true},
      {"kube_tag"},
      {"oidc_issuer_url"},
      {"oidc_client_id"},
      {"oidc_username_claim"},
      {"oidc_username_prefix"},
      {"oidc_groups_claim"},
      {"oidc_groups_prefix"},
      {"oidc_signing_algs"},
      {"api_server_floating_ip"},
      {"availability_zone", true},
      {"control_plane_availability_zones"},
      {"boot_volume_availability_zone", true},
      {"calico_ipv4pool"},
      {"cilium_ipv4pool"},
      {"service_cluster_ip_range"},
      {"dns_cluster_domain"},
      {"cinder_csi_enabled"},
      {"manila_csi_enabled"},
      {"manila_csi_share_type"},
      {"manila_csi_share_network_id"},
      {"server_group_policies", true},
      {"container_infra_prefix"},
      {"api_server_cert_sans"},
      {"api_server_tls_cipher_suites"},
      {"kubelet_tls_cipher_suites"},
      {"admission_control_list"},
      {"calico_tag"},
      {"cilium_tag"},
      {"registry_mirrors"},
      {"autoscaler_tag"},
      {"metrics_server_enabled"},
      {"npd_enabled"},
      {"ingress_controller"},
      {"nvidia_gpu_operator_enabled"},
      {"node_feature_discovery_enabled"},
      {"mellanox_network_operator_enabled"},
      {"etcd_encryption_enabled"},
      {"pod_security_standard"},
      {"control_plane_cert_expiry_days"},
  };
  return kLabels;
}

const LabelInfo* FindLabel(absl::string_view name) {
  for (const LabelInfo& info : KnownLabels()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::optional<absl::string_view> IgnoredLabelReason(absl::string_view name) {
  struct Ignored {
    absl::string_view prefix;  // a label name, or a prefix ending in '_'
    absl::string_view reason;
  };
  static const Ignored kIgnored[] = {
      {"audit_log_", "the chart has no audit-log value"},
      {"api_server_lb_flavor", "the chart has no API load-balancer flavor"},
      {"api_server_lb_availability_zone",
       "the chart has no API load-balancer availability zone"},
      {"different_failure_domain", "the chart has no such value"},
      {"docker_volume_type", "there is no Docker volume with Cluster API"},
      {"cloud_provider_tag", "component versions follow the chart version"},
      {"cinder_csi_plugin_tag", "component versions follow the chart version"},
      {"manila_csi_plugin_tag", "component versions follow the chart version"},
      {"csi_attacher_tag", "component versions follow the chart version"},
      {"csi_liveness_probe_tag", "component versions follow the chart version"},
      {"csi_node_driver_registrar_tag",
       "component versions follow the chart version"},
      {"csi_provisioner_tag", "component versions follow the chart version"},
      {"csi_resizer_tag", "component versions follow the chart version"},
      {"csi_snapshotter_tag", "component versions follow the chart version"},
      {"cilium_hubble_ui_enabled", "the chart has no Hubble UI value"},
      {"flannel_",
       "flannel is not offered; the chart installs calico or cilium"},
      {"heapster_enabled", "a Heat-driver label"},
      {"kube_dashboard_version", "a Heat-driver label"},
      {"container_runtime", "a Heat-driver label; containerd is always used"},
      {"cgroup_driver", "a Heat-driver label"},
      {"kubelet_options", "a Heat-driver label"},
      {"kubeapi_options", "a Heat-driver label"},
      {"kubecontroller_options", "a Heat-driver label"},
      {"kubeproxy_options", "a Heat-driver label"},
      {"kubescheduler_options", "a Heat-driver label"},
      {"influx_grafana_dashboard_enabled", "a Heat-driver label"},
      {"prometheus_monitoring", "a Heat-driver label; use monitoring_enabled"},
      {"ingress_controller_role", "a Heat-driver label"},
      {"cloud_provider_enabled", "a Heat-driver label"},
      {"use_podman", "a Heat-driver label"},
      {"selinux_mode", "a Heat-driver label"},
      {"hyperkube_prefix", "a Heat-driver label"},
      {"master_lb_allowed_cidrs", "use api_master_lb_allowed_cidrs"},
      {"heat_container_agent_tag", "a Heat-driver label"},
      {"coredns_tag", "a Heat-driver label"},
      {"k8s_keystone_auth_tag", "component versions follow the chart version"},
      {"octavia_ingress_controller_tag", "a Heat-driver label"},
      {"draino_", "a Heat-driver label"},
      {"tiller_", "a Heat-driver label"},
      {"traefik_ingress_controller_tag", "a Heat-driver label"},
      {"nginx_ingress_controller_tag", "a Heat-driver label"},
  };
  for (const Ignored& ignored : kIgnored) {
    bool is_prefix = ignored.prefix.back() == '_';
    if (is_prefix ? absl::StartsWith(name, ignored.prefix)
                  : name == ignored.prefix) {
      return ignored.reason;
    }
  }
  return std::nullopt;
}

LabelSet::LabelSet(const LabelMap* site, const LabelMap* template_labels,
                   const LabelMap* cluster)
    : site_(site), template_(template_labels), cluster_(cluster) {}

LabelSet LabelSet::ForNodeGroup(const LabelMap* node_group,
                                absl::string_view group_name) const {
  LabelSet copy = *this;
  copy.node_group_ = node_group;
  copy.group_name_ = std::string(group_name);
  return copy;
}

std::optional<LabelSet::Value> LabelSet::Get(absl::string_view name) const {
  const LabelInfo* info = FindLabel(name);
  auto find = [&](const LabelMap* layer) -> const std::string* {
    if (layer == nullptr) return nullptr;
    auto it = layer->find(std::string(name));
    return it == layer->end() ? nullptr : &it->second;
  };
  if (info != nullptr && info->per_node_group) {
    if (const std::string* v = find(node_group_)) {
      return Value{*v, LabelSource::kNodeGroup};
    }
  }
  if (info == nullptr || !info->template_only) {
    if (const std::string* v = find(cluster_)) {
      return Value{*v, LabelSource::kCluster};
    }
  }
  if (const std::string* v = find(template_)) {
    return Value{*v, LabelSource::kTemplate};
  }
  if (const std::string* v = find(site_)) {
    return Value{*v, LabelSource::kSite};
  }
  return std::nullopt;
}

std::string LabelSet::Field(absl::string_view name, LabelSource source) const {
  if (source == LabelSource::kNodeGroup) {
    return absl::StrCat("node_groups[", group_name_, "].labels.", name,
                        " (node-group label)");
  }
  if (source == LabelSource::kSite) {
    return absl::StrCat("site_labels.", name, " (site default)");
  }
  return absl::StrCat("labels.", name, " (", LabelSourceName(source), ")");
}

bool LabelReader::IsSet(absl::string_view name) const {
  return labels_.Get(name).has_value();
}

bool LabelReader::IsNonEmpty(absl::string_view name) const {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  return v.has_value() && !v->text.empty();
}

void LabelReader::Reject(absl::string_view name, absl::string_view accepted) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) {
    problems_->Missing(absl::StrCat("labels.", name), accepted);
    return;
  }
  problems_->Add(labels_.Field(name, v->source), v->text, accepted);
}

bool LabelReader::Bool(absl::string_view name, bool fallback) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return fallback;
  std::optional<bool> parsed = ParseBool(v->text);
  if (!parsed) {
    problems_->Add(labels_.Field(name, v->source), v->text, kBoolAccepted);
    return fallback;
  }
  return *parsed;
}

int64_t LabelReader::Int(absl::string_view name, int64_t fallback, int64_t min,
                         int64_t max) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return fallback;
  std::optional<int64_t> parsed = ParseInt(v->text, min, max);
  if (!parsed) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   absl::StrCat("a whole number from ", min, " to ", max));
    return fallback;
  }
  return *parsed;
}

std::string LabelReader::Enum(absl::string_view name,
                              absl::string_view fallback,
                              const std::vector<absl::string_view>& allowed) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::string(fallback);
  if (std::find(allowed.begin(), allowed.end(), v->text) == allowed.end()) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   absl::StrCat("one of ", absl::StrJoin(allowed, ", ")));
    return std::string(fallback);
  }
  return v->text;
}

std::string LabelReader::Text(absl::string_view name,
                              absl::string_view fallback) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::string(fallback);
  if (!IsPrintable(v->text)) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   "text without control characters");
    return std::string(fallback);
  }
  return v->text;
}

std::string LabelReader::Name(absl::string_view name,
                              absl::string_view fallback) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::string(fallback);
  if (!v->text.empty() && !IsOpenStackName(v->text)) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   "a name of printable characters without commas or "
                   "surrounding spaces, or empty");
    return std::string(fallback);
  }
  return v->text;
}

std::optional<Ipv4Cidr> LabelReader::Cidr(absl::string_view name) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::nullopt;
  std::optional<Ipv4Cidr> parsed = ParseCidr(v->text);
  if (!parsed) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   "an IPv4 network in CIDR form with zero host bits, e.g. "
                   "10.0.0.0/24");
  }
  return parsed;
}

std::vector<std::string> LabelReader::Csv(absl::string_view name,
                                          bool (*valid)(absl::string_view),
                                          absl::string_view accepted) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return {};
  std::vector<std::string> items = SplitCsv(v->text);
  std::vector<std::string> good;
  for (const std::string& item : items) {
    if (valid(item)) {
      good.push_back(item);
    } else {
      problems_->Add(labels_.Field(name, v->source), item,
                     absl::StrCat("a comma-separated list of ", accepted));
    }
  }
  return good;
}

}  // namespace capi_bridge::render
