// Whole-document behaviour of ValuesRenderer: chart-version awareness,
// several problems at once, facts, overrides, determinism.
#include "catch2/catch.hpp"
#include "server/render/problems.h"
#include "server/render/yaml_writer.h"
#include "server/shared/utf8.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::testing {
namespace {

using nlohmann::json;

TEST_CASE("renamed and removed chart keys follow the chart version",
          "[renderer]") {
  ClusterSpec spec = StandardSpec();
  (*spec.mutable_cluster()->mutable_labels())["api_master_lb_allowed_cidrs"] =
      "10.0.0.0/24";
  Rendered old_chart = Render(spec, "0.23.0");
  Rendered new_chart = Render(spec, "0.24.0");
  REQUIRE(old_chart.ok);
  REQUIRE(new_chart.ok);
  CHECK(Has(old_chart.values, "apiServer.allowedCidrs"));
  CHECK_FALSE(Has(old_chart.values, "apiServer.allowedCIDRs"));
  CHECK(Has(new_chart.values, "apiServer.allowedCIDRs"));
  CHECK_FALSE(Has(new_chart.values, "apiServer.allowedCidrs"));

  // DNS nameservers moved under internalNetwork at 0.11.0.
  CHECK(Has(Render(spec, "0.10.1").values, "clusterNetworking.dnsNameservers"));
  CHECK(Has(Render(spec, "0.11.0").values,
            "clusterNetworking.internalNetwork.dnsNameservers"));
  CHECK_FALSE(
      Has(Render(spec, "0.11.0").values, "clusterNetworking.dnsNameservers"));

  // The dashboard addon was removed at 0.20.0: not emitted, and an explicit
  // true is a warning.
  CHECK(
      Has(Render(spec, "0.19.2").values, "addons.kubernetesDashboard.enabled"));
  (*spec.mutable_cluster()->mutable_labels())["kube_dashboard_enabled"] =
      "true";
  Rendered r = Render(spec, "0.20.0");
  REQUIRE(r.ok);
  CHECK_FALSE(Has(r.values, "addons.kubernetesDashboard"));
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].field == "labels.kube_dashboard_enabled");
}

TEST_CASE("a spec with several problems reports all of them at once",
          "[renderer]") {
  ClusterSpec spec = StandardSpec();
  auto& labels = *spec.mutable_cluster()->mutable_labels();
  labels["monitoring_enabled"] = "maybe";
  labels["fixed_subnet_cidr"] = "10.0.0.0/33";
  (*spec.mutable_template_()->mutable_labels())["boot_volume_size"] = "big";
  spec.mutable_template_()->set_network_driver("weave");
  spec.mutable_facts()->mutable_image()->set_os_distro("fedora-coreos");
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  INFO(r.error);
  CHECK(r.error.rfind("5 problems in the cluster spec:", 0) == 0);
  CHECK(r.error.find("labels.monitoring_enabled (cluster label): \"maybe\"") !=
        std::string::npos);
  CHECK(r.error.find("labels.fixed_subnet_cidr (cluster label): "
                     "\"10.0.0.0/33\"") != std::string::npos);
  CHECK(r.error.find("labels.boot_volume_size (template label): \"big\"") !=
        std::string::npos);
  CHECK(r.error.find("template.network_driver: \"weave\"; accepted: calico or "
                     "cilium") != std::string::npos);
  CHECK(r.error.find("facts.image.os_distro: \"fedora-coreos\"; accepted: "
                     "ubuntu or flatcar") != std::string::npos);
}

TEST_CASE("missing facts are reported by field", "[renderer]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_facts()->mutable_image()->clear_id();
  spec.mutable_facts()->mutable_image()->clear_kube_version();
  spec.mutable_facts()->clear_external_network_id();
  spec.mutable_cluster()->clear_project_id();
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("facts.image.id: (missing)") != std::string::npos);
  CHECK(r.error.find("facts.image.kube_version: (missing)") !=
        std::string::npos);
  CHECK(r.error.find("facts.external_network_id: (missing)") !=
        std::string::npos);
  CHECK(r.error.find("cluster.project_id: (missing)") != std::string::npos);
}

