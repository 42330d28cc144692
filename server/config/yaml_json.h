// Converts YAML documents (yaml-cpp) to JSON values (nlohmann::json).
//
// Plain scalars are typed by the YAML 1.2 core schema (true/false, null,
// integers, floats); quoted scalars stay strings. Used for operator value
// overrides, which must reach helm with the types the operator wrote.
#ifndef CAPI_BRIDGE_SERVER_CONFIG_YAML_JSON_H_
#define CAPI_BRIDGE_SERVER_CONFIG_YAML_JSON_H_

#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::config {

nlohmann::json YamlToJson(const YAML::Node& node);

// The JSON value of one scalar as the YAML 1.2 core schema types it.
nlohmann::json TypedScalar(const YAML::Node& scalar);

}  // namespace capi_bridge::config

#endif  // CAPI_BRIDGE_SERVER_CONFIG_YAML_JSON_H_
