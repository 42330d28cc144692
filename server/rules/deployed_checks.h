// FitToDeployed: the Check stage of a verb against the deployed release
// (pure). Adjusts a fresh rendering to what the deployed release keeps
// (its default StorageClass, with a warning) and makes the checks a verb
// refuses on: Kubernetes version skew (when `check_upgrade`), a chart
// downgrade, values the chart cannot change on a live cluster.
#ifndef CAPI_BRIDGE_SERVER_RULES_DEPLOYED_CHECKS_H_
#define CAPI_BRIDGE_SERVER_RULES_DEPLOYED_CHECKS_H_

#include <optional>

#include "absl/status/status.h"
#include "server/helm/release_record.h"
#include "server/render/values_renderer.h"

namespace capi_bridge::rules {

// OK when there is no deployed release. Errors: FAILED_PRECONDITION or
// INVALID_ARGUMENT from the checks (upgrade_rules.h, immutable_values.h),
// naming what is refused and why.
absl::Status FitToDeployed(const std::optional<helm::ReleaseRecord>& deployed,
                           bool check_upgrade, render::RenderResult* rendered);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_DEPLOYED_CHECKS_H_
