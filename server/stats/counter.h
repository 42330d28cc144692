// LabelledCounter: monotonic counts per value of one label, for the metrics
// endpoint. Label values must come from a fixed vocabulary (states, codes),
// never from ids. Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_STATS_COUNTER_H_
#define CAPI_BRIDGE_SERVER_STATS_COUNTER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"

namespace capi_bridge::stats {

class LabelledCounter {
 public:
  void Add(const std::string& label_value, uint64_t n = 1) {
    absl::MutexLock lock(&mu_);
    counts_[label_value] += n;
  }
  // label value → count, sorted.
  std::map<std::string, uint64_t> Read() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace capi_bridge::stats

#endif  // CAPI_BRIDGE_SERVER_STATS_COUNTER_H_
