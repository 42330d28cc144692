// WatchCache feeding the ObjectStore from an in-memory API server that
// keeps an event history: events reach the store in the order they
// happened (ADDED, MODIFIED, DELETED), a watch resumed after its history
// was compacted (410 Gone) relists and the store converges on the server's
// state, the cache is Ready only once every kind has been listed, objects
// of a deleted namespace leave the store, and namespaces that are not
// Magnum's never enter it.
#include "server/kube/watch_cache.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "server/status/object_store.h"
#include "tests/unit/fakes/captured_log.h"
#include "tests/unit/fakes/eventually.h"
#include "tests/unit/fakes/fast_watch_options.h"
#include "tests/unit/fakes/read_only_kube_client.h"

namespace capi_bridge::kube {
namespace {

using json = nlohmann::json;
using testing::Eventually;

// An API server for list + watch: every write gets the next
// resourceVersion and an event in the history; watches replay the
// history after their version and then wait for more. Compact() forgets
// the history so far (a watch from before it gets 410 Gone); while
// Disconnect()ed, lists and watches fail as if the server were down.
class HistoryServer final : public testing::ReadOnlyKubeClient {
 public:
  struct ListCall {
    std::string plural;
    bool cached;  // ListEachCached (resourceVersion=0)
  };

  // Adds or replaces the object (ADDED or MODIFIED).
  void Write(const ResourceType& type, json object) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string key = KeyOf(object);
    auto& held = objects_[type.plural];
    const bool existed = held.count(key) > 0;
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    held[key] = object;
    history_.push_back({type.plural,
                        version_,
                        {existed ? "MODIFIED" : "ADDED", std::move(object)}});
    changed_.notify_all();
  }
  void Erase(const ResourceType& type, const std::string& ns,
             const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    EraseLocked(type.plural, ns + "/" + name);
  }
  // What the namespace controller does: every object in `ns` is deleted.
  void DeleteNamespace(const std::string& ns) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [plural, held] : objects_) {
      std::vector<std::string> keys;
      for (const auto& [key, object] : held) {
        if (key.rfind(ns + "/", 0) == 0) keys.push_back(key);
      }
      for (const std::string& key : keys) EraseLocked(plural, key);
    }
  }
  void Compact() {
    std::lock_guard<std::mutex> lock(mu_);
    compacted_ = version_;
    history_.clear();
  }
  // Ends open watches; lists and watches fail until Reconnect().
  void Disconnect() {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = true;
    ++generation_;
    changed_.notify_all();
  }
  void Reconnect() {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = false;
  }
  // Whether the API serves `plural` (a CRD installed); lists and watches
  // of a kind not served are 404.
  void Serve(const std::string& plural, bool served) {
    std::lock_guard<std::mutex> lock(mu_);
    unserved_[plural] = !served;
  }
  // Lists of `plural` wait until released.
  void HoldLists(const std::string& plural) {
    std::lock_guard<std::mutex> lock(mu_);
    held_lists_[plural] = true;
  }
  void ReleaseLists(const std::string& plural) {
    std::lock_guard<std::mutex> lock(mu_);
    held_lists_[plural] = false;
    changed_.notify_all();
  }
  std::vector<ListCall> lists() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lists_;
  }
  int ListsOf(const std::string& plural) const {
    int n = 0;
    for (const ListCall& call : lists()) n += call.plural == plural ? 1 : 0;
    return n;
  }

  absl::StatusOr<std::string> ListEach(
      const ResourceType& type, const std::string&, const std::string&,
      const std::function<void(json&& item)>& on_item) override {
    return Serve(type, false, on_item);
  }
  absl::StatusOr<std::string> ListEachCached(
      const ResourceType& type,
      const std::function<void(json&& item)>& on_item) override {
    return Serve(type, true, on_item);
  }
  absl::Status Watch(
      const ResourceType& type, const std::string&, const std::string&,
      const std::string& resource_version, absl::Duration timeout,
      const std::function<bool(const WatchEvent&)>& on_event) override {
    const int64_t from = std::stoll(resource_version);
    std::unique_lock<std::mutex> lock(mu_);
    if (down_) return absl::UnavailableError("connection refused");
    if (unserved_[type.plural]) return absl::NotFoundError("HTTP 404");
    if (from < compacted_) {
      return absl::OutOfRangeError("HTTP 410: too old resource version");
    }
    const int generation = generation_;
    const auto give_up =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
    int64_t seen = from;
    while (true) {
      if (shutdown_) return absl::CancelledError("shut down");
      if (generation != generation_) return absl::OkStatus();  // cut
      std::vector<WatchEvent> due;
      for (const Entry& entry : history_) {
        if (entry.plural == type.plural && entry.version > seen) {
          due.push_back(entry.event);
          seen = entry.version;
        }
      }
      if (!due.empty()) {
        lock.unlock();
        for (const WatchEvent& event : due) {
          if (!on_event(event)) return absl::OkStatus();
        }
        lock.lock();
        continue;
      }
      // The server ends a watch at its timeout; the cache resumes it.
      if (changed_.wait_until(lock, give_up) == std::cv_status::timeout) {
        return absl::OkStatus();
      }
    }
  }
  absl::StatusOr<json> Get(const ResourceType&, const std::string&,
                           const std::string&) override {
    return absl::NotFoundError("not found");  // the heartbeat's GET
  }
  void Shutdown() override {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
    changed_.notify_all();
  }

 private:
  struct Entry {
    std::string plural;
    int64_t version;
    WatchEvent event;
  };

  static std::string KeyOf(const json& object) {
    return absl::StrCat(object.at("metadata").value("namespace", ""), "/",
                        object.at("metadata").value("name", ""));
  }
  void EraseLocked(const std::string& plural, const std::string& key) {
    auto& held = objects_[plural];
    auto it = held.find(key);
    if (it == held.end()) return;
    json object = it->second;
    held.erase(it);
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    history_.push_back({plural, version_, {"DELETED", std::move(object)}});
    changed_.notify_all();
  }
  absl::StatusOr<std::string> Serve(
      const ResourceType& type, bool cached,
      const std::function<void(json&& item)>& on_item) {
    std::vector<json> items;
    std::string version;
    {
      std::unique_lock<std::mutex> lock(mu_);
      lists_.push_back({type.plural, cached});
      changed_.wait(lock,
                    [&] { return shutdown_ || !held_lists_[type.plural]; });
      if (shutdown_) return absl::CancelledError("shut down");
      if (down_) return absl::UnavailableError("connection refused");
      if (unserved_[type.plural]) return absl::NotFoundError("HTTP 404");
      for (const auto& [key, object] : objects_[type.plural]) {
        items.push_back(object);
      }
      version = std::to_string(version_);
    }
    for (json& item : items) on_item(std::move(item));
    return version;
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::map<std::string, json>> objects_;
  std::vector<Entry> history_;
  int64_t version_ = 100;
  int64_t compacted_ = 0;
  int generation_ = 0;
  bool down_ = false;
  bool shutdown_ = false;
  std::map<std::string, bool> held_lists_;
  std::map<std::string, bool> unserved_;
  std::vector<ListCall> lists_;
};

