// Every value path the renderer emits must be one the chart version it
// renders for reads: otherwise the value is silently ignored (as the
// reference driver's allowedCidrs is by charts >= 0.24.0). The known paths
// per chart version are test data taken from the chart's values.yaml and
// templates (testdata/chart_paths/<version>.txt).
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "tests/unit/render/spec_builder.h"

#ifndef CHART_PATHS_DIR
#error CHART_PATHS_DIR must point at tests/unit/render/testdata/chart_paths
#endif

namespace capi_bridge::testing {
namespace {

using nlohmann::json;

std::set<std::string> LoadPaths(const std::string& version) {
  std::ifstream in(std::string(CHART_PATHS_DIR) + "/" + version + ".txt");
  REQUIRE(in.good());
  std::set<std::string> paths;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') paths.insert(line);
  }
  return paths;
}

void Leaves(const json& v, const std::string& path,
            std::vector<std::string>* out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      Leaves(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
    }
  } else if (v.is_array() && !v.empty() && v[0].is_object()) {
    for (const json& item : v) Leaves(item, path + "[]", out);
  } else if (v.is_array()) {
    out->push_back(path + "[]");
  } else {
    out->push_back(path);
  }
}

bool Known(const std::string& path, const std::set<std::string>& known) {
  if (known.count(path) > 0) return true;
  // "k[]": a list under a key the chart reads.
  if (absl::EndsWith(path, "[]") &&
      known.count(path.substr(0, path.size() - 2)) > 0) {
    return true;
  }
  // A free-form ancestor ("a.*" or "a[].*") accepts everything below it.
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '.' && path[i] != '[') continue;
    std::string prefix = path.substr(0, i);
    if (known.count(prefix + ".*") > 0) return true;
    if (path[i] == '[' && known.count(prefix + "[].*") > 0) return true;
  }
  // nodeGroups[] items are merged over nodeGroupDefaults.
  if (absl::StartsWith(path, "nodeGroups[].")) {
    return Known("nodeGroupDefaults." + path.substr(13), known);
  }
  return false;
}

TEST_CASE("every emitted value path is read by the chart version",
          "[chart-paths]") {
  for (const char* version :
       {"0.10.1", "0.11.0", "0.16.0", "0.20.0", "0.23.0", "0.24.0", "0.27.0"}) {
    DYNAMIC_SECTION("chart " << version) {
      std::set<std::string> known = LoadPaths(version);
      for (const ClusterSpec& spec :
           {StandardSpec(), FullFeaturedSpec(version)}) {
        Rendered r = Render(spec, version);
        INFO(r.error);
        REQUIRE(r.ok);
        std::vector<std::string> leaves;
        Leaves(r.values, "", &leaves);
        REQUIRE(leaves.size() > 20);
        for (const std::string& leaf : leaves) {
          INFO("chart " << version << " path " << leaf);
          CHECK(Known(leaf, known));
        }
      }
    }
  }
}

TEST_CASE("the path check itself rejects keys the chart does not read",
          "[chart-paths]") {
  std::set<std::string> known_0_27 = LoadPaths("0.27.0");
  std::set<std::string> known_0_23 = LoadPaths("0.23.0");
  // The reference driver's allowedCidrs: read up to 0.23.x, ignored after.
  CHECK(Known("apiServer.allowedCidrs[]", known_0_23));
  CHECK_FALSE(Known("apiServer.allowedCidrs[]", known_0_27));
  CHECK(Known("apiServer.allowedCIDRs[]", known_0_27));
  // The dashboard addon is gone from 0.20.0.
  CHECK_FALSE(Known("addons.kubernetesDashboard.enabled", known_0_27));
  CHECK_FALSE(Known("controlPlane.noSuchKey", known_0_27));
}

}  // namespace
}  // namespace capi_bridge::testing
