#include "server/lifecycle/cluster_service.h"

#include <sys/random.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/autoscaling/verb_hook.h"
#include "server/lifecycle/machine_removal.h"
#include "server/log/log.h"
#include "server/render/naming.h"
#include "server/rules/adoption.h"
#include "server/rules/ca_material.h"
#include "server/rules/cluster_objects.h"
#include "server/rules/deployed_checks.h"
#include "server/rules/release_diff.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;

// Field manager for the user-label refresh of RotateCredential, so that it
// never takes fields away from the main manager.
constexpr char kLabelsFieldManager[] = "magnum-capi-bridge-labels";

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

absl::Status UnknownGroup(const std::string& field, const std::string& name,
                          const v1::ClusterSpec& spec) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", name,
      "\" is not a node group of the spec; groups: ", GroupNames(spec)));
}

absl::Status RequireUuid(const v1::ClusterSpec& spec) {
  if (!spec.cluster().uuid().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "spec.cluster.uuid: missing: the Magnum cluster UUID identifies the "
      "cluster");
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

ClusterService::ClusterService(const rules::RenderService* render,
                               kube::KubeClient* kube, helm::HelmRunner* helm,
                               LifecycleOptions options,
                               std::function<std::string(size_t)> random_bytes)
    : render_(render),
      kube_(kube),
      helm_(helm),
      options_(std::move(options)),
      admission_(kube, options_.leases, options_.min_time_to_start),
      observer_(kube, helm, options_.helm_timeout, &recoveries_),
      writer_(kube, options_.field_manager, std::move(random_bytes)),
      applier_(kube, helm, &observer_, options_.chart, options_.helm_timeout,
               options_.versions),
      reaper_(kube, options_.deletion_poll_interval, options_.versions) {}

absl::StatusOr<ObservedRelease> ClusterService::ObserveForVerb(
    const ApplyPlan& plan, const std::string& ns) {
  const v1::ClusterSpec& spec = plan.spec;
  std::string release = spec.cluster().stack_id();
  if (release.empty()) {
    if (!plan.may_generate_release) {
      return absl::FailedPreconditionError(absl::StrCat(
          "spec.cluster.stack_id: empty: cluster ", spec.cluster().uuid(),
          " has no helm release; create it first"));
    }
    // A create whose reply was lost left Secrets naming the release: reuse
    // it rather than starting a second cluster.
    auto existing = observer_.ExistingReleaseOf(spec.cluster().uuid(), ns);
    if (!existing.ok()) return existing.status();
    release = existing->empty() ? render_->NewReleaseName(spec.cluster().name())
                                : *existing;
  }
  log::SetRelease(release);
  return observer_.Observe(release, ns, /*recover=*/true, /*deleting=*/false);
}

absl::StatusOr<v1::OperationResponse> ClusterService::Apply(ApplyPlan plan) {
  const v1::ClusterSpec& spec = plan.spec;
  // Admit.
  auto scope = admission_.Admit({plan.verb, spec.cluster().uuid(),
                                 render_->NamespaceOf(spec), plan.deadline,
                                 "nothing was applied"});
  if (!scope.ok()) return scope.status();
  const std::string& ns = (*scope)->ns();
  // Observe.
  auto observed = ObserveForVerb(plan, ns);
  if (!observed.ok()) return observed.status();
  const std::string& release = observed->release;
  const std::optional<helm::ReleaseRecord>& deployed = observed->deployed;
  // Render.
  auto rendered =
      render_->RenderRelease(spec, release, observed->DeployedChartVersion());
  if (!rendered.ok()) return rendered.status();
  const std::string chart_version = rendered->chart_version.ToString();
  // Check.
  if (absl::Status checked =
          rules::FitToDeployed(deployed, plan.check_upgrade, &*rendered);
      !checked.ok()) {
    return checked;
  }
  if (deployed.has_value() && !rules::WrittenByBridge(observed->history)) {
    LogTakeover(*deployed, rendered->values);
  }
  if (plan.before_apply) {
    absl::Status status = plan.before_apply(release, ns);
    if (!status.ok()) return status;
  }
  // Write.
  if (absl::Status written = writer_.Write(
          {&spec, release, plan.credential, plan.cas, &rendered->values},
          scope->get());
      !written.ok()) {
    return written;
  }

  v1::OperationResponse response;
  response.set_release_name(release);
  response.set_namespace_(ns);
  response.set_chart_version(chart_version);
  response.set_recovery(observed->recovery);
  rules::AddWarnings(rendered->warnings, response.mutable_warnings());
  const absl::Time started = (*scope)->started();
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
    applier_.MarkOperationStarted(release, ns, started, plan.verb);
    // Follow (also when helm did not run: a cluster made before the bridge
    // set these up gets them on its next verb).
    autoscaling::AfterReleaseApplied(*kube_, spec, release, ns,
                                     rendered->values, &response);
    return response;
  }
  // Apply.
  if (absl::Status time = (*scope)->EnoughTimeLeft(
          "the Namespace and Secrets were written, helm was not run");
      !time.ok()) {
    return time;
  }
  auto result = applier_.Upgrade(
      applier_.Request(release, ns, chart_version, rendered->values));
  if (!result.ok()) return result.status();
  log::Info("release applied", {{"namespace", ns},
                                {"chart_version", chart_version},
                                {"revision", result->revision},
                                {"helm_status", result->status}});
  applier_.MarkOperationStarted(release, ns, started, plan.verb);
  // Follow.
  autoscaling::AfterReleaseApplied(*kube_, spec, release, ns, rendered->values,
                                   &response);
  return response;
}

