#include "server/lifecycle/cluster_service.h"

#include <sys/random.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/log/log.h"
#include "server/render/naming.h"
#include "server/rules/adoption.h"
#include "server/rules/ca_material.h"
#include "server/rules/cluster_objects.h"
#include "server/rules/immutable_values.h"
#include "server/rules/release_diff.h"
#include "server/rules/upgrade_rules.h"
#include "server/status/capi_records.h"
#include "server/util/kube_time.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;

// Field managers for writes other than the cluster's own objects, so that
// they never take fields away from the main manager.
constexpr char kResizeFieldManager[] = "magnum-capi-bridge-resize";
constexpr char kLabelsFieldManager[] = "magnum-capi-bridge-labels";
constexpr char kDeleteMachineAnnotation[] = "cluster.x-k8s.io/delete-machine";

void AddWarning(const std::string& field, const std::string& message,
                v1::OperationResponse* response) {
  v1::Warning* out = response->add_warnings();
  out->set_field(field);
  out->set_message(message);
}

const v1::NodeGroup* FindGroup(const v1::ClusterSpec& spec,
                               const std::string& name) {
  for (const auto& group : spec.node_groups()) {
    if (group.name() == name) return &group;
  }
  return nullptr;
}

std::string GroupNames(const v1::ClusterSpec& spec) {
  std::vector<std::string> names;
  for (const auto& group : spec.node_groups()) names.push_back(group.name());
  return absl::StrJoin(names, ", ");
}

// The cluster UUID keys the per-cluster lock and labels the Secrets.
absl::Status RequireUuid(const v1::ClusterSpec& spec) {
  if (!spec.cluster().uuid().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "spec.cluster.uuid: missing: the Magnum cluster UUID identifies the "
      "cluster");
}

absl::Status UnknownGroup(const std::string& field, const std::string& name,
                          const v1::ClusterSpec& spec) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", name,
      "\" is not a node group of the spec; groups: ", GroupNames(spec)));
}

// The newest revision of a release history, if any.
std::optional<helm::ReleaseRecord> LatestRevision(
    const std::vector<helm::ReleaseRecord>& history) {
  std::optional<helm::ReleaseRecord> latest;
  for (const auto& record : history) {
    if (!latest || record.revision > latest->revision) latest = record;
  }
  return latest;
}

// The first verb on a release no bridge has written: every value path it
// changes, once, so the operator can see what the takeover did.
void LogTakeover(const helm::ReleaseRecord& deployed, const json& rendered) {
  constexpr size_t kMaxLines = 200;
  std::vector<rules::ValueChange> changes =
      rules::DiffValues(deployed.values, rendered);
  log::Warn(
      "taking over a release another driver wrote; logging each value "
      "this verb changes",
      {{"revision", deployed.revision},
       {"deployed_by", deployed.description},
       {"deployed_chart_version", deployed.chart_version},
       {"changes", changes.size()}});
  for (size_t i = 0; i < changes.size() && i < kMaxLines; ++i) {
    log::Warn("value changed by the takeover",
              {{"path", changes[i].path},
               {"change", rules::DescribeChange(changes[i])}});
  }
  if (changes.size() > kMaxLines) {
    log::Warn("more values changed by the takeover",
              {{"not_logged", changes.size() - kMaxLines}});
  }
}

}  // namespace

absl::StatusOr<std::optional<helm::ReleaseRecord>>
ClusterService::DeployedRelease(const v1::ClusterSpec& spec,
                                const std::string& release,
                                const std::vector<helm::ReleaseRecord>& history,
                                render::RenderResult* rendered) const {
  std::optional<helm::ReleaseRecord> deployed = LatestRevision(history);
  if (!deployed.has_value() ||
      deployed->chart_version == rendered->chart_version.ToString()) {
    return deployed;
  }
  auto again = render_->RenderRelease(spec, release, deployed->chart_version);
  if (!again.ok()) return again.status();
  *rendered = *std::move(again);
  return deployed;
}

