#include "server/lifecycle/cluster_leases.h"

#include "catch2/catch.hpp"

namespace capi_bridge::lifecycle {
namespace {

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  REQUIRE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error));
  return t;
}

nlohmann::json Lease(const char* holder, const char* renewed) {
  return {{"metadata",
           {{"name", "capi-bridge-u1"},
            {"resourceVersion", "42"},
            {"annotations",
             {{"capi-bridge.magnum.openstack.org/verb", "ResizeCluster"}}}}},
          {"spec",
           {{"holderIdentity", holder},
            {"leaseDurationSeconds", 30},
            {"acquireTime", "2026-11-27T12:00:00.000000Z"},
            {"renewTime", renewed},
            {"leaseTransitions", 2}}}};
}

TEST_CASE("A Lease is free when unheld, ours, or no longer renewed") {
  const absl::Time now = At("2026-11-27T12:01:00Z");
  struct Row {
    const char* what;
    nlohmann::json lease;
    bool free;
  };
  nlohmann::json released = Lease("", "2026-11-27T12:00:59.000000Z");
  released["spec"].erase("holderIdentity");
  std::vector<Row> rows = {
      {"renewed 1 s ago by another replica",
       Lease("pod-b_0000002a", "2026-11-27T12:00:59.000000Z"), false},
      {"renewed 29 s ago: still within its duration",
       Lease("pod-b_0000002a", "2026-11-27T12:00:31.000000Z"), false},
      {"renewed 31 s ago: its holder died",
       Lease("pod-b_0000002a", "2026-11-27T12:00:29.000000Z"), true},
      {"released", released, true},
      {"held by this replica", Lease("pod-a_00000001", "2026-11-27T12:00:59Z"),
       true},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    CHECK(LeaseFree(ReadLease(row.lease), "pod-a_00000001", now) == row.free);
  }
}

TEST_CASE("A held Lease names its holder, verb and how long it has held it") {
  LeaseView view =
      ReadLease(Lease("pod-b_0000002a", "2026-11-27T12:00:59.000000Z"));
  CHECK(view.resource_version == "42");
  CHECK(view.transitions == 2);
  CHECK(view.duration == absl::Seconds(30));
  CHECK(LeaseHeldMessage(view, "u1", At("2026-11-27T12:01:05Z")) ==
        "cluster u1 is busy: ResizeCluster by bridge replica pod-b_0000002a "
        "has held its Lease capi-bridge-u1 for 65s; retry when it has "
        "finished (a replica that stops renewing loses the Lease 30s after "
        "its last renewal)");
}

}  // namespace
}  // namespace capi_bridge::lifecycle
