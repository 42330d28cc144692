// Node groups: names, counts, autoscaling, flavors, per-group labels.
#include "catch2/catch.hpp"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::testing {
namespace {

using nlohmann::json;

TEST_CASE("group names are sanitised into the chart's names", "[groups]") {
  ClusterSpec spec = StandardSpec();
  AddWorkerGroup(&spec, "GPU_Pool 1", 1);
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "nodeGroups.1.name") == "gpu-pool-1");
}

TEST_CASE("group names the chart would refuse are rejected up front",
          "[groups]") {
  struct Case {
    const char* name;
    const char* accepted;
  };
  for (const Case& c : {Case{"1gpu", "starting with a letter"},
                        Case{"ab", "at least 3 characters"},
                        Case{"__", "at least 3 characters"},
                        Case{"Control Plane", "any name but control-plane"}}) {
    DYNAMIC_SECTION(c.name) {
      ClusterSpec spec = StandardSpec();
      AddWorkerGroup(&spec, c.name, 1);
      Rendered r = Render(spec);
      REQUIRE_FALSE(r.ok);
      CHECK(r.error.find(std::string("node_groups[") + c.name + "].name") !=
            std::string::npos);
      CHECK(r.error.find(c.accepted) != std::string::npos);
    }
  }
}

TEST_CASE("two names that sanitise alike are rejected", "[groups]") {
  ClusterSpec spec = StandardSpec();
  AddWorkerGroup(&spec, "gpu_a", 1);
  AddWorkerGroup(&spec, "gpu-a", 1);
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("node_groups[gpu-a].name") != std::string::npos);
  CHECK(r.error.find("differs from \"gpu_a\"") != std::string::npos);
}

TEST_CASE("a group name too long for release-name prefixing is rejected",
          "[groups]") {
  ClusterSpec spec = StandardSpec();
  AddWorkerGroup(&spec, std::string(50, 'g'), 1);
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("a name of at most 40 characters") != std::string::npos);
}

TEST_CASE("control-plane size must be odd and at least 1", "[groups]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_node_groups(0)->set_node_count(2);
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("node_groups[default-master].node_count: \"2\"") !=
        std::string::npos);
  spec.mutable_node_groups(0)->set_node_count(3);
  r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "controlPlane.machineCount") == 3);
}

TEST_CASE("a spec without a control-plane group is rejected", "[groups]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_node_groups()->DeleteSubrange(0, 1);
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("role \"master\"") != std::string::npos);
}

TEST_CASE("negative worker counts are rejected; zero is allowed", "[groups]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_node_groups(1)->set_node_count(-1);
  CHECK_FALSE(Render(spec).ok);
  spec.mutable_node_groups(1)->set_node_count(0);
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "nodeGroups.0.machineCount") == 0);
}

TEST_CASE("autoscaling bounds follow the reference rules", "[groups]") {
  ClusterSpec spec = StandardSpec();
  (*spec.mutable_cluster()->mutable_labels())["auto_scaling_enabled"] = "true";
  NodeGroup* gpu = AddWorkerGroup(&spec, "gpu", 3);

  SECTION("min 0 before chart 0.26.0: refused, naming the version") {
    gpu->set_max_node_count(5);
    for (const char* chart : {"0.10.1", "0.25.1"}) {
      CAPTURE(chart);
      Rendered r = Render(spec, chart);
      REQUIRE_FALSE(r.ok);
      CHECK(r.error.find("node_groups[gpu].min_node_count: \"0\"") !=
            std::string::npos);
      CHECK(r.error.find("needs capi_helm_chart_version 0.26.0 or later") !=
            std::string::npos);
    }
  }
  SECTION("min 0 from chart 0.26.0: the group scales from zero") {
    gpu->set_node_count(0);
    gpu->set_max_node_count(6);
    for (const char* chart : {"0.26.0", "0.27.0"}) {
      CAPTURE(chart);
      Rendered r = Render(spec, chart);
      REQUIRE(r.ok);
      CHECK(At(r.values, "nodeGroups.1.autoscale") == true);
      CHECK(At(r.values, "nodeGroups.1.machineCountMin") == 0);
      CHECK(At(r.values, "nodeGroups.1.machineCountMax") == 6);
      CHECK(At(r.values, "nodeGroups.1.machineCount") == 0);
    }
  }
  SECTION("a negative min is refused on every chart") {
    gpu->set_min_node_count(-1);
    gpu->set_max_node_count(5);
    Rendered r = Render(spec);
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.find("0 or more with autoscaling") != std::string::npos);
  }
  SECTION("the default group: Magnum's stored minimum of 0 or 1 is unset") {
    spec.mutable_node_groups(1)->set_min_node_count(0);
    spec.mutable_node_groups(1)->set_max_node_count(4);
    gpu->set_min_node_count(1);
    gpu->set_max_node_count(5);
    Rendered r = Render(spec);
    REQUIRE(r.ok);
    CHECK(At(r.values, "nodeGroups.0.machineCountMin") == 2);  // node_count
    (*spec.mutable_cluster()->mutable_labels())["min_node_count"] = "0";
    r = Render(spec);
    REQUIRE(r.ok);
    CHECK(At(r.values, "nodeGroups.0.machineCountMin") == 0);
  }
  SECTION("min above node_count") {
    gpu->set_min_node_count(4);
    gpu->set_max_node_count(5);
    Rendered r = Render(spec);
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.find("at most the group's node_count (3)") !=
          std::string::npos);
  }
  SECTION("max below min") {
    gpu->set_min_node_count(2);
    gpu->set_max_node_count(1);
    Rendered r = Render(spec);
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.find("at least the minimum (2)") != std::string::npos);
  }
  SECTION("min == max renders a fixed-size group") {
    gpu->set_min_node_count(3);
    gpu->set_max_node_count(3);
    Rendered r = Render(spec);
    REQUIRE(r.ok);
    CHECK_FALSE(Has(r.values, "nodeGroups.1.autoscale"));
    CHECK(At(r.values, "nodeGroups.1.machineCount") == 3);
  }
  SECTION("a valid range renders autoscale with min and max") {
    gpu->set_min_node_count(1);
    gpu->set_max_node_count(6);
    Rendered r = Render(spec);
    REQUIRE(r.ok);
    CHECK(At(r.values, "nodeGroups.1.autoscale") == true);
    CHECK(At(r.values, "nodeGroups.1.machineCountMin") == 1);
    CHECK(At(r.values, "nodeGroups.1.machineCountMax") == 6);
  }
}

