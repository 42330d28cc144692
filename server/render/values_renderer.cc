#include "server/render/values_renderer.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/render/deep_merge.h"
#include "server/render/naming.h"
#include "server/render/render_context.h"
#include "server/render/sections.h"

namespace capi_bridge::render {
namespace {

using nlohmann::json;

// The identity values that become Kubernetes names and label values, and
// the sizes the bridge accepts, checked before anything is written.
void CheckIdentityAndSizes(RenderContext* ctx) {
  const auto& cluster = ctx->spec.cluster();
  const std::string& uuid = cluster.uuid();
  if (!uuid.empty() && !IsClusterUuid(uuid)) {
    ctx->problems.Add("cluster.uuid", uuid, kClusterUuidAccepted);
  }
  const std::string& project = cluster.project_id();
  if (!project.empty()) {
    const std::string ns =
        NamespaceName(ctx->options.namespace_prefix, project);
    if (!IsK8sLabelValue(project)) {
      ctx->problems.Add("cluster.project_id", project,
                        "a Keystone project id: at most 63 letters, digits, "
                        "'-', '_' or '.', starting and ending with a letter "
                        "or digit (it labels the cluster's Secrets)");
    } else if (ns.size() > kMaxObjectNameLength ||
               ns.size() == ctx->options.namespace_prefix.size() + 1) {
      ctx->problems.Add(
          "cluster.project_id", project,
          absl::StrCat("an id whose letters and digits, after \"",
                       ctx->options.namespace_prefix,
                       "-\", make a namespace name of at most 63 characters"));
    }
  }
  // Magnum's user ids may be longer than a label value (federated users):
  // like the reference driver the label keeps the first 63 characters.
  const std::string& user = cluster.user_id();
  const bool user_ok =
      user.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
          "UVWXYZ0123456789-_.") == std::string::npos &&
      IsK8sLabelValue(absl::string_view(user).substr(0, kMaxObjectNameLength));
  if (!user_ok) {
    ctx->problems.Add("cluster.user_id", user,
                      "a Keystone user id: letters, digits, '-', '_' or '.', "
                      "starting with a letter or digit (its first 63 "
                      "characters label the cluster's Secrets)");
  }
  if (ctx->spec.node_groups_size() > kMaxNodeGroups) {
    ctx->problems.Add(
        "node_groups", absl::StrCat(ctx->spec.node_groups_size(), " groups"),
        absl::StrCat("at most ", kMaxNodeGroups, " node groups per cluster"));
  }
  auto count_labels = [&](const char* field, size_t count) {
    if (count > kMaxLabels) {
      ctx->problems.Add(field, absl::StrCat(count, " labels"),
                        absl::StrCat("at most ", kMaxLabels, " labels"));
    }
  };
  count_labels("cluster.labels", ctx->spec.cluster().labels_size());
  count_labels("template.labels", ctx->spec.template_().labels_size());
  for (const auto& group : ctx->spec.node_groups()) {
    count_labels("node_groups[].labels", group.labels_size());
  }
}

void WarnAboutLabels(RenderContext* ctx) {
  std::set<std::string> names;
  for (const auto& [k, v] : ctx->template_labels) names.insert(k);
  for (const auto& [k, v] : ctx->cluster_labels) names.insert(k);
  for (const std::string& name : names) {
    std::string field = absl::StrCat("labels.", name);
    if (const LabelInfo* info = FindLabel(name)) {
      // Magnum copies the template's labels into the cluster's, so only a
      // cluster value that differs is worth a word.
      auto in_cluster = ctx->cluster_labels.find(name);
      auto in_template = ctx->template_labels.find(name);
      if (info->template_only() && in_cluster != ctx->cluster_labels.end() &&
          (in_template == ctx->template_labels.end() ||
           in_template->second != in_cluster->second)) {
        ctx->Warn(field,
                  "is read from the template only; the cluster label is "
                  "ignored");
      }
      continue;
    }
    if (std::optional<absl::string_view> reason = IgnoredLabelReason(name)) {
      ctx->Warn(field, absl::StrCat("is ignored: ", *reason));
    } else {
      ctx->Warn(field, "is not a label this driver knows; ignored");
    }
  }
  const auto& t = ctx->spec.template_();
  if (!t.http_proxy().empty() || !t.https_proxy().empty() ||
      !t.no_proxy().empty()) {
    ctx->Warn("template.http_proxy",
              "proxy settings have no chart value and are ignored");
  }
}

void ApplyOverrides(RenderContext* ctx, std::vector<std::string>* applied) {
  const auto& sets = ctx->options.value_overrides;
  std::vector<std::string> keys;
  if (sets.count("all") > 0) keys.push_back("all");
  auto label = ctx->labels.Get("helm_extra_values");
  if (label) {
    std::vector<std::string> available;
    for (const auto& [key, set] : sets) {
      if (key != "all") available.push_back(key);
    }
    for (const std::string& key : SplitCsv(label->text)) {
      if (key == "all") continue;  // applied anyway
      if (sets.count(key) == 0) {
        ctx->problems.Add(
            ctx->labels.Field("helm_extra_values", label->source), key,
            available.empty()
                ? std::string("no override sets are configured on this bridge")
                : absl::StrCat("a comma-separated list of configured "
                               "override sets: ",
                               absl::StrJoin(available, ", ")));
        continue;
      }
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        keys.push_back(key);
      }
    }
  }
  for (const std::string& key : keys) {
    for (const json& doc : sets.at(key).documents) DeepMerge(doc, &ctx->values);
    applied->push_back(key);
  }
}

}  // namespace

