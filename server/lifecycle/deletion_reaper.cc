#include "server/lifecycle/deletion_reaper.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/helm/release_record.h"
#include "server/lifecycle/cluster_leases.h"
#include "server/log/log.h"
#include "server/rules/cluster_objects.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;

std::string MetaText(const json& object, const char* key) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  return meta->value(key, "");
}

}  // namespace

DeletionReaper::DeletionReaper(kube::KubeClient* kube, absl::Duration interval,
                               kube::ApiVersions* versions)
    : kube_(kube),
      versions_(versions),
      interval_(interval),
      thread_([this] { Run(); }) {}

DeletionReaper::~DeletionReaper() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

absl::StatusOr<int> DeletionReaper::CheckOnce() {
  // (namespace, uuid) → release, for every Secret the bridge labels.
  std::map<std::pair<std::string, std::string>, std::string> owners;
  // Names and labels are all it reads: the Secrets' data (credentials, CA
  // keys) stays on the API server.
  auto secrets = kube_->ListMetadataEach(
      kube::kinds::kSecret, "", rules::kClusterUuidLabel, [&](json&& secret) {
        std::string uuid = rules::LabelOf(secret, rules::kClusterUuidLabel);
        std::string release = rules::LabelOf(secret, rules::kClusterNameLabel);
        if (uuid.empty() || release.empty()) return;
        owners[{MetaText(secret, "namespace"), uuid}] = release;
      });
  if (!secrets.ok()) return secrets.status();
  if (owners.empty()) return 0;
  std::set<std::pair<std::string, std::string>> clusters;  // (ns, name)
  auto cluster_type = kube::ResolveOrBase(versions_, kube::kinds::kCluster);
  if (!cluster_type.ok()) return cluster_type.status();
  auto listed = kube_->ListMetadataEach(*cluster_type, "", "", [&](json&& c) {
    clusters.insert({MetaText(c, "namespace"), MetaText(c, "name")});
  });
  if (!listed.ok()) return listed.status();

  int reaped = 0;
  for (const auto& [key, release] : owners) {
    const auto& [ns, uuid] = key;
    if (clusters.count({ns, release}) > 0) continue;
    // No Cluster: not created yet, or gone. A release record means helm
    // installed (or is installing) it; a held Lease, that a verb runs.
    // (Metadata only: a release record holds the whole chart.)
    bool installed = false;
    auto records = kube_->ListMetadataEach(kube::kinds::kSecret, ns,
                                           helm::ReleaseSecretSelector(release),
                                           [&](json&&) { installed = true; });
    if (!records.ok() || installed) continue;
    auto lease = kube_->Get(kube::kinds::kLease, ns, LeaseName(uuid));
    if (lease.ok() && !LeaseFree(ReadLease(*lease), "", absl::Now())) {
      continue;
    }
    if (!lease.ok() && !absl::IsNotFound(lease.status())) continue;

    // Lines carry the request id of the last verb that held the cluster's
    // Lease: the delete, so its lines and these share an id.
    log::Context context;
    if (lease.ok()) context.request_id = ReadLease(*lease).request_id;
    context.verb = "DeleteCluster";
    context.cluster_uuid = uuid;
    context.release = release;
    log::ScopedContext scope(std::move(context));
    absl::Status deleted = kube_->DeleteCollection(
        kube::kinds::kSecret, ns, rules::ClusterSecretsSelector(uuid));
    if (!deleted.ok()) {
      log::Warn("removing a deleted cluster's Secrets failed, will retry",
                {{"namespace", ns}, {"error", std::string(deleted.message())}});
      continue;
    }
    if (lease.ok()) {
      (void)kube_->Delete(kube::kinds::kLease, ns, LeaseName(uuid));
    }
    log::Info("cluster gone, its Secrets removed", {{"namespace", ns}});
    ++reaped;
  }
  reaped_.fetch_add(reaped);
  return reaped;
}

void DeletionReaper::Run() {
  bool first = true;
  while (true) {
    if (!first) {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]()
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), interval_);
      if (stop_) return;
    }
    first = false;
    auto pass = CheckOnce();
    if (!pass.ok()) {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      // Without the right to list Secrets in every namespace (rbac
      // projectAccess: namespaces), deletions finish at DELETE_COMPLETE
      // when Magnum syncs status.
      if (absl::IsPermissionDenied(pass.status()) && denied_logged_) continue;
      denied_logged_ = absl::IsPermissionDenied(pass.status());
      log::Warn("looking for deleted clusters' Secrets failed",
                {{"error", std::string(pass.status().message())}});
    }
  }
}

}  // namespace capi_bridge::lifecycle
