// CapturedLog: collects the log lines of a test instead of printing them.
// Declare it before anything whose threads log (a WatchCache), so that it
// outlives them.
#ifndef CAPI_BRIDGE_TESTS_UNIT_FAKES_CAPTURED_LOG_H_
#define CAPI_BRIDGE_TESTS_UNIT_FAKES_CAPTURED_LOG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/log/log.h"

namespace capi_bridge::testing {

class CapturedLog {
 public:
  CapturedLog() {
    log::SetSink([this](std::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() { log::SetSink(nullptr); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // Whether a line so far contains `text`.
  bool Contains(const std::string& text) const {
    absl::MutexLock lock(&mu_);
    for (const std::string& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_FAKES_CAPTURED_LOG_H_
