#include "server/lifecycle/operation_locks.h"

#include "absl/strings/str_cat.h"

namespace capi_bridge::lifecycle {

OperationLocks::Guard::~Guard() {
  if (locks_ == nullptr) return;
  absl::MutexLock lock(&locks_->mu_);
  locks_->held_.erase(key_);
}

absl::StatusOr<OperationLocks::Guard> OperationLocks::TryAcquire(
    const std::string& cluster_key, const std::string& verb) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = held_.emplace(cluster_key, verb);
  if (!inserted) {
    return absl::AbortedError(
        absl::StrCat("cluster ", cluster_key, " is busy: ", it->second,
                     " is running; retry when it has finished"));
  }
  return Guard(this, cluster_key);
}

int OperationLocks::InFlight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(held_.size());
}

}  // namespace capi_bridge::lifecycle
