// Bridge: the composition root of capi-bridge-server. Owns everything the
// server runs (the renderer, the management-cluster client, helm, the
// watch cache and status, the verb services, the gRPC server and the ops
// endpoint with /readyz and /metrics) and starts and stops them in order.
// main() parses flags and config, handles signals and calls Start/Stop.
//
// Thread-safe: Start and Stop from one thread; the rest from any.
#ifndef CAPI_BRIDGE_SERVER_BRIDGE_H_
#define CAPI_BRIDGE_SERVER_BRIDGE_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "server/api/cluster_driver_service.h"
#include "server/config/bridge_config.h"
#include "server/lifecycle_wiring.h"
#include "server/ops/ops_server.h"
#include "server/rules/render_service.h"
#include "server/stats/histogram.h"

namespace capi_bridge {

class Bridge {
 public:
  // Builds every part from `config` and starts serving. Errors: ABORTED
  // when the gRPC address cannot be listened on (logged; main exits 1);
  // otherwise the message names the key at fault (a management cluster or
  // ops endpoint that cannot be set up; main exits 2).
  static absl::StatusOr<std::unique_ptr<Bridge>> Start(
      const config::BridgeConfig& config,
      std::shared_ptr<grpc::ServerCredentials> credentials);

  ~Bridge();  // Stop()

  // The gRPC address served, with the port chosen when 0 was asked for.
  const std::string& listening() const { return listening_; }
  // The ops endpoint's port; 0 when there is none.
  int ops_port() const { return ops_ ? ops_->port() : 0; }
  // Verbs in flight now.
  int InFlight() const;

  // From now on /readyz says "shutting down" and new calls are refused.
  void BeginStop() { stopping_.store(true); }
  // The gRPC server, for the caller's graceful shutdown with its deadline.
  grpc::Server* server() { return server_.get(); }
  // Stops the ops endpoint, the watches and the cache; call after the
  // gRPC server has shut down. Idempotent.
  void Stop();

 private:
  explicit Bridge(const config::BridgeConfig& config);
  // /readyz: OK once the watch cache has listed every kind and is fresh.
  absl::Status Ready() const;
  // /metrics: the Prometheus text of every part's statistics.
  std::string Metrics() const;

  config::BridgeConfig config_;
  rules::RenderService render_;
  Lifecycle lifecycle_;
  std::atomic<bool> stopping_{false};
  stats::CallStats calls_;
  stats::CallStats unhandled_;  // refused before their handler
  std::unique_ptr<api::ClusterDriverService> driver_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ops::OpsServer> ops_;
  std::string listening_;
  bool stopped_ = false;
};

}  // namespace capi_bridge

#endif  // CAPI_BRIDGE_SERVER_BRIDGE_H_
