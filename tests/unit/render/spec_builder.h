// Test helpers: the example cluster of the chart reference (shop-prod, one
// control-plane machine, one worker group) as a ClusterSpec, and one-call
// rendering that returns the document or the error message.
#ifndef CAPI_BRIDGE_TESTS_UNIT_RENDER_SPEC_BUILDER_H_
#define CAPI_BRIDGE_TESTS_UNIT_RENDER_SPEC_BUILDER_H_

#include <string>

#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "nlohmann/json.hpp"
#include "server/render/render_options.h"
#include "server/render/values_renderer.h"

namespace capi_bridge::testing {

using magnum::capi::bridge::v1::ClusterSpec;
using magnum::capi::bridge::v1::NodeGroup;

inline constexpr char kRelease[] = "shop-prod-m4tq2zk7wd3e";

// shop-prod: 1 control-plane machine (m1.medium), default-worker x2
// (m1.large), Cinder types standard (default) and fast-ssd, no labels.
ClusterSpec StandardSpec();

// StandardSpec with most labels set to non-default values, a second worker
// group with node-group label overrides, taints and node labels, and
// server groups. `chart` drops the labels that version cannot render.
ClusterSpec FullFeaturedSpec(const std::string& chart = "0.27.0");

// Adds a worker group with a flavor already in the facts.
NodeGroup* AddWorkerGroup(ClusterSpec* spec, const std::string& name,
                          int count);

struct Rendered {
  bool ok = false;
  nlohmann::json values;  // when ok
  std::string error;      // when not ok: the status message
  std::vector<render::RenderWarning> warnings;
};

Rendered Render(const ClusterSpec& spec, const std::string& chart = "0.27.0",
                const render::RenderOptions& options = {});

// The value at a dotted path ("apiServer.allowedCIDRs"), or a
// discarded json value when absent. List items by index: "nodeGroups.0.name".
// A path starting with "/" is a JSON pointer ("/registryMirrors/docker.io").
nlohmann::json At(const nlohmann::json& values, const std::string& path);
bool Has(const nlohmann::json& values, const std::string& path);

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_RENDER_SPEC_BUILDER_H_
