// ReleaseObserver (the Observe stage) on fakes of the management cluster
// and helm: what it reports of a release with no history, a deployed one,
// a failed one, one another driver wrote, and the recovery it makes of a
// release an interrupted helm left pending (roll back, remove the pending
// records, wait with ABORTED, or leave it to an uninstall), counted and
// described; that a read-only Observe writes nothing; and the reply after
// this bridge's helm was killed at its deadline.
#include "server/lifecycle/release_observer.h"

#include <catch2/catch.hpp>

#include "server/rules/cluster_objects.h"
#include "tests/unit/lifecycle/release_records.h"

namespace capi_bridge::lifecycle {
namespace {

using testing::PutHistory;
using testing::Revision;
using testing::StoredStatuses;
using Rig = testing::ObserverRig;

constexpr const char* kNs = testing::kObservedNs;
constexpr const char* kRelease = testing::kObservedRelease;
constexpr char kUuid[] = "0c5e1d2a-9b8f-4e7d-8a6b-5c4d3e2f1a0b";

// A mark no helm can still be working on (older than RunBound).
const absl::Time kStale = absl::Now() - absl::Hours(2);
// Revision 1 deployed, revision 2 marked pending-upgrade just now: a helm
// may still be applying it.
void PutUpgradeJustStarted(Rig& rig) {
  PutHistory(rig.kube, kRelease, kNs,
             {{1, "deployed"}, {2, "pending-upgrade", "0.27.1", absl::Now()}});
}

nlohmann::json ClusterSecret(const std::string& name, const std::string& uuid,
                             const std::string& release) {
  return {{"metadata",
           {{"name", name},
            {"namespace", kNs},
            {"labels",
             {{rules::kClusterUuidLabel, uuid},
              {rules::kClusterNameLabel, release}}}}}};
}

TEST_CASE(
    "observe: a release with nothing pending is reported as stored, its "
    "newest revision the deployed one, nothing recovered",
    "[release_observer]") {
  struct Row {
    const char* what;
    std::vector<Revision> history;
    int deployed;  // 0: none
    const char* status;
    const char* chart;
  };
  const std::vector<Row> rows = {
      {"no release yet", {}, 0, "", ""},
      {"deployed, revisions in any order",
       {{1, "superseded", "0.26.0"},
        {3, "deployed", "0.27.1"},
        {2, "superseded", "0.27.0"}},
       3,
       "deployed",
       "0.27.1"},
      {"failed last: helm upgrades over it",
       {{1, "deployed", "0.27.0"}, {2, "failed", "0.27.1", kStale}},
       2,
       "failed",
       "0.27.1"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.what) {
      Rig rig;
      PutHistory(rig.kube, kRelease, kNs, row.history);
      auto observed = rig.observer.Observe(kRelease, kNs, /*recover=*/true,
                                           /*deleting=*/false);
      REQUIRE(observed.ok());
      CHECK(observed->release == kRelease);
      CHECK(observed->ns == kNs);
      CHECK(observed->history.size() == row.history.size());
      CHECK(observed->deployed.has_value() == (row.deployed != 0));
      if (observed->deployed.has_value()) {
        CHECK(observed->deployed->revision == row.deployed);
        CHECK(observed->deployed->status == row.status);
      }
      CHECK(observed->DeployedChartVersion() == row.chart);
      CHECK(observed->recovery.empty());
      CHECK(rig.Untouched());
    }
  }
}

TEST_CASE(
    "observe: a stale pending-upgrade or pending-rollback is rolled back to "
    "the last deployed revision, counted and described",
    "[release_observer]") {
  for (const char* pending : {"pending-upgrade", "pending-rollback"}) {
    DYNAMIC_SECTION(pending) {
      Rig rig;
      PutHistory(rig.kube, kRelease, kNs,
                 {{1, "superseded", "0.26.0"},
                  {2, "deployed", "0.27.0"},
                  {3, pending, "0.27.1", kStale}});
      auto observed = rig.observer.Observe(kRelease, kNs, true, false);
      REQUIRE(observed.ok());
      CHECK(rig.helm.Rollbacks() ==
            std::vector<std::string>{std::string(kNs) + "/" + kRelease +
                                     " to 2"});
      CHECK_THAT(observed->recovery, Catch::Contains(pending) &&
                                         Catch::Contains("revision 3") &&
                                         Catch::Contains("rolled back to "
                                                         "revision 2"));
      CHECK(rig.recoveries.Read() ==
            std::map<std::string, uint64_t>{{pending, 1}});
      // The history was read again after the rollback.
      CHECK(observed->history.size() == 4);
      REQUIRE(observed->deployed.has_value());
      CHECK(observed->deployed->revision == 4);
      CHECK(observed->deployed->status == "deployed");
      CHECK(observed->DeployedChartVersion() == "0.27.0");
    }
  }
}

TEST_CASE(
    "observe: a stale pending-install is removed so the release installs "
    "afresh",
    "[release_observer]") {
  Rig rig;
  PutHistory(rig.kube, kRelease, kNs,
             {{1, "pending-install", "0.27.0", kStale}});
  auto observed = rig.observer.Observe(kRelease, kNs, true, false);
  REQUIRE(observed.ok());
  CHECK(rig.helm.Rollbacks().empty());
  CHECK(StoredStatuses(rig.kube, kRelease, kNs).empty());
  CHECK(observed->history.empty());
  CHECK_FALSE(observed->deployed.has_value());
  CHECK_THAT(observed->recovery,
             Catch::Contains("pending-install") && Catch::Contains("removed"));
  CHECK(rig.recoveries.Read() ==
        std::map<std::string, uint64_t>{{"pending-install", 1}});
  // Only the pending record was deleted.
  for (const auto& call : rig.kube.Calls()) {
    if (call.method == "List") continue;
    CHECK(call.method == "Delete");
    CHECK(call.name == std::string("sh.helm.release.v1.") + kRelease + ".v1");
  }
}

TEST_CASE(
    "observe: a young pending mark is ABORTED, saying when it becomes "
    "recoverable; nothing is written",
    "[release_observer]") {
  Rig rig;
  PutUpgradeJustStarted(rig);
  auto observed = rig.observer.Observe(kRelease, kNs, true, false);
  REQUIRE(absl::IsAborted(observed.status()));
  CHECK_THAT(std::string(observed.status().message()),
             Catch::Contains(kRelease) && Catch::Contains("pending-upgrade") &&
                 Catch::Contains("revision 2") && Catch::Contains("retry"));
  CHECK(rig.Untouched());
}

TEST_CASE(
    "observe: a stale pending mark this bridge's helm is still working on is "
    "ABORTED, not recovered",
    "[release_observer]") {
  Rig rig;
  rig.helm.running = true;
  PutHistory(rig.kube, kRelease, kNs,
             {{1, "deployed"}, {2, "pending-upgrade", "0.27.1", kStale}});
  auto observed = rig.observer.Observe(kRelease, kNs, true, false);
  CHECK(absl::IsAborted(observed.status()));
  CHECK(rig.Untouched());
}

TEST_CASE("observe: without recover only reads, even a stale pending mark",
          "[release_observer]") {
  Rig rig;
  PutHistory(rig.kube, kRelease, kNs,
             {{1, "deployed"}, {2, "pending-upgrade", "0.27.1", kStale}});
  auto observed = rig.observer.Observe(kRelease, kNs, /*recover=*/false,
                                       /*deleting=*/false);
  REQUIRE(observed.ok());
  CHECK(observed->recovery.empty());
  REQUIRE(observed->deployed.has_value());
  CHECK(observed->deployed->status == "pending-upgrade");
  CHECK(rig.Untouched());
}

TEST_CASE(
    "observe: for a delete, a stale uninstalling mark is left to the "
    "uninstall",
    "[release_observer]") {
  Rig rig;
  PutHistory(rig.kube, kRelease, kNs, {{1, "uninstalling", "0.27.0", kStale}});
  auto observed = rig.observer.Observe(kRelease, kNs, true, /*deleting=*/true);
  REQUIRE(observed.ok());
  CHECK_THAT(observed->recovery, Catch::Contains("uninstalled over it"));
  CHECK(rig.kube.Writes() == 0);
  CHECK(rig.helm.Rollbacks().empty());
  CHECK(observed->history.size() == 1);
  CHECK(rig.recoveries.Read() ==
        std::map<std::string, uint64_t>{{"uninstalling", 1}});

  // An apply does not take uninstalling for pending.
  Rig apply;
  PutHistory(apply.kube, kRelease, kNs,
             {{1, "uninstalling", "0.27.0", kStale}});
  auto applying = apply.observer.Observe(kRelease, kNs, true, false);
  REQUIRE(applying.ok());
  CHECK(applying->recovery.empty());
}

TEST_CASE("observe: a failed recovery is the verb's error, saying so",
          "[release_observer]") {
  Rig rig;
  rig.helm.FailNext("Rollback", absl::UnavailableError("connection refused"));
  PutHistory(rig.kube, kRelease, kNs,
             {{1, "deployed"}, {2, "pending-upgrade", "0.27.1", kStale}});
  auto observed = rig.observer.Observe(kRelease, kNs, true, false);
  REQUIRE(absl::IsUnavailable(observed.status()));
  CHECK_THAT(std::string(observed.status().message()),
             Catch::StartsWith(std::string("recovering release ") + kRelease) &&
                 Catch::Contains("pending-upgrade") &&
                 Catch::Contains("connection refused"));
  CHECK(rig.recoveries.Read().empty());
}

TEST_CASE(
    "observe: an unreadable revision is skipped; an unreadable history is "
    "the verb's error",
    "[release_observer]") {
  Rig rig;
  PutHistory(rig.kube, kRelease, kNs, {{1, "deployed"}});
  nlohmann::json broken = testing::ReleaseSecret(kRelease, kNs, {2});
  broken["data"]["release"] = "not base64 at all!";
  rig.kube.Put(kube::kinds::kSecret, broken);
  auto observed = rig.observer.Observe(kRelease, kNs, true, false);
  REQUIRE(observed.ok());
  CHECK(observed->history.size() == 1);
  CHECK(observed->deployed->revision == 1);

  rig.kube.FailNext("List", "secrets", absl::UnavailableError("no route"));
  CHECK(absl::IsUnavailable(
      rig.observer.Observe(kRelease, kNs, true, false).status()));
}

TEST_CASE(
    "observe: a release another driver wrote is observed like the bridge's "
    "own, its description kept (adoption)",
    "[release_observer]") {
  Rig rig;
  Revision theirs{1, "deployed", "0.24.0"};
  theirs.description = "Install complete";
  theirs.values = {{"kubernetesVersion", "1.29.4"}};
  PutHistory(rig.kube, kRelease, kNs, {theirs});
  auto observed = rig.observer.Observe(kRelease, kNs, true, false);
  REQUIRE(observed.ok());
  REQUIRE(observed->deployed.has_value());
  CHECK(observed->deployed->description == "Install complete");
  CHECK(observed->deployed->values == theirs.values);
  CHECK(observed->DeployedChartVersion() == "0.24.0");
  CHECK(rig.kube.Writes() == 0);
}

TEST_CASE(
    "existing release: the one this cluster's Secrets name, never another "
    "cluster's",
    "[release_observer]") {
  Rig rig;
  auto none = rig.observer.ExistingReleaseOf(kUuid, kNs);
  REQUIRE(none.ok());
  CHECK(none->empty());

  // Another cluster of the same project: its release is not this one's.
  rig.kube.Put(kube::kinds::kSecret,
               ClusterSecret("other-cloud-credentials",
                             "9f8e7d6c-0000-4000-8000-000000000009",
                             "other-abcdefghijkl"));
  auto still_none = rig.observer.ExistingReleaseOf(kUuid, kNs);
  REQUIRE(still_none.ok());
  CHECK(still_none->empty());

  // A create whose reply was lost left this cluster's Secrets.
  rig.kube.Put(kube::kinds::kSecret,
               ClusterSecret(std::string(kRelease) + "-cloud-credentials",
                             kUuid, kRelease));
  auto found = rig.observer.ExistingReleaseOf(kUuid, kNs);
  REQUIRE(found.ok());
  CHECK(*found == kRelease);
  CHECK(rig.kube.Writes() == 0);

  rig.kube.FailNext("List", "secrets", absl::UnavailableError("no route"));
  CHECK(
      absl::IsUnavailable(rig.observer.ExistingReleaseOf(kUuid, kNs).status()));
}

TEST_CASE(
    "after a killed helm: what it left pending is recovered at once and the "
    "reply is DEADLINE_EXCEEDED saying so",
    "[release_observer]") {
  Rig rig;
  // Just started: only this bridge knows its helm is dead.
  PutUpgradeJustStarted(rig);
  absl::Status reply = rig.observer.AfterKilledHelm(
      kRelease, kNs, absl::DeadlineExceededError("helm killed after 5m0s"));
  REQUIRE(absl::IsDeadlineExceeded(reply));
  CHECK_THAT(std::string(reply.message()),
             Catch::StartsWith("helm killed after 5m0s; ") &&
                 Catch::Contains("rolled back to revision 1") &&
                 Catch::EndsWith("the verb was not applied: retry it"));
  CHECK(rig.helm.Rollbacks().size() == 1);
  CHECK(rig.recoveries.Read() ==
        std::map<std::string, uint64_t>{{"pending-upgrade", 1}});

  // Nothing left pending: the reply says only that it was not applied.
  Rig clean;
  PutHistory(clean.kube, kRelease, kNs, {{1, "deployed"}});
  absl::Status plain = clean.observer.AfterKilledHelm(
      kRelease, kNs, absl::DeadlineExceededError("helm killed"));
  CHECK(absl::IsDeadlineExceeded(plain));
  CHECK(std::string(plain.message()) ==
        "helm killed; the verb was not applied: retry it");

  // An unreadable history is named, still DEADLINE_EXCEEDED.
  Rig unreachable;
  unreachable.kube.FailNext("List", "secrets",
                            absl::UnavailableError("no route to host"));
  absl::Status blind = unreachable.observer.AfterKilledHelm(
      kRelease, kNs, absl::DeadlineExceededError("helm killed"));
  CHECK(absl::IsDeadlineExceeded(blind));
  CHECK_THAT(std::string(blind.message()),
             Catch::Contains("its history is unreadable: no route to host"));

  // A failed recovery is named too.
  Rig failing;
  failing.helm.FailNext("Rollback", absl::UnavailableError("refused"));
  PutUpgradeJustStarted(failing);
  absl::Status failed = failing.observer.AfterKilledHelm(
      kRelease, kNs, absl::DeadlineExceededError("helm killed"));
  CHECK(absl::IsDeadlineExceeded(failed));
  CHECK_THAT(std::string(failed.message()),
             Catch::Contains("recovery failed: recovering release"));
}

}  // namespace
}  // namespace capi_bridge::lifecycle
