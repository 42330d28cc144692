// The CLI's spec-file reader on any bytes, and every spec it accepts
// through the renderer (labels, facts, node groups: every value parser).
#include "client/spec_file.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "server/render/chart_version.h"
#include "server/render/values_renderer.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace capi_bridge;
  magnum::capi::bridge::v1::ClusterSpec spec;
  if (!client::ParseSpecText(fuzz::Text(data, size), &spec).ok()) return 0;
  static const render::ValuesRenderer renderer{render::RenderOptions{}};
  std::vector<render::RenderWarning> warnings;
  auto version = renderer.ResolveChartVersion(spec, "", &warnings);
  if (!version.ok()) return 0;
  (void)renderer.Render(spec, *version,
                        spec.cluster().stack_id().empty()
                            ? "fuzz-release"
                            : spec.cluster().stack_id());
  return 0;
}
