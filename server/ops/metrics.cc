#include "server/ops/metrics.h"

#include "absl/strings/str_cat.h"

namespace capi_bridge::ops {
namespace {

void Family(std::string* out, const char* name, const char* type,
            const char* help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

void Sample(std::string* out, const char* name, double value,
            const std::string& labels = "") {
  absl::StrAppend(out, name, labels.empty() ? "" : "{" + labels + "}", " ",
                  value, "\n");
}

// The samples of one histogram series; `labels` without braces.
void HistogramSamples(std::string* out, const char* name,
                      const std::string& labels,
                      const stats::Histogram::Snapshot& h) {
  const std::string prefix = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i < stats::Histogram::kBounds.size(); ++i) {
    absl::StrAppend(out, name, "_bucket{", prefix, "le=\"",
                    stats::Histogram::kBounds[i], "\"} ", h.cumulative[i],
                    "\n");
  }
  absl::StrAppend(out, name, "_bucket{", prefix, "le=\"+Inf\"} ", h.count,
                  "\n");
  Sample(out, (std::string(name) + "_sum").c_str(), h.sum_seconds, labels);
  Sample(out, (std::string(name) + "_count").c_str(), h.count, labels);
}

// Two-label histogram families (label values are fixed vocabularies:
// method or command names and codes, never ids).
void CallHistograms(std::string* out, const char* name, const char* help,
                    const char* first, const char* second,
                    const stats::CallStats& calls) {
  Family(out, name, "histogram", help);
  for (const auto& [key, snapshot] : calls.Read()) {
    HistogramSamples(out, name,
                     absl::StrCat(first, "=\"", key.first, "\",", second, "=\"",
                                  key.second, "\""),
                     snapshot);
  }
}

}  // namespace

std::string PrometheusText(const MetricsInputs& in) {
  std::string out;
  constexpr auto kRelaxed = std::memory_order_relaxed;
  if (in.calls != nullptr) {
    CallHistograms(&out, "capi_bridge_grpc_request_duration_seconds",
                   "ClusterDriver calls by method and gRPC code (the _count "
                   "series counts requests).",
                   "method", "code", *in.calls);
  }
  if (in.kube != nullptr) {
    Family(&out, "capi_bridge_kube_requests_total", "counter",
           "Requests sent to the management cluster's API (attempts).");
    Sample(&out, "capi_bridge_kube_requests_total",
           in.kube->requests.load(kRelaxed));
    Family(&out, "capi_bridge_kube_errors_total", "counter",
           "Management-cluster requests that ended in an error.");
    Sample(&out, "capi_bridge_kube_errors_total",
           in.kube->errors.load(kRelaxed));
    Family(&out, "capi_bridge_kube_retries_total", "counter",
           "Attempts beyond the first (429, 5xx, connection errors).");
    Sample(&out, "capi_bridge_kube_retries_total",
           in.kube->retries.load(kRelaxed));
  }
  if (in.helm != nullptr) {
    Family(&out, "capi_bridge_helm_runs_total", "counter",
           "helm upgrade/uninstall runs.");
    Sample(&out, "capi_bridge_helm_runs_total", in.helm->runs.load(kRelaxed));
    Family(&out, "capi_bridge_helm_failures_total", "counter",
           "helm runs that failed.");
    Sample(&out, "capi_bridge_helm_failures_total",
           in.helm->failures.load(kRelaxed));
    Family(&out, "capi_bridge_helm_chart_pulls_total", "counter",
           "Chart versions pulled into the local cache.");
    Sample(&out, "capi_bridge_helm_chart_pulls_total",
           in.helm->chart_pulls.load(kRelaxed));
    CallHistograms(&out, "capi_bridge_helm_run_duration_seconds",
                   "helm runs by command and exit (ok or error).", "command",
                   "outcome", in.helm->durations);
  }
  if (in.unhandled != nullptr) {
    Family(&out, "capi_bridge_grpc_malformed_requests_total", "counter",
           "ClusterDriver calls refused before their handler (the request "
           "was not a valid message), by method and code.");
    for (const auto& [key, snapshot] : in.unhandled->Read()) {
      Sample(
          &out, "capi_bridge_grpc_malformed_requests_total",
          static_cast<double>(snapshot.count),
          absl::StrCat("method=\"", key.first, "\",code=\"", key.second, "\""));
    }
  }
  if (in.helm_recoveries != nullptr) {
    Family(&out, "capi_bridge_helm_recoveries_total", "counter",
           "Releases an interrupted helm left pending, recovered by the "
           "bridge, by the state they were left in.");
    for (const auto& [from, count] : in.helm_recoveries->Read()) {
      Sample(&out, "capi_bridge_helm_recoveries_total",
             static_cast<double>(count), absl::StrCat("from=\"", from, "\""));
    }
  }
  if (in.status != nullptr) {
    Family(&out, "capi_bridge_status_evaluations_total", "counter",
           "Cluster status evaluations, by where the objects came from.");
    Sample(&out, "capi_bridge_status_evaluations_total",
           in.status->from_cache.load(kRelaxed), "source=\"cache\"");
    Sample(&out, "capi_bridge_status_evaluations_total",
           in.status->direct_reads.load(kRelaxed), "source=\"direct\"");
  }
  if (!in.watches.empty()) {
    Family(&out, "capi_bridge_watch_synced", "gauge",
           "1 once the kind has been listed (or found not served).");
    for (const auto& w : in.watches) {
      Sample(&out, "capi_bridge_watch_synced", w.synced ? 1 : 0,
             "kind=\"" + w.kind + "\"");
    }
    Family(&out, "capi_bridge_watch_relists_total", "counter",
           "Lists of the kind, the first included.");
    for (const auto& w : in.watches) {
      Sample(&out, "capi_bridge_watch_relists_total", w.lists,
             "kind=\"" + w.kind + "\"");
    }
    Family(&out, "capi_bridge_watch_gone_total", "counter",
           "Relists forced by 410 Gone.");
    for (const auto& w : in.watches) {
      Sample(&out, "capi_bridge_watch_gone_total", w.relists_gone,
             "kind=\"" + w.kind + "\"");
    }
    Family(&out, "capi_bridge_watch_events_total", "counter",
           "Watch events received (bookmarks excluded).");
    for (const auto& w : in.watches) {
      Sample(&out, "capi_bridge_watch_events_total", w.events,
             "kind=\"" + w.kind + "\"");
    }
    Family(&out, "capi_bridge_watch_staleness_seconds", "gauge",
           "Seconds since the management cluster was last heard from for "
           "the kind (-1: never).");
    for (const auto& w : in.watches) {
      Sample(&out, "capi_bridge_watch_staleness_seconds",
             w.heard == absl::InfinitePast()
                 ? -1.0
                 : absl::ToDoubleSeconds(in.now - w.heard),
             "kind=\"" + w.kind + "\"");
    }
    Family(&out, "capi_bridge_cached_clusters", "gauge",
           "Clusters held by the watch cache.");
    Sample(&out, "capi_bridge_cached_clusters", in.cached_clusters);
  }
  Family(&out, "capi_bridge_operations_in_flight", "gauge",
         "Lifecycle verbs running now.");
  Sample(&out, "capi_bridge_operations_in_flight", in.operations_in_flight);
  Family(&out, "capi_bridge_shutting_down", "gauge",
         "1 once a stop signal was received (in-flight verbs finishing).");
  Sample(&out, "capi_bridge_shutting_down", in.shutting_down ? 1 : 0);
  return out;
}

}  // namespace capi_bridge::ops
