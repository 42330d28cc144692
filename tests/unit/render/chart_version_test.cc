#include "server/render/chart_version.h"

#include "catch2/catch.hpp"

namespace capi_bridge::render {
namespace {

TEST_CASE("chart versions parse and order semantically", "[chart-version]") {
  CHECK(ChartVersion::Of("0.27.0") > ChartVersion::Of("0.9.0"));
  CHECK(ChartVersion::Of("0.10.1") < ChartVersion::Of("0.11.0"));
  CHECK(ChartVersion::Of("v0.24.0") == ChartVersion::Of("0.24.0"));
  // A main-branch build sorts after the previous tag, before the next.
  ChartVersion dev = ChartVersion::Of("0.27.1-dev.0.main.12");
  CHECK(dev > ChartVersion::Of("0.27.0"));
  CHECK(dev < ChartVersion::Of("0.27.1"));
  CHECK(dev.ToString() == "0.27.1-dev.0.main.12");
  for (const char* bad : {"", "0.27", "0.27.0.1", "latest", "0.027.0",
                          "0.27.0-", "0.27.0-dev!"}) {
    CHECK_FALSE(ChartVersion::Parse(bad).ok());
  }
}

}  // namespace
}  // namespace capi_bridge::render