ValuesRenderer::ValuesRenderer(RenderOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<ChartVersion> ValuesRenderer::ResolveChartVersion(
    const ClusterSpec& spec, const std::string& requested,
    std::vector<RenderWarning>* warnings, const std::string& deployed) const {
  std::string text = requested;
  std::string field = "chart_version";
  if (text.empty()) {
    auto it = spec.template_().labels().find("capi_helm_chart_version");
    if (it != spec.template_().labels().end() && !it->second.empty()) {
      text = it->second;
      field = "labels.capi_helm_chart_version (template label)";
    }
  }
  if (text.empty() && !deployed.empty()) {
    absl::StatusOr<ChartVersion> kept = ChartVersion::Parse(deployed);
    if (kept.ok() && *kept >= ChartVersion::Of(kOldestSupportedChart)) {
      if (deployed != options_.default_chart_version && warnings != nullptr) {
        warnings->push_back(RenderWarning{
            "labels.capi_helm_chart_version",
            absl::StrCat("unset: kept the deployed chart version ", deployed,
                         " (the bridge's default is ",
                         options_.default_chart_version,
                         "); name a version in the template to move the "
                         "cluster")});
      }
      text = deployed;
      field = "the deployed release's chart version";
    }
  }
  if (text.empty()) {
    text = options_.default_chart_version;
    field = "default_chart_version (bridge config)";
  }
  absl::StatusOr<ChartVersion> version = ChartVersion::Parse(text);
  Problems problems;
  if (!version.ok()) {
    problems.Add(field, text, "a chart version X.Y.Z, e.g. 0.27.0");
    return problems.ToStatus();
  }
  if (*version < ChartVersion::Of(kOldestSupportedChart)) {
    problems.Add(field, text,
                 absl::StrCat("openstack-cluster chart ", kOldestSupportedChart,
                              " or newer"));
    return problems.ToStatus();
  }
  if (*version > ChartVersion::Of(kNewestKnownChart) &&
      version->prerelease().empty() && warnings != nullptr) {
    warnings->push_back(RenderWarning{
        field, absl::StrCat("chart ", version->ToString(),
                            " is newer than the newest this bridge knows (",
                            kNewestKnownChart, "); values follow the rules of ",
                            kNewestKnownChart)});
  }
  return version;
}

absl::StatusOr<RenderResult> ValuesRenderer::Render(
    const ClusterSpec& spec, const ChartVersion& chart_version,
    const std::string& release_name) const {
  RenderContext ctx(spec, options_, chart_version, release_name);
  if (!IsReleaseName(release_name)) {
    ctx.problems.Add("cluster.stack_id", release_name,
                     "a helm release name: lower-case letters, digits and "
                     "'-', starting and ending with a letter or digit, at "
                     "most 53 characters");
  }
  if (spec.cluster().project_id().empty()) {
    ctx.problems.Missing("cluster.project_id",
                         "the Keystone project that owns the cluster");
  }
  CheckIdentityAndSizes(&ctx);
  WarnAboutLabels(&ctx);

  RenderImageAndIdentity(&ctx);
  RenderEtcd(&ctx);
  RenderNetworking(&ctx);
  RenderApiServer(&ctx);
  RenderNodeGroups(&ctx);
  RenderKubeadm(&ctx);
  RenderOidc(&ctx);
  RenderRegistryAndAutoscaler(&ctx);
  RenderAddons(&ctx);

  RenderResult result;
  ApplyOverrides(&ctx, &result.applied_overrides);
  CheckMergedValues(&ctx);
  if (!ctx.problems.empty()) return ctx.problems.ToStatus();

  result.values = std::move(ctx.values);
  result.chart_version = chart_version;
  result.release_name = release_name;
  result.namespace_name =
      NamespaceName(options_.namespace_prefix, spec.cluster().project_id());
  result.warnings = std::move(ctx.warnings);
  result.default_volume_type_configured = ctx.default_volume_type_configured;
  return result;
}

}  // namespace capi_bridge::render
