// ClusterService: the lifecycle verbs (create, update, resize, upgrade,
// delete, node-group verbs, credential rotation) against the management
// cluster.
//
// Each verb validates and renders first (a bad spec touches nothing), then
// ensures the project Namespace and the cluster's Secrets by server-side
// apply, then runs `helm upgrade --install`, or skips helm when the
// rendered values and chart version equal those of the deployed release.
// Every verb is idempotent. One verb per cluster at a time (ABORTED for a
// second, from this process or, through a per-cluster Lease in the
// management cluster, from any replica); different clusters proceed in
// parallel, helm runs bounded by the HelmRunner.
//
// Thread-safe. `render`, `kube` and `helm` must outlive the service.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_SERVICE_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "magnum/capi/bridge/v1/driver.pb.h"
#include "server/helm/helm_runner.h"
#include "server/helm/pending_release.h"
#include "server/helm/release_record.h"
#include "server/kube/kube_client.h"
#include "server/lifecycle/cluster_leases.h"
#include "server/lifecycle/deletion_reaper.h"
#include "server/lifecycle/operation_locks.h"
#include "server/lifecycle/operation_times.h"
#include "server/rules/render_service.h"
#include "server/stats/counter.h"

namespace capi_bridge::lifecycle {

namespace v1 = magnum::capi::bridge::v1;

struct LifecycleOptions {
  // Chart repository and name; the version comes from the spec.
  helm::ChartRef chart;
  // Server-side-apply field manager (the reference driver's, for adoption).
  std::string field_manager = "magnum";
  // helm --timeout for upgrade and uninstall.
  absl::Duration helm_timeout = absl::Minutes(5);
  // How often pending deletions check whether their Cluster is gone.
  absl::Duration deletion_poll_interval = absl::Seconds(10);
  // Where verbs record when they ran (status timeouts); may be null.
  OperationTimes* operation_times = nullptr;
  // Per-cluster Leases shared by every replica (cluster_leases.h); a zero
  // duration serialises verbs within this process only.
  LeaseOptions leases;
  // The least of the caller's deadline a verb needs left to start helm.
  absl::Duration min_time_to_start = absl::Seconds(5);
};

// Every verb takes the caller's deadline. A verb that cannot start helm
// with `LifecycleOptions::min_time_to_start` of it left answers
// DEADLINE_EXCEEDED and applies nothing; once helm has started the verb
// runs to its end whatever the caller does (applied, or recovered after a
// helm killed at its own timeout) and logs the outcome, so the next status
// sync shows the truth.
class ClusterService {
 public:
  // `random_bytes(n)` returns n bytes from a secure source (etcd keys).
  ClusterService(const rules::RenderService* render, kube::KubeClient* kube,
                 helm::HelmRunner* helm, LifecycleOptions options,
                 std::function<std::string(size_t)> random_bytes);

