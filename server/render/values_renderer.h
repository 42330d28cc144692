// ValuesRenderer: a ClusterSpec and a chart version in, the values document
// of the capi-helm-charts openstack-cluster chart out.
//
// Pure: no clock, no I/O, no globals; the same input gives a byte-identical
// document (nlohmann::json keeps object keys sorted). Every problem in the
// spec is collected and returned at once as one INVALID_ARGUMENT status;
// nothing is rendered when there is any. Thread-safe: a renderer holds only
// its immutable options.
#ifndef CAPI_BRIDGE_SERVER_RENDER_VALUES_RENDERER_H_
#define CAPI_BRIDGE_SERVER_RENDER_VALUES_RENDERER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "nlohmann/json.hpp"
#include "server/render/chart_version.h"
#include "server/render/render_options.h"

namespace capi_bridge::render {

// Sizes a spec may have (larger ones are refused naming the limit).
inline constexpr int kMaxNodeGroups = 100;
inline constexpr int kMaxLabels = 200;  // per label map

using magnum::capi::bridge::v1::ClusterSpec;

struct RenderWarning {
  std::string field;
  std::string message;
};

struct RenderResult {
  nlohmann::json values;
  ChartVersion chart_version;
  std::string release_name;
  std::string namespace_name;
  std::vector<RenderWarning> warnings;
  std::vector<std::string> applied_overrides;  // override keys, merge order
  // The default StorageClass's volume type was chosen by configuration
  // (facts.default_volume_type_configured, or the bridge's
  // csi_cinder_default_volume_type), not Cinder's default or first type.
  bool default_volume_type_configured = false;
};

class ValuesRenderer {
 public:
  explicit ValuesRenderer(RenderOptions options);

  // The chart version a spec renders for: `requested` when non-empty, else
  // the template label capi_helm_chart_version, else `deployed` (the
  // chart version of the cluster's deployed release, "" when none) when it
  // is one the bridge supports (with a warning when it is not the site
  // default), else the site default. Versions older than
  // kOldestSupportedChart are refused; versions newer than
  // kNewestKnownChart render with the newest rules and a warning.
  absl::StatusOr<ChartVersion> ResolveChartVersion(
      const ClusterSpec& spec, const std::string& requested,
      std::vector<RenderWarning>* warnings,
      const std::string& deployed = "") const;

  // Renders the values for `spec` under `release_name` (the spec's
  // stack_id, or a freshly generated name for a new cluster).
  absl::StatusOr<RenderResult> Render(const ClusterSpec& spec,
                                      const ChartVersion& chart_version,
                                      const std::string& release_name) const;

  const RenderOptions& options() const { return options_; }

 private:
  RenderOptions options_;
};

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_VALUES_RENDERER_H_