std::string NameOf(const json& object) {
  return object.value("/metadata/name"_json_pointer, "");
}

// Records what reaches the store, in order, and passes it on.
class RecordingSink final : public WatchSink {
 public:
  explicit RecordingSink(status::ObjectStore* store) : store_(store) {}

  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  void BeginResync(const ResourceType& type) override {
    Note("BeginResync " + type.kind);
    store_->BeginResync(type);
  }
  void EndResync(const ResourceType& type) override {
    Note("EndResync " + type.kind);
    store_->EndResync(type);
  }
  void AbortResync(const ResourceType& type) override {
    Note("AbortResync " + type.kind);
    store_->AbortResync(type);
  }
  void Upsert(const ResourceType& type, const json& object) override {
    Note(absl::StrCat("Upsert ", NameOf(object), " ",
                      object.value("/status/phase"_json_pointer, "")));
    store_->Upsert(type, object);
  }
  void Remove(const ResourceType& type, const json& object) override {
    Note("Remove " + NameOf(object));
    store_->Remove(type, object);
  }

 private:
  void Note(std::string call) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }
  status::ObjectStore* store_;
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
};

json Machine(const std::string& ns, const std::string& name,
             const std::string& cluster, const std::string& phase) {
  return {{"apiVersion", "cluster.x-k8s.io/v1beta1"},
          {"kind", "Machine"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"labels", {{"cluster.x-k8s.io/cluster-name", cluster}}}}},
          {"spec", {{"clusterName", cluster}}},
          {"status", {{"phase", phase}}}};
}

json Cluster(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "cluster.x-k8s.io/v1beta1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"status", {{"phase", "Provisioned"}}}};
}

// The phases of the machines the store holds for `cluster`, by name.
std::map<std::string, std::string> Machines(const status::ObjectStore& store,
                                            const std::string& ns,
                                            const std::string& cluster) {
  std::map<std::string, std::string> out;
  for (const auto& m : store.Snapshot(ns, cluster).objects.machines) {
    out[m.meta.name] = m.phase;
  }
  return out;
}

WatchState StateOf(const WatchCache& cache, const std::string& kind) {
  for (const WatchState& state : cache.States()) {
    if (state.kind == kind) return state;
  }
  FAIL("no watch state for " << kind);
  return {};
}

