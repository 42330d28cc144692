// The label catalogue: every label the renderer reads, with the reference
// text docs/labels.md is generated from, and the labels it knows to ignore.
#include "absl/strings/match.h"
#include "server/render/labels.h"

namespace capi_bridge::render {

const std::vector<LabelInfo>& KnownLabels() {
  // {name, scope, type, default, chart values, chart versions, notes}
  static const std::vector<LabelInfo> kLabels = {
      {"capi_helm_chart_version", LabelScope::kTemplateOnly,
       "a chart version, e.g. 0.27.0 (0.10.1 or later)",
       "the bridge's default chart version (0.27.0)",
       "none: the version helm installs", "0.10.1 and later",
       "Read from the template only. An upgrade may raise it, never lower it."},
      {"helm_extra_values", LabelScope::kTemplateOnly,
       "comma-separated names of override sets in the bridge config",
       "none (the `all` set is always applied)",
       "whatever the operator's override sets hold", "all",
       "Operator-defined value overrides (`value_overrides` in the bridge "
       "config), deep-merged over the rendered values."},
      {"etcd_blockdevice_size", LabelScope::kCluster,
       "whole number of GB, 0 to 10000", "0", "`etcd.blockDevice.size`", "all",
       "0 puts etcd on the root disk (no block device). Falls back to "
       "`etcd_volume_size`. Immutable after create."},
      {"etcd_blockdevice_type", LabelScope::kCluster, "`volume` or `local`",
       "`volume`", "`etcd.blockDevice.type` (`Volume` or `Local`)", "all",
       "Only with a size above 0. Immutable after create."},
      {"etcd_blockdevice_volume_type", LabelScope::kCluster,
       "an OpenStack name, or empty", "empty (Cinder's default type)",
       "`etcd.blockDevice.volumeType`", "all",
       "Volume only; falls back to `etcd_volume_type`. Immutable after "
       "create."},
      {"etcd_blockdevice_volume_az", LabelScope::kCluster,
       "an OpenStack name, or empty", "empty (the machine's zone)",
       "`etcd.blockDevice.availabilityZone`", "all",
       "Volume only. Immutable after create."},
      {"etcd_volume_size", LabelScope::kCluster,
       "whole number of GB, 0 to 10000", "0", "as `etcd_blockdevice_size`",
       "all", "Deprecated; read only when `etcd_blockdevice_size` is not set."},
      {"etcd_volume_type", LabelScope::kCluster, "an OpenStack name, or empty",
       "empty", "as `etcd_blockdevice_volume_type`", "all",
       "Deprecated; read only when `etcd_blockdevice_volume_type` is not set."},
      {"monitoring_enabled", LabelScope::kCluster, "boolean", "false",
       "`addons.monitoring.enabled`", "all",
       "kube-prometheus-stack with loki; its volumes need a default "
       "StorageClass."},
      {"kube_dashboard_enabled", LabelScope::kCluster, "boolean", "true",
       "`addons.kubernetesDashboard.enabled`", "0.19.x and older",
       "The chart removed the dashboard in 0.20.0: there the label renders "
       "nothing and `true` is a warning."},
      {"auto_healing_enabled", LabelScope::kCluster, "boolean", "true",
       "`controlPlane.healthCheck.enabled`, "
       "`nodeGroupDefaults.healthCheck.enabled`",
       "all", "Cluster API MachineHealthChecks."},
      {"auto_scaling_enabled", LabelScope::kCluster, "boolean", "false",
       "per group: `nodeGroups[].autoscale`, `machineCountMin`, "
       "`machineCountMax`",
       "all",
       "Groups whose minimum equals their maximum stay fixed-size. See "
       "docs/autoscaling.md."},
      {"min_node_count", LabelScope::kCluster, "whole number, 0 to 100000",
       "the group's node count",
       "`nodeGroups[<default group>].machineCountMin`", "all (0 from 0.26.0)",
       "Default worker group only (other groups use their own field). Magnum's "
       "stored minimum of 1 counts as unset. 0 (scale from zero) needs chart "
       "0.26.0."},
      {"max_node_count", LabelScope::kCluster, "whole number, 0 to 100000",
       "the group's node count",
       "`nodeGroups[<default group>].machineCountMax`", "all",
       "Default worker group only; at least the minimum."},
      {"keystone_auth_enabled", LabelScope::kCluster, "boolean", "false",
       "`authWebhook`, `addons.openstack.k8sKeystoneAuth.enabled`, "
       "`...values.openstackAuthUrl`, `...values.projectId`",
       "all",
       "Auth URL is Keystone's public endpoint; project is the cluster's "
       "project."},
      {"csi_cinder_availability_zone", LabelScope::kCluster,
       "an OpenStack name", "`nova`",
       "`addons.openstack.csiCinder.defaultStorageClass.availabilityZone`, "
       "`...additionalStorageClasses[].availabilityZone`",
       "all",
       "One StorageClass per Cinder volume type. StorageClass parameters are "
       "immutable after create."},
      {"csi_cinder_reclaim_policy", LabelScope::kCluster,
       "`Retain` or `Delete`", "`Retain`",
       "`...reclaimPolicy` of every StorageClass", "all",
       "The chart's own default is Delete. Immutable after create."},
      {"csi_cinder_volume_binding_mode", LabelScope::kCluster,
       "`WaitForFirstConsumer` or `Immediate`", "`WaitForFirstConsumer`",
       "`...volumeBindingMode` of every StorageClass", "all",
       "Immutable after create (StorageClasses cannot change)."},
      {"csi_cinder_fstype", LabelScope::kCluster,
       "a file-system name, e.g. ext4", "`ext4`",
       "`...fstype` of every StorageClass", "all", "Immutable after create."},
      {"csi_cinder_allow_volume_expansion", LabelScope::kCluster, "boolean",
       "true", "`...allowVolumeExpansion` of every StorageClass", "all",
       "Immutable after create."},
      {"octavia_provider", LabelScope::kCluster, "an Octavia provider name",
       "`amphora`",
       "`apiServer.loadBalancerProvider`, "
       "`addons.openstack.cloudConfig.LoadBalancer.lb-provider`",
       "all",
       "`ovn` also opens NodePorts 30000-32767 on workers and allows only "
       "SOURCE_IP_PORT."},
      {"octavia_lb_algorithm", LabelScope::kCluster,
       "`ROUND_ROBIN`, `LEAST_CONNECTIONS`, `SOURCE_IP` or `SOURCE_IP_PORT`",
       "`SOURCE_IP_PORT` with ovn, else `ROUND_ROBIN`",
       "`addons.openstack.cloudConfig.LoadBalancer.lb-method`", "all",
       "Service load balancers only, not the API's."},
      {"octavia_lb_healthcheck", LabelScope::kCluster, "boolean", "true",
       "`addons.openstack.cloudConfig.LoadBalancer.create-monitor`", "all", ""},
      {"master_lb_floating_ip_enabled", LabelScope::kCluster, "boolean", "true",
       "`apiServer.associateFloatingIP`", "all",
       "With false the management cluster must reach the node network."},
      {"fixed_subnet_cidr", LabelScope::kCluster, "IPv4 CIDR", "`10.0.0.0/24`",
       "`clusterNetworking.internalNetwork.nodeCidr`", "all",
       "Used when no fixed network is given (the network is created). Must not "
       "overlap the pod or service range. Immutable after create."},
      {"api_master_lb_allowed_cidrs", LabelScope::kCluster,
       "comma-separated IPv4 CIDRs (a bare address means /32)",
       "empty (no restriction)",
       "`apiServer.allowedCidrs` (0.23.x and older), `apiServer.allowedCIDRs` "
       "(0.24.0 and later)",
       "all (renamed at 0.24.0)",
       "Must cover the node network. The Python driver always sends "
       "`allowedCidrs`, which 0.24.0 and later ignore: clusters taken over "
       "from it start enforcing the list "
       "(docs/migrating-from-magnum-capi-helm.md)."},
      {"extra_network_names", LabelScope::kCluster,
       "space-separated Neutron network names", "empty",
       "`nodeGroupDefaults.machineNetworking.ports`", "all",
       "Workers get one extra port per network after the cluster network's."},
      {"extra_network_name", LabelScope::kCluster, "a Neutron network name",
       "empty", "as `extra_network_names`", "all",
       "Deprecated single-name form, read only when `extra_network_names` is "
       "not set."},
      {"boot_volume_type", LabelScope::kPerNodeGroup,
       "an OpenStack name, or empty",
       "Magnum's `[cinder] default_boot_volume_type`",
       "`controlPlane.machineRootVolume.volumeType`, "
       "`nodeGroupDefaults.machineRootVolume.volumeType`, "
       "`nodeGroups[].machineRootVolume.volumeType`",
       "all", "Empty means the flavor's ephemeral disk."},
      {"boot_volume_size", LabelScope::kPerNodeGroup,
       "whole number of GB, 0 to 100000",
       "Magnum's `[cinder] default_boot_volume_size` (0)",
       "`controlPlane.machineRootVolume.diskSize`, "
       "`nodeGroupDefaults.machineRootVolume.diskSize`, "
       "`nodeGroups[].machineRootVolume.diskSize`",
       "all",
       "0 means the flavor's disk. A group cannot set 0 under a non-zero "
       "cluster value."},
      {"kube_tag", LabelScope::kCluster, "a Kubernetes version, `vX.Y.Z`",
       "none", "`kubernetesVersion`", "all",
       "Used only when the image has no `kube_version` property; both set and "
       "different is an error."},
      {"oidc_issuer_url", LabelScope::kCluster, "an `https://` URL",
       "empty (OIDC off)", "`oidc.issuerUrl`", "0.11.0 and later",
       "Turns on the API server's OIDC flags; needs `oidc_client_id`."},
      {"oidc_client_id", LabelScope::kCluster, "text", "empty",
       "`oidc.clientId`", "0.11.0 and later",
       "Required with `oidc_issuer_url`."},
      {"oidc_username_claim", LabelScope::kCluster, "a claim name", "`sub`",
       "`oidc.usernameClaim`", "0.11.0 and later", ""},
      {"oidc_username_prefix", LabelScope::kCluster, "text",
       "chart default (`oidc:`)", "`oidc.usernamePrefix`", "0.11.0 and later",
       "Rendered only when set."},
      {"oidc_groups_claim", LabelScope::kCluster, "a claim name",
       "chart default (`groups`)", "`oidc.groupsClaim`", "0.11.0 and later",
       "Rendered only when set."},
      {"oidc_groups_prefix", LabelScope::kCluster, "text",
       "chart default (`oidc:`)", "`oidc.groupsPrefix`", "0.11.0 and later",
       "Rendered only when set."},
      {"oidc_signing_algs", LabelScope::kCluster,
       "comma-separated JOSE algorithm names", "chart default (`RS256`)",
       "`oidc.signingAlgs`", "0.11.0 and later", ""},
      {"api_server_floating_ip", LabelScope::kCluster, "an IPv4 address",
       "empty (one is allocated)", "`apiServer.floatingIP`", "all",
       "A pre-allocated floating IP; needs `master_lb_floating_ip_enabled`."},
      {"availability_zone", LabelScope::kPerNodeGroup,
       "an OpenStack name, or empty", "empty",
       "`nodeGroupDefaults.failureDomain`, `nodeGroups[].failureDomain`", "all",
       "Nova zone of the workers; root volumes follow it unless "
       "`boot_volume_availability_zone` is set."},
      {"control_plane_availability_zones", LabelScope::kCluster,
       "comma-separated zone names", "empty (no zone)",
       "`controlPlane.failureDomains`, `controlPlane.omitFailureDomain`", "all",
       ""},
      {"boot_volume_availability_zone", LabelScope::kPerNodeGroup,
       "an OpenStack name, or empty", "empty (the machine's zone)",
       "`...machineRootVolume.availabilityZone`", "all",
       "Only with a boot volume."},
      {"calico_ipv4pool", LabelScope::kCluster, "IPv4 CIDR",
       "chart default (`172.16.0.0/13`)", "`kubeNetwork.pods.cidrBlocks`",
       "all", "The pod range of either CNI. Immutable after create."},
      {"cilium_ipv4pool", LabelScope::kCluster, "IPv4 CIDR", "chart default",
       "`kubeNetwork.pods.cidrBlocks`", "all",
       "Alias of `calico_ipv4pool`; both set and different is an error."},
      {"service_cluster_ip_range", LabelScope::kCluster, "IPv4 CIDR",
       "chart default (`172.24.0.0/13`)", "`kubeNetwork.services.cidrBlocks`",
       "all", "Immutable after create."},
      {"dns_cluster_domain", LabelScope::kCluster, "a DNS name",
       "chart default (`cluster.local`)", "`kubeNetwork.serviceDomain`", "all",
       "Immutable after create."},
      {"cinder_csi_enabled", LabelScope::kCluster, "boolean", "true",
       "`addons.openstack.csiCinder.enabled`", "all",
       "false: no Cinder StorageClasses."},
      {"manila_csi_enabled", LabelScope::kCluster, "boolean", "false",
       "`addons.openstack.csiManila.enabled`", "all",
       "Needs `manila_csi_share_type` and a provisioner (CephFS CSI in an "
       "override set)."},
      {"manila_csi_share_type", LabelScope::kCluster, "an OpenStack name",
       "empty",
       "`addons.openstack.csiManila.defaultStorageClass.parameters.type`",
       "all", "Required with `manila_csi_enabled`. Immutable after create."},
      {"manila_csi_share_network_id", LabelScope::kCluster, "text", "empty",
       "`...csiManila.defaultStorageClass.parameters.shareNetworkID`", "all",
       "Immutable after create."},
      {"server_group_policies", LabelScope::kPerNodeGroup,
       "`affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`",
       "empty (no server group)",
       "`controlPlane.serverGroupId`, `nodeGroups[].serverGroupId`", "all",
       "The driver creates one Nova server group for the control plane and one "
       "per group and deletes them with the cluster."},
      {"container_infra_prefix", LabelScope::kCluster, "`host[:port][/path]`",
       "empty", "`registryMirrors`", "all",
       "Mirrors docker.io, ghcr.io, nvcr.io, quay.io and registry.k8s.io under "
       "the prefix; image names are not rewritten (use `registry_mirrors` for "
       "other layouts)."},
      {"api_server_cert_sans", LabelScope::kCluster,
       "comma-separated DNS names or IPv4 addresses", "empty",
       "`controlPlane.kubeadmConfigSpec.clusterConfiguration.apiServer."
       "certSANs`",
       "all", ""},
      {"api_server_tls_cipher_suites", LabelScope::kCluster,
       "comma-separated Go TLS cipher suite names", "Kubernetes' default",
       "`...clusterConfiguration.apiServer.extraArgs.tls-cipher-suites`", "all",
       ""},
      {"kubelet_tls_cipher_suites", LabelScope::kCluster,
       "comma-separated Go TLS cipher suite names", "Kubernetes' default",
       "`...nodeRegistration.kubeletExtraArgs.tls-cipher-suites` in "
       "`controlPlane.kubeadmConfigSpec` (init and join) and "
       "`nodeGroupDefaults.kubeadmConfigSpec` (join)",
       "all", ""},
      {"admission_control_list", LabelScope::kCluster,
       "comma-separated admission plugin names", "empty",
       "`...clusterConfiguration.apiServer.extraArgs.enable-admission-plugins`",
       "all", "`NodeRestriction` is always first."},
      {"calico_tag", LabelScope::kCluster, "a chart version with a leading `v`",
       "the chart's (v3.31.5 at 0.27.0)", "`addons.cni.calico.chart.version`",
       "all",
       "tigera-operator chart version; combinations the chart was not released "
       "with are untested."},
      {"cilium_tag", LabelScope::kCluster,
       "a chart version without a leading `v`",
       "the chart's (1.19.3 at 0.27.0)", "`addons.cni.cilium.chart.version`",
       "all", "Same caveat as `calico_tag`."},
      {"registry_mirrors", LabelScope::kCluster,
       "comma-separated `<registry>=<mirror URL>`, or `none`",
       "chart default (mirrors on quay.io)", "`registryMirrors`", "all",
       "`none` renders no mirror at all."},
      {"autoscaler_tag", LabelScope::kCluster, "an image tag, e.g. v1.34.1",
       "the tag the bridge config maps to the cluster's Kubernetes minor",
       "`autoscaler.image.tag`", "all", ""},
      {"metrics_server_enabled", LabelScope::kCluster, "boolean",
       "chart default (true)", "`addons.metricsServer.enabled`", "all",
       "Rendered only when set."},
      {"npd_enabled", LabelScope::kCluster, "boolean", "chart default (true)",
       "`addons.nodeProblemDetector.enabled`", "all",
       "Rendered only when set."},
      {"ingress_controller", LabelScope::kCluster, "empty or `traefik`",
       "empty (no ingress)",
       "`addons.ingress.enabled`, `addons.ingress.traefik.enabled`, "
       "`addons.ingress.nginx.enabled`",
       "0.23.0 and later", "`traefik` below 0.23.0 is an error."},
      {"nvidia_gpu_operator_enabled", LabelScope::kCluster, "boolean",
       "chart default (true)", "`addons.nvidiaGPUOperator.enabled`", "all",
       "Rendered only when set."},
      {"node_feature_discovery_enabled", LabelScope::kCluster, "boolean",
       "chart default (true)", "`addons.nodeFeatureDiscovery.enabled`", "all",
       "Rendered only when set; the GPU and network operators rely on it."},
      {"mellanox_network_operator_enabled", LabelScope::kCluster, "boolean",
       "chart default (true)", "`addons.mellanoxNetworkOperator.enabled`",
       "all", "Rendered only when set."},
      {"etcd_encryption_enabled", LabelScope::kCluster, "boolean", "false",
       "`etcd.encryption.enabled`", "0.16.0 and later",
       "The bridge creates the key Secret once; it may be turned on later, "
       "never off."},
      {"pod_security_standard", LabelScope::kCluster,
       "empty, `privileged`, `baseline` or `restricted`", "empty",
       "`apiServer.admissionConfiguration`", "0.11.0 and later",
       "Sets the PodSecurity admission default `enforce` level."},
      {"control_plane_cert_expiry_days", LabelScope::kCluster,
       "whole number of days, 1 to 3650", "chart default",
       "`controlPlane.certificatesExpiryDays`", "after 0.27.0",
       "Rolls the control plane before its certificates expire."},
  };
  return kLabels;
}

const LabelInfo* FindLabel(absl::string_view name) {
  for (const LabelInfo& info : KnownLabels()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const std::vector<IgnoredLabel>& IgnoredLabels() {
  static const std::vector<IgnoredLabel> kIgnored = {
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
  return kIgnored;
}

std::optional<absl::string_view> IgnoredLabelReason(absl::string_view name) {
  for (const IgnoredLabel& ignored : IgnoredLabels()) {
    bool is_prefix = ignored.name.back() == '_';
    if (is_prefix ? absl::StartsWith(name, ignored.name)
                  : name == ignored.name) {
      return ignored.reason;
    }
  }
  return std::nullopt;
}

}  // namespace capi_bridge::render
