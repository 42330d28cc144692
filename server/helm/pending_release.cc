#include "server/helm/pending_release.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace capi_bridge::helm {

bool IsPendingStatus(const std::string& status) {
  return status == "pending-install" || status == "pending-upgrade" ||
         status == "pending-rollback";
}

RecoveryPlan PlanRecovery(const std::vector<ReleaseRecord>& history,
                          absl::Time now, absl::Duration stale_after,
                          bool deleting) {
  RecoveryPlan plan;
  if (history.empty()) return plan;
  const ReleaseRecord* latest = &history.front();
  for (const ReleaseRecord& record : history) {
    if (record.revision > latest->revision) latest = &record;
  }
  const bool pending = IsPendingStatus(latest->status) ||
                       (deleting && latest->status == "uninstalling");
  if (!pending) return plan;
  plan.release = latest->name;
  plan.from = latest->status;
  plan.pending_revision = latest->revision;
  // A revision whose time is unreadable is treated as old: nothing but an
  // interrupted helm leaves such a record, and waiting would never end.
  plan.recoverable_at = latest->updated == absl::InfinitePast()
                            ? absl::InfinitePast()
                            : latest->updated + stale_after;
  if (now < plan.recoverable_at) {
    plan.action = RecoveryPlan::Action::kWait;
    return plan;
  }
  if (deleting) {
    plan.action = RecoveryPlan::Action::kUninstall;
    return plan;
  }
  // Return to the newest revision that was live: deployed, else (after an
  // earlier failed rollback) superseded.
  int deployed = 0, superseded = 0;
  for (const ReleaseRecord& record : history) {
    if (record.revision >= latest->revision) continue;
    if (record.status == "deployed") {
      deployed = std::max(deployed, record.revision);
    } else if (record.status == "superseded") {
      superseded = std::max(superseded, record.revision);
    }
  }
  plan.rollback_to = deployed != 0 ? deployed : superseded;
  if (plan.rollback_to != 0) {
    plan.action = RecoveryPlan::Action::kRollback;
    return plan;
  }
  plan.action = RecoveryPlan::Action::kRemovePending;
  for (const ReleaseRecord& record : history) {
    if (IsPendingStatus(record.status)) {
      plan.pending_revisions.push_back(record.revision);
    }
  }
  std::sort(plan.pending_revisions.begin(), plan.pending_revisions.end());
  return plan;
}

std::string DescribeRecovery(const RecoveryPlan& plan) {
  std::string found = absl::StrCat(
      "release ", plan.release, " was left ", plan.from, " at revision ",
      plan.pending_revision, " by an interrupted helm; ");
  switch (plan.action) {
    case RecoveryPlan::Action::kRollback:
      return absl::StrCat(found, "rolled back to revision ", plan.rollback_to);
    case RecoveryPlan::Action::kRemovePending:
      return absl::StrCat(found, "it had no deployed revision, so its ",
                          plan.pending_revisions.size() == 1
                              ? "pending record (revision "
                              : "pending records (revisions ",
                          absl::StrJoin(plan.pending_revisions, ", "),
                          ") was removed before applying again");
    case RecoveryPlan::Action::kUninstall:
      return absl::StrCat(found, "uninstalled over it");
    default:
      return "";
  }
}

}  // namespace capi_bridge::helm