// A running cache of Clusters and Machines over `server`, into a store
// through a recording sink; shut down in order on the way out.
struct Running {
  explicit Running(HistoryServer* server,
                   std::vector<ResourceType> types = {kinds::kCluster,
                                                      kinds::kMachine})
      : server(server),
        sink(&store),
        cache(server, types, &sink, testing::FastWatchOptions()) {
    cache.Start();
  }
  ~Running() {
    server->Shutdown();
    cache.Stop();
  }

  testing::CapturedLog log;  // the retries' warnings
  HistoryServer* server;
  status::ObjectStore store;
  RecordingSink sink;
  WatchCache cache;
};

constexpr char kNs[] = "magnum-p1";
constexpr char kShop[] = "shop-k3vq7x2mzp4a";

TEST_CASE("WatchCache: watch events reach the store in the order they happened",
          "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kCluster, Cluster(kNs, kShop));
  Running running(&server);
  REQUIRE(running.cache.WaitReady(absl::Minutes(1)));
  CHECK(running.store.Snapshot(kNs, kShop).objects.cluster.has_value());

  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Provisioning"));
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Running"));
  server.Write(kinds::kMachine, Machine(kNs, "m2", kShop, "Provisioning"));
  server.Erase(kinds::kMachine, kNs, "m2");
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Deleting"));

  REQUIRE(Eventually([&] {
    return Machines(running.store, kNs, kShop) ==
           std::map<std::string, std::string>{{"m1", "Deleting"}};
  }));
  std::vector<std::string> machine_calls;
  for (const std::string& call : running.sink.calls()) {
    if (call.rfind("Upsert m", 0) == 0 || call.rfind("Remove m", 0) == 0) {
      machine_calls.push_back(call);
    }
  }
  CHECK(machine_calls ==
        std::vector<std::string>{"Upsert m1 Provisioning", "Upsert m1 Running",
                                 "Upsert m2 Provisioning", "Remove m2",
                                 "Upsert m1 Deleting"});
  CHECK(StateOf(running.cache, "Machine").events == 5);
}

TEST_CASE(
    "WatchCache: a watch whose history was compacted (410 Gone) relists and "
    "the store converges",
    "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kCluster, Cluster(kNs, kShop));
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Running"));
  server.Write(kinds::kMachine, Machine(kNs, "m2", kShop, "Running"));
  Running running(&server);
  REQUIRE(running.cache.WaitReady(absl::Minutes(1)));
  REQUIRE(Machines(running.store, kNs, kShop).size() == 2);

  // The bridge loses the API server; meanwhile machines change and the
  // history it would have resumed from is compacted away.
  server.Disconnect();
  server.Erase(kinds::kMachine, kNs, "m1");
  server.Write(kinds::kMachine, Machine(kNs, "m2", kShop, "Failed"));
  server.Write(kinds::kMachine, Machine(kNs, "m3", kShop, "Provisioning"));
  server.Compact();
  server.Reconnect();

  CHECK(Eventually([&] {
    return Machines(running.store, kNs, kShop) ==
           std::map<std::string, std::string>{{"m2", "Failed"},
                                              {"m3", "Provisioning"}};
  }));
  CHECK(StateOf(running.cache, "Machine").relists_gone >= 1);
  // The Cluster, unchanged, stayed throughout.
  CHECK(running.store.Snapshot(kNs, kShop).objects.cluster.has_value());
  // The first list of each kind may come from the API server's cache; the
  // relist is a consistent one.
  std::vector<HistoryServer::ListCall> machine_lists;
  for (const auto& call : server.lists()) {
    if (call.plural == "machines") machine_lists.push_back(call);
  }
  REQUIRE(machine_lists.size() >= 2);
  CHECK(machine_lists.front().cached);
  CHECK_FALSE(machine_lists.back().cached);
}

TEST_CASE("WatchCache: Ready only once every kind has been listed",
          "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kCluster, Cluster(kNs, kShop));
  server.HoldLists("machines");
  Running running(&server);

  // Clusters are listed and watched; Machines' list has not answered.
  REQUIRE(Eventually([&] { return StateOf(running.cache, "Cluster").synced; }));
  REQUIRE(Eventually([&] { return server.ListsOf("machines") >= 1; }));
  CHECK_FALSE(running.cache.Ready());
  CHECK_FALSE(StateOf(running.cache, "Machine").synced);

  server.ReleaseLists("machines");
  CHECK(running.cache.WaitReady(absl::Minutes(1)));
  CHECK(StateOf(running.cache, "Machine").synced);
}

