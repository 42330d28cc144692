// ApiVersions and the WatchCache on both Cluster API versions, against an
// in-memory KubeClient that answers discovery as a management cluster with
// CAPI v1.10 (v1beta1), v1.11-v1.15 (v1beta2 and v1beta1) or v1.16+
// (v1beta2 only) would.
#include "server/kube/api_versions.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "catch2/catch.hpp"
#include "server/kube/watch_cache.h"
#include "server/lifecycle/status_service.h"
#include "server/rules/render_service.h"
#include "server/status/object_store.h"
#include "tests/unit/fakes/captured_log.h"
#include "tests/unit/fakes/eventually.h"
#include "tests/unit/fakes/fast_watch_options.h"
#include "tests/unit/fakes/read_only_kube_client.h"

namespace capi_bridge::kube {
namespace {

using json = nlohmann::json;
namespace v1 = magnum::capi::bridge::v1;
using testing::CapturedLog;
using testing::Eventually;
using testing::FastWatchOptions;

// An APIGroup discovery document, versions newest first as the API server
// lists them.
json Group(const std::string& name, const std::vector<std::string>& versions) {
  json gvs = json::array();
  for (const std::string& v : versions) {
    gvs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
  }
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", name},
          {"versions", gvs},
          {"preferredVersion", gvs.empty() ? json::object() : gvs[0]}};
}

std::string Key(const ResourceType& type) {
  return absl::StrCat(type.group, "/", type.version, "/", type.plural);
}

class FakeKube final : public testing::ReadOnlyKubeClient {
 public:
  // Serves the CAPI groups in `versions` (the infrastructure group always
  // in v1beta1, as CAPO does).
  void ServeCapi(const std::vector<std::string>& versions) {
    absl::MutexLock lock(&mu_);
    groups_["cluster.x-k8s.io"] = Group("cluster.x-k8s.io", versions);
    groups_["controlplane.cluster.x-k8s.io"] =
        Group("controlplane.cluster.x-k8s.io", versions);
    groups_["infrastructure.cluster.x-k8s.io"] =
        Group("infrastructure.cluster.x-k8s.io", {"v1beta1"});
  }
  void FailDiscovery(absl::Status status) {
    absl::MutexLock lock(&mu_);
    discovery_error_ = std::move(status);
  }
  void Put(const ResourceType& type, json object) {
    absl::MutexLock lock(&mu_);
    objects_[Key(type)].push_back(std::move(object));
  }
  int discovery_calls() const {
    absl::MutexLock lock(&mu_);
    return discovery_calls_;
  }
  // The "group/version/plural" of every LIST so far.
  std::vector<std::string> lists() const {
    absl::MutexLock lock(&mu_);
    return lists_;
  }

  absl::StatusOr<json> GetApiGroup(const std::string& group) override {
    absl::MutexLock lock(&mu_);
    ++discovery_calls_;
    if (!discovery_error_.ok()) return discovery_error_;
    auto it = groups_.find(group);
    if (it == groups_.end()) {
      return absl::NotFoundError("management cluster: GET /apis/" + group +
                                 ": HTTP 404: the server could not find the "
                                 "requested resource");
    }
    return it->second;
  }
  absl::StatusOr<json> Get(const ResourceType& type, const std::string& ns,
                           const std::string& name) override {
    absl::MutexLock lock(&mu_);
    for (const json& o : objects_[Key(type)]) {
      if (o["metadata"]["name"] == name && o["metadata"]["namespace"] == ns) {
        return o;
      }
    }
    return absl::NotFoundError("not found");
  }
  absl::StatusOr<std::string> ListEach(
      const ResourceType& type, const std::string&, const std::string&,
      const std::function<void(json&& item)>& on_item) override {
    std::vector<json> items;
    {
      absl::MutexLock lock(&mu_);
      lists_.push_back(Key(type));
      if (!Served(type)) return absl::NotFoundError("not served");
      items = objects_[Key(type)];
    }
    for (json& item : items) on_item(std::move(item));
    return std::string("1");
  }
  absl::Status Watch(const ResourceType& type, const std::string&,
                     const std::string&, const std::string&, absl::Duration,
                     const std::function<bool(const WatchEvent&)>&) override {
    // A quiet watch the server ends soon.
    absl::SleepFor(absl::Milliseconds(10));
    if (shutdown_.load()) return absl::CancelledError("shut down");
    absl::MutexLock lock(&mu_);
    if (!Served(type)) return absl::NotFoundError("not served");
    return absl::OkStatus();
  }
  void Shutdown() override { shutdown_.store(true); }

