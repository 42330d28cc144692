// capi-bridge-server: wiring only. Loads the config (file + flags), builds
// the services and serves gRPC (ClusterDriver, grpc.health.v1, reflection)
// until SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/config/bridge_config.h"
#include "server/lifecycle_wiring.h"
#include "server/ops/metrics.h"
#include "server/ops/ops_server.h"
#include "server/service/cluster_driver_service.h"
#include "server/service/render_service.h"
#include "server/tls_credentials.h"

namespace {

constexpr char kVersion[] = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "capi-bridge-server: Magnum's Cluster API driver, as a gRPC "
      "service"};
  std::string config_path;
  std::string listen;
  std::vector<std::string> sets;
  app.add_option("-c,--config", config_path,
                 "YAML config file (see the README, 'Configuration')")
      ->check(CLI::ExistingFile)
      ->envname("CAPI_BRIDGE_CONFIG");
  app.add_option("--listen", listen,
                 "gRPC address, host:port or unix:/path (overrides `listen`; "
                 "port 0 picks a free port)");
  app.add_option("--set", sets,
                 "override one config key: dotted.path=value (repeatable)");
  app.set_version_flag("--version", kVersion);
  CLI11_PARSE(app, argc, argv);
  if (!listen.empty()) sets.push_back("listen=" + listen);

  absl::StatusOr<capi_bridge::config::BridgeConfig> config =
      capi_bridge::config::LoadConfig(config_path, sets);
  if (!config.ok()) {
    std::cerr << "capi-bridge-server: " << config.status().message() << "\n";
    return 2;
  }

  // Signals are taken by a dedicated thread (sigwait), so block them in
  // every thread gRPC starts from here on.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      capi_bridge::MakeServerCredentials(*config);
  if (!credentials.ok()) {
    std::cerr << "capi-bridge-server: " << credentials.status().message()
              << "\n";
    return 2;
  }

  capi_bridge::service::RenderService render(
      config->render, capi_bridge::service::SystemRandomBits());
  absl::StatusOr<capi_bridge::Lifecycle> lifecycle =
      capi_bridge::BuildLifecycle(*config, &render);
  if (!lifecycle.ok()) {
    std::cerr << "capi-bridge-server: " << lifecycle.status().message() << "\n";
    return 2;
  }
  if (lifecycle->clusters == nullptr) {
    std::cerr << "capi-bridge-server: lifecycle verbs disabled: "
              << lifecycle->unavailable_reason << "\n";
  } else {
    std::cerr << "capi-bridge-server: management cluster " << lifecycle->target
              << "\n";
  }
  capi_bridge::service::ClusterDriverService driver(
      &render, lifecycle->clusters.get(), lifecycle->status.get(),
      lifecycle->unavailable_reason);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->listen, *credentials, &port);
  builder.RegisterService(&driver);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::cerr << "capi-bridge-server: cannot listen on " << config->listen
              << "\n";
    return 1;
  }
  std::string shown = config->listen;
  if (shown.rfind("unix:", 0) != 0) {
    shown = shown.substr(0, shown.rfind(':')) + ":" + std::to_string(port);
  }
  std::cout << "capi-bridge-server " << kVersion << " listening on " << shown
            << (config->insecure                     ? " (plaintext)"
                : config->tls.client_ca_file.empty() ? " (TLS)"
                                                     : " (mutual TLS)")
            << std::endl;

  std::unique_ptr<capi_bridge::ops::OpsServer> ops;
  if (!config->ops_listen.empty()) {
    capi_bridge::Lifecycle* l = &*lifecycle;
    auto started = capi_bridge::ops::OpsServer::Start(
        config->ops_listen,
        [l]() -> absl::Status {
          if (l->cache != nullptr && !l->cache->Ready()) {
            return absl::UnavailableError(
                "the watch cache has not listed every kind yet");
          }
          return absl::OkStatus();
        },
        [l]() {
          capi_bridge::ops::MetricsInputs in;
          if (l->kube) in.kube = &l->kube->stats();
          if (l->helm) in.helm = &l->helm->stats();
          if (l->status) in.status = &l->status->stats();
          if (l->cache) in.watches = l->cache->States();
          if (l->store) in.cached_clusters = l->store->ClusterCount();
          if (l->clusters) in.operations_in_flight = l->clusters->InFlight();
          return capi_bridge::ops::PrometheusText(in);
        });
    if (!started.ok()) {
      std::cerr << "capi-bridge-server: " << started.status().message() << "\n";
      server->Shutdown();
      return 2;
    }
    ops = *std::move(started);
    std::cout << "capi-bridge-server ops endpoint on "
              << config->ops_listen.substr(0, config->ops_listen.rfind(':'))
              << ":" << ops->port() << std::endl;
  }

  std::thread waiter([&server, &signals]() {
    int received = 0;
    sigwait(&signals, &received);
    std::cerr << "capi-bridge-server: signal " << received
              << ", shutting down\n";
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
  });
  server->Wait();
  waiter.join();
  ops.reset();
  lifecycle->Shutdown();
  return 0;
}
