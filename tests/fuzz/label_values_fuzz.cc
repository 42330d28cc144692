// Label values as a Magnum user types them: each input line "name=value"
// sets a cluster label (a name that is a number picks the n-th label the
// renderer knows) on a valid spec, which is then rendered.
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "client/spec_file.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "server/render/labels.h"
#include "server/render/values_renderer.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

constexpr char kSpec[] = R"(
cluster: {uuid: 0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f, name: fuzz, project_id: 4b0d7e21c9a84f5f8e6d2a1c3b9f0e77, user_id: u1, keypair: k, stack_id: fuzz-k3vq7x2mzp4a}
template: {image_id: img, external_network_id: ext, network_driver: calico, master_lb_enabled: true}
node_groups:
  - {name: default-master, role: master, is_default: true, node_count: 1, flavor_id: m1.large}
  - {name: default-worker, role: worker, is_default: true, node_count: 2, flavor_id: m1.large}
facts:
  image: {id: img, os_distro: ubuntu, kube_version: v1.31.4}
  flavors: {m1.large: {id: f1, ram_mb: 8192, vcpus: 4, disk_gb: 40}}
  external_network: {id: 0b1c2d3e-4f50-4617-8829-3a4b5c6d7e80}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace capi_bridge;
  static const magnum::capi::bridge::v1::ClusterSpec base = [] {
    magnum::capi::bridge::v1::ClusterSpec spec;
    (void)client::ParseSpecText(kSpec, &spec);
    return spec;
  }();
  static const render::ValuesRenderer renderer{render::RenderOptions{}};
  magnum::capi::bridge::v1::ClusterSpec spec = base;
  auto& labels = *spec.mutable_cluster()->mutable_labels();
  const auto& known = render::KnownLabels();
  for (absl::string_view line : absl::StrSplit(fuzz::Text(data, size), '\n')) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    size_t index = 0;
    if (absl::SimpleAtoi(kv.first, &index) && !known.empty()) {
      kv.first = std::string(known[index % known.size()].name);
    }
    // Protobuf strings are UTF-8; the gRPC edge refuses the rest.
    labels[kv.first] = kv.second;
  }
  std::vector<render::RenderWarning> warnings;
  auto version = renderer.ResolveChartVersion(spec, "", &warnings);
  if (version.ok()) (void)renderer.Render(spec, *version, "fuzz-k3vq7x2mzp4a");
  return 0;
}
