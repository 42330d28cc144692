// Every label of the catalogue (docs/labels.md): its default, a template value,
// a cluster value overriding the template's, and its bad values, each to the
// chart value path it drives (chart 0.27.0 unless the row says otherwise).
#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "server/render/labels.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::testing {
namespace {

using nlohmann::json;

// Expectation markers.
const char* const kAbsent = "<absent>";
const char* const kError = "<error>";

struct LabelCase {
  const char* label;
  const char* path;
  const char* default_expect;  // JSON text, kAbsent or kError
  const char* template_value;
  const char* template_expect;
  const char* cluster_value;
  const char* cluster_expect;
  std::map<std::string, std::string> base = {};  // extra cluster labels
  const char* chart = "0.27.0";
  bool cephfs_override = false;  // an operator override enabling CephFS CSI
};

const std::vector<LabelCase>& Cases() {
  static const std::vector<LabelCase> kCases = {
      {"etcd_blockdevice_size", "etcd.blockDevice.size", kAbsent, "20", "20",
       "30", "30"},
      {"etcd_blockdevice_type",
       "etcd.blockDevice.type",
       "\"Volume\"",
       "local",
       "\"Local\"",
       "volume",
       "\"Volume\"",
       {{"etcd_blockdevice_size", "10"}}},
      {"etcd_blockdevice_volume_type",
       "etcd.blockDevice.volumeType",
       kAbsent,
       "fast",
       "\"fast\"",
       "slow",
       "\"slow\"",
       {{"etcd_blockdevice_size", "10"}}},
      {"etcd_blockdevice_volume_az",
       "etcd.blockDevice.availabilityZone",
       kAbsent,
       "az1",
       "\"az1\"",
       "az2",
       "\"az2\"",
       {{"etcd_blockdevice_size", "10"}}},
      {"etcd_volume_size", "etcd.blockDevice.size", kAbsent, "20", "20", "25",
       "25"},
      {"etcd_volume_type",
       "etcd.blockDevice.volumeType",
       kAbsent,
       "fast",
       "\"fast\"",
       "slow",
       "\"slow\"",
       {{"etcd_volume_size", "10"}}},
      {"monitoring_enabled", "addons.monitoring.enabled", "false", "true",
       "true", "no", "false"},
      {"kube_dashboard_enabled",
       "addons.kubernetesDashboard.enabled",
       "true",
       "false",
       "false",
       "yes",
       "true",
       {},
       "0.19.2"},
      {"auto_healing_enabled", "nodeGroupDefaults.healthCheck.enabled", "true",
       "false", "false", "on", "true"},
      {"auto_scaling_enabled",
       "nodeGroups.0.autoscale",
       kAbsent,
       "true",
       "true",
       "false",
       kAbsent,
       {{"max_node_count", "5"}}},
      {"min_node_count",
       "nodeGroups.0.machineCountMin",
       "2",
       "1",
       "1",
       "2",
       "2",
       {{"auto_scaling_enabled", "true"}, {"max_node_count", "5"}}},
      {"max_node_count",
       "nodeGroups.0.machineCountMax",
       kAbsent,
       "4",
       "4",
       "6",
       "6",
       {{"auto_scaling_enabled", "true"}}},
      {"keystone_auth_enabled", "authWebhook", kAbsent, "true",
       "\"k8s-keystone-auth\"", "false", kAbsent},
      {"csi_cinder_availability_zone",
       "addons.openstack.csiCinder.defaultStorageClass.availabilityZone",
       "\"nova\"", "az1", "\"az1\"", "az2", "\"az2\""},
      {"csi_cinder_reclaim_policy",
       "addons.openstack.csiCinder.defaultStorageClass.reclaimPolicy",
       "\"Retain\"", "Delete", "\"Delete\"", "Retain", "\"Retain\""},
      {"csi_cinder_volume_binding_mode",
       "addons.openstack.csiCinder.additionalStorageClasses.0."
       "volumeBindingMode",
       "\"WaitForFirstConsumer\"", "Immediate", "\"Immediate\"",
       "WaitForFirstConsumer", "\"WaitForFirstConsumer\""},
      {"csi_cinder_fstype",
       "addons.openstack.csiCinder.defaultStorageClass.fstype", "\"ext4\"",
       "xfs", "\"xfs\"", "ext3", "\"ext3\""},
      {"csi_cinder_allow_volume_expansion",
       "addons.openstack.csiCinder.defaultStorageClass.allowVolumeExpansion",
       "true", "false", "false", "true", "true"},
      {"octavia_provider", "apiServer.loadBalancerProvider", "\"amphora\"",
       "ovn", "\"ovn\"", "amphora", "\"amphora\""},
      {"octavia_lb_algorithm",
       "addons.openstack.cloudConfig.LoadBalancer.lb-method", "\"ROUND_ROBIN\"",
       "LEAST_CONNECTIONS", "\"LEAST_CONNECTIONS\"", "SOURCE_IP",
       "\"SOURCE_IP\""},
      {"octavia_lb_healthcheck",
       "addons.openstack.cloudConfig.LoadBalancer.create-monitor", "true",
       "false", "false", "true", "true"},
      {"master_lb_floating_ip_enabled", "apiServer.associateFloatingIP", "true",
       "false", "false", "true", "true"},
      {"fixed_subnet_cidr", "clusterNetworking.internalNetwork.nodeCidr",
       "\"10.0.0.0/24\"", "10.1.0.0/24", "\"10.1.0.0/24\"", "10.2.0.0/24",
       "\"10.2.0.0/24\""},
      {"api_master_lb_allowed_cidrs", "apiServer.allowedCIDRs", kAbsent,
       "10.0.0.0/24,203.0.113.5", "[\"10.0.0.0/24\",\"203.0.113.5/32\"]",
       "0.0.0.0/0", "[\"0.0.0.0/0\"]"},
      {"extra_network_names", "nodeGroupDefaults.machineNetworking.ports",
       kAbsent, "storage",
       "[{},{\"network\":{\"name\":\"storage\"},\"securityGroups\":[]}]", "a b",
       "[{},{\"network\":{\"name\":\"a\"},\"securityGroups\":[]},"
       "{\"network\":{\"name\":\"b\"},\"securityGroups\":[]}]"},
      {"extra_network_name", "nodeGroupDefaults.machineNetworking.ports.1",
       kAbsent, "legacy",
       "{\"network\":{\"name\":\"legacy\"},\"securityGroups\":[]}", "other",
       "{\"network\":{\"name\":\"other\"},\"securityGroups\":[]}"},
      {"boot_volume_type", "controlPlane.machineRootVolume.volumeType", kAbsent,
       "ssd", "\"ssd\"", "hdd", "\"hdd\""},
      {"boot_volume_size", "nodeGroupDefaults.machineRootVolume.diskSize",
       kAbsent, "40", "40", "50", "50"},
      {"kube_tag", "kubernetesVersion", "\"1.34.3\"", "v1.34.3", "\"1.34.3\"",
       "1.34.3", "\"1.34.3\""},
      {"oidc_issuer_url",
       "oidc.issuerUrl",
       kAbsent,
       "https://a.example.com",
       "\"https://a.example.com\"",
       "https://b.example.com",
       "\"https://b.example.com\"",
       {{"oidc_client_id", "k8s"}}},
      {"oidc_client_id",
       "oidc.clientId",
       kError,
       "k8s",
       "\"k8s\"",
       "kube",
       "\"kube\"",
       {{"oidc_issuer_url", "https://a.example.com"}}},
      {"oidc_username_claim",
       "oidc.usernameClaim",
       kAbsent,
       "email",
       "\"email\"",
       "preferred_username",
       "\"preferred_username\"",
       {{"oidc_issuer_url", "https://a.example.com"},
        {"oidc_client_id", "k8s"}}},
      {"oidc_username_prefix",
       "oidc.usernamePrefix",
       kAbsent,
       "oidc:",
       "\"oidc:\"",
       "-",
       "\"-\"",
       {{"oidc_issuer_url", "https://a.example.com"},
        {"oidc_client_id", "k8s"}}},
      {"oidc_groups_claim",
       "oidc.groupsClaim",
       kAbsent,
       "roles",
       "\"roles\"",
       "groups",
       "\"groups\"",
       {{"oidc_issuer_url", "https://a.example.com"},
        {"oidc_client_id", "k8s"}}},
      {"oidc_groups_prefix",
       "oidc.groupsPrefix",
       kAbsent,
       "g:",
       "\"g:\"",
       "grp:",
       "\"grp:\"",
       {{"oidc_issuer_url", "https://a.example.com"},
        {"oidc_client_id", "k8s"}}},
      {"oidc_signing_algs",
       "oidc.signingAlgs",
       kAbsent,
       "RS256, ES256",
       "\"RS256,ES256\"",
       "RS512",
       "\"RS512\"",
       {{"oidc_issuer_url", "https://a.example.com"},
        {"oidc_client_id", "k8s"}}},
      {"api_server_floating_ip", "apiServer.floatingIP", kAbsent,
       "203.0.113.10", "\"203.0.113.10\"", "203.0.113.11", "\"203.0.113.11\""},
      {"availability_zone", "nodeGroupDefaults.failureDomain", kAbsent, "az1",
       "\"az1\"", "az2", "\"az2\""},
      {"control_plane_availability_zones", "controlPlane.failureDomains",
       kAbsent, "az1,az2", "[\"az1\",\"az2\"]", "az3", "[\"az3\"]"},
      {"boot_volume_availability_zone",
       "controlPlane.machineRootVolume.availabilityZone",
       kAbsent,
       "az1",
       "\"az1\"",
       "az2",
       "\"az2\"",
       {{"boot_volume_size", "40"}}},
      {"calico_ipv4pool", "kubeNetwork.pods.cidrBlocks", kAbsent,
       "10.100.0.0/16", "[\"10.100.0.0/16\"]", "10.200.0.0/16",
       "[\"10.200.0.0/16\"]"},
      {"cilium_ipv4pool", "kubeNetwork.pods.cidrBlocks", kAbsent,
       "10.100.0.0/16", "[\"10.100.0.0/16\"]", "10.200.0.0/16",
       "[\"10.200.0.0/16\"]"},
      {"service_cluster_ip_range", "kubeNetwork.services.cidrBlocks", kAbsent,
       "10.254.0.0/16", "[\"10.254.0.0/16\"]", "10.253.0.0/16",
       "[\"10.253.0.0/16\"]"},
      {"dns_cluster_domain", "kubeNetwork.serviceDomain", kAbsent,
       "example.local", "\"example.local\"", "corp.local", "\"corp.local\""},
      {"cinder_csi_enabled", "addons.openstack.csiCinder.enabled", kAbsent,
       "false", "false", "true", kAbsent},
      {"manila_csi_enabled",
       "addons.openstack.csiManila.enabled",
       kAbsent,
       "true",
       "true",
       "false",
       "false",
       {{"manila_csi_share_type", "cephfs"}},
       "0.27.0",
       true},
      {"manila_csi_share_type",
       "addons.openstack.csiManila.defaultStorageClass.parameters.type",
       kError,
       "gold",
       "\"gold\"",
       "silver",
       "\"silver\"",
       {{"manila_csi_enabled", "true"}},
       "0.27.0",
       true},
      {"manila_csi_share_network_id",
       "addons.openstack.csiManila.defaultStorageClass.parameters."
       "shareNetworkID",
       kAbsent,
       "11111111-2222-3333-4444-555555555555",
       "\"11111111-2222-3333-4444-555555555555\"",
       "66666666-7777-8888-9999-000000000000",
       "\"66666666-7777-8888-9999-000000000000\"",
       {{"manila_csi_enabled", "true"}, {"manila_csi_share_type", "gold"}},
       "0.27.0",
       true},
      {"server_group_policies", "controlPlane.serverGroupId", kAbsent,
       "anti-affinity", "\"sg-control-plane\"", "soft-anti-affinity",
       "\"sg-control-plane\""},
      {"container_infra_prefix", "/registryMirrors/docker.io", kAbsent,
       "registry.example.com/mirror",
       "[\"https://registry.example.com/v2/mirror/docker.io\"]",
       "reg.example.com:5000",
       "[\"https://reg.example.com:5000/v2/docker.io\"]"},
      {"api_server_cert_sans",
       "controlPlane.kubeadmConfigSpec.clusterConfiguration.apiServer.certSANs",
       kAbsent, "api.example.com,203.0.113.10",
       "[\"api.example.com\",\"203.0.113.10\"]", "k8s.example.com",
       "[\"k8s.example.com\"]"},
      {"api_server_tls_cipher_suites",
       "controlPlane.kubeadmConfigSpec.clusterConfiguration.apiServer."
       "extraArgs.tls-cipher-suites",
       kAbsent, "TLS_A,TLS_B", "\"TLS_A,TLS_B\"", "TLS_C", "\"TLS_C\""},
      {"kubelet_tls_cipher_suites",
       "nodeGroupDefaults.kubeadmConfigSpec.joinConfiguration."
       "nodeRegistration.kubeletExtraArgs.tls-cipher-suites",
       kAbsent, "TLS_A", "\"TLS_A\"", "TLS_B,TLS_C", "\"TLS_B,TLS_C\""},
      {"admission_control_list",
       "controlPlane.kubeadmConfigSpec.clusterConfiguration.apiServer."
       "extraArgs.enable-admission-plugins",
       kAbsent, "PodSecurity", "\"NodeRestriction,PodSecurity\"",
       "NodeRestriction,AlwaysPullImages",
       "\"NodeRestriction,AlwaysPullImages\""},
      {"calico_tag", "addons.cni.calico.chart.version", kAbsent, "v3.30.0",
       "\"v3.30.0\"", "v3.31.5", "\"v3.31.5\""},
      {"cilium_tag", "addons.cni.cilium.chart.version", kAbsent, "1.18.0",
       "\"1.18.0\"", "1.19.3", "\"1.19.3\""},
      {"registry_mirrors", "/registryMirrors/docker.io", kAbsent,
       "docker.io=https://m.example.com/v2/dh",
       "[\"https://m.example.com/v2/dh\"]", "none", kAbsent},
      {"autoscaler_tag", "autoscaler.image.tag", kAbsent, "v1.34.0",
       "\"v1.34.0\"", "v1.34.1", "\"v1.34.1\""},
      {"metrics_server_enabled", "addons.metricsServer.enabled", kAbsent,
       "false", "false", "true", "true"},
      {"npd_enabled", "addons.nodeProblemDetector.enabled", kAbsent, "false",
       "false", "true", "true"},
      {"ingress_controller", "addons.ingress.traefik.enabled", kAbsent,
       "traefik", "true", "", kAbsent},
      {"nvidia_gpu_operator_enabled", "addons.nvidiaGPUOperator.enabled",
       kAbsent, "false", "false", "true", "true"},
      {"node_feature_discovery_enabled", "addons.nodeFeatureDiscovery.enabled",
       kAbsent, "false", "false", "true", "true"},
      {"mellanox_network_operator_enabled",
       "addons.mellanoxNetworkOperator.enabled", kAbsent, "false", "false",
       "true", "true"},
      {"etcd_encryption_enabled", "etcd.encryption.enabled", kAbsent, "true",
       "true", "false", "false"},
      {"pod_security_standard",
       "apiServer.admissionConfiguration.PodSecurity.defaults.enforce", kAbsent,
       "baseline", "\"baseline\"", "restricted", "\"restricted\""},
      {"control_plane_cert_expiry_days",
       "controlPlane.certificatesExpiryDays",
       kAbsent,
       "30",
       "30",
       "21",
       "21",
       {},
       "0.27.1-dev.0.main.5"},
  };
  return kCases;
}

render::RenderOptions OptionsFor(const LabelCase& c) {
  render::RenderOptions options;
  if (c.cephfs_override) {
    options.value_overrides["all"].documents.push_back(
        json::parse(R"({"addons":{"csi":{"cephfs":{"enabled":true}}}})"));
  }
  return options;
}

ClusterSpec SpecFor(const LabelCase& c) {
  ClusterSpec spec = StandardSpec();
  auto& ids = *spec.mutable_facts()->mutable_server_group_ids();
  ids["control-plane"] = "sg-control-plane";
  ids["default-worker"] = "sg-default-worker";
  for (const auto& [k, v] : c.base)
    (*spec.mutable_cluster()->mutable_labels())[k] = v;
  return spec;
}

void Expect(const Rendered& r, const LabelCase& c, const char* expect,
            const char* label) {
  INFO("label " << c.label << " path " << c.path << " expect " << expect
                << " error: " << r.error);
  if (std::string(expect) == kError) {
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.find(std::string("labels.") + label) != std::string::npos);
    return;
  }
  REQUIRE(r.ok);
  if (std::string(expect) == kAbsent) {
    CHECK_FALSE(Has(r.values, c.path));
  } else {
    REQUIRE(Has(r.values, c.path));
    CHECK(At(r.values, c.path) == json::parse(expect));
  }
}

