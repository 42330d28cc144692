#include "server/rules/deployed_checks.h"

#include "server/rules/adoption.h"
#include "server/rules/immutable_values.h"
#include "server/rules/upgrade_rules.h"

namespace capi_bridge::rules {

absl::Status FitToDeployed(const std::optional<helm::ReleaseRecord>& deployed,
                           bool check_upgrade, render::RenderResult* rendered) {
  if (!deployed.has_value()) return absl::OkStatus();
  if (auto kept = KeepDeployedDefaultStorageClass(
          deployed->values, rendered->default_volume_type_configured,
          &rendered->values)) {
    rendered->warnings.push_back(*std::move(kept));
  }
  if (check_upgrade) {
    std::string from = deployed->values.value("kubernetesVersion", "");
    std::string to = rendered->values.value("kubernetesVersion", "");
    if (!from.empty() && !to.empty()) {
      absl::Status skew = CheckKubernetesUpgrade(from, to);
      if (!skew.ok()) return skew;
    }
  }
  if (absl::Status chart = CheckChartVersion(
          deployed->chart_version, rendered->chart_version.ToString());
      !chart.ok()) {
    return chart;
  }
  return CheckImmutableValues(deployed->values, rendered->values);
}

}  // namespace capi_bridge::rules
