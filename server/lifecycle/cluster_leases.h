// ClusterLeases: one verb per cluster across every replica of the bridge.
//
// A verb holds a coordination.k8s.io/v1 Lease named LeaseName(uuid) in the
// cluster's namespace from before its first write until it returns. A
// background thread renews every held Lease each `duration / 3`; a replica
// that dies stops renewing, and its Lease is free `duration` after its last
// renewal, so a crash never blocks a cluster for long. Taking a Lease that
// another holder renews answers ABORTED naming the holder, its verb and
// how long it has held it.
//
// Thread-safe. `kube` must outlive the object.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_LEASES_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_LEASES_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/kube/kube_client.h"

namespace capi_bridge::lifecycle {

struct LeaseOptions {
  // This replica, as other replicas' errors name it; empty:
  // DefaultLeaseIdentity().
  std::string identity;
  // How long a Lease outlives its holder's last renewal.
  absl::Duration duration = absl::Seconds(30);
};

// The Lease a cluster's verbs take ("capi-bridge-<uuid>").
std::string LeaseName(const std::string& cluster_uuid);

// A Lease as the API returns it, read (pure).
struct LeaseView {
  std::string holder;
  std::string verb;        // annotation written by the holder
  std::string request_id;  // of the holder's (or the last) verb
  absl::Time acquired = absl::InfinitePast();
  absl::Time renewed = absl::InfinitePast();
  absl::Duration duration = absl::ZeroDuration();
  int transitions = 0;
  std::string resource_version;
};
LeaseView ReadLease(const nlohmann::json& lease);

// Whether `identity` may take the Lease at `now`: nobody holds it, or its
// holder stopped renewing it more than its duration ago.
bool LeaseFree(const LeaseView& lease, const std::string& identity,
               absl::Time now);

// The ABORTED message for a Lease held by someone else (pure).
std::string LeaseHeldMessage(const LeaseView& lease,
                             const std::string& cluster_uuid, absl::Time now);

class ClusterLeases {
 public:
  // Releases the Lease when destroyed.
  class Held {
   public:
    ~Held();
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    friend class ClusterLeases;
    struct Entry;
    Held(ClusterLeases* owner, std::shared_ptr<Entry> entry)
        : owner_(owner), entry_(std::move(entry)) {}
    ClusterLeases* owner_;
    std::shared_ptr<Entry> entry_;
  };

  ClusterLeases(kube::KubeClient* kube, LeaseOptions options);
  ~ClusterLeases();  // stops renewing; Leases still held then expire

  // Takes the Lease of cluster `uuid` in `ns` for `verb`. Errors: ABORTED
  // (held elsewhere, or taken by another replica in the same instant),
  // NOT_FOUND (the namespace does not exist), the API's errors.
  absl::StatusOr<std::unique_ptr<Held>> Acquire(const std::string& ns,
                                                const std::string& uuid,
                                                const std::string& verb);

  // Renews every held Lease once now (the thread calls this).
  void RenewOnce();

  const std::string& identity() const { return options_.identity; }

 private:
  nlohmann::json LeaseObject(const std::string& ns, const std::string& uuid,
                             const std::string& verb,
                             const std::string& request_id, absl::Time acquired,
                             int transitions,
                             const std::string& resource_version) const;
  void Release(const std::shared_ptr<Held::Entry>& entry);
  void Run();

  kube::KubeClient* kube_;
  LeaseOptions options_;
  mutable absl::Mutex mu_;
  std::map<Held::Entry*, std::shared_ptr<Held::Entry>> held_
      ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// "<hostname>_<8 random hex digits>": distinct for every process, and
// naming the pod (its hostname) that holds a Lease.
std::string DefaultLeaseIdentity();

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_LEASES_H_
