#include "server/rules/upgrade_rules.h"

#include <array>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/render/chart_version.h"

namespace capi_bridge::rules {
namespace {

std::optional<std::array<int, 3>> Parse(absl::string_view text) {
  absl::ConsumePrefix(&text, "v");
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 3) return std::nullopt;
  std::array<int, 3> out;
  for (int i = 0; i < 3; ++i) {
    if (!absl::SimpleAtoi(parts[i], &out[i]) || out[i] < 0) {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

absl::Status CheckKubernetesUpgrade(const std::string& from,
                                    const std::string& to) {
  auto a = Parse(from);
  auto b = Parse(to);
  if (!a || !b) {
    return absl::InvalidArgumentError(
        absl::StrCat("Kubernetes version \"", !a ? from : to,
                     "\" is not of the form MAJOR.MINOR.PATCH (e.g. 1.34.3)"));
  }
  if (*b < *a) {
    return absl::FailedPreconditionError(absl::StrCat(
        "upgrade from Kubernetes ", from, " to ", to,
        " is a downgrade; Kubernetes cannot be downgraded. Choose a template "
        "with Kubernetes ",
        from, " or newer"));
  }
  if ((*b)[0] != (*a)[0] || (*b)[1] > (*a)[1] + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "upgrade from Kubernetes ", from, " to ", to,
        " skips a minor version; Kubernetes upgrades one minor version at a "
        "time. Upgrade to ",
        (*a)[0], ".", (*a)[1] + 1, ".x first"));
  }
  return absl::OkStatus();
}

absl::Status CheckChartVersion(const std::string& from, const std::string& to) {
  auto deployed = render::ChartVersion::Parse(from);
  auto wanted = render::ChartVersion::Parse(to);
  if (!deployed.ok() || !wanted.ok() || !(*wanted < *deployed)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "chart version ", to, " is older than the deployed ", from,
      "; a cluster's chart is never downgraded. Set the template's "
      "capi_helm_chart_version (or the bridge's chart.default_version when "
      "the template has none) to ",
      from, " or newer"));
}

}  // namespace capi_bridge::rules