absl::Status ClusterService::FitToDeployed(
    const std::optional<helm::ReleaseRecord>& deployed, bool check_upgrade,
    render::RenderResult* rendered) const {
  if (!deployed.has_value()) return absl::OkStatus();
  if (auto kept = rules::KeepDeployedDefaultStorageClass(
          deployed->values, rendered->default_volume_type_configured,
          &rendered->values)) {
    rendered->warnings.push_back(*std::move(kept));
  }
  if (check_upgrade) {
    std::string from = deployed->values.value("kubernetesVersion", "");
    std::string to = rendered->values.value("kubernetesVersion", "");
    if (!from.empty() && !to.empty()) {
      absl::Status skew = rules::CheckKubernetesUpgrade(from, to);
      if (!skew.ok()) return skew;
    }
  }
  if (absl::Status chart = rules::CheckChartVersion(
          deployed->chart_version, rendered->chart_version.ToString());
      !chart.ok()) {
    return chart;
  }
  return rules::CheckImmutableValues(deployed->values, rendered->values);
}

absl::Status ClusterService::AfterKilledHelm(const std::string& release,
                                             const std::string& ns,
                                             const absl::Status& killed) {
  // This bridge's helm is dead, so a pending mark it left is stale now.
  std::string what;
  auto history = ReleaseHistory(release, ns);
  if (history.ok()) {
    auto recovered = RecoverPending(release, ns, /*deleting=*/false,
                                    absl::ZeroDuration(), &*history);
    what = recovered.ok() ? *recovered
                          : absl::StrCat("recovery failed: ",
                                         recovered.status().message());
  } else {
    what =
        absl::StrCat("its history is unreadable: ", history.status().message());
  }
  return absl::DeadlineExceededError(
      absl::StrCat(killed.message(), what.empty() ? "" : "; ", what,
                   "; the verb was not applied: retry it"));
}

ClusterService::ClusterService(const rules::RenderService* render,
                               kube::KubeClient* kube, helm::HelmRunner* helm,
                               LifecycleOptions options,
                               std::function<std::string(size_t)> random_bytes)
    : render_(render),
      kube_(kube),
      helm_(helm),
      options_(std::move(options)),
      random_bytes_(std::move(random_bytes)),
      leases_(options_.leases.duration > absl::ZeroDuration()
                  ? std::make_unique<ClusterLeases>(kube, options_.leases)
                  : nullptr),
      reaper_(kube, options_.deletion_poll_interval) {}

absl::StatusOr<std::unique_ptr<ClusterLeases::Held>> ClusterService::TakeLease(
    const std::string& ns, const std::string& uuid, const char* verb,
    bool create_namespace) {
  if (leases_ == nullptr) return std::unique_ptr<ClusterLeases::Held>();
  auto held = leases_->Acquire(ns, uuid, verb);
  if (absl::IsNotFound(held.status()) && create_namespace) {
    auto applied =
        kube_->Apply(kube::kinds::kNamespace, rules::NamespaceObject(ns),
                     options_.field_manager);
    if (!applied.ok()) return applied.status();
    held = leases_->Acquire(ns, uuid, verb);
  }
  return held;
}

absl::StatusOr<std::string> ClusterService::ExistingReleaseOf(
    const v1::ClusterSpec& spec, const std::string& ns) {
  auto secrets =
      kube_->List(kube::kinds::kSecret, ns,
                  rules::ClusterSecretsSelector(spec.cluster().uuid()));
  if (!secrets.ok()) return secrets.status();
  for (const auto& secret : (*secrets)["items"]) {
    std::string release = rules::LabelOf(secret, rules::kClusterNameLabel);
    if (!release.empty()) return release;
  }
  return std::string();
}

absl::StatusOr<std::vector<helm::ReleaseRecord>> ClusterService::ReleaseHistory(
    const std::string& release, const std::string& ns) {
  auto secrets = kube_->List(kube::kinds::kSecret, ns,
                             helm::ReleaseSecretSelector(release));
  if (!secrets.ok()) return secrets.status();
  std::vector<helm::ReleaseRecord> history;
  for (const auto& secret : (*secrets)["items"]) {
    auto record = helm::DecodeReleaseSecret(secret);
    if (!record.ok()) continue;  // an unreadable record: let helm decide
    history.push_back(*std::move(record));
  }
  return history;
}