TEST_CASE("every label: default, template value, cluster override",
          "[labels]") {
  for (const LabelCase& c : Cases()) {
    DYNAMIC_SECTION(c.label) {
      render::RenderOptions options = OptionsFor(c);
      ClusterSpec spec = SpecFor(c);
      Expect(Render(spec, c.chart, options), c, c.default_expect, c.label);

      (*spec.mutable_template_()->mutable_labels())[c.label] = c.template_value;
      Expect(Render(spec, c.chart, options), c, c.template_expect, c.label);

      (*spec.mutable_cluster()->mutable_labels())[c.label] = c.cluster_value;
      Expect(Render(spec, c.chart, options), c, c.cluster_expect, c.label);
    }
  }
}

TEST_CASE("the table covers every label the renderer knows", "[labels]") {
  std::set<std::string> covered;
  for (const LabelCase& c : Cases()) covered.insert(c.label);
  // Read from the template only and tested on their own below.
  covered.insert("capi_helm_chart_version");
  covered.insert("helm_extra_values");
  for (const render::LabelInfo& info : render::KnownLabels()) {
    INFO("label " << info.name);
    CHECK(covered.count(std::string(info.name)) == 1);
  }
}

TEST_CASE("a site default sits below template and cluster labels", "[labels]") {
  render::RenderOptions options;
  options.site_labels["monitoring_enabled"] = "true";
  ClusterSpec spec = StandardSpec();
  CHECK(At(Render(spec, "0.27.0", options).values,
           "addons.monitoring.enabled") == true);
  (*spec.mutable_template_()->mutable_labels())["monitoring_enabled"] = "false";
  CHECK(At(Render(spec, "0.27.0", options).values,
           "addons.monitoring.enabled") == false);
}

