// Latency histograms and per-verb call statistics for the metrics
// endpoint. Recording is lock-free for a Histogram and takes a short lock
// for a new (verb, code) pair of CallStats; reading gives a consistent
// enough snapshot for Prometheus (counts are monotonic).
#ifndef CAPI_BRIDGE_SERVER_STATS_HISTOGRAM_H_
#define CAPI_BRIDGE_SERVER_STATS_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace capi_bridge::stats {

// Cumulative-bucket histogram of durations in seconds with fixed upper
// bounds suited to verbs and helm runs (5 ms to 10 min).
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600};

  void Observe(absl::Duration duration);

  struct Snapshot {
    std::array<uint64_t, kBounds.size()> cumulative{};  // per bound, <=
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot Read() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_micros_{0};
};

// Calls per (verb, gRPC code name), each with its latency histogram.
class CallStats {
 public:
  void Record(const std::string& verb, const std::string& code,
              absl::Duration duration);

  // (verb, code) -> snapshot, sorted.
  std::map<std::pair<std::string, std::string>, Histogram::Snapshot> Read()
      const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Histogram>>
      calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace capi_bridge::stats

#endif  // CAPI_BRIDGE_SERVER_STATS_HISTOGRAM_H_
