#include "server/render/deep_merge.h"

namespace capi_bridge::render {

void DeepMerge(const nlohmann::json& override_doc, nlohmann::json* base) {
  for (auto it = override_doc.begin(); it != override_doc.end(); ++it) {
    if (it.value().is_null()) {
      base->erase(it.key());
      continue;
    }
    nlohmann::json& target = (*base)[it.key()];
    if (it.value().is_object() && target.is_object()) {
      DeepMerge(it.value(), &target);
    } else {
      target = it.value();
    }
  }
}

}  // namespace capi_bridge::render
