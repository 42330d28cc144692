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
    "deployed checks: a Kubernetes skip is refused when the verb checks "
    "upgrades, and only then",
    "[deployed_checks]") {
  auto deployed =
      Deployed("0.27.0", Values("1.28.9", "10.100.0.0/16", "standard"));
  render::RenderResult upgrade =
      Rendered("0.27.0", Values("1.30.2", "10.100.0.0/16", "standard"));
  absl::Status refused = FitToDeployed(deployed, true, &upgrade);
  CHECK(absl::IsFailedPrecondition(refused));
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("1.28.9") && Catch::Contains("1.30.2"));

  render::RenderResult update =
      Rendered("0.27.0", Values("1.30.2", "10.100.0.0/16", "standard"));
  CHECK(FitToDeployed(deployed, false, &update).ok());

  render::RenderResult minor_step =
      Rendered("0.27.0", Values("1.29.1", "10.100.0.0/16", "standard"));
  CHECK(FitToDeployed(deployed, true, &minor_step).ok());
}

TEST_CASE("deployed checks: a chart downgrade is refused for every verb",
          "[deployed_checks]") {
  auto deployed =
      Deployed("0.27.1", Values("1.30.2", "10.100.0.0/16", "standard"));
  for (bool check_upgrade : {false, true}) {
    render::RenderResult rendered =
        Rendered("0.26.0", Values("1.30.2", "10.100.0.0/16", "standard"));
    absl::Status refused = FitToDeployed(deployed, check_upgrade, &rendered);
    CHECK(absl::IsFailedPrecondition(refused));
    CHECK_THAT(std::string(refused.message()),
               Catch::Contains("0.27.1") && Catch::Contains("0.26.0"));
  }
}

TEST_CASE("deployed checks: an immutable value may not change",
          "[deployed_checks]") {
  auto deployed =
      Deployed("0.27.0", Values("1.30.2", "10.100.0.0/16", "standard"));
  render::RenderResult rendered =
      Rendered("0.27.0", Values("1.30.2", "10.200.0.0/16", "standard"));
  absl::Status refused = FitToDeployed(deployed, false, &rendered);
  CHECK(absl::IsFailedPrecondition(refused));
  CHECK_THAT(
      std::string(refused.message()),
      Catch::Contains("/kubeNetwork/pods") && Catch::Contains("10.200.0.0/16"));
}

}  // namespace
}  // namespace capi_bridge::rules
