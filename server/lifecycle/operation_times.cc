#include "server/lifecycle/operation_times.h"

namespace capi_bridge::lifecycle {

void OperationTimes::Record(const std::string& cluster_uuid, absl::Time when) {
  absl::MutexLock lock(&mu_);
  times_[cluster_uuid] = when;
}

absl::Time OperationTimes::Since(const std::string& cluster_uuid) const {
  absl::MutexLock lock(&mu_);
  auto it = times_.find(cluster_uuid);
  return it == times_.end() ? started_ : it->second;
}

absl::Time OperationTimes::Recorded(const std::string& cluster_uuid) const {
  absl::MutexLock lock(&mu_);
  auto it = times_.find(cluster_uuid);
  return it == times_.end() ? absl::InfinitePast() : it->second;
}

void OperationTimes::Forget(const std::string& cluster_uuid) {
  absl::MutexLock lock(&mu_);
  times_.erase(cluster_uuid);
}

}  // namespace capi_bridge::lifecycle
