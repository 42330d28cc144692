#include "server/lifecycle/release_applier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/log/log.h"
#include "server/rules/adoption.h"
#include "server/status/capi_records.h"
#include "server/util/kube_time.h"

namespace capi_bridge::lifecycle {

using nlohmann::json;

ReleaseApplier::ReleaseApplier(kube::KubeClient* kube, helm::HelmRunner* helm,
                               const ReleaseObserver* observer,
                               helm::ChartRef chart,
                               absl::Duration helm_timeout,
                               kube::ApiVersions* versions)
    : kube_(kube),
      helm_(helm),
      observer_(observer),
      chart_(std::move(chart)),
      helm_timeout_(helm_timeout),
      versions_(versions) {}

helm::UpgradeRequest ReleaseApplier::Request(const std::string& release,
                                             const std::string& ns,
                                             const std::string& chart_version,
                                             const json& values) const {
  helm::UpgradeRequest request;
  request.release = release;
  request.namespace_name = ns;
  request.chart = chart_;
  request.chart.version = chart_version;
  request.values_json = values.dump();
  request.timeout = helm_timeout_;
  if (const log::Context* context = log::CurrentContext()) {
    request.description =
        absl::StrCat(rules::kReleaseDescriptionPrefix, context->verb,
                     " request ", context->request_id);
  }
  return request;
}

absl::StatusOr<helm::UpgradeResult> ReleaseApplier::Upgrade(
    const helm::UpgradeRequest& request) const {
  auto result = helm_->UpgradeInstall(request);
  if (absl::IsDeadlineExceeded(result.status())) {
    return observer_->AfterKilledHelm(request.release, request.namespace_name,
                                      result.status());
  }
  return result;
}

absl::StatusOr<std::string> ReleaseApplier::DryRun(helm::UpgradeRequest request,
                                                   absl::Time deadline) const {
  request.timeout = std::min(request.timeout, deadline - absl::Now());
  return helm_->DryRunManifest(request);
}

void ReleaseApplier::MarkOperationStarted(const std::string& release,
                                          const std::string& ns,
                                          absl::Time started,
                                          const char* verb) const {
  // A PUT of the Cluster as read, with one more annotation: it never
  // creates a Cluster, and a concurrent change (CAPI's status) conflicts
  // instead of being overwritten.
  // In the version the management cluster serves and the cache reads.
  auto type = kube::ResolveOrBase(versions_, kube::kinds::kCluster);
  absl::Status last = type.status();
  for (int attempt = 0; type.ok() && attempt < 3; ++attempt) {
    auto cluster = kube_->Get(*type, ns, release);
    if (absl::IsNotFound(cluster.status())) return;  // not rendered yet
    if (!cluster.ok()) {
      last = cluster.status();
      break;
    }
    // Microseconds: an operation can start within the second the Cluster
    // was created in (status tells a create from a later verb by it).
    json& annotations = (*cluster)["metadata"]["annotations"];
    annotations[status::kOperationStartedAnnotation] =
        util::KubeMicroTime(started);
    annotations[status::kOperationAnnotation] = verb;
    auto written = kube_->Replace(*type, *cluster);
    if (written.ok() || absl::IsNotFound(written.status())) return;
    last = written.status();
    if (!absl::IsAborted(last)) break;
  }
  // Status falls back to this process's memory (OperationTimes).
  log::Warn("recording the operation's start on the Cluster failed",
            {{"namespace", ns}, {"error", std::string(last.message())}});
}

}  // namespace capi_bridge::lifecycle