absl::StatusOr<std::string> ClusterService::RecoverPending(
    const std::string& release, const std::string& ns, bool deleting,
    absl::Duration stale_after, std::vector<helm::ReleaseRecord>* history) {
  using Action = helm::RecoveryPlan::Action;
  helm::RecoveryPlan plan =
      helm::PlanRecovery(*history, absl::Now(), stale_after, deleting);
  if (plan.action == Action::kNone) return std::string();
  if (plan.action == Action::kWait || helm_->Running(release, ns)) {
    return absl::AbortedError(absl::StrCat(
        "release ", release, " in ", ns, " is ", plan.from, " (revision ",
        plan.pending_revision,
        "): a helm may still be applying it; if none is, the bridge "
        "recovers it from ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", plan.recoverable_at,
                         absl::UTCTimeZone()),
        " (helm.timeout_seconds + helm.kill_grace_seconds after helm "
        "started); retry then"));
  }
  log::Warn("recovering a release an interrupted helm left pending",
            {{"namespace", ns},
             {"from", plan.from},
             {"revision", plan.pending_revision},
             {"rollback_to", plan.rollback_to}});
  if (plan.action == Action::kRollback) {
    absl::Status rolled =
        helm_->Rollback(release, ns, plan.rollback_to, options_.helm_timeout);
    if (!rolled.ok()) {
      return absl::Status(
          rolled.code(),
          absl::StrCat("recovering release ", release, " from ", plan.from,
                       " at revision ", plan.pending_revision,
                       " failed: ", rolled.message()));
    }
  } else if (plan.action == Action::kRemovePending) {
    for (int revision : plan.pending_revisions) {
      absl::Status removed = kube_->Delete(
          kube::kinds::kSecret, ns,
          absl::StrCat("sh.helm.release.v1.", release, ".v", revision));
      if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
    }
  }
  recoveries_.Add(plan.from);
  std::string what = helm::DescribeRecovery(plan);
  log::Warn("release recovered", {{"namespace", ns}, {"recovery", what}});
  if (plan.action != Action::kUninstall) {
    auto again = ReleaseHistory(release, ns);
    if (!again.ok()) return again.status();
    *history = *std::move(again);
  }
  return what;
}

absl::Status ClusterService::EnoughTimeLeft(absl::Time deadline,
                                            const char* stage) const {
  if (deadline == absl::InfiniteFuture()) return absl::OkStatus();
  const absl::Duration left = deadline - absl::Now();
  if (left >= options_.min_time_to_start) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      "the caller's deadline leaves ",
      absl::FormatDuration(absl::Trunc(std::max(left, absl::ZeroDuration()),
                                       absl::Milliseconds(100))),
      ", less than the ", absl::FormatDuration(options_.min_time_to_start),
      " a verb needs to start helm; ", stage,
      ": retry with a longer deadline"));
}

void ClusterService::MarkOperationStarted(const std::string& release,
                                          const std::string& ns,
                                          absl::Time started,
                                          const char* verb) {
  // A PUT of the Cluster as read, with one more annotation: it never
  // creates a Cluster, and a concurrent change (CAPI's status) conflicts
  // instead of being overwritten.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto cluster = kube_->Get(kube::kinds::kCluster, ns, release);
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
    auto written = kube_->Replace(kube::kinds::kCluster, *cluster);
    if (written.ok() || absl::IsNotFound(written.status())) return;
    last = written.status();
    if (!absl::IsAborted(last)) break;
  }
  // Status falls back to this process's memory (OperationTimes).
  log::Warn("recording the operation's start on the Cluster failed",
            {{"namespace", ns}, {"error", std::string(last.message())}});
}

