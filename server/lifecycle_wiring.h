// Builds the lifecycle half of the bridge from its config: the
// management-cluster client, the helm runner and the ClusterService.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_WIRING_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_WIRING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/config/bridge_config.h"
#include "server/helm/helm_cli.h"
#include "server/kube/api_versions.h"
#include "server/kube/http_kube_client.h"
#include "server/kube/watch_cache.h"
#include "server/lifecycle/cluster_service.h"
#include "server/lifecycle/operation_times.h"
#include "server/lifecycle/status_service.h"
#include "server/status/object_store.h"

namespace capi_bridge {

struct Lifecycle {
  std::unique_ptr<kube::HttpKubeClient> kube;
  // The versions CAPI kinds are read in (used by the cache and status).
  std::unique_ptr<kube::ApiVersions> versions;
  std::unique_ptr<helm::HelmCli> helm;
  std::unique_ptr<lifecycle::OperationTimes> times;
  std::unique_ptr<lifecycle::ClusterService> clusters;
  // The watch cache (null when status.watch_cache is false) and status.
  std::unique_ptr<status::ObjectStore> store;
  std::unique_ptr<kube::WatchCache> cache;
  std::unique_ptr<lifecycle::StatusService> status;
  // Where the management cluster is, for the start-up line.
  std::string target;
  // Why `clusters` is null, when it is.
  std::string unavailable_reason;

  // Ends watches and the cache's loops; call after the gRPC server stopped.
  void Shutdown() {
    if (kube) kube->Shutdown();
    if (cache) cache->Stop();
  }
};

// An explicitly configured kubeconfig that cannot be loaded is an error;
// with none configured and none found, the result has no ClusterService
// and says why (the bridge then serves RenderValues only). The watch cache,
// when configured, is started here.
absl::StatusOr<Lifecycle> BuildLifecycle(const config::BridgeConfig& config,
                                         const rules::RenderService* render);

// What --check-config adds to the config's own checks: the kubeconfig and
// the files it names load as serving would load them, and the helm binary
// exists. Returns one line saying what serving would reach; an error
// names the key at fault.
absl::StatusOr<std::string> CheckLifecycle(const config::BridgeConfig& config);

}  // namespace capi_bridge

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_WIRING_H_
