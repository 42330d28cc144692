#include "client/spec_file.h"

#include "catch2/catch.hpp"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"

namespace capi_bridge::client {
namespace {

using magnum::capi::bridge::v1::ClusterSpec;

TEST_CASE("a YAML spec fills the message, label values unquoted or not",
          "[spec-file]") {
  ClusterSpec spec;
  absl::Status s = ParseSpecText(R"(
cluster:
  name: demo
  labels: {monitoring_enabled: true, boot_volume_size: 40, kube_tag: v1.34.3}
node_groups:
  - {name: default-worker, node_count: 3, max_node_count: 5}
facts:
  flavors: {m1.large: {ram_mb: 8192, vcpus: 4}}
)",
                                 &spec);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(spec.cluster().labels().at("monitoring_enabled") == "true");
  CHECK(spec.cluster().labels().at("boot_volume_size") == "40");
  CHECK(spec.node_groups(0).node_count() == 3);
  CHECK(spec.node_groups(0).has_max_node_count());
  CHECK(spec.facts().flavors().at("m1.large").ram_mb() == 8192);
}

TEST_CASE("a spec that is not UTF-8 is refused, naming where",
          "[spec-file][hostile]") {
  ClusterSpec spec;
  absl::Status s = ParseSpecText(
      "cluster:\n  name: demo\nnode_groups:\n  - {name: gr\xfcn}\n", &spec);
  REQUIRE(absl::IsInvalidArgument(s));
  CHECK(std::string(s.message()) ==
        "not valid UTF-8 at line 4, byte 14 (0xfc); accepted: UTF-8 text "
        "(YAML or JSON)");
  CHECK(ParseSpecText("\xc3", &spec).message() ==
        "not valid UTF-8 at line 1, byte 1 (0xc3); accepted: UTF-8 text "
        "(YAML or JSON)");
}

TEST_CASE("JSON specs are read too", "[spec-file]") {
  ClusterSpec spec;
  REQUIRE(ParseSpecText(R"({"cluster": {"name": "j"}})", &spec).ok());
  CHECK(spec.cluster().name() == "j");
}

TEST_CASE("spec-file errors give the path, the value and the accepted form",
          "[spec-file]") {
  ClusterSpec spec;
  absl::Status s = ParseSpecText(R"(
cluster:
  nmae: typo
node_groups:
  - node_count: three
  - is_default: maybe
template: [1, 2]
)",
                                 &spec);
  REQUIRE_FALSE(s.ok());
  std::string m(s.message());
  INFO(m);
  CHECK(m.find("spec.cluster.nmae: \"nmae\"; accepted: a field of Cluster") !=
        std::string::npos);
  CHECK(m.find("spec.node_groups[0].node_count: \"three\"; accepted: a whole "
               "number") != std::string::npos);
  CHECK(m.find("spec.node_groups[1].is_default: \"maybe\"; accepted: true or "
               "false") != std::string::npos);
  CHECK(m.find("spec.template: \"(not a mapping)\"") != std::string::npos);

  CHECK_FALSE(ParseSpecText("cluster: {name: [", &spec).ok());
}

}  // namespace
}  // namespace capi_bridge::client