TEST_CASE("kube_tag stands in for an image without kube_version",
          "[renderer]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_facts()->mutable_image()->clear_kube_version();
  (*spec.mutable_template_()->mutable_labels())["kube_tag"] = "v1.33.6";
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "kubernetesVersion") == "1.33.6");
}

TEST_CASE("fixed networks: UUIDs pass, names need the shim's resolution",
          "[renderer]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_cluster()->set_fixed_network("private-net");
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("facts.fixed_network_id: (missing)") != std::string::npos);
  spec.mutable_facts()->set_fixed_network_id(
      "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b");
  r = Render(spec);
  REQUIRE(r.ok);
  CHECK(At(r.values, "clusterNetworking.internalNetwork.networkFilter.id") ==
        "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b");
}

TEST_CASE("flannel selects the chart default CNI, unknown drivers fail",
          "[renderer]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_template_()->set_network_driver("flannel");
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK_FALSE(Has(r.values, "addons.cni.type"));
  spec.mutable_template_()->set_network_driver("cilium");
  CHECK(At(Render(spec).values, "addons.cni.type") == "cilium");
}

TEST_CASE(
    "keystone auth uses the cluster's project and the configured "
    "endpoint",
    "[renderer]") {
  ClusterSpec spec = StandardSpec();
  (*spec.mutable_cluster()->mutable_labels())["keystone_auth_enabled"] = "true";
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  CHECK(
      At(r.values, "addons.openstack.k8sKeystoneAuth.values") ==
      json::parse(R"({"openstackAuthUrl":"https://keystone.example.com:5000/v3",
                        "projectId":"4b0d7e21c9a84f5f8e6d2a1c3b9f0e77"})"));
}

TEST_CASE("operator overrides merge per template label, helm style",
          "[renderer]") {
  render::RenderOptions options;
  options.value_overrides["all"].documents.push_back(
      json::parse(R"({"apiServer":{"logLevel":4},"registryMirrors":null})"));
  options.value_overrides["gpu"].documents.push_back(json::parse(
      R"({"addons":{"nvidiaGPUOperator":{"enabled":true}},
          "nodeGroupDefaults":{"machineMetadata":{"tier":"gpu"}}})"));
  ClusterSpec spec = StandardSpec();
  Rendered r = Render(spec, "0.27.0", options);
  REQUIRE(r.ok);
  CHECK(At(r.values, "apiServer.logLevel") == 4);
  CHECK(At(r.values, "apiServer.enableLoadBalancer") == true);  // merged
  CHECK_FALSE(Has(r.values, "addons.nvidiaGPUOperator"));

  (*spec.mutable_template_()->mutable_labels())["helm_extra_values"] = "gpu";
  r = Render(spec, "0.27.0", options);
  REQUIRE(r.ok);
  CHECK(At(r.values, "addons.nvidiaGPUOperator.enabled") == true);
  CHECK(At(r.values, "nodeGroupDefaults.machineMetadata.tier") == "gpu");
  CHECK(At(r.values, "nodeGroupDefaults.healthCheck.enabled") == true);

  (*spec.mutable_template_()->mutable_labels())["helm_extra_values"] =
      "gpu,fast";
  r = Render(spec, "0.27.0", options);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("labels.helm_extra_values (template label): \"fast\"; "
                     "accepted: a comma-separated list of configured override "
                     "sets: gpu") != std::string::npos);
}

TEST_CASE("rendering is deterministic", "[renderer]") {
  ClusterSpec a = FullFeaturedSpec();
  std::string first = render::ToYaml(Render(a).values);
  for (int i = 0; i < 20; ++i) CHECK(render::ToYaml(Render(a).values) == first);

  // The same labels inserted in another order give the same bytes.
  ClusterSpec b = a;
  auto& labels = *b.mutable_cluster()->mutable_labels();
  std::vector<std::pair<std::string, std::string>> entries(labels.begin(),
                                                           labels.end());
  labels.clear();
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    labels[it->first] = it->second;
  }
  CHECK(render::ToYaml(Render(b).values) == first);
}

