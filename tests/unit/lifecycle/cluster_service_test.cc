// ClusterService's verbs on fakes of the management cluster and helm: what
// they write, in which order, what they refuse, and that the per-cluster
// lock and Lease are released on every path.
#include "server/lifecycle/cluster_service.h"

#include <catch2/catch.hpp>
#include <thread>

#include "server/lifecycle/cluster_leases.h"
#include "server/rules/cluster_objects.h"
#include "server/util/kube_time.h"
#include "tests/unit/fakes/fake_helm_runner.h"
#include "tests/unit/fakes/fake_kube_client.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;
using testing::FakeHelmRunner;
using testing::FakeKubeClient;

constexpr char kNamespace[] = "magnum-4b0d7e21c9a84f5f8e6d2a1c3b9f0e77";

LifecycleOptions Options() {
  LifecycleOptions options;
  options.chart.repo = "https://charts.example.invalid";
  options.chart.name = "openstack-cluster";
  options.leases.identity = "replica-a";
  options.leases.duration = absl::Seconds(30);
  return options;
}

struct Rig {
  FakeKubeClient kube;
  FakeHelmRunner helm{&kube};
  rules::RenderService render{render::RenderOptions{},
                              [] { return uint64_t{42}; }};
  ClusterService service{&render, &kube, &helm, Options(),
                         [](size_t n) { return std::string(n, 'k'); }};
};

v1::CreateClusterRequest CreateRequest(
    v1::ClusterSpec spec = testing::StandardSpec()) {
  v1::CreateClusterRequest request;
  *request.mutable_spec() = std::move(spec);
  request.mutable_credential()->set_application_credential_id("cred-1");
  request.mutable_credential()->set_application_credential_secret("s3cret");
  return request;
}

v1::UpdateClusterRequest UpdateRequest(
    v1::ClusterSpec spec = testing::StandardSpec()) {
  v1::UpdateClusterRequest request;
  *request.mutable_spec() = std::move(spec);
  return request;
}

v1::ClusterSpec OtherCluster() {
  v1::ClusterSpec spec = testing::StandardSpec();
  spec.mutable_cluster()->set_uuid("1a2b3c4d-0000-4000-8000-000000000002");
  spec.mutable_cluster()->set_name("other");
  spec.mutable_cluster()->set_stack_id("other-abcdefghijkl");
  return spec;
}

// Who holds the cluster's Lease ("" when nobody does or it is gone).
std::string LeaseHolder(const FakeKubeClient& kube, const std::string& uuid) {
  auto lease = kube.Object("leases", kNamespace, LeaseName(uuid));
  if (!lease) return "";
  return lease->value("/spec/holderIdentity"_json_pointer, std::string());
}

int Count(const FakeKubeClient& kube, const std::string& method,
          const std::string& plural) {
  int n = 0;
  for (const auto& call : kube.Calls()) {
    if (call.method == method && call.plural == plural) ++n;
  }
  return n;
}

const std::string kUuid = testing::StandardSpec().cluster().uuid();

TEST_CASE("create writes the namespace and Secrets, then runs helm once",
          "[cluster_service]") {
  Rig rig;
  auto reply = rig.service.Create(CreateRequest());
  REQUIRE(reply.ok());
  CHECK(reply->release_name() == testing::kRelease);
  CHECK(reply->namespace_() == kNamespace);
  CHECK(rig.kube.Object("namespaces", "", kNamespace).has_value());
  auto credentials =
      rig.kube.Object("secrets", kNamespace,
                      std::string(testing::kRelease) + "-cloud-credentials");
  REQUIRE(credentials.has_value());
  CHECK((*credentials)["metadata"]["labels"][rules::kClusterUuidLabel] ==
        kUuid);

  auto upgrades = rig.helm.Upgrades();
  REQUIRE(upgrades.size() == 1);
  CHECK(upgrades[0].release == testing::kRelease);
  CHECK(upgrades[0].namespace_name == kNamespace);
  CHECK(upgrades[0].chart.name == "openstack-cluster");
  CHECK(upgrades[0].chart.version == reply->chart_version());
  CHECK(json::parse(upgrades[0].values_json).is_object());
  // The Lease was taken before anything was written and let go after.
  CHECK(Count(rig.kube, "Create", "leases") +
            Count(rig.kube, "Replace", "leases") >=
        2);
  CHECK(LeaseHolder(rig.kube, kUuid).empty());
}

