// ReleaseApplier: the Apply stage of a verb, and Diff's dry run. Builds the
// one helm::UpgradeRequest for a rendered release, runs `helm upgrade
// --install` (or its server-side dry run), turns a helm killed at its
// deadline into DEADLINE_EXCEEDED after recovering what it left pending,
// and records on the CAPI Cluster when and which verb last ran.
//
// Thread-safe. `kube`, `helm`, `observer` and `versions` (the CAPI
// version discovery; may be null) must outlive it.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_RELEASE_APPLIER_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_RELEASE_APPLIER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/helm/helm_runner.h"
#include "server/kube/api_versions.h"
#include "server/kube/kube_client.h"
#include "server/lifecycle/release_observer.h"

namespace capi_bridge::lifecycle {

class ReleaseApplier {
 public:
  ReleaseApplier(kube::KubeClient* kube, helm::HelmRunner* helm,
                 const ReleaseObserver* observer, helm::ChartRef chart,
                 absl::Duration helm_timeout,
                 kube::ApiVersions* versions = nullptr);

  // The request helm gets for `values` at `chart_version`; its description
  // names the verb and request id of the calling thread's log context.
  helm::UpgradeRequest Request(const std::string& release,
                               const std::string& ns,
                               const std::string& chart_version,
                               const nlohmann::json& values) const;

  // Runs the upgrade. Errors: helm's (UNAVAILABLE, FAILED_PRECONDITION,
  // ...), DEADLINE_EXCEEDED when helm was killed at its timeout (what it
  // left pending recovered, the message says so).
  absl::StatusOr<helm::UpgradeResult> Upgrade(
      const helm::UpgradeRequest& request) const;

  // The manifest helm would apply (server-side dry run), within `deadline`.
  absl::StatusOr<std::string> DryRun(helm::UpgradeRequest request,
                                     absl::Time deadline) const;

  // Writes when `verb` started, and which verb it is, on the release's CAPI
  // Cluster (the operation-started and operation annotations status reads);
  // a Cluster not yet there is left alone, a failure is logged.
  void MarkOperationStarted(const std::string& release, const std::string& ns,
                            absl::Time started, const char* verb) const;

 private:
  kube::KubeClient* kube_;
  helm::HelmRunner* helm_;
  const ReleaseObserver* observer_;
  helm::ChartRef chart_;
  absl::Duration helm_timeout_;
  kube::ApiVersions* versions_;  // null: kinds.cc's versions
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_RELEASE_APPLIER_H_
