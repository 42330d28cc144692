// Merges operator override documents into rendered values the way helm
// merges several values files: objects merge key by key, any other value
// (lists included) replaces what was there, and an explicit null removes
// the key.
#ifndef CAPI_BRIDGE_SERVER_RENDER_DEEP_MERGE_H_
#define CAPI_BRIDGE_SERVER_RENDER_DEEP_MERGE_H_

#include "nlohmann/json.hpp"

namespace capi_bridge::render {

// Merges `override_doc` into `*base`. Both must be objects.
void DeepMerge(const nlohmann::json& override_doc, nlohmann::json* base);

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_DEEP_MERGE_H_
