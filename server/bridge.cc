#include "server/bridge.h"

#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/api/unhandled_calls.h"
#include "server/lifecycle/status_service.h"
#include "server/log/log.h"
#include "server/ops/metrics.h"

namespace capi_bridge {

Bridge::Bridge(const config::BridgeConfig& config)
    : config_(config), render_(config.render, rules::SystemRandomBits()) {}

Bridge::~Bridge() { Stop(); }

absl::StatusOr<std::unique_ptr<Bridge>> Bridge::Start(
    const config::BridgeConfig& config,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  std::unique_ptr<Bridge> bridge(new Bridge(config));
  absl::StatusOr<Lifecycle> lifecycle =
      BuildLifecycle(config, &bridge->render_);
  if (!lifecycle.ok()) return lifecycle.status();
  bridge->lifecycle_ = *std::move(lifecycle);
  Lifecycle& l = bridge->lifecycle_;
  if (l.clusters == nullptr) {
    log::Warn("lifecycle verbs disabled", {{"reason", l.unavailable_reason}});
  } else {
    log::Info("management cluster", {{"target", l.target}});
  }
  api::CallPolicy policy;
  policy.bearer_token = config.auth.token;
  policy.calls = &bridge->calls_;
  policy.stopping = &bridge->stopping_;
  bridge->driver_ = std::make_unique<api::ClusterDriverService>(
      &bridge->render_, l.clusters.get(), l.status.get(), l.unavailable_reason,
      policy);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, credentials, &port);
  builder.RegisterService(bridge->driver_.get());
  {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        std::make_unique<api::UnhandledCalls>(&bridge->unhandled_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  bridge->server_ = builder.BuildAndStart();
  if (!bridge->server_) {
    log::Error("cannot listen", {{"listen", config.listen}});
    return absl::AbortedError("cannot listen on " + config.listen);
  }
  bridge->listening_ = config.listen;
  if (bridge->listening_.rfind("unix:", 0) != 0) {
    bridge->listening_ =
        bridge->listening_.substr(0, bridge->listening_.rfind(':')) + ":" +
        std::to_string(port);
  }

  if (!config.ops_listen.empty()) {
    Bridge* b = bridge.get();
    auto started = ops::OpsServer::Start(
        config.ops_listen, [b] { return b->Ready(); },
        [b] { return b->Metrics(); });
    if (!started.ok()) {
      bridge->server_->Shutdown();
      return started.status();
    }
    bridge->ops_ = *std::move(started);
  }
  return bridge;
}

int Bridge::InFlight() const {
  return lifecycle_.clusters ? lifecycle_.clusters->InFlight() : 0;
}

absl::Status Bridge::Ready() const {
  if (stopping_.load()) return absl::UnavailableError("shutting down");
  const kube::WatchCache* cache = lifecycle_.cache.get();
  if (cache != nullptr && !cache->Ready()) {
    return absl::UnavailableError(
        "the watch cache has not listed every kind yet");
  }
  return lifecycle::StaleCache(
      cache, absl::Seconds(config_.status.max_staleness_seconds), absl::Now());
}

std::string Bridge::Metrics() const {
  const Lifecycle& l = lifecycle_;
  ops::MetricsInputs in;
  in.calls = &calls_;
  in.unhandled = &unhandled_;
  if (l.kube) in.kube = &l.kube->stats();
  if (l.helm) in.helm = &l.helm->stats();
  if (l.status) in.status = &l.status->stats();
  if (l.cache) in.watches = l.cache->States();
  if (l.store) in.cached_clusters = l.store->ClusterCount();
  if (l.clusters) {
    in.operations_in_flight = l.clusters->InFlight();
    in.helm_recoveries = &l.clusters->recoveries();
  }
  in.shutting_down = stopping_.load();
  return ops::PrometheusText(in);
}

void Bridge::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  ops_.reset();
  lifecycle_.Shutdown();
}

}  // namespace capi_bridge