 private:
  // Whether `type`'s group serves its version (groups without discovery,
  // e.g. the addon providers', always).
  bool Served(const ResourceType& type) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (UnderstoodVersions(type.group).empty()) return true;
    auto it = groups_.find(type.group);
    if (it == groups_.end()) return false;
    for (const json& v : it->second["versions"]) {
      if (v["version"] == type.version) return true;
    }
    return false;
  }

  mutable absl::Mutex mu_;
  std::map<std::string, json> groups_ ABSL_GUARDED_BY(mu_);
  absl::Status discovery_error_ ABSL_GUARDED_BY(mu_);
  int discovery_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::vector<json>> objects_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> lists_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> shutdown_{false};
};

TEST_CASE("ApiVersions: the newest served version the bridge understands") {
  const std::vector<std::string> capi = {"v1beta2", "v1beta1"};
  // CAPI v1.11-v1.15: both served.
  CHECK(*NewestServed(Group("cluster.x-k8s.io", {"v1beta2", "v1beta1"}),
                      capi) == "v1beta2");
  // The API server's order is not trusted.
  CHECK(*NewestServed(Group("cluster.x-k8s.io", {"v1beta1", "v1beta2"}),
                      capi) == "v1beta2");
  // CAPI v1.10.
  CHECK(*NewestServed(Group("cluster.x-k8s.io", {"v1beta1", "v1alpha4"}),
                      capi) == "v1beta1");
  // CAPI v1.16+.
  CHECK(*NewestServed(Group("cluster.x-k8s.io", {"v1beta2"}), capi) ==
        "v1beta2");
  // A future version only: said, not guessed.
  auto future = NewestServed(Group("cluster.x-k8s.io", {"v1"}), capi);
  CHECK(absl::IsFailedPrecondition(future.status()));
  CHECK_THAT(std::string(future.status().message()),
             Catch::Contains("serves API group cluster.x-k8s.io in [v1]; "
                             "this bridge reads [v1beta2, v1beta1]"));
  CHECK(absl::IsInvalidArgument(
      NewestServed(json{{"kind", "Status"}}, capi).status()));
  CHECK(UnderstoodVersions("addons.stackhpc.com").empty());
  CHECK(UnderstoodVersions("infrastructure.cluster.x-k8s.io") ==
        std::vector<std::string>{"v1beta1"});
}

