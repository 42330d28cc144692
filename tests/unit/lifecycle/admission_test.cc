// Admit: the one scope a verb holds. The lock and the Lease are let go
// when the scope ends, whatever path the verb took; a missing namespace
// defers the Lease instead of failing.
#include "server/lifecycle/admission.h"

#include <catch2/catch.hpp>

#include "server/lifecycle/cluster_leases.h"
#include "tests/unit/fakes/fake_kube_client.h"

namespace capi_bridge::lifecycle {
namespace {

using testing::FakeKubeClient;

constexpr char kNs[] = "magnum-p1";
constexpr char kUuid[] = "u1";

LeaseOptions Leases() {
  LeaseOptions options;
  options.identity = "replica-a";
  options.duration = absl::Seconds(30);
  return options;
}

std::string Holder(const FakeKubeClient& kube) {
  auto lease = kube.Object("leases", kNs, LeaseName(kUuid));
  if (!lease) return "";
  return lease->value("/spec/holderIdentity"_json_pointer, std::string());
}

AdmitRequest Request(absl::Time deadline = absl::InfiniteFuture()) {
  return {"UpdateCluster", kUuid, kNs, deadline, "nothing was applied"};
}

TEST_CASE("Admit holds the lock and the Lease until the scope ends",
          "[admission]") {
  FakeKubeClient kube;
  kube.Put(kube::kinds::kNamespace, {{"metadata", {{"name", kNs}}}});
  Admission admission(&kube, Leases(), absl::Seconds(5));
  {
    auto scope = admission.Admit(Request());
    REQUIRE(scope.ok());
    CHECK_FALSE((*scope)->lease_deferred());
    CHECK(admission.InFlight() == 1);
    CHECK(Holder(kube) == "replica-a");
    // A second verb on the same cluster is refused while the first runs.
    auto second = admission.Admit(Request());
    CHECK(absl::IsAborted(second.status()));
  }
  CHECK(admission.InFlight() == 0);
  CHECK(Holder(kube).empty());
  CHECK(admission.Admit(Request()).ok());
}

TEST_CASE("Admit refuses before taking anything", "[admission]") {
  FakeKubeClient kube;
  Admission admission(&kube, Leases(), absl::Seconds(5));
  AdmitRequest no_uuid = Request();
  no_uuid.uuid.clear();
  CHECK(absl::IsInvalidArgument(admission.Admit(no_uuid).status()));
  auto late = admission.Admit(Request(absl::Now() + absl::Seconds(1)));
  REQUIRE(absl::IsDeadlineExceeded(late.status()));
  CHECK_THAT(std::string(late.status().message()),
             Catch::Contains("nothing was applied"));
  CHECK(kube.Calls().empty());
  CHECK(admission.InFlight() == 0);
}

TEST_CASE("a Lease error lets the lock go", "[admission]") {
  FakeKubeClient kube;
  kube.Put(kube::kinds::kNamespace, {{"metadata", {{"name", kNs}}}});
  kube.FailNext("*", "leases", absl::UnavailableError("no route"), 10);
  Admission admission(&kube, Leases(), absl::Seconds(5));
  CHECK(absl::IsUnavailable(admission.Admit(Request()).status()));
  CHECK(admission.InFlight() == 0);
}

TEST_CASE("a missing namespace defers the Lease until it is written",
          "[admission]") {
  FakeKubeClient kube;
  // What the API server answers for an object in a missing namespace.
  kube.FailNext("Create", "leases",
                absl::NotFoundError("namespaces \"magnum-p1\" not found"));
  Admission admission(&kube, Leases(), absl::Seconds(5));
  auto scope = admission.Admit(Request());
  REQUIRE(scope.ok());
  CHECK((*scope)->lease_deferred());
  CHECK(Holder(kube).empty());
  REQUIRE((*scope)->TakeDeferredLease().ok());
  CHECK_FALSE((*scope)->lease_deferred());
  CHECK(Holder(kube) == "replica-a");
  scope->reset();
  CHECK(Holder(kube).empty());
}

TEST_CASE("without Leases, Admit serialises within the process only",
          "[admission]") {
  FakeKubeClient kube;
  LeaseOptions off;
  off.duration = absl::ZeroDuration();
  Admission admission(&kube, off, absl::Seconds(5));
  auto scope = admission.Admit(Request());
  REQUIRE(scope.ok());
  CHECK(kube.Calls().empty());
  CHECK(absl::IsAborted(admission.Admit(Request()).status()));
}

}  // namespace
}  // namespace capi_bridge::lifecycle