absl::StatusOr<v1::OperationResponse> ClusterService::Apply(ApplyPlan plan) {
  const v1::ClusterSpec& spec = plan.spec;
  const absl::Time started = absl::Now();
  if (absl::Status status = RequireUuid(spec); !status.ok()) return status;
  if (absl::Status time = EnoughTimeLeft(plan.deadline, "nothing was applied");
      !time.ok()) {
    return time;
  }
  auto guard = locks_.TryAcquire(spec.cluster().uuid(), plan.verb);
  if (!guard.ok()) return guard.status();

  std::string release = spec.cluster().stack_id();
  if (release.empty() && !plan.may_generate_release) {
    return absl::FailedPreconditionError(absl::StrCat(
        "spec.cluster.stack_id: empty: cluster ", spec.cluster().uuid(),
        " has no helm release; create it first"));
  }
  bool generated = release.empty();
  if (generated) release = render_->NewReleaseName(spec.cluster().name());
  log::SetRelease(release);
  // Validate before touching anything.
  auto rendered = render_->RenderRelease(spec, release);
  if (!rendered.ok()) return rendered.status();
  const std::string ns = rendered->namespace_name;
  // From here on other replicas wait for this verb (ABORTED); a create
  // without a release name looks for one only once it holds the Lease.
  auto lease = TakeLease(ns, spec.cluster().uuid(), plan.verb, true);
  if (!lease.ok()) return lease.status();
  if (generated) {
    // A create whose reply was lost left Secrets naming the release: reuse
    // it rather than starting a second cluster.
    auto existing = ExistingReleaseOf(spec, ns);
    if (!existing.ok()) return existing.status();
    if (!existing->empty() && *existing != release) {
      release = *existing;
      rendered = render_->RenderRelease(spec, release);
      if (!rendered.ok()) return rendered.status();
    }
  }
  log::SetRelease(release);
  auto history = ReleaseHistory(release, ns);
  if (!history.ok()) return history.status();
  auto recovery =
      RecoverPending(release, ns, /*deleting=*/false,
                     helm_->RunBound(options_.helm_timeout), &*history);
  if (!recovery.ok()) return recovery.status();
  auto deployed_or = DeployedRelease(spec, release, *history, &*rendered);
  if (!deployed_or.ok()) return deployed_or.status();
  const std::optional<helm::ReleaseRecord>& deployed = *deployed_or;
  const std::string chart_version = rendered->chart_version.ToString();
  if (absl::Status checked =
          FitToDeployed(deployed, plan.check_upgrade, &*rendered);
      !checked.ok()) {
    return checked;
  }
  if (deployed.has_value() && !rules::WrittenByBridge(*history)) {
    LogTakeover(*deployed, rendered->values);
  }
  if (plan.before_apply) {
    absl::Status status = plan.before_apply(release, ns);
    if (!status.ok()) return status;
  }

  auto applied =
      kube_->Apply(kube::kinds::kNamespace, rules::NamespaceObject(ns),
                   options_.field_manager);
  if (!applied.ok()) return applied.status();
  rules::ClusterIdentity id{release, ns, spec.cluster().uuid(),
                            spec.cluster().project_id(),
                            spec.cluster().user_id()};
  if (plan.credential != nullptr) {
    applied = kube_->Apply(kube::kinds::kSecret,
                           rules::CloudCredentialsSecret(
                               id, spec.facts().keystone(), *plan.credential),
                           options_.field_manager);
    if (!applied.ok()) return applied.status();
  }
  if (plan.cas != nullptr) {
    for (const json& secret : rules::CaSecrets(id, *plan.cas)) {
      applied =
          kube_->Apply(kube::kinds::kSecret, secret, options_.field_manager);
      if (!applied.ok()) return applied.status();
    }
  }
  if (rendered->values.value("/etcd/encryption/enabled"_json_pointer, false)) {
    std::string name = absl::StrCat(release, "-etcd-key");
    auto key = kube_->Get(kube::kinds::kSecret, ns, name);
    if (!key.ok() && absl::IsNotFound(key.status())) {
      applied = kube_->Apply(kube::kinds::kSecret,
                             rules::EtcdKeySecret(id, random_bytes_(32)),
                             options_.field_manager);
      if (!applied.ok()) return applied.status();
    } else if (!key.ok()) {
      return key.status();
    }
  }

  v1::OperationResponse response;
  response.set_release_name(release);
  response.set_namespace_(ns);
  response.set_chart_version(chart_version);
  response.set_recovery(*recovery);
  rules::AddWarnings(rendered->warnings, response.mutable_warnings());
  if (options_.operation_times != nullptr) {
    options_.operation_times->Record(spec.cluster().uuid(), started);
  }
  const bool unchanged = deployed.has_value() &&
                         deployed->status == "deployed" &&
                         deployed->chart_version == chart_version &&
                         deployed->values == rendered->values;
  if (unchanged) {
    log::Info("values unchanged, helm not run",
              {{"namespace", ns}, {"chart_version", chart_version}});
    response.set_unchanged(true);
    MarkOperationStarted(release, ns, started, plan.verb);
    return response;
  }
  if (absl::Status time = EnoughTimeLeft(
          plan.deadline,
          "the Namespace and Secrets were written, helm was not run");
      !time.ok()) {
    return time;
  }
  helm::UpgradeRequest upgrade;
  upgrade.release = release;
  upgrade.namespace_name = ns;
  upgrade.chart = options_.chart;
  upgrade.chart.version = chart_version;
  upgrade.values_json = rendered->values.dump();
  upgrade.timeout = options_.helm_timeout;
  if (const log::Context* context = log::CurrentContext()) {
    upgrade.description =
        absl::StrCat(rules::kReleaseDescriptionPrefix, context->verb,
                     " request ", context->request_id);
  }
  auto result = helm_->UpgradeInstall(upgrade);
  if (absl::IsDeadlineExceeded(result.status())) {
    return AfterKilledHelm(release, ns, result.status());
  }
  if (!result.ok()) return result.status();
  log::Info("release applied", {{"namespace", ns},
                                {"chart_version", chart_version},
                                {"revision", result->revision},
                                {"helm_status", result->status}});
  MarkOperationStarted(release, ns, started, plan.verb);
  return response;
}

