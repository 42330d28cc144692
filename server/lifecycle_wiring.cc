#include "server/lifecycle_wiring.h"

#include "absl/strings/str_cat.h"
#include "server/kube/kubeconfig.h"

namespace capi_bridge {

absl::StatusOr<Lifecycle> BuildLifecycle(const config::BridgeConfig& config,
                                         const service::RenderService* render) {
  Lifecycle out;
  const config::ManagementConfig& m = config.management;
  absl::StatusOr<kube::KubeConnection> connection =
      kube::ResolveConnection(m.kubeconfig, m.context);
  if (!connection.ok()) {
    if (!m.kubeconfig.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "management.kubeconfig: ", connection.status().message()));
    }
    out.unavailable_reason = absl::StrCat(
        "no kubeconfig found (set management.kubeconfig or $KUBECONFIG): ",
        connection.status().message());
    return out;
  }
  kube::HttpKubeClientOptions kube_options;
  kube_options.connect_timeout = absl::Seconds(m.connect_timeout_seconds);
  kube_options.request_timeout = absl::Seconds(m.request_timeout_seconds);
  kube_options.max_attempts = m.max_attempts;
  out.target = absl::StrCat(connection->server, " (", connection->source, ")");
  auto client = kube::HttpKubeClient::Create(*connection, kube_options);
  if (!client.ok()) return client.status();
  out.kube = *std::move(client);

  helm::HelmCliOptions helm_options;
  helm_options.binary = config.helm.binary;
  helm_options.kubeconfig = m.kubeconfig;
  helm_options.kube_context = m.context;
  helm_options.cache_dir = config.helm.cache_dir;
  helm_options.max_concurrent = config.helm.max_concurrent;
  helm_options.kill_grace = absl::Seconds(config.helm.kill_grace_seconds);
  out.helm = std::make_unique<helm::HelmCli>(helm_options);

  out.times = std::make_unique<service::OperationTimes>();
  service::LifecycleOptions options;
  options.operation_times = out.times.get();
  options.chart.repo = config.chart.repo;
  options.chart.name = config.chart.name;
  options.helm_timeout = absl::Seconds(config.helm.timeout_seconds);
  options.deletion_poll_interval = absl::Seconds(m.deletion_poll_seconds);
  options.leases.duration = absl::Seconds(m.lease_duration_seconds);
  out.clusters = std::make_unique<service::ClusterService>(
      render, out.kube.get(), out.helm.get(), options,
      service::SystemRandomBytes());

  const config::StatusConfig& st = config.status;
  if (st.watch_cache) {
    out.store = std::make_unique<status::ObjectStore>();
    kube::WatchCacheOptions cache_options;
    cache_options.namespace_prefix = config.render.namespace_prefix;
    cache_options.watch_timeout = absl::Seconds(st.watch_timeout_seconds);
    // Heard from often enough that a healthy cluster never looks stale.
    cache_options.heartbeat_interval =
        absl::Seconds(st.max_staleness_seconds) / 4;
    out.cache = std::make_unique<kube::WatchCache>(
        out.kube.get(), status::WatchedTypes(), out.store.get(), cache_options);
    out.cache->Start();
  }
  service::StatusOptions status_options;
  status_options.create_timeout = absl::Minutes(st.create_timeout_minutes);
  status_options.update_timeout = absl::Minutes(st.update_timeout_minutes);
  status_options.delete_timeout = absl::Minutes(st.delete_timeout_minutes);
  status_options.max_staleness = absl::Seconds(st.max_staleness_seconds);
  out.status = std::make_unique<service::StatusService>(
      render, out.kube.get(), out.store.get(), out.cache.get(), out.times.get(),
      status_options);
  return out;
}

}  // namespace capi_bridge
