// StatusService: before the watch cache has synced, status is read from the
// management cluster (never from the half-filled store), and a failed read
// is UNAVAILABLE rather than a guess; once synced it is answered from the
// store without a request; a cache not heard from for longer than the
// bound is refused (the same check /readyz makes); DELETE_COMPLETE is
// reported only once the cluster's Secrets are removed; a watch sends each
// change until the status is terminal.
#include "server/lifecycle/status_service.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "server/rules/cluster_objects.h"
#include "server/util/kube_time.h"
#include "tests/unit/fakes/captured_log.h"
#include "tests/unit/fakes/fake_kube_client.h"
#include "tests/unit/fakes/fast_watch_options.h"

namespace capi_bridge::lifecycle {
namespace {

using json = nlohmann::json;
namespace kinds = kube::kinds;
using testing::FakeKubeClient;

constexpr char kNs[] = "magnum-p1";
constexpr char kShop[] = "shop-k3vq7x2mzp4a";
constexpr char kUuid[] = "8d2c1e5a-0000-4000-8000-000000000001";

v1::GetClusterStatusRequest Request(const std::string& current) {
  v1::GetClusterStatusRequest request;
  v1::ClusterSpec& spec = *request.mutable_spec();
  spec.mutable_cluster()->set_stack_id(kShop);
  spec.mutable_cluster()->set_uuid(kUuid);
  spec.mutable_cluster()->set_project_id("p1");
  v1::NodeGroup* worker = spec.add_node_groups();
  worker->set_name("default-worker");
  worker->set_role("worker");
  worker->set_node_count(1);
  request.set_current_status(current);
  return request;
}

json CapiCluster(bool deleting) {
  json meta = {{"name", kShop}, {"namespace", kNs}};
  // Deleted just now: well within the delete timeout.
  if (deleting) meta["deletionTimestamp"] = util::KubeTime(absl::Now());
  return {{"metadata", meta}, {"status", {{"phase", "Deleting"}}}};
}

json Secret(const std::string& name, const std::string& uuid) {
  return {{"metadata",
           {{"name", name},
            {"namespace", kNs},
            {"labels", {{rules::kClusterUuidLabel, uuid}}}}}};
}

// The service over a fake management cluster, a store and a watch cache
// that has synced (it watches no kinds) or has not (its one kind has not
// been listed: it is never started).
struct Fixture {
  enum class Cache { kSynced, kUnsynced };
  explicit Fixture(Cache which = Cache::kSynced)
      : cache(&kube,
              which == Cache::kSynced ? std::vector<kube::ResourceType>{}
                                      : std::vector{kinds::kCluster},
              &store, kube::WatchCacheOptions{}),
        service(&render, &kube, &store, &cache, &times, StatusOptions{}) {}

