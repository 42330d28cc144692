#include "server/rules/render_service.h"

#include <random>

#include "absl/synchronization/mutex.h"
#include "server/render/naming.h"
#include "server/render/yaml_writer.h"

namespace capi_bridge::rules {

RenderService::RenderService(render::RenderOptions options,
                             std::function<uint64_t()> random_bits)
    : renderer_(std::move(options)), random_bits_(std::move(random_bits)) {}

absl::StatusOr<v1::RenderValuesResponse> RenderService::Render(
    const v1::RenderValuesRequest& request) const {
  const v1::ClusterSpec& spec = request.spec();
  std::vector<render::RenderWarning> warnings;
  absl::StatusOr<render::ChartVersion> chart =
      renderer_.ResolveChartVersion(spec, request.chart_version(), &warnings);
  if (!chart.ok()) return chart.status();

  std::string release = spec.cluster().stack_id();
  if (release.empty()) {
    release =
        render::GenerateReleaseName(spec.cluster().name(), random_bits_());
    warnings.push_back({"cluster.stack_id",
                        "empty: a release name was generated for this dry run "
                        "and is not reserved"});
  }
  renders_.fetch_add(1);
  absl::StatusOr<render::RenderResult> result =
      renderer_.Render(spec, *chart, release);
  if (!result.ok()) return result.status();

  v1::RenderValuesResponse response;
  response.set_values_yaml(render::ToYaml(result->values));
  response.set_values_json(result->values.dump());
  response.set_chart_version(result->chart_version.ToString());
  response.set_release_name(result->release_name);
  response.set_namespace_(result->namespace_name);
  warnings.insert(warnings.end(), result->warnings.begin(),
                  result->warnings.end());
  AddWarnings(warnings, response.mutable_warnings());
  for (const std::string& key : result->applied_overrides) {
    response.add_applied_overrides(key);
  }
  return response;
}

absl::StatusOr<render::RenderResult> RenderService::RenderRelease(
    const v1::ClusterSpec& spec, const std::string& release,
    const std::string& deployed_chart_version) const {
  std::vector<render::RenderWarning> warnings;
  absl::StatusOr<render::ChartVersion> chart = renderer_.ResolveChartVersion(
      spec, "", &warnings, deployed_chart_version);
  if (!chart.ok()) return chart.status();
  renders_.fetch_add(1);
  absl::StatusOr<render::RenderResult> result =
      renderer_.Render(spec, *chart, release);
  if (!result.ok()) return result.status();
  result->warnings.insert(result->warnings.begin(), warnings.begin(),
                          warnings.end());
  return result;
}

std::string RenderService::NamespaceOf(const v1::ClusterSpec& spec) const {
  return render::NamespaceName(renderer_.options().namespace_prefix,
                               spec.cluster().project_id());
}

std::string RenderService::NewReleaseName(
    const std::string& cluster_name) const {
  return render::GenerateReleaseName(cluster_name, random_bits_());
}

void AddWarnings(const std::vector<render::RenderWarning>& warnings,
                 google::protobuf::RepeatedPtrField<v1::Warning>* out) {
  for (const render::RenderWarning& w : warnings) {
    v1::Warning* warning = out->Add();
    warning->set_field(w.field);
    warning->set_message(w.message);
  }
}

std::function<uint64_t()> SystemRandomBits() {
  struct Source {
    absl::Mutex mu;
    std::mt19937_64 engine ABSL_GUARDED_BY(mu){std::random_device{}()};
  };
  auto source = std::make_shared<Source>();
  return [source]() {
    absl::MutexLock lock(&source->mu);
    return source->engine();
  };
}

}  // namespace capi_bridge::rules
