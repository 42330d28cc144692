#include "server/helm/pending_release.h"

#include "catch2/catch.hpp"
#include "nlohmann/json.hpp"

namespace capi_bridge::helm {
namespace {

using Action = RecoveryPlan::Action;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

ReleaseRecord Revision(int revision, const char* status,
                       absl::Duration age = absl::Hours(1)) {
  ReleaseRecord record;
  record.name = "web-k3vq7x2mzp4a";
  record.revision = revision;
  record.status = status;
  record.updated = kNow - age;
  return record;
}

TEST_CASE("A release left pending is recovered once no helm can be running") {
  const absl::Duration bound = absl::Seconds(330);
  struct Row {
    const char* what;
    std::vector<ReleaseRecord> history;
    bool deleting;
    Action action;
    int rollback_to;
    std::vector<int> removed;
  };
  std::vector<Row> rows = {
      {"nothing stored", {}, false, Action::kNone, 0, {}},
      {"deployed",
       {Revision(1, "superseded"), Revision(2, "deployed")},
       false,
       Action::kNone,
       0,
       {}},
      {"failed last: helm upgrades over it itself",
       {Revision(1, "deployed"), Revision(2, "failed")},
       false,
       Action::kNone,
       0,
       {}},
      {"young pending-upgrade: a helm may run",
       {Revision(1, "deployed"),
        Revision(2, "pending-upgrade", absl::Seconds(60))},
       false,
       Action::kWait,
       0,
       {}},
      {"stale pending-upgrade: back to the deployed revision",
       {Revision(1, "superseded"), Revision(2, "deployed"),
        Revision(3, "pending-upgrade")},
       false,
       Action::kRollback,
       2,
       {}},
      {"stale pending-rollback after a failed one: the superseded revision",
       {Revision(1, "superseded"), Revision(2, "failed"),
        Revision(3, "pending-rollback")},
       false,
       Action::kRollback,
       1,
       {}},
      {"stale pending-install: records removed, install again",
       {Revision(1, "pending-install")},
       false,
       Action::kRemovePending,
       0,
       {1}},
      {"stale pending-upgrade over a failed install",
       {Revision(1, "failed"), Revision(2, "pending-upgrade")},
       false,
       Action::kRemovePending,
       0,
       {2}},
      {"uninstalling is not pending for an apply",
       {Revision(1, "uninstalling")},
       false,
       Action::kNone,
       0,
       {}},
      {"young uninstalling blocks a delete",
       {Revision(1, "uninstalling", absl::Seconds(10))},
       true,
       Action::kWait,
       0,
       {}},
      {"stale uninstalling: uninstall again",
       {Revision(1, "uninstalling")},
       true,
       Action::kUninstall,
       0,
       {}},
      {"stale pending-install before a delete: uninstall over it",
       {Revision(1, "pending-install")},
       true,
       Action::kUninstall,
       0,
       {}},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    RecoveryPlan plan = PlanRecovery(row.history, kNow, bound, row.deleting);
    CHECK(plan.action == row.action);
    CHECK(plan.rollback_to == row.rollback_to);
    CHECK(plan.pending_revisions == row.removed);
  }
}

TEST_CASE("A pending release says when it may be recovered") {
  auto history = std::vector<ReleaseRecord>{
      Revision(1, "deployed"),
      Revision(2, "pending-upgrade", absl::Seconds(100))};
  RecoveryPlan plan =
      PlanRecovery(history, kNow, absl::Seconds(330), /*deleting=*/false);
  REQUIRE(plan.action == Action::kWait);
  CHECK(plan.from == "pending-upgrade");
  CHECK(plan.pending_revision == 2);
  CHECK(plan.recoverable_at == kNow + absl::Seconds(230));
  // The bridge that killed its own helm does not wait.
  plan = PlanRecovery(history, kNow, absl::ZeroDuration(), false);
  CHECK(plan.action == Action::kRollback);
  CHECK(DescribeRecovery(plan) ==
        "release web-k3vq7x2mzp4a was left pending-upgrade at revision 2 by "
        "an interrupted helm; rolled back to revision 1");
}

TEST_CASE("A release record's time comes from helm's own marks") {
  nlohmann::json release = {
      {"name", "web"},
      {"version", 3},
      {"info",
       {{"status", "pending-upgrade"},
        {"last_deployed", "2026-11-27T10:00:00.123456789Z"},
        {"deleted", ""}}},
      {"chart", {{"metadata", {{"name", "openstack-cluster"}}}}},
      {"config", nlohmann::json::object()}};
  nlohmann::json secret = {
      {"metadata",
       {{"name", "sh.helm.release.v1.web.v3"},
        {"creationTimestamp", "2026-11-27T09:00:00Z"},
        {"labels", {{"status", "pending-upgrade"}}}}},
      {"data", {{"release", EncodeReleasePayload(release)}}}};
  auto record = DecodeReleaseSecret(secret);
  REQUIRE(record.ok());
  absl::Time expected;
  std::string error;
  REQUIRE(absl::ParseTime(absl::RFC3339_full, "2026-11-27T10:00:00.123456789Z",
                          &expected, &error));
  CHECK(record->updated == expected);
  // helm's modifiedAt label wins when present.
  secret["metadata"]["labels"]["modifiedAt"] = "1764237600";
  record = DecodeReleaseSecret(secret);
  REQUIRE(record.ok());
  CHECK(record->updated == absl::FromUnixSeconds(1764237600));
  // Uninstalling: the deletion time.
  release["info"]["status"] = "uninstalling";
  release["info"]["deleted"] = "2026-11-27T11:00:00Z";
  secret["data"]["release"] = EncodeReleasePayload(release);
  secret["metadata"]["labels"].erase("modifiedAt");
  record = DecodeReleaseSecret(secret);
  REQUIRE(record.ok());
  REQUIRE(absl::ParseTime(absl::RFC3339_full, "2026-11-27T11:00:00Z", &expected,
                          &error));
  CHECK(record->updated == expected);
}

TEST_CASE("a release Secret of the wrong shape is unreadable, not a crash",
          "[hostile]") {
  for (const char* text :
       {R"({"data": {"release": 5}})", R"({"data": [1]})", R"([1, 2])",
        R"({"metadata": {"name": 7}, "data": {"release": "!!"}})",
        R"({"metadata": "x", "data": {"release": "SGVsbG8="}})"}) {
    INFO(text);
    CHECK_FALSE(DecodeReleaseSecret(nlohmann::json::parse(text)).ok());
  }
}

}  // namespace
}  // namespace capi_bridge::helm
