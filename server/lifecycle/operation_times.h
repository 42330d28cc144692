// OperationTimes: when this process last ran a lifecycle verb for each
// cluster. Status prefers what the management cluster records (the
// operation-started annotation on the CAPI Cluster, its deletion time),
// which every replica and restart sees alike; this is the fallback for a
// cluster without those (adopted and not yet touched, or the annotation
// could not be written), and the bridge's start time stands in when this
// process has not seen the cluster either, so a timeout can fire later
// than it would have, never earlier. Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_OPERATION_TIMES_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_OPERATION_TIMES_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace capi_bridge::lifecycle {

class OperationTimes {
 public:
  explicit OperationTimes(absl::Time started = absl::Now())
      : started_(started) {}

  void Record(const std::string& cluster_uuid, absl::Time when);
  // The last Record for the cluster, else when the bridge started.
  absl::Time Since(const std::string& cluster_uuid) const;
  // The last Record for the cluster, else InfinitePast.
  absl::Time Recorded(const std::string& cluster_uuid) const;
  void Forget(const std::string& cluster_uuid);

 private:
  const absl::Time started_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> times_ ABSL_GUARDED_BY(mu_);
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_OPERATION_TIMES_H_
