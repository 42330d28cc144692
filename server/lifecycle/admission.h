// Admission: the first stage of every lifecycle verb (Admit). It checks
// the cluster UUID and the caller's deadline, takes the cluster's
// in-process lock and then its Lease in the management cluster, and hands
// the verb one VerbScope that holds both until it is destroyed, so that
// every return path, error or not, lets them go.
//
// The Lease lives in the cluster's namespace. When that namespace does not
// exist yet (the first cluster of a project), Admit cannot take it and
// says so (VerbScope::lease_deferred()); a verb that creates the namespace
// takes the Lease right after, with VerbScope::TakeDeferredLease, so
// nothing but a Lease is ever written before the spec has been validated.
//
// Thread-safe. `kube` must outlive the Admission; a VerbScope must not
// outlive the Admission that made it.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_ADMISSION_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_ADMISSION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/kube/kube_client.h"
#include "server/lifecycle/cluster_leases.h"
#include "server/lifecycle/operation_locks.h"

namespace capi_bridge::lifecycle {

struct AdmitRequest {
  const char* verb = "";
  // The Magnum cluster UUID; INVALID_ARGUMENT, before anything is read or
  // written, when empty or not render::IsClusterUuid (it names the Lease).
  std::string uuid;
  std::string ns;                                // the cluster's namespace
  absl::Time deadline = absl::InfiniteFuture();  // the caller's
  // Ends the DEADLINE_EXCEEDED message: "nothing was applied", ...
  const char* nothing_done = "nothing was applied";
};

// What a verb holds while it runs: the in-process lock, and the Lease when
// Leases are on and the namespace exists. Destroying it releases both.
// Not thread-safe: one verb, one thread.
class VerbScope {
 public:
  VerbScope(const VerbScope&) = delete;
  VerbScope& operator=(const VerbScope&) = delete;
  ~VerbScope();

  const char* verb() const { return request_.verb; }
  const std::string& uuid() const { return request_.uuid; }
  const std::string& ns() const { return request_.ns; }
  absl::Time deadline() const { return request_.deadline; }
  // When Admit let the verb in (what status counts timeouts from).
  absl::Time started() const { return started_; }
  // True when the namespace was missing at Admit: the Lease is not held.
  bool lease_deferred() const { return lease_deferred_; }

  // Takes the Lease Admit could not take, once the namespace exists; a
  // no-op when nothing was deferred. ABORTED when another replica got it
  // first.
  absl::Status TakeDeferredLease();
  // DEADLINE_EXCEEDED when less than the Admission's min_time_to_start of
  // the deadline is left; `stage` says what was done so far.
  absl::Status EnoughTimeLeft(const char* stage) const;

 private:
  friend class Admission;
  VerbScope(class Admission* admission, AdmitRequest request,
            OperationLocks::Guard guard);

  class Admission* admission_;
  AdmitRequest request_;
  absl::Time started_;
  OperationLocks::Guard guard_;
  std::unique_ptr<ClusterLeases::Held> lease_;  // null: none held
  bool lease_deferred_ = false;
};

class Admission {
 public:
  // A zero `leases.duration` serialises verbs within this process only.
  Admission(kube::KubeClient* kube, LeaseOptions leases,
            absl::Duration min_time_to_start);

  // Errors: INVALID_ARGUMENT (no uuid), DEADLINE_EXCEEDED (not enough of
  // the deadline left), ABORTED (another verb holds the lock or the
  // Lease), the management cluster's errors reading or writing the Lease.
  // A missing namespace is not an error (see VerbScope::lease_deferred).
  absl::StatusOr<std::unique_ptr<VerbScope>> Admit(AdmitRequest request);

  // Verbs holding a lock now (operations in flight).
  int InFlight() const { return locks_.InFlight(); }

  // DEADLINE_EXCEEDED when less than `min_time_to_start` of `deadline` is
  // left (for verbs that take no lock, DiffCluster).
  absl::Status EnoughTimeLeft(absl::Time deadline, const char* stage) const;

 private:
  friend class VerbScope;

  OperationLocks locks_;
  std::unique_ptr<ClusterLeases> leases_;  // null: Leases off
  absl::Duration min_time_to_start_;
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_ADMISSION_H_
