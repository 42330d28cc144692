// DiffValues and DiffManifests: what `capi-bridge diff` reports.
#include "server/rules/release_diff.h"

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"

namespace capi_bridge::rules {
namespace {

using nlohmann::json;

std::vector<std::string> Described(const std::vector<ValueChange>& changes) {
  std::vector<std::string> out;
  for (const ValueChange& c : changes) out.push_back(DescribeChange(c));
  return out;
}

TEST_CASE("value changes name each leaf with both sides", "[diff]") {
  json deployed = R"({
    "apiServer": {"allowedCidrs": ["10.0.0.0/8"], "port": 6443},
    "nodeGroups": [{"name": "default-worker", "machineCount": 2}],
    "registryMirrors": {"docker.io": ["https://m"]},
    "same": {"a": 1}
  })"_json;
  json rendered = R"({
    "apiServer": {"allowedCIDRs": ["10.0.0.0/8"], "port": 6443},
    "nodeGroups": [{"name": "default-worker", "machineCount": 3},
                   {"name": "gpu", "machineCount": 1}],
    "registryMirrors": {"docker.io": ["https://n"]},
    "same": {"a": 1}
  })"_json;
  CHECK(Described(DiffValues(deployed, rendered)) ==
        std::vector<std::string>{
            "apiServer.allowedCIDRs: (absent) -> [\"10.0.0.0/8\"]",
            "apiServer.allowedCidrs: [\"10.0.0.0/8\"] -> (absent)",
            "nodeGroups[0].machineCount: 2 -> 3",
            "nodeGroups[1]: (absent) -> {\"machineCount\":1,\"name\":\"gpu\"}",
            "registryMirrors[\"docker.io\"][0]: \"https://m\" -> \"https://n\"",
        });
}

TEST_CASE("equal values give no change; a changed type is one change",
          "[diff]") {
  json values = R"({"a": {"b": [1, {"c": true}]}})"_json;
  CHECK(DiffValues(values, values).empty());
  auto changes = DiffValues(R"({"kubernetesVersion": "1.31.4"})"_json,
                            R"({"kubernetesVersion": 1.31})"_json);
  REQUIRE(changes.size() == 1);
  CHECK(DescribeChange(changes[0]) == "kubernetesVersion: \"1.31.4\" -> 1.31");
}

TEST_CASE("long values are cut in descriptions", "[diff]") {
  ValueChange change{"x", json(std::string(500, 'a')), std::nullopt};
  std::string text = DescribeChange(change, 50);
  CHECK(text.size() < 80);
  CHECK(text.find("...") != std::string::npos);
}

const char* const kDeployed = R"(---
# Source: openstack-cluster/templates/cluster.yaml
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: web-abc
  labels:
    helm.sh/chart: openstack-cluster-0.24.0
spec:
  clusterNetwork:
    pods:
      cidrBlocks: [172.16.0.0/13]
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata:
  name: web-abc-default-worker
spec:
  replicas: 2
---
apiVersion: v1
kind: Secret
metadata:
  name: web-abc-old
)";

const char* const kRendered = R"(
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: web-abc
  labels:
    helm.sh/chart: openstack-cluster-0.27.0
spec:
  clusterNetwork:
    pods:
      cidrBlocks: [172.16.0.0/13]
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata:
  name: web-abc-default-worker
spec:
  replicas: 2
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: OpenStackMachineTemplate
metadata:
  name: web-abc-gpu-1a2b
)";

TEST_CASE("manifest changes: objects created, updated and deleted", "[diff]") {
  auto changes = DiffManifests(kDeployed, kRendered);
  REQUIRE(changes.ok());
  REQUIRE(changes->size() == 4);
  std::vector<std::string> summary;
  for (const ObjectChange& c : *changes) {
    summary.push_back(absl::StrCat(ActionName(c.action), " ", c.kind, "/",
                                   c.name, " ", c.changed_count));
  }
  // The MachineDeployment's apiVersion moved within its group: the same
  // object, and apiVersion is its one changed leaf.
  CHECK(summary == std::vector<std::string>{
                       "update Cluster/web-abc 1",
                       "update MachineDeployment/web-abc-default-worker 1",
                       "create OpenStackMachineTemplate/web-abc-gpu-1a2b 0",
                       "delete Secret/web-abc-old 0"});
  CHECK((*changes)[0].changed_paths ==
        std::vector<std::string>{"metadata.labels[\"helm.sh/chart\"]"});
  CHECK((*changes)[1].changed_paths == std::vector<std::string>{"apiVersion"});
}

TEST_CASE("an identical manifest has no changes; paths are bounded", "[diff]") {
  auto same = DiffManifests(kDeployed, kDeployed);
  REQUIRE(same.ok());
  CHECK(same->empty());
  std::string before = "kind: ConfigMap\nmetadata: {name: c}\ndata:\n";
  std::string after = before;
  for (int i = 0; i < 30; ++i) {
    absl::StrAppend(&before, "  k", i, ": a\n");
    absl::StrAppend(&after, "  k", i, ": b\n");
  }
  auto bounded = DiffManifests(before, after, 5);
  REQUIRE(bounded.ok());
  REQUIRE(bounded->size() == 1);
  CHECK((*bounded)[0].changed_count == 30);
  CHECK((*bounded)[0].changed_paths.size() == 5);
}

TEST_CASE("a manifest that is not objects is refused, naming which", "[diff]") {
  auto bad_yaml = DiffManifests("kind: [", kRendered);
  REQUIRE_FALSE(bad_yaml.ok());
  CHECK(bad_yaml.status().message().find("deployed manifest is not YAML") !=
        absl::string_view::npos);
  auto not_object = DiffManifests(kDeployed, "- a\n- b\n");
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.status().message().find("new manifest") !=
        absl::string_view::npos);
}

}  // namespace
}  // namespace capi_bridge::rules
