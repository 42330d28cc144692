// ReleaseObserver: the Observe stage of a verb. Reads, once, what the
// management cluster holds of a cluster's helm release: which release the
// cluster's Secrets name (a create whose reply was lost), every stored
// revision, and the deployed one; and recovers a release an interrupted
// helm left pending (helm/pending_release.h) before anything else runs.
//
// Thread-safe (no state of its own besides the recovery counter). `kube`,
// `helm` and `recoveries` must outlive it.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_RELEASE_OBSERVER_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_RELEASE_OBSERVER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/helm/helm_runner.h"
#include "server/helm/release_record.h"
#include "server/kube/kube_client.h"
#include "server/stats/counter.h"

namespace capi_bridge::lifecycle {

// What Observe saw of one release.
struct ObservedRelease {
  std::string release;
  std::string ns;
  // Every stored revision (unreadable ones skipped), after any recovery.
  std::vector<helm::ReleaseRecord> history;
  // The newest revision of `history`; nullopt: no release yet.
  std::optional<helm::ReleaseRecord> deployed;
  // What recovery did ("" when nothing was pending).
  std::string recovery;

  // The deployed chart version, "" when there is no release.
  std::string DeployedChartVersion() const {
    return deployed.has_value() ? deployed->chart_version : "";
  }
};

class ReleaseObserver {
 public:
  ReleaseObserver(kube::KubeClient* kube, helm::HelmRunner* helm,
                  absl::Duration helm_timeout,
                  stats::LabelledCounter* recoveries);

  // The release the cluster's Secrets name ("" when none do).
  absl::StatusOr<std::string> ExistingReleaseOf(const std::string& uuid,
                                                const std::string& ns) const;

  // Reads `release`'s history and its deployed revision. With `recover`,
  // first clears a pending mark (ABORTED while a helm may still be running
  // on it; `deleting` chooses what an uninstall leaves); without, only
  // reads (DiffCluster).
  absl::StatusOr<ObservedRelease> Observe(const std::string& release,
                                          const std::string& ns, bool recover,
                                          bool deleting) const;

  // After this bridge's helm was killed at its deadline: recovers what it
  // left pending and returns DEADLINE_EXCEEDED saying so.
  absl::Status AfterKilledHelm(const std::string& release,
                               const std::string& ns,
                               const absl::Status& killed) const;

 private:
  absl::StatusOr<std::vector<helm::ReleaseRecord>> History(
      const std::string& release, const std::string& ns) const;
  // Returns what was done ("" when nothing was pending); `stale_after`
  // zero: this bridge knows its helm is dead.
  absl::StatusOr<std::string> RecoverPending(
      const std::string& release, const std::string& ns, bool deleting,
      absl::Duration stale_after,
      std::vector<helm::ReleaseRecord>* history) const;

  kube::KubeClient* kube_;
  helm::HelmRunner* helm_;
  absl::Duration helm_timeout_;
  stats::LabelledCounter* recoveries_;
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_RELEASE_OBSERVER_H_