absl::StatusOr<v1::DiffClusterResponse> ClusterService::Diff(
    const v1::DiffClusterRequest& request, absl::Time deadline) {
  const v1::ClusterSpec& spec = request.spec();
  if (absl::Status status = RequireUuid(spec); !status.ok()) return status;
  if (absl::Status time =
          admission_.EnoughTimeLeft(deadline, "nothing was compared");
      !time.ok()) {
    return time;
  }
  std::string release = spec.cluster().stack_id();
  if (release.empty()) release = render_->NewReleaseName(spec.cluster().name());
  log::SetRelease(release);
  const std::string ns = render_->NamespaceOf(spec);
  // Observe, without recovering: Diff writes nothing.
  auto observed =
      observer_.Observe(release, ns, /*recover=*/false, /*deleting=*/false);
  if (!observed.ok()) return observed.status();
  const std::optional<helm::ReleaseRecord>& deployed = observed->deployed;
  auto rendered =
      render_->RenderRelease(spec, release, observed->DeployedChartVersion());
  if (!rendered.ok()) return rendered.status();

  v1::DiffClusterResponse response;
  response.set_release_name(release);
  response.set_namespace_(ns);
  response.set_chart_version(rendered->chart_version.ToString());
  if (absl::Status checked =
          rules::FitToDeployed(deployed, /*check_upgrade=*/true, &*rendered);
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

  helm::UpgradeRequest dry_run =
      applier_.Request(release, ns, response.chart_version(), rendered->values);
  dry_run.description.clear();
  auto manifest = applier_.DryRun(std::move(dry_run), deadline);
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
  MachineRemoval removal;
  removal.group_name = group->name();
  removal.group_label = render::SanitizedName(group->name());
  removal.control_plane = group->role() == "master";
  removal.new_count = group->node_count();
  removal.nodes.assign(request.nodes_to_remove().begin(),
                       request.nodes_to_remove().end());
  plan.before_apply = [this, removal = std::move(removal)](
                          const std::string& release,
                          const std::string& ns) mutable {
    removal.release = release;
    removal.ns = ns;
    return MarkMachinesForRemoval(kube_, options_.versions, removal);
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
  auto scope = admission_.Admit({"DeleteCluster", spec.cluster().uuid(),
                                 render_->NamespaceOf(spec), deadline,
                                 "nothing was deleted"});
  if (!scope.ok()) return scope.status();
  const std::string& ns = (*scope)->ns();
  std::string release = spec.cluster().stack_id();
  if (release.empty()) {
    auto existing = observer_.ExistingReleaseOf(spec.cluster().uuid(), ns);
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
  auto observed =
      observer_.Observe(release, ns, /*recover=*/true, /*deleting=*/true);
  if (!observed.ok()) return observed.status();
  response.set_recovery(observed->recovery);
  if (absl::Status time = (*scope)->EnoughTimeLeft("nothing was deleted");
      !time.ok()) {
    return time;
  }
  auto removed = helm_->Uninstall(release, ns, options_.helm_timeout);
  if (absl::IsDeadlineExceeded(removed.status())) {
    return observer_.AfterKilledHelm(release, ns, removed.status());
  }
  if (!removed.ok()) return removed.status();
  log::Info(*removed ? "release uninstalled" : "release was already gone",
            {{"namespace", ns}});
  response.set_unchanged(!*removed);
  // Follow: the autoscaler's Role goes with the release.
  autoscaling::AfterReleaseUninstalled(*kube_, spec, release, ns, &response);
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
  auto scope = admission_.Admit({"RotateCredential", spec.cluster().uuid(),
                                 render_->NamespaceOf(spec), deadline,
                                 "nothing was changed"});
  if (!scope.ok()) return scope.status();
  const std::string& ns = (*scope)->ns();
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
