// RenderOptions: the site-wide settings the renderer takes from the bridge
// config file. Plain data; the config loader fills it and validates files.
#ifndef CAPI_BRIDGE_SERVER_RENDER_RENDER_OPTIONS_H_
#define CAPI_BRIDGE_SERVER_RENDER_RENDER_OPTIONS_H_

#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/render/chart_version.h"
#include "server/render/labels.h"

namespace capi_bridge::render {

// One operator override set: YAML documents deep-merged into the values.
struct OverrideSet {
  std::vector<std::string> files;         // where they came from
  std::vector<nlohmann::json> documents;  // parsed, each an object
};

struct RenderOptions {
  // Namespace = "<namespace_prefix>-<project>".
  std::string namespace_prefix = "magnum";
  // Chart version used when the template has no capi_helm_chart_version.
  std::string default_chart_version = std::string(kDefaultChartVersion);
  // Site defaults for labels (the reference's [capi_helm_cluster_labels]).
  LabelMap site_labels;
  // Flavor floors (the reference's minimum_flavor_ram / _vcpus).
  int minimum_flavor_ram_mb = 2048;
  int minimum_flavor_vcpus = 2;
  // Cinder type of the default StorageClass when the spec names none;
  // empty = the first type Cinder returns.
  std::string csi_cinder_default_volume_type;
  // Copied into every StorageClass's allowedTopologies.
  nlohmann::json csi_cinder_allowed_topologies = nlohmann::json::array();
  // Magnum's [cinder] default_boot_volume_type / _size.
  std::string default_boot_volume_type;
  int default_boot_volume_size_gb = 0;
  // Operator value overrides by key. The key "all" applies to every
  // cluster; others are chosen by the template label helm_extra_values.
  std::map<std::string, OverrideSet> value_overrides;
  // cluster-autoscaler image tag per Kubernetes minor ("1.34" -> "v1.34.1"),
  // used when the autoscaler_tag label is not set.
  std::map<std::string, std::string> autoscaler_tags;
};

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_RENDER_OPTIONS_H_
