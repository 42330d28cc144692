// ClusterService: the lifecycle verbs (create, update, resize, upgrade,
// delete, node-group verbs, credential rotation) against the management
// cluster.
//
// Every verb that applies values is one pipeline, each stage in its own
// file:
//   Admit    admission.h         uuid, deadline, in-process lock, Lease:
//                                one VerbScope, released on every path
//   Observe  release_observer.h  the release's name, history and deployed
//                                revision, read once (pending helm
//                                recovered first)
//   Render   rules/render_service.h  once, at the chart version the spec
//                                and the deployed release select
//   Check    rules/deployed_checks.h refusals against the deployed release
//                                (skew, downgrade, immutable values); the
//                                verb's own checks (Resize's nodes)
//   Write    cluster_writer.h    Namespace, then the cluster's Secrets
//   Apply    release_applier.h   `helm upgrade --install`, skipped when the
//                                rendered values and chart version equal
//                                the deployed release's
//   Follow   autoscaling/verb_hook.h  what the cluster's autoscaler needs
//                                beside the release (its Role, the capacity
//                                annotations); also after Delete's uninstall
// Diff is Observe + Render + Check + helm's dry run; Delete and
// RotateCredential use the same Admit. A spec that does not validate
// writes nothing but the Lease (and the recovery of a release an
// interrupted helm left pending). Every verb is idempotent. One verb per
// cluster at a time (ABORTED for a second, from this process or, through
// the Lease, from any replica); different clusters proceed in parallel,
// helm runs bounded by the HelmRunner.
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
#include "server/kube/api_versions.h"
#include "server/kube/kube_client.h"
#include "server/lifecycle/admission.h"
#include "server/lifecycle/cluster_leases.h"
#include "server/lifecycle/cluster_writer.h"
#include "server/lifecycle/deletion_reaper.h"
#include "server/lifecycle/operation_times.h"
#include "server/lifecycle/release_applier.h"
#include "server/lifecycle/release_observer.h"
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
  // The versions the bridge writes CAPI kinds in (the Cluster's operation
  // annotation, Machine delete marks, the reaper's Cluster list); null:
  // kinds.cc's. Must outlive the service.
  kube::ApiVersions* versions = nullptr;
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

  int InFlight() const { return admission_.InFlight(); }
  DeletionReaper& reaper() { return reaper_; }
  // Pending releases recovered, by the state they were left in.
  const stats::LabelledCounter& recoveries() const { return recoveries_; }

 private:
  // What a verb adds to the common apply pipeline.
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
    // The verb's own checks and writes, after Check and before Write.
    std::function<absl::Status(const std::string& release,
                               const std::string& ns)>
        before_apply;
  };

  absl::StatusOr<v1::OperationResponse> Apply(ApplyPlan plan);
  // Observe for a verb: the release the spec names, the one the cluster's
  // Secrets name (a create whose reply was lost), or a new one.
  absl::StatusOr<ObservedRelease> ObserveForVerb(const ApplyPlan& plan,
                                                 const std::string& ns);
  absl::StatusOr<v1::OperationResponse> NodeGroupVerb(
      const char* verb, const v1::NodeGroupRequest& request, bool remove,
      absl::Time deadline);

  const rules::RenderService* render_;
  kube::KubeClient* kube_;
  helm::HelmRunner* helm_;
  LifecycleOptions options_;
  stats::LabelledCounter recoveries_;
  Admission admission_;
  ReleaseObserver observer_;
  ClusterWriter writer_;
  ReleaseApplier applier_;
  DeletionReaper reaper_;
};

// Random bytes from the operating system (getrandom).
std::function<std::string(size_t)> SystemRandomBytes();

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_SERVICE_H_