TEST_CASE("unknown and ignored labels are warnings, not errors", "[renderer]") {
  ClusterSpec spec = StandardSpec();
  auto& labels = *spec.mutable_cluster()->mutable_labels();
  labels["flannel_backend"] = "vxlan";
  labels["no_such_label"] = "1";
  (*spec.mutable_cluster()->mutable_labels())["capi_helm_chart_version"] =
      "0.20.0";
  Rendered r = Render(spec);
  REQUIRE(r.ok);
  std::map<std::string, std::string> warnings;
  for (const auto& w : r.warnings) warnings[w.field] = w.message;
  CHECK(warnings["labels.flannel_backend"].find("is ignored") !=
        std::string::npos);
  CHECK(warnings["labels.no_such_label"].find("not a label") !=
        std::string::npos);
  CHECK(warnings["labels.capi_helm_chart_version"].find("template only") !=
        std::string::npos);

  // The same value copied from the template (as Magnum does) is no news.
  (*spec.mutable_template_()->mutable_labels())["capi_helm_chart_version"] =
      "0.20.0";
  r = Render(spec);
  REQUIRE(r.ok);
  for (const auto& w : r.warnings) {
    CHECK(w.field != "labels.capi_helm_chart_version");
  }
}

TEST_CASE("chart version: request, template label, site default",
          "[renderer]") {
  render::RenderOptions options;
  options.default_chart_version = "0.26.1";
  render::ValuesRenderer renderer(options);
  ClusterSpec spec = StandardSpec();
  std::vector<render::RenderWarning> warnings;
  CHECK(renderer.ResolveChartVersion(spec, "", &warnings)->ToString() ==
        "0.26.1");
  (*spec.mutable_template_()->mutable_labels())["capi_helm_chart_version"] =
      "0.24.1";
  CHECK(renderer.ResolveChartVersion(spec, "", &warnings)->ToString() ==
        "0.24.1");
  CHECK(renderer.ResolveChartVersion(spec, "0.27.0", &warnings)->ToString() ==
        "0.27.0");
  auto old = renderer.ResolveChartVersion(spec, "0.9.0", &warnings);
  REQUIRE_FALSE(old.ok());
  CHECK(old.status().message().find("0.10.1 or newer") != std::string::npos);
  auto bad = renderer.ResolveChartVersion(spec, "latest", &warnings);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("chart_version: \"latest\"") !=
        std::string::npos);
  warnings.clear();
  CHECK(renderer.ResolveChartVersion(spec, "0.29.0", &warnings).ok());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].message.find("newer than the newest") != std::string::npos);
}

TEST_CASE("chart version: a deployed release's, below the template label",
          "[renderer]") {
  render::RenderOptions options;
  options.default_chart_version = "0.27.0";
  render::ValuesRenderer renderer(options);
  ClusterSpec spec = StandardSpec();
  spec.mutable_template_()->mutable_labels()->erase("capi_helm_chart_version");
  std::vector<render::RenderWarning> warnings;
  // Kept, and said so, when the template names no version.
  CHECK(
      renderer.ResolveChartVersion(spec, "", &warnings, "0.24.0")->ToString() ==
      "0.24.0");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].message.find("kept the deployed chart version 0.24.0") !=
        std::string::npos);
  // Unsupported or unreadable deployed versions fall back to the default.
  CHECK(
      renderer.ResolveChartVersion(spec, "", &warnings, "0.9.0")->ToString() ==
      "0.27.0");
  CHECK(renderer.ResolveChartVersion(spec, "", &warnings, "main")->ToString() ==
        "0.27.0");
  // The template's label wins.
  (*spec.mutable_template_()->mutable_labels())["capi_helm_chart_version"] =
      "0.26.0";
  CHECK(
      renderer.ResolveChartVersion(spec, "", &warnings, "0.24.0")->ToString() ==
      "0.26.0");
}

TEST_CASE("a stack_id helm would refuse is rejected", "[renderer]") {
  ClusterSpec spec = StandardSpec();
  spec.mutable_cluster()->set_stack_id("Bad_Release");
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("cluster.stack_id: \"Bad_Release\"") != std::string::npos);
}

}  // namespace
}  // namespace capi_bridge::testing

