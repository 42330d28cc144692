// OperationTimes: the last recorded verb time per cluster; Since falls back
// to when the bridge started (a timeout fires later, never earlier),
// Recorded to InfinitePast; Forget drops a cluster; clusters are apart.
#include "server/lifecycle/operation_times.h"

#include <catch2/catch.hpp>

namespace capi_bridge::lifecycle {
namespace {

const absl::Time kStarted = absl::FromUnixSeconds(1800000000);

TEST_CASE("operation times: unseen clusters fall back to the bridge's start",
          "[operation_times]") {
  OperationTimes times(kStarted);
  CHECK(times.Since("uuid-a") == kStarted);
  CHECK(times.Recorded("uuid-a") == absl::InfinitePast());
}

TEST_CASE("operation times: the last record wins, per cluster",
          "[operation_times]") {
  OperationTimes times(kStarted);
  const absl::Time first = kStarted + absl::Minutes(1);
  const absl::Time second = kStarted + absl::Minutes(7);
  times.Record("uuid-a", first);
  times.Record("uuid-b", second);
  CHECK(times.Since("uuid-a") == first);
  CHECK(times.Recorded("uuid-a") == first);
  times.Record("uuid-a", second);
  CHECK(times.Since("uuid-a") == second);
  CHECK(times.Recorded("uuid-b") == second);
  CHECK(times.Since("uuid-c") == kStarted);
}

TEST_CASE("operation times: a forgotten cluster is unseen again",
          "[operation_times]") {
  OperationTimes times(kStarted);
  times.Record("uuid-a", kStarted + absl::Hours(1));
  times.Record("uuid-b", kStarted + absl::Hours(2));
  times.Forget("uuid-a");
  CHECK(times.Since("uuid-a") == kStarted);
  CHECK(times.Recorded("uuid-a") == absl::InfinitePast());
  CHECK(times.Recorded("uuid-b") == kStarted + absl::Hours(2));
  times.Forget("uuid-never-seen");  // harmless
}

}  // namespace
}  // namespace capi_bridge::lifecycle
