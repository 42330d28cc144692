// FakeHelmRunner: helm behind the HelmRunner interface, for unit tests of
// the lifecycle verbs.
//
// An upgrade records its request and, when built with a FakeKubeClient,
// stores the new revision there as helm does (a release Secret
// `sh.helm.release.v1.<release>.v<n>`, labels owner/name/status/version,
// the record's values, chart version and description; the previous
// deployed revision becomes superseded), so that the verbs read the
// release history they would read from a real management cluster. An
// uninstall removes those Secrets. A test can make the next calls of a
// method fail, or hold upgrades until it lets them go (to overlap verbs).
//
// Thread-safe.
#ifndef CAPI_BRIDGE_TESTS_UNIT_FAKES_FAKE_HELM_RUNNER_H_
#define CAPI_BRIDGE_TESTS_UNIT_FAKES_FAKE_HELM_RUNNER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "server/helm/helm_runner.h"
#include "tests/unit/fakes/fake_kube_client.h"

namespace capi_bridge::testing {

class FakeHelmRunner : public helm::HelmRunner {
 public:
  // `kube` (may be null) receives the release records; it must outlive
  // the runner.
  explicit FakeHelmRunner(FakeKubeClient* kube) : kube_(kube) {}

  // The next `times` calls of `method` ("UpgradeInstall", "Uninstall",
  // "DryRunManifest", "Rollback") fail with `status`, writing nothing.
  void FailNext(const std::string& method, absl::Status status, int times = 1);
  // Upgrades wait, once recorded, until ReleaseUpgrades().
  void HoldUpgrades();
  void ReleaseUpgrades();
  // Blocks until `n` upgrades are waiting (HoldUpgrades).
  void AwaitHeld(int n);

  std::vector<helm::UpgradeRequest> Upgrades() const;
  std::vector<std::string> Uninstalls() const;  // "<ns>/<release>"
  int DryRuns() const;

  absl::StatusOr<helm::UpgradeResult> UpgradeInstall(
      const helm::UpgradeRequest& request) override;
  absl::StatusOr<std::string> DryRunManifest(
      const helm::UpgradeRequest& request) override;
  absl::StatusOr<bool> Uninstall(const std::string& release,
                                 const std::string& namespace_name,
                                 absl::Duration timeout) override;
  absl::Status Rollback(const std::string& release,
                        const std::string& namespace_name, int revision,
                        absl::Duration timeout) override;
  bool Running(const std::string& release,
               const std::string& namespace_name) const override;
  absl::Duration RunBound(absl::Duration timeout) const override;

 private:
  absl::Status TakeFailureLocked(const std::string& method);
  // The revisions stored for `release` in `ns` (its Secrets' names).
  std::vector<std::string> RecordsLocked(const std::string& release,
                                         const std::string& ns) const;

  FakeKubeClient* kube_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<helm::UpgradeRequest> upgrades_;
  std::vector<std::string> uninstalls_;
  int dry_runs_ = 0;
  bool hold_ = false;
  int held_ = 0;
  struct Failure {
    std::string method;
    absl::Status status;
    int times;
  };
  std::vector<Failure> failures_;
};

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_FAKES_FAKE_HELM_RUNNER_H_
