// ChartVersion: a capi-helm-charts version (semantic version X.Y.Z with an
// optional pre-release such as "-dev.0.main.12"), comparable so that the
// renderer can emit exactly the value keys a given chart version reads.
#ifndef CAPI_BRIDGE_SERVER_RENDER_CHART_VERSION_H_
#define CAPI_BRIDGE_SERVER_RENDER_CHART_VERSION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace capi_bridge::render {

class ChartVersion {
 public:
  // Parses "X.Y.Z" or "X.Y.Z-pre"; a leading "v" is accepted.
  static absl::StatusOr<ChartVersion> Parse(absl::string_view text);
  // For constants known to be valid; aborts on a bad literal.
  static ChartVersion Of(absl::string_view text);

  int major() const { return major_; }
  int minor() const { return minor_; }
  int patch() const { return patch_; }
  const std::string& prerelease() const { return prerelease_; }

  // The canonical text, without a leading "v".
  std::string ToString() const;

  // Semantic-version order: a pre-release sorts before its release.
  // Pre-release identifiers are compared as whole strings, which is enough
  // for the chart's "-dev.0.main.N" builds of one release.
  int Compare(const ChartVersion& other) const;
  bool operator<(const ChartVersion& o) const { return Compare(o) < 0; }
  bool operator>=(const ChartVersion& o) const { return Compare(o) >= 0; }
  bool operator>(const ChartVersion& o) const { return Compare(o) > 0; }
  bool operator==(const ChartVersion& o) const { return Compare(o) == 0; }

 private:
  int major_ = 0, minor_ = 0, patch_ = 0;
  std::string prerelease_;
};

// The chart versions whose value layout the renderer knows. Versions in
// between follow the rules of the nearest older one.
inline constexpr absl::string_view kOldestSupportedChart = "0.10.1";
inline constexpr absl::string_view kNewestKnownChart = "0.27.0";
// The version the bridge is tested with and renders for by default.
inline constexpr absl::string_view kDefaultChartVersion = "0.27.0";

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_CHART_VERSION_H_
