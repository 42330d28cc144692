#include "tests/unit/lifecycle/release_records.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "server/helm/release_record.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::testing {

using nlohmann::json;

json ReleaseSecret(const std::string& release, const std::string& ns,
                   const Revision& revision) {
  json body = {
      {"name", release},
      {"namespace", ns},
      {"version", revision.revision},
      {"info",
       {{"status", revision.status}, {"description", revision.description}}},
      {"chart",
       {{"metadata",
         {{"name", "openstack-cluster"},
          {"version", revision.chart_version}}}}},
      {"config", revision.values},
      {"manifest", ""}};
  return {{"metadata",
           {{"name", absl::StrCat("sh.helm.release.v1.", release, ".v",
                                  revision.revision)},
            {"namespace", ns},
            {"labels",
             {{"owner", "helm"},
              {"name", release},
              {"status", revision.status},
              {"version", std::to_string(revision.revision)},
              {"modifiedAt",
               std::to_string(absl::ToUnixSeconds(revision.updated))}}}}},
          {"type", "helm.sh/release.v1"},
          {"data", {{"release", helm::EncodeReleasePayload(body)}}}};
}

void PutHistory(FakeKubeClient& kube, const std::string& release,
                const std::string& ns, const std::vector<Revision>& revisions) {
  for (const Revision& revision : revisions) {
    kube.Put(kube::kinds::kSecret, ReleaseSecret(release, ns, revision));
  }
}

std::vector<std::string> StoredStatuses(const FakeKubeClient& kube,
                                        const std::string& release,
                                        const std::string& ns) {
  std::vector<std::string> out;
  const std::string prefix = absl::StrCat("sh.helm.release.v1.", release, ".v");
  for (const std::string& name : kube.Names("secrets", ns)) {
    if (name.rfind(prefix, 0) != 0) continue;
    auto secret = kube.Object("secrets", ns, name);
    out.push_back(absl::StrCat(
        name.substr(prefix.size() - 1), "=",
        (*secret)["metadata"]["labels"].value("status", std::string())));
  }
  return out;
}

absl::Status RollingHelmRunner::Rollback(const std::string& release,
                                         const std::string& namespace_name,
                                         int revision, absl::Duration timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    rollbacks_.push_back(
        absl::StrCat(namespace_name, "/", release, " to ", revision));
  }
  absl::Status status =
      FakeHelmRunner::Rollback(release, namespace_name, revision, timeout);
  if (!status.ok()) return status;
  const std::string prefix = absl::StrCat("sh.helm.release.v1.", release, ".v");
  int latest = 0;
  std::optional<helm::ReleaseRecord> target;
  for (const std::string& name : kube_->Names("secrets", namespace_name)) {
    if (name.rfind(prefix, 0) != 0) continue;
    auto record = helm::DecodeReleaseSecret(
        *kube_->Object("secrets", namespace_name, name));
    if (!record.ok()) continue;
    latest = std::max(latest, record->revision);
    if (record->revision == revision) target = *record;
    Revision rewritten{record->revision,      record->status,
                       record->chart_version, record->updated,
                       record->description,   record->values};
    if (record->status == "deployed") rewritten.status = "superseded";
    if (record->status.rfind("pending-", 0) == 0) rewritten.status = "failed";
    kube_->Put(kube::kinds::kSecret,
               ReleaseSecret(release, namespace_name, rewritten));
  }
  if (!target) return absl::NotFoundError("no such revision");
  kube_->Put(
      kube::kinds::kSecret,
      ReleaseSecret(release, namespace_name,
                    {latest + 1, "deployed", target->chart_version, absl::Now(),
                     absl::StrCat("Rollback to ", revision), target->values}));
  return absl::OkStatus();
}

std::vector<std::string> RollingHelmRunner::Rollbacks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rollbacks_;
}

}  // namespace capi_bridge::testing
