// What to do about a helm release that an interrupted helm left pending.
//
// helm marks a release `pending-install`, `pending-upgrade` or
// `pending-rollback` (`uninstalling` for uninstall) before it applies and
// rewrites the mark when it finishes. A helm that is killed (with the
// bridge, or by the bridge at its deadline) leaves the mark behind, and
// every later helm upgrade refuses the release as "another operation is in
// progress", for ever. PlanRecovery decides, from the release's history
// alone, whether the mark can be cleared and how (pure).
#ifndef CAPI_BRIDGE_SERVER_HELM_PENDING_RELEASE_H_
#define CAPI_BRIDGE_SERVER_HELM_PENDING_RELEASE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/helm/release_record.h"

namespace capi_bridge::helm {

struct RecoveryPlan {
  enum class Action {
    kNone,           // the latest revision is not pending: go ahead
    kWait,           // pending and young: a helm may still be running
    kRemovePending,  // no deployed revision to return to: drop the pending
                     // records (revisions below), then install afresh
    kRollback,       // return to revision `rollback_to`, then go ahead
    kUninstall,      // a delete: uninstall again over the pending release
  };
  Action action = Action::kNone;
  std::string release;
  std::string from;  // the pending status found, e.g. "pending-upgrade"
  int pending_revision = 0;
  std::vector<int> pending_revisions;  // kRemovePending: every pending one
  int rollback_to = 0;                 // kRollback
  absl::Time recoverable_at;           // kWait: when it may be recovered
};

// `history`: every stored revision of one release, any order. A pending
// latest revision last written before `now - stale_after` is recoverable.
// `deleting`: the caller uninstalls, so `uninstalling` counts as pending
// and a stale mark needs no repair (helm uninstall runs over it).
RecoveryPlan PlanRecovery(const std::vector<ReleaseRecord>& history,
                          absl::Time now, absl::Duration stale_after,
                          bool deleting);

// Whether helm's `status` is one of its in-progress marks.
bool IsPendingStatus(const std::string& status);

// One line saying what a non-kNone, non-kWait plan did, for the reply and
// the log, e.g. "release web-abc was left pending-upgrade at revision 5 by
// an interrupted helm; rolled back to revision 4".
std::string DescribeRecovery(const RecoveryPlan& plan);

}  // namespace capi_bridge::helm

#endif  // CAPI_BRIDGE_SERVER_HELM_PENDING_RELEASE_H_
