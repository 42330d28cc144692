#include "server/lifecycle/release_observer.h"

#include "absl/strings/str_cat.h"
#include "server/helm/pending_release.h"
#include "server/log/log.h"
#include "server/rules/cluster_objects.h"

namespace capi_bridge::lifecycle {
namespace {

// The newest revision of a release history, if any.
std::optional<helm::ReleaseRecord> LatestRevision(
    const std::vector<helm::ReleaseRecord>& history) {
  std::optional<helm::ReleaseRecord> latest;
  for (const auto& record : history) {
    if (!latest || record.revision > latest->revision) latest = record;
  }
  return latest;
}

}  // namespace

ReleaseObserver::ReleaseObserver(kube::KubeClient* kube, helm::HelmRunner* helm,
                                 absl::Duration helm_timeout,
                                 stats::LabelledCounter* recoveries)
    : kube_(kube),
      helm_(helm),
      helm_timeout_(helm_timeout),
      recoveries_(recoveries) {}

absl::StatusOr<std::string> ReleaseObserver::ExistingReleaseOf(
    const std::string& uuid, const std::string& ns) const {
  auto secrets = kube_->List(kube::kinds::kSecret, ns,
                             rules::ClusterSecretsSelector(uuid));
  if (!secrets.ok()) return secrets.status();
  for (const auto& secret : (*secrets)["items"]) {
    std::string release = rules::LabelOf(secret, rules::kClusterNameLabel);
    if (!release.empty()) return release;
  }
  return std::string();
}

absl::StatusOr<ObservedRelease> ReleaseObserver::Observe(
    const std::string& release, const std::string& ns, bool recover,
    bool deleting) const {
  ObservedRelease out;
  out.release = release;
  out.ns = ns;
  auto history = History(release, ns);
  if (!history.ok()) return history.status();
  out.history = *std::move(history);
  if (recover) {
    auto recovery = RecoverPending(
        release, ns, deleting, helm_->RunBound(helm_timeout_), &out.history);
    if (!recovery.ok()) return recovery.status();
    out.recovery = *std::move(recovery);
  }
  out.deployed = LatestRevision(out.history);
  return out;
}

absl::StatusOr<std::vector<helm::ReleaseRecord>> ReleaseObserver::History(
    const std::string& release, const std::string& ns) const {
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

absl::StatusOr<std::string> ReleaseObserver::RecoverPending(
    const std::string& release, const std::string& ns, bool deleting,
    absl::Duration stale_after,
    std::vector<helm::ReleaseRecord>* history) const {
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
        helm_->Rollback(release, ns, plan.rollback_to, helm_timeout_);
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
  recoveries_->Add(plan.from);
  std::string what = helm::DescribeRecovery(plan);
  log::Warn("release recovered", {{"namespace", ns}, {"recovery", what}});
  if (plan.action != Action::kUninstall) {
    auto again = History(release, ns);
    if (!again.ok()) return again.status();
    *history = *std::move(again);
  }
  return what;
}

absl::Status ReleaseObserver::AfterKilledHelm(
    const std::string& release, const std::string& ns,
    const absl::Status& killed) const {
  // This bridge's helm is dead, so a pending mark it left is stale now.
  std::string what;
  auto history = History(release, ns);
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

}  // namespace capi_bridge::lifecycle