TEST_CASE("ApiVersions: resolves CAPI kinds by discovery, others as given") {
  CapturedLog logged;
  FakeKube kube;
  absl::Time now = absl::FromUnixSeconds(1800000000);
  ApiVersionsOptions options;
  options.refresh = absl::Minutes(5);
  options.now = [&] { return now; };
  ApiVersions versions(&kube, options);

  SECTION("CAPI v1.13: v1beta2 for core and KCP, CAPO's v1beta1") {
    kube.ServeCapi({"v1beta2", "v1beta1"});
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta2");
    CHECK(versions.Resolve(kinds::kMachine)->version == "v1beta2");
    CHECK(versions.Resolve(kinds::kMachineDeployment)->version == "v1beta2");
    CHECK(versions.Resolve(kinds::kKubeadmControlPlane)->version == "v1beta2");
    CHECK(versions.Resolve(kinds::kOpenStackCluster)->version == "v1beta1");
    auto cluster = versions.Resolve(kinds::kCluster);
    CHECK(cluster->plural == "clusters");
    CHECK(cluster->ApiVersion() == "cluster.x-k8s.io/v1beta2");
    CHECK(kube.discovery_calls() == 3);  // once per group, then cached
    // Groups without discovery are read as kinds.cc names them.
    CHECK(versions.Resolve(kinds::kHelmRelease)->version == "v1alpha1");
    CHECK(versions.Resolve(kinds::kSecret)->version == "v1");
    CHECK(kube.discovery_calls() == 3);
    CHECK(versions.Chosen().at("controlplane.cluster.x-k8s.io") == "v1beta2");
  }
  SECTION("CAPI v1.10: v1beta1") {
    kube.ServeCapi({"v1beta1"});
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta1");
    CHECK(versions.Resolve(kinds::kKubeadmControlPlane)->version == "v1beta1");
  }
  SECTION("discovery fails: UNAVAILABLE, never a guessed version") {
    kube.FailDiscovery(absl::UnavailableError(
        "management cluster https://10.0.0.1:6443: GET /apis/cluster.x-k8s.io: "
        "Couldn't connect to server"));
    auto cluster = versions.Resolve(kinds::kCluster);
    CHECK(absl::IsUnavailable(cluster.status()));
    CHECK_THAT(std::string(cluster.status().message()),
               Catch::Contains("API discovery of cluster.x-k8s.io failed, so "
                               "the version to read Cluster in is unknown: "));
    CHECK_THAT(std::string(cluster.status().message()),
               Catch::Contains("Couldn't connect to server"));
    // Forbidden is a failed discovery too.
    kube.FailDiscovery(absl::PermissionDeniedError("HTTP 403"));
    CHECK(absl::IsUnavailable(
        versions.Resolve(kinds::kKubeadmControlPlane).status()));
    // It asks again on the next call.
    kube.FailDiscovery(absl::OkStatus());
    kube.ServeCapi({"v1beta2", "v1beta1"});
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta2");
  }
  SECTION("a group not served: NOT_FOUND, like a CRD not installed") {
    auto kcp = versions.Resolve(kinds::kKubeadmControlPlane);
    CHECK(absl::IsNotFound(kcp.status()));
    CHECK_THAT(std::string(kcp.status().message()),
               Catch::Contains("KubeadmControlPlane: the management cluster "
                               "does not serve API group "
                               "controlplane.cluster.x-k8s.io"));
  }
  SECTION("a CAPI upgrade is seen after `refresh`, or after Invalidate") {
    kube.ServeCapi({"v1beta1"});
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta1");
    kube.ServeCapi({"v1beta2", "v1beta1"});
    now += absl::Minutes(4);
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta1");
    now += absl::Minutes(1);
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta2");
    // v1beta1 no longer served (CAPI v1.16): Invalidate asks at once.
    kube.ServeCapi({"v1beta2"});
    versions.Invalidate();
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta2");
    // A failed refresh keeps the last answer (the read itself then says
    // whether the management cluster is there).
    kube.FailDiscovery(absl::UnavailableError("timeout"));
    now += absl::Minutes(10);
    CHECK(versions.Resolve(kinds::kCluster)->version == "v1beta2");
    CHECK(logged.Contains("API discovery failed, using the last answer"));
  }
}

// A v1beta2 cluster as CAPI v1.13 lists it; the items carry no apiVersion
// (as some list encodings do), so the version they were read in decides.
void PutV1Beta2Cluster(FakeKube* kube, const std::string& version) {
  const std::string ns = "magnum-p1";
  const std::string release = "shop-k3vq7x2mzp4a";
  auto meta = [&](const std::string& name) {
    return json{{"name", name},
                {"namespace", ns},
                {"labels", {{"cluster.x-k8s.io/cluster-name", release}}}};
  };
  ResourceType md = kinds::kMachineDeployment;
  md.version = version;
  json status = {{"replicas", 2},
                 {"readyReplicas", 2},
                 {"availableReplicas", 2},
                 {"upToDateReplicas", 1},
                 {"phase", "Running"}};
  if (version == "v1beta1") {
    status = {{"replicas", 2},
              {"readyReplicas", 2},
              {"updatedReplicas", 2},
              {"phase", "Running"}};
  }
  kube->Put(md, {{"metadata", meta(release + "-default-worker")},
                 {"spec", {{"clusterName", release}, {"replicas", 2}}},
                 {"status", status}});
  ResourceType cluster = kinds::kCluster;
  cluster.version = version;
  kube->Put(cluster, {{"metadata", meta(release)}, {"status", json::object()}});
}