TEST_CASE("flavor floors come from the resolved Nova facts", "[groups]") {
  ClusterSpec spec = StandardSpec();
  auto& flavors = *spec.mutable_facts()->mutable_flavors();
  flavors["m1.large"].set_ram_mb(1024);
  flavors["m1.medium"].set_vcpus(1);
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("node_groups[default-worker].flavor_id: \"m1.large\"; "
                     "accepted: a flavor with at least 2048 MB of RAM (this "
                     "one has 1024 MB)") != std::string::npos);
  CHECK(r.error.find("cluster.master_flavor_id: \"m1.medium\"; accepted: a "
                     "flavor with at least 2 vCPUs (this one has 1)") !=
        std::string::npos);

  render::RenderOptions lenient;
  lenient.minimum_flavor_ram_mb = 1024;
  lenient.minimum_flavor_vcpus = 1;
  CHECK(Render(spec, "0.27.0", lenient).ok);

  flavors.erase("m1.large");
  r = Render(spec, "0.27.0", lenient);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("facts.flavors[m1.large]: (missing)") !=
        std::string::npos);
}

TEST_CASE("node-group labels override the cluster's for that group",
          "[groups]") {
  ClusterSpec spec = StandardSpec();
  auto& labels = *spec.mutable_cluster()->mutable_labels();
  labels["boot_volume_size"] = "40";
  labels["availability_zone"] = "az1";
  NodeGroup* big = AddWorkerGroup(&spec, "big-disks", 1);
  (*big->mutable_labels())["boot_volume_size"] = "200";
  (*big->mutable_labels())["availability_zone"] = "az2";
  // Labels that are not per-group are ignored on a node group.
  (*big->mutable_labels())["monitoring_enabled"] = "true";

  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "nodeGroupDefaults.machineRootVolume.diskSize") == 40);
  CHECK(At(r.values, "nodeGroupDefaults.failureDomain") == "az1");
  CHECK_FALSE(Has(r.values, "nodeGroups.0.machineRootVolume"));
  CHECK(At(r.values, "nodeGroups.1.machineRootVolume.diskSize") == 200);
  CHECK(At(r.values, "nodeGroups.1.failureDomain") == "az2");
  CHECK(At(r.values, "addons.monitoring.enabled") == false);
}

TEST_CASE("a group cannot switch off what the cluster switches on",
          "[groups]") {
  ClusterSpec spec = StandardSpec();
  (*spec.mutable_cluster()->mutable_labels())["boot_volume_size"] = "40";
  NodeGroup* g = AddWorkerGroup(&spec, "ephemeral", 1);
  (*g->mutable_labels())["boot_volume_size"] = "0";
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("node_groups[ephemeral].labels.boot_volume_size "
                     "(node-group label): \"0\"") != std::string::npos);
}

TEST_CASE("a per-group image must carry the cluster's Kubernetes version",
          "[groups]") {
  ClusterSpec spec = StandardSpec();
  NodeGroup* g = AddWorkerGroup(&spec, "gpu", 1);
  g->set_image_id("gpu-image");
  auto& images = *spec.mutable_facts()->mutable_node_group_images();
  images["gpu-image"].set_id("7a7a7a7a-0000-4000-8000-000000000001");
  images["gpu-image"].set_kube_version("v1.34.3");
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "nodeGroups.1.machineImageId") ==
        "7a7a7a7a-0000-4000-8000-000000000001");
  images["gpu-image"].set_kube_version("v1.33.1");
  r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("node_groups[gpu].image_id") != std::string::npos);
}

TEST_CASE("node labels and taints reach the group", "[groups]") {
  Rendered r = Render(FullFeaturedSpec());
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(At(r.values, "nodeGroups.1.name") == "gpu-pool");
  CHECK(At(r.values, "nodeGroups.1.nodeLabels") ==
        json::parse(R"({"example.com/gpu":"a100"})"));
  CHECK(
      At(r.values,
         "nodeGroups.1.kubeadmConfigSpec.joinConfiguration.nodeRegistration."
         "taints") ==
      json::parse(
          R"([{"key":"nvidia.com/gpu","value":"present","effect":"NoSchedule"}])"));
  CHECK(At(r.values, "nodeGroups.1.serverGroupId") ==
        "6e1d7f0a-6b2c-4d8e-9f3a-5b6c7d8e9f03");

  ClusterSpec spec = StandardSpec();
  NodeGroup* g = AddWorkerGroup(&spec, "tainted", 1);
  auto* t = g->add_node_taints();
  t->set_key("dedicated");
  t->set_effect("Sometimes");
  Rendered bad = Render(spec);
  REQUIRE_FALSE(bad.ok);
  CHECK(bad.error.find("effect NoSchedule, PreferNoSchedule or NoExecute") !=
        std::string::npos);
}

}  // namespace
}  // namespace capi_bridge::testing
