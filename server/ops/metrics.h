// Prometheus text exposition (format 0.0.4) of the bridge's counters.
// Pure formatting: the caller passes what exists (null = not running).
#ifndef CAPI_BRIDGE_SERVER_OPS_METRICS_H_
#define CAPI_BRIDGE_SERVER_OPS_METRICS_H_

#include <string>
#include <vector>

#include "server/helm/helm_cli.h"
#include "server/kube/http_kube_client.h"
#include "server/kube/watch_cache.h"
#include "server/lifecycle/status_service.h"
#include "server/stats/counter.h"
#include "server/stats/histogram.h"

namespace capi_bridge::ops {

struct MetricsInputs {
  const stats::CallStats* calls = nullptr;  // gRPC calls by verb and code
  // Calls refused before their handler (malformed requests).
  const stats::CallStats* unhandled = nullptr;
  const kube::KubeClientStats* kube = nullptr;
  const helm::HelmStats* helm = nullptr;
  const lifecycle::StatusStats* status = nullptr;
  // Pending helm releases recovered, by the state they were left in.
  const stats::LabelledCounter* helm_recoveries = nullptr;
  std::vector<kube::WatchState> watches;  // one per watched kind
  size_t cached_clusters = 0;
  int operations_in_flight = 0;
  bool shutting_down = false;
  absl::Time now = absl::Now();  // for ages
};

std::string PrometheusText(const MetricsInputs& in);

}  // namespace capi_bridge::ops

#endif  // CAPI_BRIDGE_SERVER_OPS_METRICS_H_