TEST_CASE("WatchCache: lists and watches CAPI kinds in v1beta2 where served") {
  FakeKube kube;
  kube.ServeCapi({"v1beta2", "v1beta1"});
  PutV1Beta2Cluster(&kube, "v1beta2");
  ApiVersions versions(&kube);
  status::ObjectStore store;
  WatchCache cache(&kube, status::WatchedTypes(), &store,
                   FastWatchOptions(&versions));
  cache.Start();
  REQUIRE(cache.WaitReady(absl::Seconds(5)));
  status::ObjectStore::View view =
      store.Snapshot("magnum-p1", "shop-k3vq7x2mzp4a");
  REQUIRE(view.objects.deployments.size() == 1);
  // Projected as v1beta2: upToDateReplicas is the updated count.
  CHECK(view.objects.deployments[0].updated == 1);
  CHECK(view.objects.cluster.has_value());
  std::map<std::string, std::string> read;
  for (const WatchState& s : cache.States()) read[s.kind] = s.version;
  CHECK(read["Cluster"] == "v1beta2");
  CHECK(read["MachineDeployment"] == "v1beta2");
  CHECK(read["KubeadmControlPlane"] == "v1beta2");
  CHECK(read["OpenStackCluster"] == "v1beta1");
  CHECK(read["HelmRelease"] == "v1alpha1");
  std::vector<std::string> lists = kube.lists();
  CHECK(std::count(lists.begin(), lists.end(),
                   "cluster.x-k8s.io/v1beta1/machinedeployments") == 0);
  kube.Shutdown();
  cache.Stop();
}

TEST_CASE(
    "WatchCache: a failed discovery leaves the cache unsynced, saying "
    "why") {
  CapturedLog logged;
  FakeKube kube;
  kube.FailDiscovery(absl::UnavailableError("connection refused"));
  ApiVersions versions(&kube);
  status::ObjectStore store;
  WatchCache cache(&kube, status::WatchedTypes(), &store,
                   FastWatchOptions(&versions));
  cache.Start();
  CHECK_FALSE(cache.WaitReady(absl::Milliseconds(200)));
  bool said = false;
  for (const WatchState& s : cache.States()) {
    if (s.kind == "Cluster") {
      CHECK_FALSE(s.synced);
      CHECK_THAT(s.last_error, Catch::Contains("API discovery of "
                                               "cluster.x-k8s.io failed"));
      said = true;
    }
  }
  CHECK(said);
  CHECK(logged.Contains("API discovery of cluster.x-k8s.io failed"));
  // Nothing was listed in a guessed version.
  for (const std::string& listed : kube.lists()) {
    CHECK_THAT(listed, !Catch::Contains("cluster.x-k8s.io/v1beta"));
  }
  // Once discovery answers, the cache syncs.
  kube.ServeCapi({"v1beta1"});
  kube.FailDiscovery(absl::OkStatus());
  CHECK(cache.WaitReady(absl::Seconds(5)));
  kube.Shutdown();
  cache.Stop();
}

TEST_CASE("WatchCache: CAPI installed after the bridge started") {
  FakeKube kube;  // no CAPI groups served yet
  ApiVersions versions(&kube);
  status::ObjectStore store;
  WatchCache cache(&kube, status::WatchedTypes(), &store,
                   FastWatchOptions(&versions));
  cache.Start();
  REQUIRE(cache.WaitReady(absl::Seconds(5)));  // absent counts as synced
  for (const WatchState& s : cache.States()) {
    if (s.kind == "Cluster") CHECK(s.absent);
  }
  PutV1Beta2Cluster(&kube, "v1beta2");
  kube.ServeCapi({"v1beta2", "v1beta1"});
  // Asked again at the absent recheck, well before discovery's refresh.
  CHECK(Eventually([&] {
    return store.Snapshot("magnum-p1", "shop-k3vq7x2mzp4a")
               .objects.deployments.size() == 1;
  }));
  kube.Shutdown();
  cache.Stop();
}

