// DeletionReaper: removes the Secrets of clusters that are gone.
//
// The bridge writes a cluster's Secrets (cloud credentials, CA keys, the
// etcd key) before helm installs the release, labelled with the Magnum
// cluster uuid and the release. After a delete, CAPI keeps the Cluster
// object (finalizers) while it tears machines and networks down with that
// credential; once the Cluster is gone the Secrets must go too, as the
// reference driver does at DELETE_COMPLETE.
//
// The reaper keeps no list of its own: at start and every `interval` it
// reads the management cluster for Secrets labelled with a cluster uuid
// whose CAPI Cluster and helm release are both gone and whose cluster
// Lease nobody holds (no verb is writing them now), and deletes them and
// the Lease. Every replica runs it; the work is idempotent, so a kill -9
// right after `helm uninstall` leaks nothing, and no status call is
// needed for it. Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_DELETION_REAPER_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_DELETION_REAPER_H_

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/kube/api_versions.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::lifecycle {

class DeletionReaper {
 public:
  // `kube` must outlive the reaper. The first pass runs at once.
  // `versions` (may be null: kinds.cc's) chooses the version Clusters are
  // listed in; it must outlive the reaper.
  DeletionReaper(kube::KubeClient* kube, absl::Duration interval,
                 kube::ApiVersions* versions = nullptr);
  ~DeletionReaper();  // stops the thread

  // One pass now; returns how many clusters' Secrets it removed. (The
  // thread calls this.)
  absl::StatusOr<int> CheckOnce();

  // Clusters whose Secrets were removed since the start.
  uint64_t Reaped() const { return reaped_.load(); }

 private:
  void Run();

  kube::KubeClient* kube_;
  kube::ApiVersions* versions_;  // null: kinds.cc's
  absl::Duration interval_;
  std::atomic<uint64_t> reaped_{0};
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool denied_logged_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_DELETION_REAPER_H_