namespace capi_bridge::testing {
namespace {

TEST_CASE("values that become Kubernetes names are checked before any write",
          "[renderer][hostile]") {
  struct Row {
    const char* field;
    std::string value;
  };
  std::vector<Row> rows = {
      // 62 ASCII characters and an é: the 63-byte label cut would have
      // split the é.
      {"cluster.user_id", std::string(62, 'u') + "\xc3\xa9"},
      {"cluster.user_id", "admin/../x"},
      {"cluster.user_id", "-leading-dash"},
      {"cluster.project_id", "proj/1"},
      {"cluster.project_id", std::string(70, 'a')},
      {"cluster.project_id", "___"},
      {"cluster.uuid", "0B1C-UPPER"},
      {"cluster.uuid", "has space"},
  };
  for (const Row& row : rows) {
    INFO(row.field << " = " << row.value);
    ClusterSpec spec = StandardSpec();
    if (std::string(row.field) == "cluster.user_id") {
      spec.mutable_cluster()->set_user_id(row.value);
    } else if (std::string(row.field) == "cluster.project_id") {
      spec.mutable_cluster()->set_project_id(row.value);
    } else {
      spec.mutable_cluster()->set_uuid(row.value);
    }
    Rendered r = Render(spec);
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.find(std::string(row.field) + ": ") != std::string::npos);
    CHECK(r.error.find("accepted: ") != std::string::npos);
  }
  // A federated user's 64-character id is fine: the label keeps 63.
  ClusterSpec spec = StandardSpec();
  spec.mutable_cluster()->set_user_id(std::string(64, 'f'));
  CHECK(Render(spec).ok);
}

TEST_CASE("counts are bounded and the limit is named", "[renderer][hostile]") {
  ClusterSpec spec = StandardSpec();
  for (int i = 0; i < 150; ++i) {
    auto* group = spec.add_node_groups();
    *group = spec.node_groups(1);
    group->set_name("extra-" + std::to_string(i));
    group->set_is_default(false);
  }
  for (int i = 0; i < 250; ++i) {
    (*spec.mutable_cluster()->mutable_labels())["x" + std::to_string(i)] = "1";
  }
  Rendered r = Render(spec);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("node_groups: \"152 groups\"; accepted: at most 100 "
                     "node groups per cluster") != std::string::npos);
  CHECK(r.error.find("cluster.labels: \"250 labels\"; accepted: at most 200 "
                     "labels") != std::string::npos);
}

TEST_CASE("a long problem list is cut to fit a reply, all of it kept aside",
          "[renderer][hostile]") {
  render::Problems problems;
  for (int i = 0; i < 2000; ++i) {
    problems.Add("labels.x" + std::to_string(i) + " (cluster label)",
                 std::string(200, 'v'), "true or false");
  }
  absl::Status status = problems.ToStatus();
  const std::string message(status.message());
  CHECK(message.rfind("2000 problems in the cluster spec:", 0) == 0);
  CHECK(message.size() <= render::kMaxProblemBytes + 200);
  CHECK(message.find("more (the bridge's log lists all 2000 under this "
                     "call's request id)") != std::string::npos);
  auto all = status.GetPayload(render::kAllProblemsPayload);
  REQUIRE(all.has_value());
  CHECK(std::string(*all).find("labels.x1999 (cluster label)") !=
        std::string::npos);
  // Few problems: all listed, nothing aside.
  render::Problems few;
  few.Add("labels.a", "b", "c");
  CHECK_FALSE(few.ToStatus().GetPayload(render::kAllProblemsPayload));
}

TEST_CASE("values in messages are cut on characters, bad bytes escaped",
          "[renderer][hostile]") {
  // 119 ASCII characters then two-byte characters: the cut falls after
  // the 120th character, never inside one.
  std::string quoted =
      render::QuoteForMessage(std::string(119, 'a') + "\xc3\xa9\xc3\xa9");
  CHECK(quoted == "\"" + std::string(119, 'a') + "\xc3\xa9...\"");
  CHECK(render::QuoteForMessage("ok\xff\xfe") == "\"ok\\xff\\xfe\"");
  CHECK(util::IsValidUtf8(render::QuoteForMessage("\xe2\x82")));
}

}  // namespace
}  // namespace capi_bridge::testing
