#include "tests/unit/fakes/fake_helm_runner.h"

#include "absl/strings/str_cat.h"
#include "server/helm/release_record.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::testing {

using nlohmann::json;

namespace {

std::string RecordName(const std::string& release, int revision) {
  return absl::StrCat("sh.helm.release.v1.", release, ".v", revision);
}

}  // namespace

void FakeHelmRunner::FailNext(const std::string& method, absl::Status status,
                              int times) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back({method, std::move(status), times});
}

void FakeHelmRunner::HoldUpgrades() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = true;
}

void FakeHelmRunner::ReleaseUpgrades() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = false;
  changed_.notify_all();
}

void FakeHelmRunner::AwaitHeld(int n) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return held_ >= n; });
}

std::vector<helm::UpgradeRequest> FakeHelmRunner::Upgrades() const {
  std::lock_guard<std::mutex> lock(mu_);
  return upgrades_;
}

std::vector<std::string> FakeHelmRunner::Uninstalls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uninstalls_;
}

int FakeHelmRunner::DryRuns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dry_runs_;
}

absl::Status FakeHelmRunner::TakeFailureLocked(const std::string& method) {
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (it->method == method) {
      absl::Status status = it->status;
      if (--it->times <= 0) failures_.erase(it);
      return status;
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FakeHelmRunner::RecordsLocked(
    const std::string& release, const std::string& ns) const {
  std::vector<std::string> out;
  if (kube_ == nullptr) return out;
  const std::string prefix = absl::StrCat("sh.helm.release.v1.", release, ".v");
  for (const std::string& name : kube_->Names("secrets", ns)) {
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

absl::StatusOr<helm::UpgradeResult> FakeHelmRunner::UpgradeInstall(
    const helm::UpgradeRequest& request) {
  std::unique_lock<std::mutex> lock(mu_);
  upgrades_.push_back(request);
  if (hold_) {
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
    --held_;
  }
  if (auto s = TakeFailureLocked("UpgradeInstall"); !s.ok()) return s;
  const int revision =
      static_cast<int>(
          RecordsLocked(request.release, request.namespace_name).size()) +
      1;
  if (kube_ != nullptr) {
    // The previous deployed revision is superseded, as helm leaves it.
    for (const std::string& name :
         RecordsLocked(request.release, request.namespace_name)) {
      auto old = kube_->Object("secrets", request.namespace_name, name);
      if (old &&
          (*old)["metadata"]["labels"].value("status", "") == "deployed") {
        auto record = helm::DecodeReleaseSecret(*old);
        json body = {
            {"name", request.release},
            {"version", record.ok() ? record->revision : 0},
            {"info",
             {{"status", "superseded"},
              {"description", record.ok() ? record->description : ""}}},
            {"chart",
             {{"metadata",
               {{"name", record.ok() ? record->chart_name : ""},
                {"version", record.ok() ? record->chart_version : ""}}}}},
            {"config", record.ok() ? record->values : json::object()},
            {"manifest", ""}};
        (*old)["metadata"]["labels"]["status"] = "superseded";
        (*old)["data"]["release"] = helm::EncodeReleasePayload(body);
        kube_->Put(kube::kinds::kSecret, *old);
      }
    }
    json values = json::parse(request.values_json, nullptr, false);
    if (values.is_discarded()) values = json::object();
    json body = {
        {"name", request.release},
        {"namespace", request.namespace_name},
        {"version", revision},
        {"info",
         {{"status", "deployed"}, {"description", request.description}}},
        {"chart",
         {{"metadata",
           {{"name", request.chart.name},
            {"version", request.chart.version}}}}},
        {"config", values},
        {"manifest", ""}};
    kube_->Put(kube::kinds::kSecret,
               {{"metadata",
                 {{"name", RecordName(request.release, revision)},
                  {"namespace", request.namespace_name},
                  {"labels",
                   {{"owner", "helm"},
                    {"name", request.release},
                    {"status", "deployed"},
                    {"version", std::to_string(revision)}}}}},
                {"type", "helm.sh/release.v1"},
                {"data", {{"release", helm::EncodeReleasePayload(body)}}}});
  }
  return helm::UpgradeResult{revision, "deployed"};
}

absl::StatusOr<std::string> FakeHelmRunner::DryRunManifest(
    const helm::UpgradeRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ++dry_runs_;
  if (auto s = TakeFailureLocked("DryRunManifest"); !s.ok()) return s;
  return std::string();
}

absl::StatusOr<bool> FakeHelmRunner::Uninstall(
    const std::string& release, const std::string& namespace_name,
    absl::Duration timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  uninstalls_.push_back(absl::StrCat(namespace_name, "/", release));
  if (auto s = TakeFailureLocked("Uninstall"); !s.ok()) return s;
  const auto records = RecordsLocked(release, namespace_name);
  for (const std::string& name : records) {
    (void)kube_->Delete(kube::kinds::kSecret, namespace_name,
                        name);  // kube_ set
  }
  return !records.empty();
}

absl::Status FakeHelmRunner::Rollback(const std::string& release,
                                      const std::string& namespace_name,
                                      int revision, absl::Duration timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  return TakeFailureLocked("Rollback");
}

bool FakeHelmRunner::Running(const std::string& release,
                             const std::string& namespace_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_ > 0;
}

absl::Duration FakeHelmRunner::RunBound(absl::Duration timeout) const {
  return timeout + absl::Minutes(1);
}

}  // namespace capi_bridge::testing
