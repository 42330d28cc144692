// FitToDeployed, the Check stage against the deployed release: nothing to
// check without one; otherwise the deployed default StorageClass is kept
// (with a warning), a Kubernetes version skew is refused only when the verb
// asks for upgrade checks, a chart downgrade and a change of an immutable
// value are refused whatever the verb, each naming what and why.
#include "server/rules/deployed_checks.h"

#include <catch2/catch.hpp>

namespace capi_bridge::rules {
namespace {

using nlohmann::json;

json Values(const std::string& kubernetes, const std::string& pods_cidr,
            const std::string& default_type) {
  return {
      {"kubernetesVersion", kubernetes},
      {"kubeNetwork", {{"pods", {{"cidrBlocks", json::array({pods_cidr})}}}}},
      {"addons",
       {{"openstack",
         {{"csiCinder",
           {{"defaultStorageClass",
             {{"name", default_type}, {"volumeType", default_type}}},
            {"additionalStorageClasses",
             json::array({{{"name", default_type == "standard" ? "fast-ssd"
                                                               : "standard"},
                           {"volumeType", default_type == "standard"
                                              ? "fast-ssd"
                                              : "standard"}}})}}}}}}}};
}

helm::ReleaseRecord Deployed(const std::string& chart, json values) {
  helm::ReleaseRecord record;
  record.revision = 3;
  record.status = "deployed";
  record.chart_version = chart;
  record.values = std::move(values);
  return record;
}

render::RenderResult Rendered(const std::string& chart, json values) {
  render::RenderResult result;
  result.chart_version = render::ChartVersion::Of(chart);
  result.values = std::move(values);
  return result;
}

TEST_CASE("deployed checks: a first apply has nothing to check",
          "[deployed_checks]") {
  render::RenderResult rendered =
      Rendered("0.27.0", Values("1.30.2", "10.100.0.0/16", "fast-ssd"));
  const json before = rendered.values;
  CHECK(FitToDeployed(std::nullopt, /*check_upgrade=*/true, &rendered).ok());
  CHECK(rendered.values == before);
  CHECK(rendered.warnings.empty());
}

TEST_CASE(
    "deployed checks: the deployed default StorageClass stays, with a "
    "warning",
    "[deployed_checks]") {
  render::RenderResult rendered =
      Rendered("0.27.0", Values("1.30.2", "10.100.0.0/16", "fast-ssd"));
  auto deployed =
      Deployed("0.27.0", Values("1.30.2", "10.100.0.0/16", "standard"));
  REQUIRE(FitToDeployed(deployed, false, &rendered).ok());
  CHECK(rendered.values == Values("1.30.2", "10.100.0.0/16", "standard"));
  REQUIRE(rendered.warnings.size() == 1);
  CHECK(rendered.warnings[0].field ==
        "addons.openstack.csiCinder.defaultStorageClass");
}

TEST_CASE(
    "deployed checks: skew is refused only when the verb checks upgrades; a "
    "chart downgrade and an immutable change always, naming both sides",
    "[deployed_checks]") {
  struct Row {
    const char* what;
    std::string deployed_chart, deployed_kubernetes;
    std::string chart, kubernetes, pods_cidr;
    bool refused_for_update, refused_for_upgrade;
    std::vector<std::string> says;
  };
  const std::vector<Row> rows = {
      {"a Kubernetes minor version skipped",
       "0.27.0",
       "1.28.9",
       "0.27.0",
       "1.30.2",
       "10.100.0.0/16",
       false,
       true,
       {"1.28.9", "1.30.2"}},
      {"one minor version up",
       "0.27.0",
       "1.28.9",
       "0.27.0",
       "1.29.1",
       "10.100.0.0/16",
       false,
       false,
       {}},
      {"a chart downgrade",
       "0.27.1",
       "1.30.2",
       "0.26.0",
       "1.30.2",
       "10.100.0.0/16",
       true,
       true,
       {"0.27.1", "0.26.0"}},
      {"the pod network moved",
       "0.27.0",
       "1.30.2",
       "0.27.0",
       "1.30.2",
       "10.200.0.0/16",
       true,
       true,
       {"/kubeNetwork/pods", "10.200.0.0/16"}},
  };
  for (const Row& row : rows) {
    for (bool check_upgrade : {false, true}) {
      DYNAMIC_SECTION(row.what << (check_upgrade ? ", upgrade" : ", update")) {
        auto deployed = Deployed(
            row.deployed_chart,
            Values(row.deployed_kubernetes, "10.100.0.0/16", "standard"));
        render::RenderResult rendered = Rendered(
            row.chart, Values(row.kubernetes, row.pods_cidr, "standard"));
        absl::Status status = FitToDeployed(deployed, check_upgrade, &rendered);
        const bool refused =
            check_upgrade ? row.refused_for_upgrade : row.refused_for_update;
        if (refused) {
          CHECK(absl::IsFailedPrecondition(status));
          for (const std::string& part : row.says) {
            CHECK_THAT(std::string(status.message()), Catch::Contains(part));
          }
        } else {
          CHECK(status.ok());
        }
      }
    }
  }
}

}  // namespace
}  // namespace capi_bridge::rules
