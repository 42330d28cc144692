// The operations endpoint (plain HTTP, cpp-httplib), for probes and
// Prometheus:
//   GET /healthz  200 "ok" while the process serves;
//   GET /readyz   200 "ready", or 503 with the reason (e.g. the watch cache
//                 has not listed every kind yet);
//   GET /metrics  the counters (server/ops/metrics.h).
// It carries no cluster data and no secrets; bind it where only the
// platform's probes and scrapers reach it.
#ifndef CAPI_BRIDGE_SERVER_OPS_OPS_SERVER_H_
#define CAPI_BRIDGE_SERVER_OPS_OPS_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace capi_bridge::ops {

class OpsServer {
 public:
  // `address` is "host:port" (port 0 picks one); INVALID_ARGUMENT when it
  // is not, UNAVAILABLE when it cannot be bound (e.g. already in use).
  // `ready` says whether the bridge can serve; `metrics` renders the
  // exposition text.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(
      const std::string& address, std::function<absl::Status()> ready,
      std::function<std::string()> metrics);
  ~OpsServer();  // stops, also straight after Start

  int port() const { return port_; }

 private:
  OpsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;
};

}  // namespace capi_bridge::ops

#endif  // CAPI_BRIDGE_SERVER_OPS_OPS_SERVER_H_