struct BadCase {
  const char* label;
  const char* value;
  const char* accepted;  // a fragment of the accepted form in the message
  std::map<std::string, std::string> base = {};
  const char* chart = "0.27.0";
};

TEST_CASE("bad label values name the label, the value and what is accepted",
          "[labels]") {
  const std::vector<BadCase> cases = {
      {"monitoring_enabled", "maybe", "true/false, yes/no"},
      {"kube_dashboard_enabled", "2", "true/false"},
      {"auto_healing_enabled", "enable", "true/false"},
      {"auto_scaling_enabled", "sure", "true/false"},
      {"keystone_auth_enabled", "yess", "true/false"},
      {"csi_cinder_allow_volume_expansion", "x", "true/false"},
      {"octavia_lb_healthcheck", "nah", "true/false"},
      {"master_lb_floating_ip_enabled", "tru", "true/false"},
      {"cinder_csi_enabled", "-", "true/false"},
      {"manila_csi_enabled", "enabled", "true/false"},
      {"metrics_server_enabled", "2", "true/false"},
      {"npd_enabled", "yes please", "true/false"},
      {"nvidia_gpu_operator_enabled", "off!", "true/false"},
      {"node_feature_discovery_enabled", "0n", "true/false"},
      {"mellanox_network_operator_enabled", "none", "true/false"},
      {"etcd_encryption_enabled", "encrypt", "true/false"},
      {"etcd_blockdevice_size", "-1", "a whole number from 0"},
      {"etcd_blockdevice_size", "ten", "a whole number from 0"},
      {"etcd_volume_size", "1.5", "a whole number from 0"},
      {"boot_volume_size", "big", "a whole number from 0"},
      {"min_node_count",
       "x",
       "a whole number",
       {{"auto_scaling_enabled", "true"}}},
      {"max_node_count",
       "lots",
       "a whole number",
       {{"auto_scaling_enabled", "true"}}},
      {"control_plane_cert_expiry_days",
       "0",
       "a whole number from 1",
       {},
       "0.28.0"},
      {"etcd_blockdevice_type", "ssd", "one of volume, local"},
      {"csi_cinder_reclaim_policy", "Recycle", "one of Retain, Delete"},
      {"csi_cinder_volume_binding_mode", "Later",
       "WaitForFirstConsumer, Immediate"},
      {"csi_cinder_fstype", "ext 4", "a filesystem type"},
      {"octavia_lb_algorithm", "RANDOM", "ROUND_ROBIN"},
      {"octavia_lb_algorithm",
       "ROUND_ROBIN",
       "SOURCE_IP_PORT (the only",
       {{"octavia_provider", "ovn"}}},
      {"server_group_policies", "spread", "anti-affinity"},
      {"pod_security_standard", "strict", "privileged, baseline, restricted"},
      {"ingress_controller", "nginx", "one of , traefik"},
      {"fixed_subnet_cidr", "10.0.0.1/24", "zero host bits"},
      {"calico_ipv4pool", "10.0.0.0/33", "CIDR form"},
      {"cilium_ipv4pool",
       "10.200.0.0/16",
       "equal to calico_ipv4pool",
       {{"calico_ipv4pool", "10.100.0.0/16"}}},
      {"service_cluster_ip_range", "services", "CIDR form"},
      {"service_cluster_ip_range", "10.0.0.0/16", "does not overlap"},
      {"api_master_lb_allowed_cidrs", "10.0.0.0/24,bogus", "IPv4 networks"},
      {"api_master_lb_allowed_cidrs", "198.51.100.0/24",
       "includes the node network 10.0.0.0/24"},
      {"availability_zone", "a,b", "without commas"},
      {"boot_volume_type", " ssd", "without commas or surrounding spaces"},
      {"boot_volume_availability_zone", "az1", "boot_volume_size is above 0"},
      {"csi_cinder_availability_zone", "az\x01", "without commas"},
      {"control_plane_availability_zones", "az1,a\x02", "availability zone"},
      {"etcd_blockdevice_volume_type",
       "a,b",
       "without commas",
       {{"etcd_blockdevice_size", "10"}}},
      {"etcd_blockdevice_volume_az", "a,b", "without commas"},
      {"etcd_volume_type", "a\x03", "without commas"},
      {"kube_tag", "1.34", "vX.Y.Z"},
      {"kube_tag", "v1.33.0", "the kube_version of the image"},
      {"oidc_issuer_url",
       "http://insecure.example.com",
       "an https:// URL",
       {{"oidc_client_id", "k8s"}}},
      {"oidc_signing_algs",
       "RS 256",
       "JOSE algorithm names",
       {{"oidc_issuer_url", "https://a.example.com"}, {"oidc_client_id", "k"}}},
      {"oidc_username_claim",
       "user name",
       "a claim name",
       {{"oidc_issuer_url", "https://a.example.com"}, {"oidc_client_id", "k"}}},
      {"oidc_groups_claim",
       "gr oups",
       "a claim name",
       {{"oidc_issuer_url", "https://a.example.com"}, {"oidc_client_id", "k"}}},
      {"oidc_username_prefix",
       "a\x01",
       "without control characters",
       {{"oidc_issuer_url", "https://a.example.com"}, {"oidc_client_id", "k"}}},
      {"oidc_groups_prefix",
       "a\x01",
       "without control characters",
       {{"oidc_issuer_url", "https://a.example.com"}, {"oidc_client_id", "k"}}},
      {"oidc_client_id",
       "a\x01",
       "without control characters",
       {{"oidc_issuer_url", "https://a.example.com"}}},
      {"api_server_floating_ip", "300.1.1.1", "an IPv4 address"},
      {"api_server_floating_ip",
       "203.0.113.10",
       "master_lb_floating_ip_enabled is false",
       {{"master_lb_floating_ip_enabled", "false"}}},
      {"container_infra_prefix", "https://x.example.com", "host[:port][/path]"},
      {"registry_mirrors", "docker.io", "<registry>=<mirror URL>"},
      {"registry_mirrors", "docker.io=ftp://x", "<registry>=<mirror URL>"},
      {"api_server_cert_sans", "bad_name!", "DNS names or IPv4 addresses"},
      {"api_server_tls_cipher_suites", "tls_lower", "Go TLS cipher suite"},
      {"kubelet_tls_cipher_suites", "x-y", "Go TLS cipher suite"},
      {"admission_control_list", "Node-Restriction", "admission plugin names"},
      {"calico_tag", "latest", "tigera-operator chart version"},
      {"cilium_tag", "v1.19.3", "without v"},
      {"autoscaler_tag", "v1.34 0", "an image tag"},
      {"dns_cluster_domain", "-bad-.local", "a DNS domain"},
      {"extra_network_names", "a,b", "space-separated Neutron network names"},
      {"extra_network_name", "a\x01", "without control characters"},
      {"manila_csi_share_type",
       "a,b",
       "without commas",
       {{"manila_csi_enabled", "true"}}},
      {"manila_csi_share_network_id",
       "not-a-uuid",
       "share network UUID",
       {{"manila_csi_enabled", "true"}, {"manila_csi_share_type", "gold"}}},
      {"manila_csi_enabled",
       "true",
       "CephFS CSI addon",
       {{"manila_csi_share_type", "gold"}}},
      {"octavia_provider", "a,b", "without commas"},
      {"etcd_encryption_enabled",
       "true",
       "needs chart version 0.16.0",
       {},
       "0.11.0"},
      {"oidc_issuer_url",
       "https://a.example.com",
       "needs chart version 0.11.0",
       {{"oidc_client_id", "k8s"}},
       "0.10.1"},
      {"pod_security_standard",
       "baseline",
       "needs chart version 0.11.0",
       {},
       "0.10.1"},
      {"ingress_controller",
       "traefik",
       "needs chart version 0.23.0",
       {},
       "0.21.0"},
      {"control_plane_cert_expiry_days", "30", "needs chart version 0.27.1"},
  };
  for (const BadCase& c : cases) {
    DYNAMIC_SECTION(c.label << "=" << c.value) {
      ClusterSpec spec = StandardSpec();
      for (const auto& [k, v] : c.base) {
        (*spec.mutable_cluster()->mutable_labels())[k] = v;
      }
      (*spec.mutable_cluster()->mutable_labels())[c.label] = c.value;
      Rendered r = Render(spec, c.chart);
      INFO(r.error);
      REQUIRE_FALSE(r.ok);
      CHECK(r.error.rfind("INVALID", 0) != 0);  // the message, not the code
      CHECK(r.error.find(std::string("labels.") + c.label) !=
            std::string::npos);
      CHECK(r.error.find(c.accepted) != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace capi_bridge::testing

namespace capi_bridge::testing {
namespace {

// A value path as dots without list indexes: "/a/b" and "a.b[0].c.1"
// become "a.b" and "a.b.c".
std::string Normalised(std::string path) {
  std::string out;
  for (absl::string_view segment :
       absl::StrSplit(path, absl::ByAnyChar("./"), absl::SkipEmpty())) {
    std::string s(segment.substr(0, segment.find('[')));
    if (s.empty() || std::all_of(s.begin(), s.end(), ::isdigit)) continue;
    absl::StrAppend(&out, out.empty() ? "" : ".", s);
  }
  return out;
}

// Whether `documented` quotes `path` or one of its parents (`a.b` for
// a.b.c), or its tail (`...b.c`).
bool Documents(absl::string_view documented, const std::string& path) {
  std::string p = Normalised(path);
  std::vector<std::string> quoted = absl::StrSplit(documented, '`');
  for (size_t i = 1; i < quoted.size(); i += 2) {
    bool tail = absl::StartsWith(quoted[i], "...");
    std::string q = Normalised(quoted[i]);
    if (q.empty()) continue;
    if (tail ? (p == q || absl::EndsWith(p, "." + q))
             : (p == q || absl::StartsWith(p, q + "."))) {
      return true;
    }
  }
  return false;
}

TEST_CASE("the label reference names the value each label was shown to drive",
          "[labels]") {
  for (const LabelCase& c : Cases()) {
    const render::LabelInfo* info = render::FindLabel(c.label);
    REQUIRE(info != nullptr);
    // "as `other`" rows document the path on the other label's row.
    std::string documented(info->chart_values);
    if (documented.rfind("as `", 0) == 0) {
      std::string other = documented.substr(4, documented.find('`', 4) - 4);
      REQUIRE(render::FindLabel(other) != nullptr);
      documented = std::string(render::FindLabel(other)->chart_values);
    }
    INFO("label " << c.label << " drives " << c.path
                  << "; documented: " << documented);
    CHECK(Documents(documented, c.path));
  }
}

TEST_CASE("every label of the reference is documented in full", "[labels]") {
  for (const render::LabelInfo& info : render::KnownLabels()) {
    INFO("label " << info.name);
    CHECK_FALSE(info.type.empty());
    CHECK_FALSE(info.default_value.empty());
    CHECK_FALSE(info.chart_values.empty());
    CHECK_FALSE(info.chart_versions.empty());
  }
}

}  // namespace
}  // namespace capi_bridge::testing
