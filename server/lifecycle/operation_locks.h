// OperationLocks: at most one verb per cluster at a time.
//
// TryAcquire returns a guard holding the cluster's lock, or ABORTED naming
// the verb already running when another holds it. Different clusters never
// wait on each other. Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_OPERATION_LOCKS_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_OPERATION_LOCKS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace capi_bridge::lifecycle {

class OperationLocks {
 public:
  class Guard {
   public:
    Guard(Guard&& other) noexcept : locks_(other.locks_), key_(other.key_) {
      other.locks_ = nullptr;
    }
    Guard(const Guard&) = delete;
    ~Guard();

   private:
    friend class OperationLocks;
    Guard(OperationLocks* locks, std::string key)
        : locks_(locks), key_(std::move(key)) {}
    OperationLocks* locks_;
    std::string key_;
  };

  // `verb` names the operation for the message another caller gets.
  absl::StatusOr<Guard> TryAcquire(const std::string& cluster_key,
                                   const std::string& verb);

  // Number of verbs holding a lock now (operations in flight).
  int InFlight() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> held_ ABSL_GUARDED_BY(mu_);  // key→verb
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_OPERATION_LOCKS_H_
