// Histogram and CallStats: a duration lands in every bucket whose bound it
// does not exceed (bounds inclusive), the count is every observation
// (those past the last bound too), the sum is kept in seconds, and
// CallStats keeps one histogram per (verb, code), also when recorded from
// many threads at once.
#include "server/stats/histogram.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace capi_bridge::stats {
namespace {

// The index of `seconds` in Histogram::kBounds.
size_t BoundIndex(double seconds) {
  for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
    if (Histogram::kBounds[i] == seconds) return i;
  }
  FAIL("no bound " << seconds);
  return 0;
}

TEST_CASE("histogram: bounds are inclusive; cumulative counts never fall",
          "[histogram]") {
  Histogram histogram;
  histogram.Observe(absl::Milliseconds(5));  // on the first bound
  histogram.Observe(absl::Milliseconds(6));  // just above it
  histogram.Observe(absl::Seconds(1));       // on a middle bound
  histogram.Observe(absl::Minutes(20));      // beyond the last bound
  Histogram::Snapshot snapshot = histogram.Read();
  CHECK(snapshot.count == 4);
  CHECK(snapshot.cumulative[BoundIndex(0.005)] == 1);
  CHECK(snapshot.cumulative[BoundIndex(0.01)] == 2);
  CHECK(snapshot.cumulative[BoundIndex(0.5)] == 2);
  CHECK(snapshot.cumulative[BoundIndex(1)] == 3);
  CHECK(snapshot.cumulative.back() == 3);
  for (size_t i = 1; i < snapshot.cumulative.size(); ++i) {
    CHECK(snapshot.cumulative[i] >= snapshot.cumulative[i - 1]);
  }
  CHECK(snapshot.sum_seconds == Approx(0.005 + 0.006 + 1 + 1200).epsilon(1e-9));
}

TEST_CASE("histogram: an empty one reads all zero", "[histogram]") {
  Histogram::Snapshot snapshot = Histogram().Read();
  CHECK(snapshot.count == 0);
  CHECK(snapshot.sum_seconds == 0);
  for (uint64_t bucket : snapshot.cumulative) CHECK(bucket == 0);
}

TEST_CASE("call stats: one histogram per verb and code, sorted",
          "[histogram]") {
  CallStats stats;
  stats.Record("UpdateCluster", "OK", absl::Milliseconds(20));
  stats.Record("CreateCluster", "OK", absl::Seconds(3));
  stats.Record("CreateCluster", "ABORTED", absl::Milliseconds(2));
  stats.Record("CreateCluster", "OK", absl::Seconds(4));
  auto read = stats.Read();
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& [key, snapshot] : read) keys.push_back(key);
  CHECK(keys == std::vector<std::pair<std::string, std::string>>{
                    {"CreateCluster", "ABORTED"},
                    {"CreateCluster", "OK"},
                    {"UpdateCluster", "OK"}});
  CHECK(read[{"CreateCluster", "OK"}].count == 2);
  CHECK(read[{"CreateCluster", "OK"}].sum_seconds == Approx(7));
  CHECK(read[{"CreateCluster", "ABORTED"}].count == 1);
}

TEST_CASE("call stats: concurrent records are all counted", "[histogram]") {
  CallStats stats;
  constexpr int kThreads = 4, kEach = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats, t] {
      for (int i = 0; i < kEach; ++i) {
        stats.Record("CreateCluster", t % 2 == 0 ? "OK" : "UNAVAILABLE",
                     absl::Milliseconds(1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto read = stats.Read();
  CHECK(read[{"CreateCluster", "OK"}].count == kThreads / 2 * kEach);
  CHECK(read[{"CreateCluster", "UNAVAILABLE"}].count == kThreads / 2 * kEach);
  CHECK(read[{"CreateCluster", "OK"}].cumulative.front() ==
        kThreads / 2 * kEach);
}

}  // namespace
}  // namespace capi_bridge::stats