  rules::RenderService render{render::RenderOptions{}, [] { return 7; }};
  FakeKubeClient kube;
  status::ObjectStore store;
  OperationTimes times;
  kube::WatchCache cache;
  StatusService service;
};

TEST_CASE(
    "StatusService: before the cache has synced, status is read from the "
    "management cluster",
    "[status_service]") {
  Fixture f(Fixture::Cache::kUnsynced);
  REQUIRE_FALSE(f.cache.Ready());
  // The store, not yet filled, lacks the Cluster: answered from it, a
  // delete would look complete.
  f.kube.Put(kinds::kCluster, CapiCluster(/*deleting=*/true));

  SECTION("the objects read directly decide") {
    auto status = f.service.Get(Request("DELETE_IN_PROGRESS"));
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "DELETE_IN_PROGRESS");
    CHECK(f.service.stats().direct_reads.load() == 1);
    CHECK(f.service.stats().from_cache.load() == 0);
    bool read_cluster = false;
    for (const auto& call : f.kube.Calls()) {
      if (call.method == "Get" && call.plural == "clusters") {
        read_cluster = true;
      }
    }
    CHECK(read_cluster);
  }
  SECTION("a read that fails is UNAVAILABLE, never a guessed status") {
    f.kube.FailNext("List", "*",
                    absl::UnavailableError("management cluster: connection "
                                           "refused"));
    auto status = f.service.Get(Request("DELETE_IN_PROGRESS"));
    CHECK(absl::IsUnavailable(status.status()));
    CHECK_THAT(std::string(status.status().message()),
               Catch::Contains("connection refused"));
  }
}

TEST_CASE(
    "StatusService: once the cache has synced, status comes from the store "
    "without a request",
    "[status_service]") {
  Fixture f;
  REQUIRE(f.cache.Ready());
  f.store.Upsert(kinds::kCluster, CapiCluster(/*deleting=*/true));

  auto status = f.service.Get(Request("DELETE_IN_PROGRESS"));
  REQUIRE(status.ok());
  CHECK(v1::Status_Name(status->status()) == "DELETE_IN_PROGRESS");
  CHECK(f.service.stats().from_cache.load() == 1);
  CHECK(f.kube.Calls().empty());
}

TEST_CASE(
    "StatusService: a cache not heard from for longer than the bound is "
    "refused",
    "[status_service]") {
  testing::CapturedLog log;  // the fake serves no watches: retries warn
  FakeKubeClient kube;
  status::ObjectStore store;
  kube::WatchCache cache(&kube, {kinds::kCluster}, &store,
                         testing::FastWatchOptions());
  cache.Start();
  REQUIRE(cache.WaitReady(absl::Minutes(1)));

  // Heard from at the list; an hour is the bound.
  const absl::Duration bound = absl::Hours(1);
  CHECK(StaleCache(&cache, bound, absl::Now()).ok());
  absl::Status stale = StaleCache(&cache, bound, absl::Now() + absl::Hours(3));
  CHECK(absl::IsUnavailable(stale));
  CHECK_THAT(std::string(stale.message()),
             Catch::Contains("management cluster unreachable: not heard from "
                             "for"));
  // Without a cache there is nothing to be stale.
  CHECK(StaleCache(nullptr, bound, absl::Now() + absl::Hours(3)).ok());

  // A status call three hours on is refused, not answered from old data.
  rules::RenderService render(render::RenderOptions{}, [] { return 7; });
  OperationTimes times;
  StatusOptions status_options;
  status_options.max_staleness = bound;
  StatusService later(&render, &kube, &store, &cache, &times, status_options,
                      [] { return absl::Now() + absl::Hours(3); });
  auto refused = later.Get(Request("UPDATE_IN_PROGRESS"));
  CHECK(absl::IsUnavailable(refused.status()));
  kube.Shutdown();
  cache.Stop();
}

TEST_CASE(
    "StatusService: DELETE_COMPLETE only once the cluster's Secrets are "
    "removed",
    "[status_service]") {
  Fixture f;
  f.kube.Put(kinds::kSecret,
             Secret(std::string(kShop) + "-cloud-credentials", kUuid));
  f.kube.Put(kinds::kSecret, Secret(std::string(kShop) + "-ca", kUuid));
  f.kube.Put(kinds::kSecret, Secret("other-cloud-credentials",
                                    "11111111-0000-4000-8000-000000000002"));

  SECTION("the Cluster is still being deleted: its Secrets stay") {
    f.store.Upsert(kinds::kCluster, CapiCluster(/*deleting=*/true));
    auto status = f.service.Get(Request("DELETE_IN_PROGRESS"));
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "DELETE_IN_PROGRESS");
    CHECK(f.kube.Names("secrets", kNs).size() == 3);
  }
  SECTION("the Cluster is gone: Secrets removed, then DELETE_COMPLETE") {
    auto status = f.service.Get(Request("DELETE_IN_PROGRESS"));
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "DELETE_COMPLETE");
    // Only this cluster's.
    CHECK(f.kube.Names("secrets", kNs) ==
          std::vector<std::string>{"other-cloud-credentials"});
  }
  SECTION("removing the Secrets fails: still DELETE_IN_PROGRESS, saying why") {
    f.kube.FailNext("DeleteCollection", "secrets",
                    absl::UnavailableError("connection refused"));
    auto status = f.service.Get(Request("DELETE_IN_PROGRESS"));
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "DELETE_IN_PROGRESS");
    CHECK_THAT(status->status_reason(),
               Catch::Contains("removing its Secrets failed, retrying"));
    CHECK(f.kube.Names("secrets", kNs).size() == 3);
    // The next poll removes them and completes.
    auto again = f.service.Get(Request("DELETE_IN_PROGRESS"));
    REQUIRE(again.ok());
    CHECK(v1::Status_Name(again->status()) == "DELETE_COMPLETE");
    CHECK(f.kube.Names("secrets", kNs).size() == 1);
  }
  SECTION("a caller that names no operation never removes Secrets") {
    auto status = f.service.Get(Request(""));
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) != "DELETE_COMPLETE");
    CHECK(f.kube.Names("secrets", kNs).size() == 3);
    CHECK(f.kube.Writes() == 0);
  }
}

TEST_CASE("StatusService: a watch sends each change until the status is final",
          "[status_service]") {
  Fixture f;
  f.store.Upsert(kinds::kCluster, CapiCluster(/*deleting=*/true));
  f.kube.Put(kinds::kSecret, Secret(std::string(kShop) + "-ca", kUuid));

  std::vector<std::string> sent;
  absl::Status ended = f.service.Watch(
      Request("DELETE_IN_PROGRESS"),
      [&](const v1::ClusterStatus& status) {
        sent.push_back(v1::Status_Name(status.status()));
        if (sent.size() == 1) {
          // CAPI finishes: the Cluster leaves the cache.
          f.store.Remove(kinds::kCluster, CapiCluster(/*deleting=*/true));
        }
        return true;
      },
      [] { return false; });
  CHECK(ended.ok());
  CHECK(sent ==
        std::vector<std::string>{"DELETE_IN_PROGRESS", "DELETE_COMPLETE"});
  CHECK(f.kube.Names("secrets", kNs).empty());
}

TEST_CASE(
    "StatusService: a create times out after the spec's minutes, counted "
    "from the Cluster's creation",
    "[status_service]") {
  Fixture f;
  // A Cluster made 20 minutes ago that is not ready yet.
  f.store.Upsert(kinds::kCluster,
                 {{"metadata",
                   {{"name", kShop},
                    {"namespace", kNs},
                    {"creationTimestamp",
                     util::KubeTime(absl::Now() - absl::Minutes(20))}}},
                  {"status", {{"phase", "Provisioning"}}}});
  v1::GetClusterStatusRequest request = Request("CREATE_IN_PROGRESS");

  SECTION("the spec allows 10 minutes: failed, saying so") {
    request.mutable_spec()->mutable_cluster()->set_create_timeout_minutes(10);
    auto status = f.service.Get(request);
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "CREATE_FAILED");
    CHECK_THAT(status->status_reason(),
               Catch::Contains("did not complete within 10 minutes"));
  }
  SECTION("the spec allows 30 minutes: still in progress") {
    request.mutable_spec()->mutable_cluster()->set_create_timeout_minutes(30);
    auto status = f.service.Get(request);
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "CREATE_IN_PROGRESS");
  }
  SECTION("the spec gives none: the configured 60 minutes") {
    auto status = f.service.Get(request);
    REQUIRE(status.ok());
    CHECK(v1::Status_Name(status->status()) == "CREATE_IN_PROGRESS");
  }
}

}  // namespace
}  // namespace capi_bridge::lifecycle