absl::StatusOr<v1::DiffClusterResponse> ClusterService::Diff(
    const v1::DiffClusterRequest& request, absl::Time deadline) {
  const v1::ClusterSpec& spec = request.spec();
  if (absl::Status status = RequireUuid(spec); !status.ok()) return status;
  if (absl::Status time = EnoughTimeLeft(deadline, "nothing was compared");
      !time.ok()) {
    return time;
  }
  std::string release = spec.cluster().stack_id();
  if (release.empty()) release = render_->NewReleaseName(spec.cluster().name());
  log::SetRelease(release);
  auto rendered = render_->RenderRelease(spec, release);
  if (!rendered.ok()) return rendered.status();
  const std::string ns = rendered->namespace_name;
  auto history = ReleaseHistory(release, ns);
  if (!history.ok()) return history.status();
  auto deployed_or = DeployedRelease(spec, release, *history, &*rendered);
  if (!deployed_or.ok()) return deployed_or.status();
  const std::optional<helm::ReleaseRecord>& deployed = *deployed_or;

  v1::DiffClusterResponse response;
  response.set_release_name(release);
  response.set_namespace_(ns);
  response.set_chart_version(rendered->chart_version.ToString());
  if (absl::Status checked =
          FitToDeployed(deployed, /*check_upgrade=*/true, &*rendered);
      !checked.ok()) {
    response.set_refusal(std::string(checked.message()));
  }
  rules::AddWarnings(rendered->warnings, response.mutable_warnings());
  const json no_values = json::object();
  if (deployed.has_value()) {
    response.set_deployed_revision(deployed->revision);
    response.set_deployed_chart_version(deployed->chart_version);
    response.set_deployed_by(deployed->description);
  }
  for (const rules::ValueChange& change :
       rules::DiffValues(deployed.has_value() ? deployed->values : no_values,
                         rendered->values)) {
    v1::ValueChange* out = response.add_values();
    out->set_path(change.path);
    if (change.deployed) out->set_deployed_json(change.deployed->dump());
    if (change.rendered) out->set_new_json(change.rendered->dump());
  }

  helm::UpgradeRequest dry_run;
  dry_run.release = release;
  dry_run.namespace_name = ns;
  dry_run.chart = options_.chart;
  dry_run.chart.version = rendered->chart_version.ToString();
  dry_run.values_json = rendered->values.dump();
  dry_run.timeout = std::min(options_.helm_timeout, deadline - absl::Now());
  auto manifest = helm_->DryRunManifest(dry_run);
  if (!manifest.ok()) return manifest.status();
  auto objects = rules::DiffManifests(
      deployed.has_value() ? deployed->manifest : "", *manifest);
  if (!objects.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot compare the release's objects: ", objects.status().message()));
  }
  for (const rules::ObjectChange& change : *objects) {
    v1::ObjectChange* out = response.add_objects();
    out->set_action(std::string(rules::ActionName(change.action)));
    out->set_api_version(change.api_version);
    out->set_kind(change.kind);
    out->set_namespace_(change.namespace_name);
    out->set_name(change.name);
    for (const std::string& path : change.changed_paths) {
      out->add_changed_paths(path);
    }
    out->set_changed_count(static_cast<int32_t>(change.changed_count));
  }
  response.set_changed(response.values_size() > 0 ||
                       response.objects_size() > 0 || !deployed.has_value() ||
                       deployed->status != "deployed" ||
                       deployed->chart_version != response.chart_version());
  log::Info("release compared", {{"namespace", ns},
                                 {"changed", response.changed()},
                                 {"values", response.values_size()},
                                 {"objects", response.objects_size()}});
  return response;
}

