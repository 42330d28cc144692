// RenderService: the dry-run concern of the API. Validates a spec, decides
// chart version, release name and namespace, and renders the values
// document as YAML and JSON. The lifecycle verbs reuse it for the values
// they apply.
//
// Thread-safe: immutable after construction except the random source,
// which is called under no lock and must itself be thread-safe, and the
// render counter (atomic).
#ifndef CAPI_BRIDGE_SERVER_RULES_RENDER_SERVICE_H_
#define CAPI_BRIDGE_SERVER_RULES_RENDER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "magnum/capi/bridge/v1/driver.pb.h"
#include "server/render/values_renderer.h"

namespace capi_bridge::rules {

namespace v1 = magnum::capi::bridge::v1;

class RenderService {
 public:
  // `random_bits` supplies the randomness of generated release names.
  RenderService(render::RenderOptions options,
                std::function<uint64_t()> random_bits);

  absl::StatusOr<v1::RenderValuesResponse> Render(
      const v1::RenderValuesRequest& request) const;

  // Validates and renders `spec` for `release` at the chart version the
  // spec selects; the result's warnings include the version choice's.
  // With `deployed_chart_version` (the release's, "" when none): a spec
  // whose template names no chart version keeps that version, when the
  // bridge supports it, instead of moving to the bridge's default (with a
  // warning saying so); a template label still wins.
  absl::StatusOr<render::RenderResult> RenderRelease(
      const v1::ClusterSpec& spec, const std::string& release,
      const std::string& deployed_chart_version = "") const;

  // The namespace of the spec's project ("<prefix>-<project>").
  std::string NamespaceOf(const v1::ClusterSpec& spec) const;

  // A new release name for a cluster called `cluster_name`.
  std::string NewReleaseName(const std::string& cluster_name) const;

  // How many values documents Render and RenderRelease have rendered (a
  // verb renders once; unit tests count).
  uint64_t renders() const { return renders_.load(); }

 private:
  render::ValuesRenderer renderer_;
  std::function<uint64_t()> random_bits_;
  mutable std::atomic<uint64_t> renders_{0};
};

// Appends render warnings to a reply's repeated Warning field.
void AddWarnings(const std::vector<render::RenderWarning>& warnings,
                 google::protobuf::RepeatedPtrField<v1::Warning>* out);

// A thread-safe source of random bits from the operating system.
std::function<uint64_t()> SystemRandomBits();

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_RENDER_SERVICE_H_
