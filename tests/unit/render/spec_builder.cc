#include "tests/unit/render/spec_builder.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "server/render/chart_version.h"

namespace capi_bridge::testing {

ClusterSpec StandardSpec() {
  ClusterSpec spec;
  auto* c = spec.mutable_cluster();
  c->set_uuid("0f6c2b8e-3d1a-4c59-9e2b-7a4d5c6e8f90");
  c->set_name("shop-prod");
  c->set_project_id("4b0d7e21c9a84f5f8e6d2a1c3b9f0e77");
  c->set_user_id("9d3e1f7a2b6c4e8d9a0b1c2d3e4f5a6b");
  c->set_stack_id(kRelease);
  c->set_keypair("ops-key");
  c->set_master_flavor_id("m1.medium");
  c->set_flavor_id("m1.large");
  auto* t = spec.mutable_template_();
  t->set_image_id("ubuntu-jammy-kube-v1.34.3");
  t->set_external_network_id("public");
  t->set_dns_nameserver("9.9.9.9,149.112.112.112");
  t->set_network_driver("calico");
  NodeGroup* master = spec.add_node_groups();
  master->set_name("default-master");
  master->set_role("master");
  master->set_flavor_id("m1.medium");
  master->set_node_count(1);
  master->set_is_default(true);
  NodeGroup* worker = spec.add_node_groups();
  worker->set_name("default-worker");
  worker->set_role("worker");
  worker->set_flavor_id("m1.large");
  worker->set_node_count(2);
  worker->set_min_node_count(1);
  worker->set_is_default(true);
  auto* f = spec.mutable_facts();
  f->mutable_image()->set_id("8f2d6b14-5c3a-4e7f-b9d0-1a2c3e4f5a6b");
  f->mutable_image()->set_kube_version("v1.34.3");
  f->mutable_image()->set_os_distro("ubuntu");
  f->set_external_network_id("3c5e9a70-1f2b-4d8e-9a61-7b0c2d4e6f81");
  f->add_volume_types("standard");
  f->add_volume_types("fast-ssd");
  f->set_default_volume_type("standard");
  auto& flavors = *f->mutable_flavors();
  flavors["m1.medium"].set_ram_mb(4096);
  flavors["m1.medium"].set_vcpus(2);
  flavors["m1.large"].set_ram_mb(8192);
  flavors["m1.large"].set_vcpus(4);
  f->mutable_keystone()->set_auth_url("https://keystone.example.com:5000/v3");
  return spec;
}

ClusterSpec FullFeaturedSpec(const std::string& chart) {
  ClusterSpec spec = StandardSpec();
  render::ChartVersion version = render::ChartVersion::Of(chart);
  auto at_least = [&](const char* v) {
    return version >= render::ChartVersion::Of(v);
  };
  std::map<std::string, std::string> labels = {
      {"etcd_blockdevice_size", "20"},
      {"etcd_blockdevice_volume_type", "fast-ssd"},
      {"monitoring_enabled", "true"},
      {"auto_healing_enabled", "true"},
      {"auto_scaling_enabled", "true"},
      {"max_node_count", "5"},
      {"keystone_auth_enabled", "true"},
      {"csi_cinder_reclaim_policy", "Delete"},
      {"octavia_provider", "ovn"},
      {"master_lb_floating_ip_enabled", "true"},
      {"fixed_subnet_cidr", "10.10.0.0/24"},
      {"api_master_lb_allowed_cidrs", "10.10.0.0/24,198.51.100.7"},
      {"extra_network_names", "storage backup"},
      {"boot_volume_type", "standard"},
      {"boot_volume_size", "40"},
      {"boot_volume_availability_zone", "az1"},
      {"availability_zone", "az1"},
      {"control_plane_availability_zones", "az1,az2,az3"},
      {"calico_ipv4pool", "10.100.0.0/16"},
      {"service_cluster_ip_range", "10.254.0.0/16"},
      {"dns_cluster_domain", "cluster.local"},
      {"server_group_policies", "soft-anti-affinity"},
      {"api_server_cert_sans", "api.example.com,203.0.113.10"},
      {"api_server_tls_cipher_suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {"kubelet_tls_cipher_suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {"admission_control_list", "PodSecurity"},
      {"calico_tag", "v3.31.5"},
      {"registry_mirrors", "docker.io=https://mirror.example.com/v2/dockerhub"},
      {"autoscaler_tag", "v1.34.1"},
      {"metrics_server_enabled", "true"},
      {"npd_enabled", "true"},
      {"nvidia_gpu_operator_enabled", "false"},
      {"node_feature_discovery_enabled", "true"},
      {"mellanox_network_operator_enabled", "false"},
      {"api_server_floating_ip", "203.0.113.10"},
  };
  if (at_least("0.11.0")) {
    labels["oidc_issuer_url"] = "https://auth.example.com";
    labels["oidc_client_id"] = "kubernetes";
    labels["oidc_username_prefix"] = "oidc:";
    labels["oidc_signing_algs"] = "RS256,ES256";
    labels["pod_security_standard"] = "baseline";
  }
  if (at_least("0.16.0")) labels["etcd_encryption_enabled"] = "true";
  if (at_least("0.23.0")) labels["ingress_controller"] = "traefik";
  if (version < render::ChartVersion::Of("0.20.0")) {
    labels["kube_dashboard_enabled"] = "false";
  }
  spec.mutable_cluster()->mutable_labels()->insert(labels.begin(),
                                                   labels.end());
  spec.mutable_template_()->set_apiserver_port(443);
  auto& ids = *spec.mutable_facts()->mutable_server_group_ids();
  ids["control-plane"] = "4e1d7f0a-6b2c-4d8e-9f3a-5b6c7d8e9f01";
  ids["default-worker"] = "5e1d7f0a-6b2c-4d8e-9f3a-5b6c7d8e9f02";
  ids["GPU_Pool"] = "6e1d7f0a-6b2c-4d8e-9f3a-5b6c7d8e9f03";
  NodeGroup* gpu = AddWorkerGroup(&spec, "GPU_Pool", 2);
  gpu->set_min_node_count(1);
  gpu->set_max_node_count(4);
  gpu->mutable_labels()->insert({"boot_volume_size", "100"});
  gpu->mutable_labels()->insert({"availability_zone", "az-gpu"});
  (*gpu->mutable_node_labels())["example.com/gpu"] = "a100";
  auto* taint = gpu->add_node_taints();
  taint->set_key("nvidia.com/gpu");
  taint->set_value("present");
  taint->set_effect("NoSchedule");
  return spec;
}

NodeGroup* AddWorkerGroup(ClusterSpec* spec, const std::string& name,
                          int count) {
  NodeGroup* ng = spec->add_node_groups();
  ng->set_name(name);
  ng->set_role("worker");
  ng->set_flavor_id("m1.large");
  ng->set_node_count(count);
  return ng;
}

Rendered Render(const ClusterSpec& spec, const std::string& chart,
                const render::RenderOptions& options) {
  render::ValuesRenderer renderer(options);
  Rendered out;
  absl::StatusOr<render::ChartVersion> version =
      render::ChartVersion::Parse(chart);
  if (!version.ok()) {
    out.error = std::string(version.status().message());
    return out;
  }
  absl::StatusOr<render::RenderResult> result =
      renderer.Render(spec, *version, spec.cluster().stack_id());
  if (!result.ok()) {
    out.error = std::string(result.status().message());
    return out;
  }
  out.ok = true;
  out.values = result->values;
  out.warnings = result->warnings;
  return out;
}

static const nlohmann::json* Find(const nlohmann::json& values,
                                  const std::string& path) {
  if (!path.empty() && path[0] == '/') {  // a JSON pointer, for dotted keys
    nlohmann::json::json_pointer pointer(path);
    return values.contains(pointer) ? &values.at(pointer) : nullptr;
  }
  const nlohmann::json* node = &values;
  for (const std::string& part :
       std::vector<std::string>(absl::StrSplit(path, '.'))) {
    size_t index = 0;
    if (node->is_array() && absl::SimpleAtoi(part, &index)) {
      if (index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else if (node->is_object() && node->contains(part)) {
      node = &(*node)[part];
    } else {
      return nullptr;
    }
  }
  return node;
}

nlohmann::json At(const nlohmann::json& values, const std::string& path) {
  const nlohmann::json* node = Find(values, path);
  return node ? *node : nlohmann::json(nlohmann::json::value_t::discarded);
}

bool Has(const nlohmann::json& values, const std::string& path) {
  return Find(values, path) != nullptr;
}

}  // namespace capi_bridge::testing