absl::StatusOr<v1::OperationResponse> ClusterService::Create(
    const v1::CreateClusterRequest& request, absl::Time deadline) {
  const auto& credential = request.credential();
  std::vector<std::string> missing;
  if (credential.application_credential_id().empty()) {
    missing.push_back("credential.application_credential_id");
  }
  if (credential.application_credential_secret().empty()) {
    missing.push_back("credential.application_credential_secret");
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::StrJoin(missing, ", "),
        ": missing: CreateCluster needs the application credential the "
        "cluster's OpenStack components use"));
  }
  if (absl::Status cas = rules::CheckCaMaterial(request.ca_certificates());
      !cas.ok()) {
    return cas;
  }
  ApplyPlan plan{"CreateCluster", request.spec(), deadline};
  plan.may_generate_release = true;
  plan.credential = &request.credential();
  plan.cas = &request.ca_certificates();
  auto response = Apply(std::move(plan));
  const auto& cas = request.ca_certificates();
  const bool no_cas = cas.ca().certificate_pem().empty() &&
                      cas.etcd().certificate_pem().empty() &&
                      cas.front_proxy().certificate_pem().empty() &&
                      cas.service_account().certificate_pem().empty();
  if (response.ok() && no_cas) {
    AddWarning("ca_certificates",
               "none given: CAPI generates the cluster CAs, so Magnum's "
               "`cluster config` will not match the cluster",
               &*response);
  }
  return response;
}

absl::StatusOr<v1::OperationResponse> ClusterService::Update(
    const v1::UpdateClusterRequest& request, absl::Time deadline) {
  return Apply(ApplyPlan{"UpdateCluster", request.spec(), deadline});
}

absl::StatusOr<v1::OperationResponse> ClusterService::Resize(
    const v1::ResizeClusterRequest& request, absl::Time deadline) {
  const v1::NodeGroup* group = FindGroup(request.spec(), request.node_group());
  if (group == nullptr) {
    return UnknownGroup("node_group", request.node_group(), request.spec());
  }
  ApplyPlan plan{"ResizeCluster", request.spec(), deadline};
  if (request.nodes_to_remove().empty()) return Apply(std::move(plan));
  const bool master = group->role() == "master";
  const std::string group_label = render::SanitizedName(group->name());
  const int new_count = group->node_count();
  std::vector<std::string> wanted(request.nodes_to_remove().begin(),
                                  request.nodes_to_remove().end());
  plan.before_apply = [this, master, group_label, new_count, wanted,
                       name = group->name()](const std::string& release,
                                             const std::string& ns) {
    std::string selector = absl::StrCat("capi.stackhpc.com/cluster=", release);
    absl::StrAppend(
        &selector,
        master ? ",capi.stackhpc.com/component=control-plane"
               : absl::StrCat(",capi.stackhpc.com/node-group=", group_label));
    auto machines = kube_->List(kube::kinds::kMachine, ns, selector);
    if (!machines.ok()) return machines.status();
    std::vector<std::string> targets, unknown, known;
    for (const std::string& node : wanted) {
      bool found = false;
      for (const auto& m : (*machines)["items"]) {
        std::string machine = m["metadata"].value("name", "");
        std::string node_name =
            m.value("/status/nodeRef/name"_json_pointer, "");
        if (node == machine || node == node_name) {
          targets.push_back(machine);
          found = true;
          break;
        }
      }
      if (!found) unknown.push_back(node);
    }
    if (!unknown.empty()) {
      for (const auto& m : (*machines)["items"]) {
        known.push_back(m.value("/status/nodeRef/name"_json_pointer,
                                m["metadata"].value("name", "")));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "nodes_to_remove: ", absl::StrJoin(unknown, ", "),
          (unknown.size() == 1 ? " is not a node" : " are not nodes"),
          " of node group ", name, "; its nodes: ",
          known.empty() ? "(none)" : absl::StrJoin(known, ", ")));
    }
    int current = static_cast<int>((*machines)["items"].size());
    if (static_cast<int>(targets.size()) > current - new_count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "nodes_to_remove: ", targets.size(), " nodes named but node group ",
          name, " goes from ", current, " to ", new_count,
          " nodes; name at most ", std::max(0, current - new_count)));
    }
    for (const std::string& machine : targets) {
      json mark = {{"apiVersion", kube::kinds::kMachine.ApiVersion()},
                   {"kind", kube::kinds::kMachine.kind},
                   {"metadata",
                    {{"name", machine},
                     {"namespace", ns},
                     {"annotations", {{kDeleteMachineAnnotation, "yes"}}}}}};
      auto marked =
          kube_->Apply(kube::kinds::kMachine, mark, kResizeFieldManager);
      if (!marked.ok()) return marked.status();
    }
    return absl::OkStatus();
  };
  return Apply(std::move(plan));
}

