#include "server/rules/immutable_values.h"

#include <string>

#include "catch2/catch.hpp"

namespace capi_bridge::rules {
namespace {

using json = nlohmann::json;

json Deployed() {
  return json::parse(R"({
    "kubernetesVersion": "1.34.3",
    "kubeNetwork": {"pods": {"cidrBlocks": ["10.100.0.0/16"]},
                    "serviceDomain": "cluster.local"},
    "clusterNetworking": {"internalNetwork": {
        "networkFilter": null, "subnetFilter": null,
        "nodeCidr": "10.0.0.0/24"}},
    "etcd": {"blockDevice": {"size": 20, "type": "Volume"},
             "encryption": {"enabled": false}},
    "addons": {"openstack": {"csiCinder": {
        "defaultStorageClass": {"name": "ssd", "reclaimPolicy": "Retain",
                                "fstype": "ext4", "volumeType": "ssd"},
        "additionalStorageClasses": [
            {"name": "hdd", "reclaimPolicy": "Retain", "fstype": "ext4"}]}}},
    "nodeGroups": [{"name": "default", "machineCount": 2}]
  })");
}

TEST_CASE("Immutable values: what a live cluster may and may not change") {
  struct Row {
    const char* pointer;
    const char* value;  // JSON
    bool allowed;
    const char* says;
  };
  const Row rows[] = {
      {"/nodeGroups/0/machineCount", "5", true, ""},
      {"/kubernetesVersion", "\"1.35.0\"", true, ""},
      {"/kubeNetwork/pods/cidrBlocks/0", "\"10.200.0.0/16\"", false,
       "calico_ipv4pool / cilium_ipv4pool (/kubeNetwork/pods): deployed "
       "{\"cidrBlocks\":[\"10.100.0.0/16\"]}, requested "
       "{\"cidrBlocks\":[\"10.200.0.0/16\"]}"},
      {"/kubeNetwork/services", "{\"cidrBlocks\":[\"10.254.0.0/16\"]}", false,
       "service_cluster_ip_range (/kubeNetwork/services): deployed (chart "
       "default)"},
      {"/kubeNetwork/serviceDomain", "\"corp.local\"", false,
       "dns_cluster_domain"},
      {"/clusterNetworking/internalNetwork/nodeCidr", "\"10.1.0.0/24\"", false,
       "fixed_subnet_cidr"},
      {"/clusterNetworking/internalNetwork/networkFilter", "{\"id\":\"n1\"}",
       false, "fixed_network"},
      {"/etcd/blockDevice/size", "40", false, "etcd_blockdevice_*"},
      {"/etcd/encryption/enabled", "true", true, ""},
      {"/addons/openstack/csiCinder/defaultStorageClass/reclaimPolicy",
       "\"Delete\"", false, "StorageClass ssd reclaimPolicy"},
      {"/addons/openstack/csiCinder/additionalStorageClasses/0/fstype",
       "\"xfs\"", false, "StorageClass hdd fstype"},
      {"/addons/openstack/csiCinder/additionalStorageClasses/1",
       "{\"name\":\"nvme\",\"reclaimPolicy\":\"Delete\"}", true, ""},
      {"/addons/openstack/csiManila", "{\"enabled\":true}", true, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.pointer, row.value);
    json rendered = Deployed();
    rendered[json::json_pointer(row.pointer)] = json::parse(row.value);
    absl::Status status = CheckImmutableValues(Deployed(), rendered);
    if (row.allowed) {
      CHECK(status.ok());
    } else {
      CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
      CHECK_THAT(std::string(status.message()),
                 Catch::Contains(row.says) &&
                     Catch::Contains("create a new cluster instead"));
    }
  }
}

TEST_CASE("Immutable values: switching encryption or Manila off is refused") {
  json deployed = Deployed();
  deployed["etcd"]["encryption"]["enabled"] = true;
  deployed["addons"]["openstack"]["csiManila"] = {{"enabled", true}};
  json rendered = Deployed();
  absl::Status status = CheckImmutableValues(deployed, rendered);
  REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(status.message()),
             Catch::Contains("etcd_encryption_enabled") &&
                 Catch::Contains("manila_csi_enabled"));
}

TEST_CASE("Immutable values: a removed StorageClass is not a change") {
  json rendered = Deployed();
  rendered["addons"]["openstack"]["csiCinder"]["additionalStorageClasses"] =
      json::array();
  CHECK(CheckImmutableValues(Deployed(), rendered).ok());
}

}  // namespace
}  // namespace capi_bridge::rules
