#include "server/rules/adoption.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace capi_bridge::rules {
namespace {

using nlohmann::json;

const json::json_pointer kCinder("/addons/openstack/csiCinder");
constexpr absl::string_view kField =
    "addons.openstack.csiCinder.defaultStorageClass";

std::string VolumeTypeOf(const json& storage_class) {
  if (!storage_class.is_object()) return "";
  auto type = storage_class.find("volumeType");
  return type != storage_class.end() && type->is_string()
             ? type->get<std::string>()
             : "";
}

}  // namespace

std::optional<render::RenderWarning> KeepDeployedDefaultStorageClass(
    const json& deployed, bool configured, json* rendered) {
  if (!deployed.contains(kCinder) || !rendered->contains(kCinder)) {
    return std::nullopt;
  }
  const json& before = deployed[kCinder];
  json& after = (*rendered)[kCinder];
  if (!before.is_object() || !after.is_object()) return std::nullopt;
  const std::string kept =
      VolumeTypeOf(before.value("defaultStorageClass", json()));
  const std::string chosen =
      VolumeTypeOf(after.value("defaultStorageClass", json()));
  if (kept.empty() || chosen.empty() || kept == chosen) return std::nullopt;
  if (configured) {
    return render::RenderWarning{
        std::string(kField),
        absl::StrCat("the default StorageClass moves from volume type ", kept,
                     " to ", chosen,
                     " (configured csi_cinder_default_volume_type); existing "
                     "volumes keep their class")};
  }
  json* additional = after.contains("additionalStorageClasses")
                         ? &after["additionalStorageClasses"]
                         : nullptr;
  if (additional == nullptr || !additional->is_array()) return std::nullopt;
  for (json& candidate : *additional) {
    if (VolumeTypeOf(candidate) != kept) continue;
    std::swap(candidate, after["defaultStorageClass"]);
    return render::RenderWarning{
        std::string(kField),
        absl::StrCat("kept volume type ", kept,
                     " as the default StorageClass, as deployed (this "
                     "rendering would have made ",
                     chosen,
                     " the default); set csi_cinder_default_volume_type to "
                     "move it")};
  }
  return std::nullopt;  // the deployed default's type is gone from Cinder
}

bool WrittenByBridge(const std::vector<helm::ReleaseRecord>& history) {
  for (const helm::ReleaseRecord& record : history) {
    if (absl::StartsWith(record.description, kReleaseDescriptionPrefix)) {
      return true;
    }
  }
  return false;
}

}  // namespace capi_bridge::rules
