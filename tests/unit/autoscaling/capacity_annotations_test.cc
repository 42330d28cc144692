#include "server/autoscaling/capacity_annotations.h"

#include <string>

#include "catch2/catch.hpp"

namespace capi_bridge::autoscaling {
namespace {

using nlohmann::json;

constexpr char kLabels[] = "capacity.cluster-autoscaler.kubernetes.io/labels";
constexpr char kTaints[] = "capacity.cluster-autoscaler.kubernetes.io/taints";
constexpr char kCpu[] = "capacity.cluster-autoscaler.kubernetes.io/cpu";
constexpr char kMemory[] = "capacity.cluster-autoscaler.kubernetes.io/memory";
constexpr char kGpuCount[] =
    "capacity.cluster-autoscaler.kubernetes.io/gpu-count";
constexpr char kGpuType[] =
    "capacity.cluster-autoscaler.kubernetes.io/gpu-type";

TEST_CASE("capacity annotations say what the autoscaler's node would carry") {
  struct Row {
    const char* what;
    GroupCapacity group;
    Annotations expected;
  };
  const Row rows[] = {
      {"nothing known", {}, {}},
      {"labels, sorted, key=value joined by commas",
       {{{"zone", "b"}, {"accel", "none"}}, {}, std::nullopt},
       {{kLabels, "accel=none,zone=b"}}},
      {"taints with and without a value",
       {{},
        {{"dedicated", "gpu", "NoSchedule"}, {"spot", "", "PreferNoSchedule"}},
        std::nullopt},
       {{kTaints, "dedicated=gpu:NoSchedule,spot:PreferNoSchedule"}}},
      {"the flavor's size",
       {{}, {}, FlavorCapacity{4, 8192, 0, ""}},
       {{kCpu, "4"}, {kMemory, "8192Mi"}}},
      {"GPUs default to NVIDIA's resource",
       {{}, {}, FlavorCapacity{8, 65536, 2, ""}},
       {{kCpu, "8"},
        {kMemory, "65536Mi"},
        {kGpuCount, "2"},
        {kGpuType, "nvidia.com/gpu"}}},
      {"a named GPU resource",
       {{}, {}, FlavorCapacity{8, 65536, 1, "amd.com/gpu"}},
       {{kCpu, "8"},
        {kMemory, "65536Mi"},
        {kGpuCount, "1"},
        {kGpuType, "amd.com/gpu"}}},
      {"an unknown size writes no size", {{}, {}, FlavorCapacity{}}, {}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    CHECK(CapacityAnnotations(row.group) == row.expected);
  }
}

json Values() {
  return json::parse(R"({
    "nodeGroupDefaults": {
      "kubeadmConfigSpec": {"joinConfiguration": {"nodeRegistration": {
        "kubeletExtraArgs": {"tls-cipher-suites": "X"}}}}},
    "nodeGroups": [
      {"name": "default-worker", "machineFlavor": "m1.medium",
       "machineCount": 1},
      {"name": "gpu", "machineFlavor": "g1.large", "machineCount": 0,
       "autoscale": true, "machineCountMin": 0, "machineCountMax": 3,
       "nodeLabels": {"accel": "nvidia"},
       "kubeadmConfigSpec": {"joinConfiguration": {"nodeRegistration": {
         "taints": [{"key": "dedicated", "value": "gpu",
                     "effect": "NoSchedule"}]}}}},
      {"name": "spare", "machineFlavor": "unknown", "machineCount": 1,
       "autoscale": true, "machineCountMin": 1, "machineCountMax": 3}
    ]})");
}

TEST_CASE("every worker group is planned; only autoscaled ones annotated") {
  const std::map<std::string, FlavorCapacity> flavors = {
      {"m1.medium", {2, 4096, 0, ""}}, {"g1.large", {8, 65536, 1, ""}}};
  std::vector<GroupPlan> plans = PlanGroups(Values(), "web-abc", flavors);
  REQUIRE(plans.size() == 3);

  CHECK(plans[0].machine_deployment == "web-abc-default-worker");
  CHECK_FALSE(plans[0].autoscaled);
  CHECK(plans[0].annotations.empty());

  CHECK(plans[1].machine_deployment == "web-abc-gpu");
  CHECK(plans[1].autoscaled);
  CHECK(plans[1].annotations ==
        Annotations{{kLabels, "accel=nvidia,capi.stackhpc.com/node-group=gpu"},
                    {kTaints, "dedicated=gpu:NoSchedule"},
                    {kCpu, "8"},
                    {kMemory, "65536Mi"},
                    {kGpuCount, "1"},
                    {kGpuType, "nvidia.com/gpu"}});

  // A flavor without facts: labels only (the chart's own group label).
  CHECK(plans[2].annotations ==
        Annotations{{kLabels, "capi.stackhpc.com/node-group=spare"}});
}

TEST_CASE("the chart's defaults and project prefix are honoured") {
  json values = Values();
  values["projectPrefix"] = "example.org";
  values["nodeGroupDefaults"]["nodeLabels"] = {{"site", "a"}};
  values["nodeGroupDefaults"]["kubeadmConfigSpec"]["joinConfiguration"]
        ["nodeRegistration"]["taints"] =
            json::parse(R"([{"key": "all", "effect": "NoExecute"}])");
  std::vector<GroupPlan> plans = PlanGroups(values, "web-abc", {});
  REQUIRE(plans.size() == 3);
  // The group's own list replaces the defaults' (as the chart merges).
  CHECK(plans[1].annotations.at(kTaints) == "dedicated=gpu:NoSchedule");
  CHECK(plans[1].annotations.at(kLabels) ==
        "accel=nvidia,example.org/node-group=gpu,site=a");
  CHECK(plans[2].annotations.at(kTaints) == "all:NoExecute");
}

TEST_CASE("autoscaling is on when any worker group autoscales") {
  CHECK(AutoscalingOn(Values()));
  json values = Values();
  for (json& group : values["nodeGroups"]) group.erase("autoscale");
  CHECK_FALSE(AutoscalingOn(values));
  CHECK_FALSE(AutoscalingOn(json::object()));
}

}  // namespace
}  // namespace capi_bridge::autoscaling
