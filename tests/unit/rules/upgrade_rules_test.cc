#include "server/rules/upgrade_rules.h"

#include "catch2/catch.hpp"

namespace capi_bridge::rules {
namespace {

TEST_CASE("Kubernetes upgrades go one minor version up at most") {
  struct Row {
    const char* from;
    const char* to;
    absl::StatusCode code;
    const char* says;
  };
  const Row rows[] = {
      {"1.34.3", "1.34.3", absl::StatusCode::kOk, ""},
      {"v1.34.3", "1.34.9", absl::StatusCode::kOk, ""},
      {"1.34.3", "v1.35.0", absl::StatusCode::kOk, ""},
      {"1.34.3", "1.36.0", absl::StatusCode::kFailedPrecondition,
       "Upgrade to 1.35.x first"},
      {"1.34.3", "1.34.2", absl::StatusCode::kFailedPrecondition, "downgrade"},
      {"1.34.3", "1.33.9", absl::StatusCode::kFailedPrecondition, "downgrade"},
      {"1.34.3", "2.0.0", absl::StatusCode::kFailedPrecondition,
       "skips a minor"},
      {"1.34", "1.35.0", absl::StatusCode::kInvalidArgument,
       "MAJOR.MINOR.PATCH"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.from, row.to);
    absl::Status status = CheckKubernetesUpgrade(row.from, row.to);
    CHECK(status.code() == row.code);
    CHECK_THAT(std::string(status.message()), Catch::Contains(row.says));
  }
}

TEST_CASE("a cluster's chart is never downgraded") {
  CHECK(CheckChartVersion("0.24.0", "0.27.0").ok());
  CHECK(CheckChartVersion("0.27.0", "0.27.0").ok());
  // A deployed release from elsewhere whose version does not parse.
  CHECK(CheckChartVersion("main", "0.27.0").ok());
  absl::Status lower = CheckChartVersion("0.27.0", "0.23.0");
  CHECK(lower.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(lower.message()),
             Catch::Contains("chart version 0.23.0 is older than the "
                             "deployed 0.27.0"));
}

}  // namespace
}  // namespace capi_bridge::rules
