// ObjectStore as the watch cache drives it: objects are grouped by the
// cluster they belong to, a change replaces (never duplicates) and
// advances the cluster's version, a removal of its last object forgets the
// cluster, a relist drops what it no longer lists (only of the kind
// relisted) while an aborted one keeps everything, and a waiter wakes on
// the next change of its cluster.
#include "server/status/object_store.h"

#include <algorithm>
#include <string>
#include <thread>

#include "catch2/catch.hpp"
#include "server/kube/kube_client.h"

namespace capi_bridge::status {
namespace {

using json = nlohmann::json;
namespace kinds = kube::kinds;

constexpr char kNs[] = "magnum-p1";
constexpr char kShop[] = "shop-k3vq7x2mzp4a";

json Meta(const std::string& name, const std::string& cluster) {
  json meta = {{"name", name}, {"namespace", kNs}};
  if (!cluster.empty()) {
    meta["labels"] = {{"cluster.x-k8s.io/cluster-name", cluster}};
  }
  return meta;
}

json Machine(const std::string& name, const std::string& phase,
             const std::string& cluster = kShop) {
  return {{"metadata", Meta(name, cluster)},
          {"spec", {{"clusterName", cluster}}},
          {"status", {{"phase", phase}}}};
}

json Cluster(const std::string& name = kShop) {
  return {{"metadata", Meta(name, "")}, {"status", {{"phase", "Provisioned"}}}};
}

json Addon(const std::string& name) {
  return {{"metadata",
           {{"name", name},
            {"namespace", kNs},
            {"labels", {{"addons.stackhpc.com/cluster", kShop}}}}},
          {"status", {{"phase", "Deployed"}}}};
}

std::vector<std::string> MachineNames(const ObjectStore& store,
                                      const std::string& cluster = kShop) {
  std::vector<std::string> names;
  for (const MachineRecord& m : store.Snapshot(kNs, cluster).objects.machines) {
    names.push_back(m.meta.name + ":" + m.phase);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_CASE("ObjectStore: objects are grouped by the cluster they belong to",
          "[object_store]") {
  ObjectStore store;
  store.Upsert(kinds::kCluster, Cluster());
  store.Upsert(kinds::kMachine, Machine("m1", "Running"));
  store.Upsert(kinds::kMachine, Machine("o1", "Running", "other"));
  // Without a cluster label or spec.clusterName it belongs to none.
  store.Upsert(kinds::kMachine, {{"metadata", Meta("stray", "")}});

  CHECK(store.ClusterCount() == 2);
  CHECK(store.RecordCount() == 3);
  ObjectStore::View shop = store.Snapshot(kNs, kShop);
  CHECK(shop.version > 0);
  CHECK(shop.objects.cluster.has_value());
  CHECK(MachineNames(store) == std::vector<std::string>{"m1:Running"});
  CHECK(MachineNames(store, "other") == std::vector<std::string>{"o1:Running"});
  // A cluster the store knows nothing of.
  CHECK(store.Snapshot(kNs, "unknown").version == 0);
  CHECK(store.Snapshot("magnum-p2", kShop).version == 0);
}

TEST_CASE("ObjectStore: a change replaces the record and advances the version",
          "[object_store]") {
  ObjectStore store;
  store.Upsert(kinds::kMachine, Machine("m1", "Provisioning"));
  const uint64_t first = store.Snapshot(kNs, kShop).version;
  store.Upsert(kinds::kMachine, Machine("m1", "Running"));
  const uint64_t second = store.Snapshot(kNs, kShop).version;
  CHECK(second > first);
  CHECK(MachineNames(store) == std::vector<std::string>{"m1:Running"});

  // Addons of different kinds may share a name.
  store.Upsert(kinds::kHelmRelease, Addon("shop-cni"));
  store.Upsert(kinds::kManifests, Addon("shop-cni"));
  CHECK(store.Snapshot(kNs, kShop).objects.addons.size() == 2);
  store.Remove(kinds::kManifests, Addon("shop-cni"));
  auto addons = store.Snapshot(kNs, kShop).objects.addons;
  REQUIRE(addons.size() == 1);
  CHECK(addons[0].kind == "HelmRelease");
}

TEST_CASE("ObjectStore: removing a cluster's last object forgets the cluster",
          "[object_store]") {
  ObjectStore store;
  store.Upsert(kinds::kCluster, Cluster());
  store.Upsert(kinds::kMachine, Machine("m1", "Running"));
  store.Remove(kinds::kMachine, Machine("m1", "Deleting"));
  CHECK(MachineNames(store).empty());
  CHECK(store.ClusterCount() == 1);
  store.Remove(kinds::kCluster, Cluster());
  CHECK(store.ClusterCount() == 0);
  CHECK(store.RecordCount() == 0);
  CHECK(store.Snapshot(kNs, kShop).version == 0);
  // Removing what is not held changes nothing.
  store.Remove(kinds::kMachine, Machine("m9", "Running"));
  CHECK(store.ClusterCount() == 0);
}

TEST_CASE(
    "ObjectStore: a relist drops what it no longer lists, of its kind "
    "only",
    "[object_store]") {
  ObjectStore store;
  store.Upsert(kinds::kCluster, Cluster());
  store.Upsert(kinds::kMachine, Machine("m1", "Running"));
  store.Upsert(kinds::kMachine, Machine("m2", "Running"));
  store.Upsert(kinds::kMachine, Machine("o1", "Running", "other"));

  SECTION("a relist that completes") {
    store.BeginResync(kinds::kMachine);
    store.Upsert(kinds::kMachine, Machine("m2", "Failed"));
    store.Upsert(kinds::kMachine, Machine("m3", "Provisioning"));
    store.EndResync(kinds::kMachine);
    CHECK(MachineNames(store) ==
          std::vector<std::string>{"m2:Failed", "m3:Provisioning"});
    // The other cluster's machine was not listed again: gone, and with it
    // that cluster.
    CHECK(store.Snapshot(kNs, "other").version == 0);
    // A Machine relist says nothing about Clusters.
    CHECK(store.Snapshot(kNs, kShop).objects.cluster.has_value());
  }
  SECTION("a relist that fails half-way keeps what was held") {
    store.BeginResync(kinds::kMachine);
    store.Upsert(kinds::kMachine, Machine("m2", "Failed"));
    store.AbortResync(kinds::kMachine);
    CHECK(MachineNames(store) ==
          std::vector<std::string>{"m1:Running", "m2:Failed"});
    CHECK(MachineNames(store, "other") ==
          std::vector<std::string>{"o1:Running"});
    // A later relist starts afresh from what is held then.
    store.BeginResync(kinds::kMachine);
    store.Upsert(kinds::kMachine, Machine("m1", "Running"));
    store.EndResync(kinds::kMachine);
    CHECK(MachineNames(store) == std::vector<std::string>{"m1:Running"});
  }
  SECTION("an empty relist: every object of the kind is gone") {
    store.BeginResync(kinds::kMachine);
    store.EndResync(kinds::kMachine);
    CHECK(MachineNames(store).empty());
    CHECK(store.ClusterCount() == 1);
  }
}

TEST_CASE("ObjectStore: a waiter wakes on the next change of its cluster",
          "[object_store]") {
  ObjectStore store;
  store.Upsert(kinds::kMachine, Machine("m1", "Provisioning"));
  const uint64_t seen = store.Snapshot(kNs, kShop).version;

  // Nothing changes before the deadline: the version seen comes back.
  CHECK(store.WaitForChange(kNs, kShop, seen, absl::InfinitePast()) == seen);

  uint64_t woke_at = 0;
  std::thread waiter([&] {
    woke_at = store.WaitForChange(kNs, kShop, seen, absl::InfiniteFuture());
  });
  // Another cluster's change does not end the wait; its own does.
  store.Upsert(kinds::kMachine, Machine("o1", "Running", "other"));
  store.Upsert(kinds::kMachine, Machine("m1", "Running"));
  waiter.join();
  CHECK(woke_at == store.Snapshot(kNs, kShop).version);
  CHECK(woke_at != seen);
}

}  // namespace
}  // namespace capi_bridge::status