TEST_CASE("the same spec again leaves helm alone", "[cluster_service]") {
  Rig rig;
  REQUIRE(rig.service.Create(CreateRequest()).ok());
  auto again = rig.service.Update(UpdateRequest());
  REQUIRE(again.ok());
  CHECK(again->unchanged());
  CHECK(rig.helm.Upgrades().size() == 1);

  // A changed count is applied as a second revision.
  v1::ClusterSpec bigger = testing::StandardSpec();
  bigger.mutable_node_groups(1)->set_node_count(5);
  auto changed = rig.service.Update(UpdateRequest(bigger));
  REQUIRE(changed.ok());
  CHECK_FALSE(changed->unchanged());
  CHECK(rig.helm.Upgrades().size() == 2);
}

TEST_CASE("a spec that does not validate writes nothing", "[cluster_service]") {
  Rig rig;
  // The project's first cluster: its namespace does not exist, which the
  // API server says when the Lease is created in it.
  rig.kube.FailNext("Create", "leases",
                    absl::NotFoundError("namespaces not found"));
  v1::ClusterSpec spec = testing::StandardSpec();
  (*spec.mutable_cluster()->mutable_labels())["boot_volume_size"] = "lots";
  auto reply = rig.service.Create(CreateRequest(spec));
  REQUIRE(absl::IsInvalidArgument(reply.status()));
  CHECK_THAT(std::string(reply.status().message()),
             Catch::Contains("boot_volume_size"));
  for (const auto& call : rig.kube.Calls()) {
    CHECK((call.method == "Get" || call.method == "List" ||
           (call.method == "Create" && call.plural == "leases")));
  }
  CHECK(rig.kube.Names("namespaces", "").empty());
  CHECK(rig.kube.Names("leases", kNamespace).empty());
  CHECK(rig.helm.Upgrades().empty());
}

TEST_CASE(
    "a helm failure reaches the caller with its code; lock and Lease "
    "are released",
    "[cluster_service]") {
  for (absl::Status failure :
       {absl::UnavailableError("connection refused"),
        absl::AbortedError("another operation is in progress"),
        absl::FailedPreconditionError("chart refused the values"),
        absl::NotFoundError("chart version 9.9.9 not found")}) {
    DYNAMIC_SECTION(failure.ToString()) {
      Rig rig;
      rig.helm.FailNext("UpgradeInstall", failure);
      auto reply = rig.service.Create(CreateRequest());
      CHECK(reply.status().code() == failure.code());
      CHECK_THAT(std::string(reply.status().message()),
                 Catch::Contains(std::string(failure.message())));
      CHECK(LeaseHolder(rig.kube, kUuid).empty());
      CHECK(rig.service.InFlight() == 0);
      // Nothing stays locked: the retry goes through.
      CHECK(rig.service.Create(CreateRequest()).ok());
    }
  }
}

TEST_CASE("a Secret that cannot be written stops the verb before helm",
          "[cluster_service]") {
  Rig rig;
  rig.kube.FailNext("Apply", "secrets",
                    absl::UnavailableError("etcdserver: request timed out"));
  auto reply = rig.service.Create(CreateRequest());
  CHECK(absl::IsUnavailable(reply.status()));
  CHECK(rig.helm.Upgrades().empty());
  CHECK(LeaseHolder(rig.kube, kUuid).empty());
  CHECK(rig.service.InFlight() == 0);
}

TEST_CASE("an unreachable management cluster applies nothing",
          "[cluster_service]") {
  Rig rig;
  rig.kube.FailNext("*", "*", absl::UnavailableError("no route to host"), 1000);
  auto reply = rig.service.Create(CreateRequest());
  CHECK(absl::IsUnavailable(reply.status()));
  CHECK(rig.helm.Upgrades().empty());
  CHECK(rig.kube.Names("secrets", kNamespace).empty());
}

TEST_CASE("one verb per cluster; other clusters proceed beside it",
          "[cluster_service]") {
  Rig rig;
  rig.helm.HoldUpgrades();
  absl::StatusOr<v1::OperationResponse> first, other;
  std::thread a([&] { first = rig.service.Create(CreateRequest()); });
  rig.helm.AwaitHeld(1);
  // Same cluster while the first verb is in helm: refused, nothing written.
  const int writes = rig.kube.Writes();
  auto second = rig.service.Update(UpdateRequest());
  CHECK(absl::IsAborted(second.status()));
  CHECK(rig.kube.Writes() == writes);
  // Another cluster reaches helm while the first is still there.
  std::thread b(
      [&] { other = rig.service.Create(CreateRequest(OtherCluster())); });
  rig.helm.AwaitHeld(2);
  rig.helm.ReleaseUpgrades();
  a.join();
  b.join();
  CHECK(first.ok());
  CHECK(other.ok());
  CHECK(rig.helm.Upgrades().size() == 2);
  CHECK(LeaseHolder(rig.kube, kUuid).empty());
}

