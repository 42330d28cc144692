#include "server/autoscaling/autoscaling_objects.h"

#include <string>

#include "catch2/catch.hpp"
#include "tests/unit/fakes/fake_kube_client.h"

namespace capi_bridge::autoscaling {
namespace {

using nlohmann::json;
using testing::FakeKubeClient;

const ClusterRef kCluster{"web-abc", "magnum-proj", "uuid-1"};
constexpr char kCpu[] = "capacity.cluster-autoscaler.kubernetes.io/cpu";
constexpr char kLabels[] = "capacity.cluster-autoscaler.kubernetes.io/labels";

json Values(bool autoscale) {
  json group = {
      {"name", "pool"}, {"machineFlavor", "m1.large"}, {"machineCount", 1}};
  if (autoscale) {
    group["autoscale"] = true;
    group["machineCountMin"] = 0;
    group["machineCountMax"] = 3;
  }
  return {{"nodeGroups", json::array({group})}};
}

const std::map<std::string, FlavorCapacity> kFlavors = {
    {"m1.large", {4, 8192, 0, ""}}};

json MachineDeployment(json annotations, bool ours) {
  json md = {{"apiVersion", "cluster.x-k8s.io/v1beta1"},
             {"kind", "MachineDeployment"},
             {"metadata",
              {{"name", "web-abc-pool"},
               {"namespace", "magnum-proj"},
               {"annotations", std::move(annotations)}}},
             {"spec", {{"clusterName", "web-abc"}}}};
  md["metadata"]["managedFields"] = json::array({{{"manager", "helm"}}});
  if (ours) {
    md["metadata"]["managedFields"].push_back({{"manager", kFieldManager}});
  }
  return md;
}

int AppliesTo(const FakeKubeClient& kube, const std::string& plural) {
  int n = 0;
  for (const auto& call : kube.Calls()) {
    if (call.method == "Apply" && call.plural == plural) {
      CHECK(call.field_manager == kFieldManager);
      ++n;
    }
  }
  return n;
}

TEST_CASE("autoscaling on: the Role, its binding and the annotations") {
  FakeKubeClient kube;
  kube.Put(kube::kinds::kMachineDeployment,
           MachineDeployment({{"helm-owned", "x"}}, false));
  REQUIRE(SyncAutoscalingObjects(kube, kCluster, Values(true), kFlavors).ok());
  CHECK(kube.Object("roles", "magnum-proj", "web-abc-autoscaler-templates"));
  auto binding = kube.Object("rolebindings", "magnum-proj",
                             "web-abc-autoscaler-templates");
  REQUIRE(binding);
  CHECK((*binding)["subjects"][0]["name"] == "web-abc-autoscaler");
  auto md = kube.Object("machinedeployments", "magnum-proj", "web-abc-pool");
  REQUIRE(md);
  const json& annotations = (*md)["metadata"]["annotations"];
  CHECK(annotations[kCpu] == "4");
  CHECK(annotations[kLabels] == "capi.stackhpc.com/node-group=pool");
  CHECK(annotations["helm-owned"] == "x");  // others' annotations stay

  SECTION("a second sync with nothing changed writes nothing") {
    const int before = kube.Writes();
    REQUIRE(
        SyncAutoscalingObjects(kube, kCluster, Values(true), kFlavors).ok());
    CHECK(kube.Writes() == before);
  }
}

TEST_CASE("autoscaling off: the Role and binding go, annotations are let go") {
  struct Row {
    const char* what;
    bool ours;
    int md_applies;
  };
  const Row rows[] = {
      {"annotations this manager set are dropped", true, 1},
      {"annotations someone else set are left alone", false, 0},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    FakeKubeClient kube;
    kube.Put(kRole, TemplateReaderRole(kCluster));
    kube.Put(kRoleBinding, TemplateReaderRoleBinding(kCluster));
    kube.Put(kube::kinds::kMachineDeployment,
             MachineDeployment({{kCpu, "4"}}, row.ours));
    REQUIRE(
        SyncAutoscalingObjects(kube, kCluster, Values(false), kFlavors).ok());
    CHECK(kube.Names("roles", "magnum-proj").empty());
    CHECK(kube.Names("rolebindings", "magnum-proj").empty());
    CHECK(AppliesTo(kube, "machinedeployments") == row.md_applies);
  }
}

TEST_CASE("a cluster that never autoscaled costs no write") {
  FakeKubeClient kube;
  kube.Put(kube::kinds::kMachineDeployment, MachineDeployment({}, false));
  REQUIRE(SyncAutoscalingObjects(kube, kCluster, Values(false), kFlavors).ok());
  CHECK(kube.Writes() == 0);
}

TEST_CASE("a MachineDeployment that does not exist is never created") {
  FakeKubeClient kube;
  REQUIRE(SyncAutoscalingObjects(kube, kCluster, Values(true), kFlavors).ok());
  CHECK(kube.Names("machinedeployments", "magnum-proj").empty());
  CHECK(AppliesTo(kube, "machinedeployments") == 0);
}

TEST_CASE("a failed write is returned, and deletion removes the RBAC") {
  FakeKubeClient kube;
  kube.FailNext("Apply", "roles", absl::PermissionDeniedError("forbidden"));
  CHECK(absl::IsPermissionDenied(
      SyncAutoscalingObjects(kube, kCluster, Values(true), kFlavors)));
  REQUIRE(SyncAutoscalingObjects(kube, kCluster, Values(true), kFlavors).ok());
  REQUIRE(RemoveAutoscalingObjects(kube, kCluster).ok());
  CHECK(kube.Names("roles", "magnum-proj").empty());
  CHECK(kube.Names("rolebindings", "magnum-proj").empty());
  CHECK(RemoveAutoscalingObjects(kube, kCluster).ok());  // already gone
}

TEST_CASE("flavor facts from the spec, GPUs included") {
  magnum::capi::bridge::v1::OpenStackFacts facts;
  auto& flavor = (*facts.mutable_flavors())["g1"];
  flavor.set_vcpus(8);
  flavor.set_ram_mb(65536);
  flavor.set_gpu_count(2);
  auto capacities = FlavorCapacities(facts);
  REQUIRE(capacities.count("g1") == 1);
  CHECK(capacities["g1"].vcpus == 8);
  CHECK(capacities["g1"].ram_mb == 65536);
  CHECK(capacities["g1"].gpu_count == 2);
  CHECK(capacities["g1"].gpu_type.empty());
}

}  // namespace
}  // namespace capi_bridge::autoscaling