absl::StatusOr<v1::OperationResponse> ClusterService::Upgrade(
    const v1::UpgradeClusterRequest& request, absl::Time deadline) {
  ApplyPlan plan{"UpgradeCluster", request.spec(), deadline};
  plan.check_upgrade = true;
  auto response = Apply(std::move(plan));
  if (response.ok() && !request.node_group().empty()) {
    AddWarning("node_group",
               "the chart upgrades every node group together; the upgrade "
               "was not restricted to " +
                   request.node_group(),
               &*response);
  }
  return response;
}

absl::StatusOr<v1::OperationResponse> ClusterService::Delete(
    const v1::DeleteClusterRequest& request, absl::Time deadline) {
  const v1::ClusterSpec& spec = request.spec();
  if (absl::Status status = RequireUuid(spec); !status.ok()) return status;
  if (spec.cluster().project_id().empty()) {
    return absl::InvalidArgumentError(
        "spec.cluster.project_id: missing: it names the cluster's namespace");
  }
  if (absl::Status time = EnoughTimeLeft(deadline, "nothing was deleted");
      !time.ok()) {
    return time;
  }
  auto guard = locks_.TryAcquire(spec.cluster().uuid(), "DeleteCluster");
  if (!guard.ok()) return guard.status();
  const std::string ns = render_->NamespaceOf(spec);
  auto lease = TakeLease(ns, spec.cluster().uuid(), "DeleteCluster", false);
  if (!lease.ok() && !absl::IsNotFound(lease.status())) return lease.status();
  std::string release = spec.cluster().stack_id();
  if (release.empty()) {
    auto existing = ExistingReleaseOf(spec, ns);
    if (!existing.ok()) return existing.status();
    release = *existing;
  }
  v1::OperationResponse response;
  response.set_release_name(release);
  response.set_namespace_(ns);
  if (release.empty()) {
    log::Info("no release to uninstall", {{"namespace", ns}});
    return response;  // never created: nothing to do
  }
  log::SetRelease(release);
  auto history = ReleaseHistory(release, ns);
  if (!history.ok()) return history.status();
  auto recovery =
      RecoverPending(release, ns, /*deleting=*/true,
                     helm_->RunBound(options_.helm_timeout), &*history);
  if (!recovery.ok()) return recovery.status();
  response.set_recovery(*recovery);
  if (absl::Status time = EnoughTimeLeft(deadline, "nothing was deleted");
      !time.ok()) {
    return time;
  }
  auto removed = helm_->Uninstall(release, ns, options_.helm_timeout);
  if (absl::IsDeadlineExceeded(removed.status())) {
    return AfterKilledHelm(release, ns, removed.status());
  }
  if (!removed.ok()) return removed.status();
  log::Info(*removed ? "release uninstalled" : "release was already gone",
            {{"namespace", ns}});
  response.set_unchanged(!*removed);
  if (options_.operation_times != nullptr) {
    options_.operation_times->Record(spec.cluster().uuid(), absl::Now());
  }
  return response;
}

absl::StatusOr<v1::OperationResponse> ClusterService::NodeGroupVerb(
    const char* verb, const v1::NodeGroupRequest& request, bool remove,
    absl::Time deadline) {
  const v1::NodeGroup* group = FindGroup(request.spec(), request.node_group());
  if (group == nullptr) {
    return UnknownGroup("node_group", request.node_group(), request.spec());
  }
  ApplyPlan plan{verb, request.spec(), deadline};
  if (remove) {
    if (group->role() == "master" || group->is_default()) {
      return absl::FailedPreconditionError(
          absl::StrCat("node_group: ", group->name(),
                       " is a default group; it is removed with the cluster"));
    }
    auto* groups = plan.spec.mutable_node_groups();
    groups->erase(std::remove_if(groups->begin(), groups->end(),
                                 [&](const v1::NodeGroup& g) {
                                   return g.name() == request.node_group();
                                 }),
                  groups->end());
  }
  return Apply(std::move(plan));
}

