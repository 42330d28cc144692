// DeletionReaper: finishes a cluster deletion after helm has uninstalled
// the release. CAPI keeps the Cluster object (finalizers) while it tears
// the machines and networks down; once the Cluster is gone the reaper
// deletes the cluster's Secrets by label, as the reference driver does at
// DELETE_COMPLETE. Until then the application credential stays valid, so
// CAPO can still clean up.
//
// A background thread checks each pending deletion every `interval`.
// Thread-safe. Pending work is in memory: a restarted bridge finishes it
// when the deletion is requested again (DeleteCluster is idempotent).
#ifndef CAPI_BRIDGE_SERVER_SERVICE_DELETION_REAPER_H_
#define CAPI_BRIDGE_SERVER_SERVICE_DELETION_REAPER_H_

#include <map>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::service {

class DeletionReaper {
 public:
  // `kube` must outlive the reaper.
  DeletionReaper(kube::KubeClient* kube, absl::Duration interval);
  ~DeletionReaper();  // stops the thread; pending work is dropped

  // Registers (or refreshes) a deletion to finish.
  void Add(const std::string& namespace_name, const std::string& release,
           const std::string& cluster_uuid);

  // One pass now: for each pending deletion whose Cluster is gone, delete
  // its Secrets. Returns how many finished. (The thread calls this.)
  int CheckOnce();

  int Pending() const;

 private:
  struct Item {
    std::string namespace_name;
    std::string release;
    std::string cluster_uuid;
    std::string request_id;  // of the delete that queued it (for logs)
  };
  void Run();

  kube::KubeClient* kube_;
  absl::Duration interval_;
  mutable absl::Mutex mu_;
  std::map<std::string, Item> pending_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace capi_bridge::service

#endif  // CAPI_BRIDGE_SERVER_SERVICE_DELETION_REAPER_H_