TEST_CASE("WatchCache: moves to v1beta2 when CAPI is upgraded under it") {
  CapturedLog logged;
  FakeKube kube;
  kube.ServeCapi({"v1beta1"});
  PutV1Beta2Cluster(&kube, "v1beta1");
  ApiVersionsOptions fast;
  fast.refresh = absl::ZeroDuration();  // discover at every resume
  ApiVersions versions(&kube, fast);
  status::ObjectStore store;
  WatchCache cache(&kube, status::WatchedTypes(), &store,
                   FastWatchOptions(&versions));
  cache.Start();
  REQUIRE(cache.WaitReady(absl::Seconds(5)));
  CHECK(store.Snapshot("magnum-p1", "shop-k3vq7x2mzp4a")
            .objects.deployments.at(0)
            .updated == 2);

  // CAPI v1.11+: the same objects, served in v1beta2 too.
  PutV1Beta2Cluster(&kube, "v1beta2");
  kube.ServeCapi({"v1beta2", "v1beta1"});
  CHECK(Eventually([&] {
    for (const WatchState& s : cache.States()) {
      if (s.kind == "MachineDeployment") return s.version == "v1beta2";
    }
    return false;
  }));
  CHECK(Eventually([&] {
    auto view = store.Snapshot("magnum-p1", "shop-k3vq7x2mzp4a");
    return view.objects.deployments.size() == 1 &&
           view.objects.deployments[0].updated == 1;
  }));
  CHECK(logged.Contains("a newer API version is served, relisting"));

  // CAPI v1.16: v1beta1 no longer served; still read.
  kube.ServeCapi({"v1beta2"});
  absl::SleepFor(absl::Milliseconds(50));
  for (const WatchState& s : cache.States()) {
    CAPTURE(s.kind);
    CHECK_FALSE(s.absent);
  }
  CHECK(store.Snapshot("magnum-p1", "shop-k3vq7x2mzp4a")
            .objects.deployments.size() == 1);
  kube.Shutdown();
  cache.Stop();
}

// The direct-read path of status (watch cache off or not synced) reads in
// the discovered version too, and says when it cannot discover.
TEST_CASE("StatusService: direct reads use the discovered version") {
  CapturedLog logged;
  FakeKube kube;
  kube.ServeCapi({"v1beta2", "v1beta1"});
  PutV1Beta2Cluster(&kube, "v1beta2");
  ApiVersions versions(&kube);
  rules::RenderService render(render::RenderOptions{}, [] { return 7; });
  lifecycle::OperationTimes times;
  lifecycle::StatusOptions options;
  options.versions = &versions;
  lifecycle::StatusService status(&render, &kube, nullptr, nullptr, &times,
                                  options);
  v1::GetClusterStatusRequest request;
  v1::ClusterSpec& spec = *request.mutable_spec();
  spec.mutable_cluster()->set_stack_id("shop-k3vq7x2mzp4a");
  spec.mutable_cluster()->set_uuid("8d2c1e5a-0000-4000-8000-000000000001");
  spec.mutable_cluster()->set_project_id("p1");
  v1::NodeGroup* worker = spec.add_node_groups();
  worker->set_name("default-worker");
  worker->set_role("worker");
  worker->set_node_count(2);
  request.set_current_status("UPDATE_IN_PROGRESS");

  auto got = status.Get(request);
  REQUIRE(got.ok());
  REQUIRE(got->node_groups_size() == 1);
  CHECK(got->node_groups(0).present());
  // v1beta2's upToDateReplicas (1 of 2) holds the group back.
  CHECK(got->node_groups(0).ready_nodes() == 2);
  CHECK(v1::Status_Name(got->status()) == "UPDATE_IN_PROGRESS");
  std::vector<std::string> lists = kube.lists();
  CHECK(std::count(lists.begin(), lists.end(),
                   "cluster.x-k8s.io/v1beta2/machinedeployments") == 1);
  CHECK(std::count(lists.begin(), lists.end(),
                   "controlplane.cluster.x-k8s.io/v1beta2/"
                   "kubeadmcontrolplanes") == 1);
  for (const std::string& listed : lists) {
    CHECK_THAT(listed, !Catch::Contains("cluster.x-k8s.io/v1beta1/"));
  }

  // A bridge that has not discovered yet and cannot: UNAVAILABLE.
  FakeKube unreachable;
  unreachable.FailDiscovery(absl::UnavailableError("connection refused"));
  ApiVersions unknown(&unreachable);
  options.versions = &unknown;
  lifecycle::StatusService blind(&render, &unreachable, nullptr, nullptr,
                                 &times, options);
  auto failed = blind.Get(request);
  CHECK(absl::IsUnavailable(failed.status()));
  CHECK_THAT(std::string(failed.status().message()),
             Catch::Contains("API discovery of cluster.x-k8s.io failed"));
  CHECK(unreachable.lists().empty());
}

}  // namespace
}  // namespace capi_bridge::kube
