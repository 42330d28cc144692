#include "server/rules/immutable_values.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace capi_bridge::rules {
namespace {

using json = nlohmann::json;

struct ImmutablePath {
  const char* pointer;
  const char* labels;  // what a user changes to change it
};

constexpr ImmutablePath kPaths[] = {
    {"/kubeNetwork/pods", "calico_ipv4pool / cilium_ipv4pool"},
    {"/kubeNetwork/services", "service_cluster_ip_range"},
    {"/kubeNetwork/serviceDomain", "dns_cluster_domain"},
    {"/clusterNetworking/internalNetwork/networkFilter", "fixed_network"},
    {"/clusterNetworking/internalNetwork/subnetFilter", "fixed_subnet"},
    {"/clusterNetworking/internalNetwork/nodeCidr", "fixed_subnet_cidr"},
    {"/etcd/blockDevice", "etcd_blockdevice_* / etcd_volume_*"},
    {"/addons/openstack/csiManila/defaultStorageClass",
     "manila_csi_share_type / manila_csi_share_network_id"},
};

// StorageClass fields set from csi_cinder_* labels.
constexpr const char* kStorageClassFields[] = {
    "reclaimPolicy", "volumeBindingMode", "availabilityZone", "fstype",
    "allowVolumeExpansion"};

json At(const json& values, const std::string& pointer) {
  json::json_pointer p(pointer);
  return values.contains(p) ? values.at(p) : json();
}

std::string Shown(const json& value) {
  return value.is_null() ? "(chart default)" : value.dump();
}

// Cinder StorageClasses of a release, by name.
std::vector<json> StorageClasses(const json& values) {
  std::vector<json> out;
  json cinder = At(values, "/addons/openstack/csiCinder");
  if (!cinder.is_object()) return out;
  if (cinder.contains("defaultStorageClass") &&
      cinder["defaultStorageClass"].is_object()) {
    out.push_back(cinder["defaultStorageClass"]);
  }
  if (cinder.contains("additionalStorageClasses") &&
      cinder["additionalStorageClasses"].is_array()) {
    for (const json& sc : cinder["additionalStorageClasses"]) {
      if (sc.is_object()) out.push_back(sc);
    }
  }
  return out;
}

}  // namespace

absl::Status CheckImmutableValues(const json& deployed, const json& rendered) {
  std::vector<std::string> changes;
  auto changed = [&](const std::string& labels, const std::string& path,
                     const json& before, const json& after) {
    changes.push_back(absl::StrCat(labels, " (", path, "): deployed ",
                                   Shown(before), ", requested ",
                                   Shown(after)));
  };
  for (const ImmutablePath& entry : kPaths) {
    json before = At(deployed, entry.pointer);
    json after = At(rendered, entry.pointer);
    if (before != after) changed(entry.labels, entry.pointer, before, after);
  }

  json encrypted_before = At(deployed, "/etcd/encryption/enabled");
  json encrypted_after = At(rendered, "/etcd/encryption/enabled");
  if (encrypted_before == true && encrypted_after != true) {
    changed("etcd_encryption_enabled", "/etcd/encryption/enabled",
            encrypted_before, encrypted_after);
  }
  json manila_before = At(deployed, "/addons/openstack/csiManila/enabled");
  json manila_after = At(rendered, "/addons/openstack/csiManila/enabled");
  if (manila_before == true && manila_after != true) {
    changed("manila_csi_enabled", "/addons/openstack/csiManila/enabled",
            manila_before, manila_after);
  }

  std::vector<json> after_classes = StorageClasses(rendered);
  for (const json& before : StorageClasses(deployed)) {
    std::string name = before.value("name", "");
    for (const json& after : after_classes) {
      if (after.value("name", "") != name) continue;
      for (const char* field : kStorageClassFields) {
        json old_value = before.contains(field) ? before[field] : json();
        json new_value = after.contains(field) ? after[field] : json();
        if (old_value != new_value) {
          changed("csi_cinder_*",
                  absl::StrCat("StorageClass ", name, " ", field), old_value,
                  new_value);
        }
      }
    }
  }
  if (changes.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "these values cannot change after the cluster is created (the running "
      "cluster cannot move to them; create a new cluster instead): ",
      absl::StrJoin(changes, "; ")));
}

}  // namespace capi_bridge::rules
