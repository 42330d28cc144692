// Writes a JSON document as block-style YAML.
//
// Deterministic: object keys come out in the document's (sorted) order and
// scalars are formatted one way only, so equal documents give byte-identical
// text. A string is quoted whenever a YAML 1.1 or 1.2 reader could take it
// for anything other than a string ("1.34.3", "yes", "null", "0x1f"), so
// helm reads back exactly the types the renderer meant.
#ifndef CAPI_BRIDGE_SERVER_RENDER_YAML_WRITER_H_
#define CAPI_BRIDGE_SERVER_RENDER_YAML_WRITER_H_

#include <string>

#include "nlohmann/json.hpp"

namespace capi_bridge::render {

std::string ToYaml(const nlohmann::json& document);

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_YAML_WRITER_H_
