#include "server/lifecycle_wiring.h"

#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "server/kube/kubeconfig.h"
#include "server/process/run.h"

namespace capi_bridge {

namespace {

// The management cluster's connection: an error when a configured
// kubeconfig cannot be used; nullopt (and why) when none is configured or
// found.
absl::StatusOr<std::optional<kube::KubeConnection>> ManagementConnection(
    const config::ManagementConfig& m, std::string* unavailable_reason) {
  absl::StatusOr<kube::KubeConnection> connection =
      kube::ResolveConnection(m.kubeconfig, m.context);
  if (connection.ok()) return std::optional(*std::move(connection));
  if (!m.kubeconfig.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("management.kubeconfig: ", connection.status().message()));
  }
  *unavailable_reason = absl::StrCat(
      "no kubeconfig found (set management.kubeconfig or $KUBECONFIG): ",
      connection.status().message());
  return std::optional<kube::KubeConnection>();
}

kube::HttpKubeClientOptions KubeOptions(const config::ManagementConfig& m) {
  kube::HttpKubeClientOptions options;
  options.connect_timeout = absl::Seconds(m.connect_timeout_seconds);
  options.request_timeout = absl::Seconds(m.request_timeout_seconds);
  options.max_attempts = m.max_attempts;
  return options;
}

}  // namespace

absl::StatusOr<std::string> CheckLifecycle(const config::BridgeConfig& config) {
  std::string unavailable;
  auto connection = ManagementConnection(config.management, &unavailable);
  if (!connection.ok()) return connection.status();
  if (!connection->has_value()) {
    return absl::StrCat("lifecycle verbs would be disabled: ", unavailable);
  }
  auto client = kube::HttpKubeClient::Create(**connection,
                                             KubeOptions(config.management));
  if (!client.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("management.kubeconfig: ", client.status().message()));
  }
  const std::string& helm = config.helm.binary;
  const std::string found = process::ResolveProgram(helm);
  if (found.empty() || access(found.c_str(), X_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("helm.binary: \"", helm,
                     "\" is not an executable file nor a program in PATH"));
  }
  return absl::StrCat("management cluster ", (*connection)->server, " (",
                      (*connection)->source, ")");
}

absl::StatusOr<Lifecycle> BuildLifecycle(const config::BridgeConfig& config,
                                         const rules::RenderService* render) {
  Lifecycle out;
  const config::ManagementConfig& m = config.management;
  auto connection = ManagementConnection(m, &out.unavailable_reason);
  if (!connection.ok()) return connection.status();
  if (!connection->has_value()) return out;
  out.target =
      absl::StrCat((*connection)->server, " (", (*connection)->source, ")");
  auto client = kube::HttpKubeClient::Create(**connection, KubeOptions(m));
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

  out.times = std::make_unique<lifecycle::OperationTimes>();
  out.versions = std::make_unique<kube::ApiVersions>(out.kube.get());
  lifecycle::LifecycleOptions options;
  options.versions = out.versions.get();
  options.operation_times = out.times.get();
  options.chart.repo = config.chart.repo;
  options.chart.name = config.chart.name;
  options.helm_timeout = absl::Seconds(config.helm.timeout_seconds);
  options.deletion_poll_interval = absl::Seconds(m.deletion_poll_seconds);
  options.leases.duration = absl::Seconds(m.lease_duration_seconds);
  out.clusters = std::make_unique<lifecycle::ClusterService>(
      render, out.kube.get(), out.helm.get(), options,
      lifecycle::SystemRandomBytes());

  const config::StatusConfig& st = config.status;
  if (st.watch_cache) {
    out.store = std::make_unique<status::ObjectStore>();
    kube::WatchCacheOptions cache_options;
    cache_options.namespace_prefix = config.render.namespace_prefix;
    cache_options.watch_timeout = absl::Seconds(st.watch_timeout_seconds);
    // Heard from often enough that a healthy cluster never looks stale.
    cache_options.heartbeat_interval =
        absl::Seconds(st.max_staleness_seconds) / 4;
    cache_options.versions = out.versions.get();
    out.cache = std::make_unique<kube::WatchCache>(
        out.kube.get(), status::WatchedTypes(), out.store.get(), cache_options);
    out.cache->Start();
  }
  lifecycle::StatusOptions status_options;
  status_options.create_timeout = absl::Minutes(st.create_timeout_minutes);
  status_options.update_timeout = absl::Minutes(st.update_timeout_minutes);
  status_options.delete_timeout = absl::Minutes(st.delete_timeout_minutes);
  status_options.max_staleness = absl::Seconds(st.max_staleness_seconds);
  status_options.versions = out.versions.get();
  out.status = std::make_unique<lifecycle::StatusService>(
      render, out.kube.get(), out.store.get(), out.cache.get(), out.times.get(),
      status_options);
  return out;
}

}  // namespace capi_bridge
