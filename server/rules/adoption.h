// Adoption (pure): what a deployed release keeps when the bridge renders it
// again, and whether the bridge has written the release before (a release
// created by another driver, e.g. magnum-capi-helm, is being taken over).
#ifndef CAPI_BRIDGE_SERVER_RULES_ADOPTION_H_
#define CAPI_BRIDGE_SERVER_RULES_ADOPTION_H_

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/helm/release_record.h"
#include "server/render/values_renderer.h"

namespace capi_bridge::rules {

// How the bridge describes the revisions it writes (helm --description):
// "capi-bridge <verb> request <id>".
inline constexpr absl::string_view kReleaseDescriptionPrefix = "capi-bridge ";

// The default StorageClass stays where the deployed release has it. When
// the deployed default class is of volume type X, the new rendering made Y
// the default, and Y was not configured by the operator (it is Cinder's
// default, or the first type listed), X's class becomes the default again
// and Y's goes back among the additional classes, so the cluster's default
// StorageClass does not move under its users. Returns a warning saying what
// was kept, or what moves when the operator configured it; nullopt when
// nothing differs (or either side has no Cinder StorageClass).
std::optional<render::RenderWarning> KeepDeployedDefaultStorageClass(
    const nlohmann::json& deployed, bool configured, nlohmann::json* rendered);

// Whether any stored revision of the release was written by the bridge.
bool WrittenByBridge(const std::vector<helm::ReleaseRecord>& history);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_ADOPTION_H_
