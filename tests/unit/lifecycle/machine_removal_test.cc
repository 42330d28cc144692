// ResizeCluster's nodes_to_remove: names checked before anything is marked,
// and the marks written in the CAPI version the management cluster serves.
#include "server/lifecycle/machine_removal.h"

#include <catch2/catch.hpp>

#include "tests/unit/fakes/fake_kube_client.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;

constexpr char kNs[] = "magnum-p1";

// A management cluster that serves Cluster API in v1beta2 and v1beta1.
class V1beta2Kube : public testing::FakeKubeClient {
 public:
  absl::StatusOr<json> GetApiGroup(const std::string& group) override {
    return json{
        {"name", group},
        {"versions",
         {{{"groupVersion", group + "/v1beta2"}, {"version", "v1beta2"}},
          {{"groupVersion", group + "/v1beta1"}, {"version", "v1beta1"}}}},
        {"preferredVersion", {{"version", "v1beta2"}}}};
  }
};

json Machine(const std::string& name, const std::string& node) {
  return {{"apiVersion", "cluster.x-k8s.io/v1beta2"},
          {"kind", "Machine"},
          {"metadata",
           {{"name", name},
            {"namespace", kNs},
            {"labels",
             {{"capi.stackhpc.com/cluster", "r1"},
              {"capi.stackhpc.com/node-group", "workers"}}}}},
          {"status", {{"nodeRef", {{"name", node}}}}}};
}

MachineRemoval Removal(std::vector<std::string> nodes, int new_count) {
  MachineRemoval removal;
  removal.release = "r1";
  removal.ns = kNs;
  removal.group_name = "workers";
  removal.group_label = "workers";
  removal.new_count = new_count;
  removal.nodes = std::move(nodes);
  return removal;
}

TEST_CASE("marks are written in the discovered CAPI version",
          "[machine_removal]") {
  V1beta2Kube kube;
  kube::ApiVersions versions(&kube);
  kube.Put(kube::kinds::kMachine, Machine("m-a", "node-a"));
  kube.Put(kube::kinds::kMachine, Machine("m-b", "node-b"));
  REQUIRE(
      MarkMachinesForRemoval(&kube, &versions, Removal({"node-b"}, 1)).ok());
  auto marked = kube.Object("machines", kNs, "m-b");
  REQUIRE(marked.has_value());
  CHECK((*marked)["apiVersion"] == "cluster.x-k8s.io/v1beta2");
  CHECK(
      (*marked)["metadata"]["annotations"]["cluster.x-k8s.io/delete-machine"] ==
      "yes");
  CHECK_FALSE(kube.Object("machines", kNs, "m-a")
                  ->contains("/metadata/annotations"_json_pointer));
}

TEST_CASE("an unknown node or too many names mark nothing",
          "[machine_removal]") {
  V1beta2Kube kube;
  kube.Put(kube::kinds::kMachine, Machine("m-a", "node-a"));
  kube.Put(kube::kinds::kMachine, Machine("m-b", "node-b"));
  absl::Status unknown =
      MarkMachinesForRemoval(&kube, nullptr, Removal({"node-z"}, 1));
  REQUIRE(absl::IsInvalidArgument(unknown));
  CHECK_THAT(std::string(unknown.message()), Catch::Contains("node-a, node-b"));
  absl::Status too_many =
      MarkMachinesForRemoval(&kube, nullptr, Removal({"node-a", "node-b"}, 1));
  CHECK(absl::IsInvalidArgument(too_many));
  CHECK(kube.Writes() == 0);
}

}  // namespace
}  // namespace capi_bridge::lifecycle