TEST_CASE("another replica's Lease refuses the verb", "[cluster_service]") {
  Rig rig;
  rig.kube.Put(
      kube::kinds::kLease,
      {{"metadata",
        {{"name", LeaseName(kUuid)},
         {"namespace", kNamespace},
         {"annotations",
          {{"capi-bridge.magnum.openstack.org/verb", "UpgradeCluster"}}}}},
       {"spec",
        {{"holderIdentity", "replica-b"},
         {"leaseDurationSeconds", 30},
         {"acquireTime", util::KubeMicroTime(absl::Now())},
         {"renewTime", util::KubeMicroTime(absl::Now())}}}});
  auto reply = rig.service.Update(UpdateRequest());
  REQUIRE(absl::IsAborted(reply.status()));
  CHECK_THAT(std::string(reply.status().message()),
             Catch::Contains("replica-b"));
  CHECK(rig.helm.Upgrades().empty());
  CHECK(LeaseHolder(rig.kube, kUuid) == "replica-b");
  CHECK(rig.service.InFlight() == 0);
}

TEST_CASE("too little of the caller's deadline left applies nothing",
          "[cluster_service]") {
  Rig rig;
  auto reply =
      rig.service.Create(CreateRequest(), absl::Now() + absl::Seconds(1));
  CHECK(absl::IsDeadlineExceeded(reply.status()));
  CHECK(rig.kube.Writes() == 0);
  CHECK(rig.helm.Upgrades().empty());
}

TEST_CASE("delete uninstalls the release and lets the Lease go",
          "[cluster_service]") {
  Rig rig;
  REQUIRE(rig.service.Create(CreateRequest()).ok());
  v1::DeleteClusterRequest request;
  *request.mutable_spec() = testing::StandardSpec();
  auto reply = rig.service.Delete(request);
  REQUIRE(reply.ok());
  CHECK(rig.helm.Uninstalls() ==
        std::vector<std::string>{std::string(kNamespace) + "/" +
                                 testing::kRelease});
  CHECK(LeaseHolder(rig.kube, kUuid).empty());

  // A failed uninstall is the caller's error, and nothing stays locked.
  Rig failing;
  REQUIRE(failing.service.Create(CreateRequest()).ok());
  failing.helm.FailNext("Uninstall", absl::UnavailableError("helm: timeout"));
  CHECK(absl::IsUnavailable(failing.service.Delete(request).status()));
  CHECK(LeaseHolder(failing.kube, kUuid).empty());
  CHECK(failing.service.Delete(request).ok());
}

TEST_CASE("every verb renders its values once", "[cluster_service][pipeline]") {
  Rig rig;
  uint64_t before = rig.render.renders();
  REQUIRE(rig.service.Create(CreateRequest()).ok());
  CHECK(rig.render.renders() - before == 1);

  before = rig.render.renders();
  REQUIRE(rig.service.Update(UpdateRequest()).ok());
  CHECK(rig.render.renders() - before == 1);

  // A template without a chart version keeps the deployed one: still once.
  v1::ClusterSpec bigger = testing::StandardSpec();
  bigger.mutable_node_groups(1)->set_node_count(5);
  before = rig.render.renders();
  REQUIRE(rig.service.Update(UpdateRequest(bigger)).ok());
  CHECK(rig.render.renders() - before == 1);

  v1::DiffClusterRequest diff;
  *diff.mutable_spec() = testing::StandardSpec();
  before = rig.render.renders();
  REQUIRE(rig.service.Diff(diff).ok());
  CHECK(rig.render.renders() - before == 1);
}

TEST_CASE("a bad spec in an existing namespace writes only the Lease",
          "[cluster_service][pipeline]") {
  Rig rig;
  rig.kube.Put(kube::kinds::kNamespace, {{"apiVersion", "v1"},
                                         {"kind", "Namespace"},
                                         {"metadata", {{"name", kNamespace}}}});
  v1::ClusterSpec spec = testing::StandardSpec();
  (*spec.mutable_cluster()->mutable_labels())["boot_volume_size"] = "lots";
  auto reply = rig.service.Create(CreateRequest(spec));
  REQUIRE(absl::IsInvalidArgument(reply.status()));
  for (const auto& call : rig.kube.Calls()) {
    if (call.method == "Get" || call.method == "List") continue;
    CHECK(call.plural == "leases");
  }
  CHECK(rig.helm.Upgrades().empty());
  CHECK(LeaseHolder(rig.kube, kUuid).empty());
  CHECK(rig.service.InFlight() == 0);
}

}  // namespace
}  // namespace capi_bridge::lifecycle
