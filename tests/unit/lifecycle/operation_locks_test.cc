#include "server/lifecycle/operation_locks.h"

#include "catch2/catch.hpp"

namespace capi_bridge::lifecycle {
namespace {

TEST_CASE("a second verb on a busy cluster is ABORTED, others proceed") {
  OperationLocks locks;
  {
    auto first = locks.TryAcquire("cluster-a", "CreateCluster");
    REQUIRE(first.ok());
    auto second = locks.TryAcquire("cluster-a", "DeleteCluster");
    REQUIRE(absl::IsAborted(second.status()));
    CHECK_THAT(std::string(second.status().message()),
               Catch::Contains("CreateCluster is running"));
    auto other = locks.TryAcquire("cluster-b", "UpdateCluster");
    CHECK(other.ok());
    CHECK(locks.InFlight() == 2);
  }
  CHECK(locks.InFlight() == 0);
  CHECK(locks.TryAcquire("cluster-a", "DeleteCluster").ok());
}

}  // namespace
}  // namespace capi_bridge::lifecycle
