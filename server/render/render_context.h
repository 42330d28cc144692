// RenderContext: the state of one render, shared by the section renderers
// (sections.h). Internal to server/render; callers use ValuesRenderer.
#ifndef CAPI_BRIDGE_SERVER_RENDER_RENDER_CONTEXT_H_
#define CAPI_BRIDGE_SERVER_RENDER_RENDER_CONTEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "nlohmann/json.hpp"
#include "server/render/chart_version.h"
#include "server/render/labels.h"
#include "server/render/problems.h"
#include "server/render/render_options.h"
#include "server/render/value_syntax.h"
#include "server/render/values_renderer.h"

namespace capi_bridge::render {

struct RenderContext {
  RenderContext(const ClusterSpec& spec, const RenderOptions& options,
                const ChartVersion& chart, const std::string& release)
      : spec(spec),
        options(options),
        chart(chart),
        release(release),
        labels(&options.site_labels, &template_labels, &cluster_labels),
        reader(labels, &problems) {}

  const ClusterSpec& spec;
  const RenderOptions& options;
  const ChartVersion chart;
  const std::string release;
  // Ordered copies of the spec's label maps (protobuf maps are unordered).
  LabelMap template_labels{spec.template_().labels().begin(),
                           spec.template_().labels().end()};
  LabelMap cluster_labels{spec.cluster().labels().begin(),
                          spec.cluster().labels().end()};
  LabelSet labels;
  Problems problems;
  LabelReader reader;
  std::vector<RenderWarning> warnings;
  nlohmann::json values = nlohmann::json::object();

  // Facts derived once by the sections and used by later ones.
  std::optional<KubeVersion> kube_version;
  std::optional<Ipv4Cidr> node_cidr;  // set when CAPO creates the network
  // The default StorageClass's volume type was configured by the operator.
  bool default_volume_type_configured = false;

  bool ChartAtLeast(absl::string_view version) const {
    return chart >= ChartVersion::Of(version);
  }
  void Warn(std::string field, std::string message) {
    warnings.push_back(RenderWarning{std::move(field), std::move(message)});
  }
  // Records that `label` needs a newer chart when it is set to something
  // other than its neutral value.
  void NeedsChart(absl::string_view label, absl::string_view since) {
    reader.Reject(label, std::string("unset: this value needs chart version ") +
                             std::string(since) + " or newer (rendering for " +
                             chart.ToString() + ")");
  }
};

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_RENDER_CONTEXT_H_
