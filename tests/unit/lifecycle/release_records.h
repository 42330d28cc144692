// Test helpers: helm release records as helm stores them in a management
// cluster (one Secret per revision), for the tests of the stages that read
// a release's history; and a FakeHelmRunner whose rollback writes the
// revision helm would and whose "a helm is running" answer a test sets.
#ifndef CAPI_BRIDGE_TESTS_UNIT_LIFECYCLE_RELEASE_RECORDS_H_
#define CAPI_BRIDGE_TESTS_UNIT_LIFECYCLE_RELEASE_RECORDS_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/lifecycle/release_observer.h"
#include "server/stats/counter.h"
#include "tests/unit/fakes/fake_helm_runner.h"
#include "tests/unit/fakes/fake_kube_client.h"

namespace capi_bridge::testing {

struct Revision {
  int revision = 1;
  std::string status = "deployed";
  std::string chart_version = "0.27.0";
  // When helm last wrote it (its modifiedAt label).
  absl::Time updated = absl::Now() - absl::Hours(1);
  std::string description = "capi-bridge CreateCluster request r-1";
  nlohmann::json values = nlohmann::json::object();
};

// `sh.helm.release.v1.<release>.v<revision>` in `ns`, as helm writes it.
nlohmann::json ReleaseSecret(const std::string& release, const std::string& ns,
                             const Revision& revision);

// Stores each revision in `kube` (not recorded as calls).
void PutHistory(FakeKubeClient& kube, const std::string& release,
                const std::string& ns, const std::vector<Revision>& revisions);

// The status label of each stored revision of `release`, by name.
std::vector<std::string> StoredStatuses(const FakeKubeClient& kube,
                                        const std::string& release,
                                        const std::string& ns);

// FakeHelmRunner whose Rollback, like helm's, stores the target revision
// again as a new deployed revision (the pending one becomes failed, the
// previously deployed superseded), and whose Running() is `running`.
class RollingHelmRunner : public FakeHelmRunner {
 public:
  explicit RollingHelmRunner(FakeKubeClient* kube)
      : FakeHelmRunner(kube), kube_(kube) {}

  absl::Status Rollback(const std::string& release,
                        const std::string& namespace_name, int revision,
                        absl::Duration timeout) override;
  bool Running(const std::string& release,
               const std::string& namespace_name) const override {
    return running;
  }

  // "<ns>/<release> to <revision>" per rollback asked for.
  std::vector<std::string> Rollbacks() const;

  bool running = false;

 private:
  FakeKubeClient* kube_;
  mutable std::mutex mu_;
  std::vector<std::string> rollbacks_;
};

// The release the Observe and Apply tests work on.
inline constexpr char kObservedNs[] = "magnum-0c5e1d2a9b8f4e7d";
inline constexpr char kObservedRelease[] = "web-k3vq7x2mzp4a";
inline const absl::Duration kHelmTimeout = absl::Minutes(5);

// A ReleaseObserver on a fake management cluster and a RollingHelmRunner.
struct ObserverRig {
  FakeKubeClient kube;
  RollingHelmRunner helm{&kube};
  stats::LabelledCounter recoveries;
  lifecycle::ReleaseObserver observer{&kube, &helm, kHelmTimeout, &recoveries};

  // Nothing was written, rolled back or counted as recovered.
  bool Untouched() const {
    return kube.Writes() == 0 && helm.Rollbacks().empty() &&
           recoveries.Read().empty();
  }
};

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_LIFECYCLE_RELEASE_RECORDS_H_
