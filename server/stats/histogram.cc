#include "server/stats/histogram.h"

namespace capi_bridge::stats {

void Histogram::Observe(absl::Duration duration) {
  double seconds = absl::ToDoubleSeconds(duration);
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(
      static_cast<uint64_t>(absl::ToInt64Microseconds(duration)),
      std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  uint64_t running = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = running;
  }
  running += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  // The total is the buckets' sum so +Inf is never below the last bound.
  snapshot.count = running;
  snapshot.sum_seconds = sum_micros_.load(std::memory_order_relaxed) / 1e6;
  return snapshot;
}

void CallStats::Record(const std::string& verb, const std::string& code,
                       absl::Duration duration) {
  Histogram* histogram = nullptr;
  {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Histogram>& slot = calls_[{verb, code}];
    if (!slot) slot = std::make_unique<Histogram>();
    histogram = slot.get();
  }
  histogram->Observe(duration);
}

std::map<std::pair<std::string, std::string>, Histogram::Snapshot>
CallStats::Read() const {
  std::map<std::pair<std::string, std::string>, Histogram::Snapshot> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, histogram] : calls_) out[key] = histogram->Read();
  return out;
}

}  // namespace capi_bridge::stats