  absl::StatusOr<v1::OperationResponse> Create(
      const v1::CreateClusterRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> Update(
      const v1::UpdateClusterRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> Resize(
      const v1::ResizeClusterRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> Upgrade(
      const v1::UpgradeClusterRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> Delete(
      const v1::DeleteClusterRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> CreateNodeGroup(
      const v1::NodeGroupRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> UpdateNodeGroup(
      const v1::NodeGroupRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> DeleteNodeGroup(
      const v1::NodeGroupRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::OperationResponse> RotateCredential(
      const v1::RotateCredentialRequest& request,
      absl::Time deadline = absl::InfiniteFuture());
  // What applying the spec would change in the deployed release (values,
  // objects by helm's server-side dry run), after the same adjustments and
  // checks a verb makes; a check that would refuse the verb is reported in
  // `refusal`, not as an error. No lock, no writes.
  absl::StatusOr<v1::DiffClusterResponse> Diff(
      const v1::DiffClusterRequest& request,
      absl::Time deadline = absl::InfiniteFuture());

  int InFlight() const { return locks_.InFlight(); }
  DeletionReaper& reaper() { return reaper_; }
  // Pending releases recovered, by the state they were left in.
  const stats::LabelledCounter& recoveries() const { return recoveries_; }

 private:
  // What a verb adds to the common apply path.
  struct ApplyPlan {
    ApplyPlan(const char* verb, v1::ClusterSpec spec, absl::Time deadline)
        : verb(verb), spec(std::move(spec)), deadline(deadline) {}
    const char* verb;
    v1::ClusterSpec spec;
    absl::Time deadline;  // the caller's
    bool may_generate_release = false;
    const v1::CredentialMaterial* credential = nullptr;  // write the Secret
    const v1::CaCertificates* cas = nullptr;             // write CA Secrets
    bool check_upgrade = false;
    // Checks and writes that need the rendered release, before helm.
    std::function<absl::Status(const std::string& release,
                               const std::string& ns)>
        before_apply;
  };

  absl::StatusOr<v1::OperationResponse> Apply(ApplyPlan plan);
  // The latest revision of `history` (nullopt: no release yet); when the
  // template names no chart version, `rendered` is rendered again at that
  // revision's (see RenderService::RenderRelease).
  absl::StatusOr<std::optional<helm::ReleaseRecord>> DeployedRelease(
      const v1::ClusterSpec& spec, const std::string& release,
      const std::vector<helm::ReleaseRecord>& history,
      render::RenderResult* rendered) const;
  // Adjusts the rendering to what the deployed release keeps (its default
  // StorageClass) and makes the checks against it (Kubernetes version skew
  // when `check_upgrade`, immutable values).
  absl::Status FitToDeployed(const std::optional<helm::ReleaseRecord>& deployed,
                             bool check_upgrade,
                             render::RenderResult* rendered) const;
  // The cluster's Lease for `verb` (null when Leases are off). A missing
  // namespace is created first when `create_namespace`, else NOT_FOUND.
  absl::StatusOr<std::unique_ptr<ClusterLeases::Held>> TakeLease(
      const std::string& ns, const std::string& uuid, const char* verb,
      bool create_namespace);
  absl::StatusOr<std::string> ExistingReleaseOf(const v1::ClusterSpec& spec,
                                                const std::string& ns);
  // Every stored revision of the release (unreadable ones skipped).
  absl::StatusOr<std::vector<helm::ReleaseRecord>> ReleaseHistory(
      const std::string& release, const std::string& ns);
  // Clears a pending mark an interrupted helm left on the release (see
  // helm/pending_release.h), reading its history again. Returns what was
  // done ("" when nothing was pending); ABORTED when a helm may still be
  // running on it. `stale_after` zero: this bridge knows its helm is dead.
  absl::StatusOr<std::string> RecoverPending(
      const std::string& release, const std::string& ns, bool deleting,
      absl::Duration stale_after, std::vector<helm::ReleaseRecord>* history);
  // Writes when `verb` started, and which verb it is, on the release's CAPI
  // Cluster (the operation-started and operation annotations status reads);
  // a Cluster not yet there is left alone, a failure is logged.
  void MarkOperationStarted(const std::string& release, const std::string& ns,
                            absl::Time started, const char* verb);
  // After helm was killed at its deadline: recovers what it left pending
  // and returns DEADLINE_EXCEEDED saying so.
  absl::Status AfterKilledHelm(const std::string& release,
                               const std::string& ns,
                               const absl::Status& killed);
  absl::StatusOr<v1::OperationResponse> NodeGroupVerb(
      const char* verb, const v1::NodeGroupRequest& request, bool remove,
      absl::Time deadline);
  // DEADLINE_EXCEEDED when less than min_time_to_start of `deadline` is
  // left; `stage` says where ("before anything was applied", ...).
  absl::Status EnoughTimeLeft(absl::Time deadline, const char* stage) const;

  const rules::RenderService* render_;
  kube::KubeClient* kube_;
  helm::HelmRunner* helm_;
  LifecycleOptions options_;
  std::function<std::string(size_t)> random_bytes_;
  OperationLocks locks_;
  std::unique_ptr<ClusterLeases> leases_;  // null: Leases off
  DeletionReaper reaper_;
  stats::LabelledCounter recoveries_;
};

// Random bytes from the operating system (getrandom).
std::function<std::string(size_t)> SystemRandomBytes();

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_SERVICE_H_