TEST_CASE(
    "WatchCache: a list that fails leaves the cache not Ready until one "
    "succeeds",
    "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Running"));
  server.Disconnect();
  Running running(&server);

  REQUIRE(Eventually([&] { return server.ListsOf("machines") >= 2; }));
  CHECK_FALSE(running.cache.Ready());
  CHECK_THAT(StateOf(running.cache, "Machine").last_error,
             Catch::Contains("connection refused"));

  server.Reconnect();
  CHECK(running.cache.WaitReady(absl::Minutes(1)));
  CHECK(Machines(running.store, kNs, kShop).size() == 1);
}

TEST_CASE("WatchCache: the objects of a deleted namespace leave the store",
          "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kCluster, Cluster(kNs, kShop));
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Running"));
  server.Write(kinds::kCluster, Cluster("magnum-p2", "other"));
  server.Write(kinds::kMachine, Machine("magnum-p2", "o1", "other", "Running"));
  Running running(&server);
  REQUIRE(running.cache.WaitReady(absl::Minutes(1)));
  REQUIRE(running.store.ClusterCount() == 2);

  SECTION("while watched") { server.DeleteNamespace(kNs); }
  SECTION("while the bridge was away and the history compacted") {
    server.Disconnect();
    server.DeleteNamespace(kNs);
    server.Compact();
    server.Reconnect();
  }
  CHECK(Eventually([&] { return running.store.ClusterCount() == 1; }));
  CHECK(running.store.Snapshot(kNs, kShop).version == 0);
  CHECK(running.store.Snapshot("magnum-p2", "other").objects.machines.size() ==
        1);
  CHECK(running.store.RecordCount() == 2);
}

TEST_CASE(
    "WatchCache: objects outside Magnum's namespaces never reach the "
    "store",
    "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kCluster, Cluster("kube-system", "mgmt"));
  server.Write(kinds::kCluster, Cluster("magnumx", "near-miss"));
  server.Write(kinds::kCluster, Cluster(kNs, kShop));
  Running running(&server);
  REQUIRE(running.cache.WaitReady(absl::Minutes(1)));
  server.Write(kinds::kMachine, Machine("default", "d1", "mgmt", "Running"));
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Running"));

  REQUIRE(Eventually(
      [&] { return Machines(running.store, kNs, kShop).size() == 1; }));
  // Both machine events were seen; only Magnum's was kept.
  CHECK(StateOf(running.cache, "Machine").events == 2);
  CHECK(running.store.ClusterCount() == 1);
  CHECK(running.store.Snapshot("kube-system", "mgmt").version == 0);
  CHECK(running.store.Snapshot("default", "mgmt").version == 0);
}

TEST_CASE(
    "WatchCache: a cut watch resumes from the last version seen, without "
    "relisting",
    "[watch_cache]") {
  HistoryServer server;
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Running"));
  Running running(&server);
  REQUIRE(running.cache.WaitReady(absl::Minutes(1)));
  server.Write(kinds::kMachine, Machine(kNs, "m1", kShop, "Deleting"));
  REQUIRE(Eventually([&] {
    return Machines(running.store, kNs, kShop).at("m1") == "Deleting";
  }));

  // The connection drops; what happens meanwhile is still in the history.
  server.Disconnect();
  server.Erase(kinds::kMachine, kNs, "m1");
  server.Write(kinds::kMachine, Machine(kNs, "m2", kShop, "Provisioning"));
  server.Reconnect();

  CHECK(Eventually([&] {
    return Machines(running.store, kNs, kShop) ==
           std::map<std::string, std::string>{{"m2", "Provisioning"}};
  }));
  const WatchState machines = StateOf(running.cache, "Machine");
  CHECK(machines.reconnects >= 1);
  CHECK(machines.relists_gone == 0);
  CHECK(machines.lists == 1);
  CHECK(server.ListsOf("machines") == 1);
}

TEST_CASE(
    "WatchCache: a kind not served is absent, counts as synced, and is read "
    "once it is served",
    "[watch_cache]") {
  // The addon provider's HelmChartProxy CRD is optional.
  HistoryServer server;
  server.Serve("helmchartproxies", false);
  json proxy = {{"metadata",
                 {{"name", "shop-monitoring"},
                  {"namespace", kNs},
                  {"labels", {{"addons.stackhpc.com/cluster", kShop}}}}}};
  Running running(&server, {kinds::kCluster, kinds::kHelmChartProxy});
  REQUIRE(running.cache.WaitReady(absl::Minutes(1)));
  CHECK(StateOf(running.cache, "HelmChartProxy").absent);

  server.Write(kinds::kHelmChartProxy, proxy);
  server.Serve("helmchartproxies", true);
  CHECK(Eventually([&] {
    return running.store.Snapshot(kNs, kShop).objects.addons.size() == 1;
  }));
  CHECK(Eventually(
      [&] { return !StateOf(running.cache, "HelmChartProxy").absent; }));
}

}  // namespace
}  // namespace capi_bridge::kube