absl::StatusOr<v1::OperationResponse> ClusterService::CreateNodeGroup(
    const v1::NodeGroupRequest& request, absl::Time deadline) {
  return NodeGroupVerb("CreateNodeGroup", request, false, deadline);
}

absl::StatusOr<v1::OperationResponse> ClusterService::UpdateNodeGroup(
    const v1::NodeGroupRequest& request, absl::Time deadline) {
  return NodeGroupVerb("UpdateNodeGroup", request, false, deadline);
}

absl::StatusOr<v1::OperationResponse> ClusterService::DeleteNodeGroup(
    const v1::NodeGroupRequest& request, absl::Time deadline) {
  return NodeGroupVerb("DeleteNodeGroup", request, true, deadline);
}

absl::StatusOr<v1::OperationResponse> ClusterService::RotateCredential(
    const v1::RotateCredentialRequest& request, absl::Time deadline) {
  const v1::ClusterSpec& spec = request.spec();
  const auto& credential = request.credential();
  if (spec.cluster().uuid().empty() || spec.cluster().stack_id().empty()) {
    return absl::InvalidArgumentError(
        "spec.cluster.uuid and spec.cluster.stack_id: both are needed to "
        "find the cluster's credential");
  }
  if (credential.application_credential_id().empty() ||
      credential.application_credential_secret().empty()) {
    return absl::InvalidArgumentError(
        "credential: missing: application_credential_id and "
        "application_credential_secret are required");
  }
  if (absl::Status time = EnoughTimeLeft(deadline, "nothing was changed");
      !time.ok()) {
    return time;
  }
  auto guard = locks_.TryAcquire(spec.cluster().uuid(), "RotateCredential");
  if (!guard.ok()) return guard.status();
  const std::string ns = render_->NamespaceOf(spec);
  auto lease = TakeLease(ns, spec.cluster().uuid(), "RotateCredential", false);
  if (!lease.ok() && !absl::IsNotFound(lease.status())) return lease.status();
  const std::string release = spec.cluster().stack_id();
  auto current = kube_->Get(kube::kinds::kSecret, ns,
                            render::CloudCredentialsSecretName(release));
  if (absl::IsNotFound(current.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cluster ", spec.cluster().uuid(), " has no credential Secret ",
        render::CloudCredentialsSecretName(release), " in ", ns,
        "; was it created?"));
  }
  if (!current.ok()) return current.status();
  const std::string old_id = rules::CredentialIdOf(*current);
  if (old_id == credential.application_credential_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "credential.application_credential_id: ", old_id,
        " is the credential the cluster already uses; create a new one"));
  }
  rules::ClusterIdentity id{release, ns, spec.cluster().uuid(),
                            spec.cluster().project_id(),
                            spec.cluster().user_id()};
  auto applied = kube_->Apply(
      kube::kinds::kSecret,
      rules::CloudCredentialsSecret(id, spec.facts().keystone(), credential),
      options_.field_manager);
  if (!applied.ok()) return applied.status();
  // The cluster's owner may have changed: refresh the user label of the
  // CA Secrets, as the reference driver does.
  const std::string user = rules::LabelValue(spec.cluster().user_id());
  if (rules::LabelOf(*current, rules::kUserLabel) != user) {
    auto secrets =
        kube_->List(kube::kinds::kSecret, ns,
                    rules::ClusterSecretsSelector(spec.cluster().uuid()));
    if (!secrets.ok()) return secrets.status();
    for (const auto& secret : (*secrets)["items"]) {
      std::string name = secret["metadata"].value("name", "");
      if (name == render::CloudCredentialsSecretName(release)) continue;
      json relabel = {{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata",
                       {{"name", name},
                        {"namespace", ns},
                        {"labels", {{rules::kUserLabel, user}}}}}};
      auto labelled =
          kube_->Apply(kube::kinds::kSecret, relabel, kLabelsFieldManager);
      if (!labelled.ok()) return labelled.status();
    }
  }
  v1::OperationResponse response;
  response.set_release_name(release);
  response.set_namespace_(ns);
  response.set_replaced_credential_id(old_id);
  return response;
}

std::function<std::string(size_t)> SystemRandomBytes() {
  return [](size_t n) {
    std::string out(n, '\0');
    size_t filled = 0;
    while (filled < n) {
      ssize_t got = getrandom(out.data() + filled, n - filled, 0);
      if (got > 0) filled += static_cast<size_t>(got);
    }
    return out;
  };
}

}  // namespace capi_bridge::lifecycle
