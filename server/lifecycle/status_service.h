// StatusService: GetClusterStatus and WatchClusterStatus.
//
// Answers from the watch cache's ObjectStore once the WatchCache is ready
// (no request to the management cluster per call); until then, or without
// a cache, reads the cluster's objects directly (GET/LIST by label). The
// rules are StatusRules (server/status/status_rules.h). Timeouts: a create
// counts from the CAPI Cluster's creation (spec.cluster.create_timeout_-
// minutes, else the configured default); updates and deletes from the last
// lifecycle verb the bridge ran for the cluster (OperationTimes).
//
// Delete completion: when the CAPI Cluster is gone, the cluster's Secrets
// are removed before DELETE_COMPLETE is reported (as the reference driver
// does), so a DELETE_COMPLETE never leaves credentials behind.
//
// Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_STATUS_SERVICE_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_STATUS_SERVICE_H_

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "magnum/capi/bridge/v1/driver.pb.h"
#include "server/kube/api_versions.h"
#include "server/kube/kube_client.h"
#include "server/kube/watch_cache.h"
#include "server/lifecycle/operation_times.h"
#include "server/rules/render_service.h"
#include "server/status/object_store.h"

namespace capi_bridge::lifecycle {

namespace v1 = magnum::capi::bridge::v1;

struct StatusOptions {
  absl::Duration create_timeout = absl::Minutes(60);  // spec gives none
  absl::Duration update_timeout = absl::Minutes(60);
  absl::Duration delete_timeout = absl::Minutes(60);
  // How often a watch re-evaluates without a change (timeouts, cancel).
  absl::Duration watch_tick = absl::Seconds(1);
  // The oldest the cache may be to answer from (see StaleCache).
  absl::Duration max_staleness = absl::Seconds(60);
  // The versions direct reads use for Cluster API kinds (null: kinds.cc's).
  // Not owned; must outlive the service.
  kube::ApiVersions* versions = nullptr;
};

// UNAVAILABLE when `cache` has not heard from the management cluster for
// longer than `bound` at `now`, naming for how long; OK otherwise (and
// without a cache). For status calls and /readyz alike.
absl::Status StaleCache(const kube::WatchCache* cache, absl::Duration bound,
                        absl::Time now);

struct StatusStats {
  std::atomic<uint64_t> from_cache{0};
  std::atomic<uint64_t> direct_reads{0};
};

class StatusService {
 public:
  // `store` and `cache` may be null (no watch cache: direct reads).
  StatusService(const rules::RenderService* render, kube::KubeClient* kube,
                const status::ObjectStore* store, const kube::WatchCache* cache,
                const OperationTimes* times, StatusOptions options,
                std::function<absl::Time()> now = absl::Now);

  absl::StatusOr<v1::ClusterStatus> Get(
      const v1::GetClusterStatusRequest& request);

  // Sends the status now and after each change until it is terminal
  // (*_COMPLETE / *_FAILED), `send` returns false or `cancelled()` is true.
  absl::Status Watch(const v1::GetClusterStatusRequest& request,
                     const std::function<bool(const v1::ClusterStatus&)>& send,
                     const std::function<bool()>& cancelled);

  const StatusStats& stats() const { return stats_; }

 private:
  // Evaluates; `version` gets the store's version of the cluster (0 when
  // read directly).
  absl::StatusOr<v1::ClusterStatus> Evaluate(
      const v1::GetClusterStatusRequest& request, uint64_t* version);
  absl::StatusOr<status::ClusterObjects> ReadDirect(const std::string& ns,
                                                    const std::string& release);

  const rules::RenderService* render_;
  kube::KubeClient* kube_;
  const status::ObjectStore* store_;
  const kube::WatchCache* cache_;
  // When the operation Magnum waits for started: see OperationTimes.
  absl::Time OperationStarted(absl::Time recorded_in_cluster,
                              const std::string& uuid) const;

  const OperationTimes* times_;
  StatusOptions options_;
  std::function<absl::Time()> now_;
  StatusStats stats_;
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_STATUS_SERVICE_H_
