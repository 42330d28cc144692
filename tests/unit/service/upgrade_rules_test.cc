#include "server/service/upgrade_rules.h"

#include "catch2/catch.hpp"

namespace capi_bridge::service {
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

}  // namespace
}  // namespace capi_bridge::service
