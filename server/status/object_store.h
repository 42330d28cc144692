// ObjectStore: the watch cache's memory. Receives CAPI objects from the
// WatchCache, keeps their compact records (capi_records.h) grouped by
// cluster ("<namespace>/<release>"), and serves a cluster's records to the
// status service without any request to the management cluster.
//
// Every change to a cluster's records advances its version, so callers can
// wait for the next change (WatchClusterStatus). Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_STATUS_OBJECT_STORE_H_
#define CAPI_BRIDGE_SERVER_STATUS_OBJECT_STORE_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/kube/watch_cache.h"
#include "server/status/capi_records.h"

namespace capi_bridge::status {

// The resource types the store understands, for the WatchCache.
std::vector<kube::ResourceType> WatchedTypes();

class ObjectStore final : public kube::WatchSink {
 public:
  struct View {
    ClusterObjects objects;
    uint64_t version = 0;  // 0: nothing known about the cluster
  };

  // A copy of the records of `release` in `ns`.
  View Snapshot(const std::string& ns, const std::string& release) const;

  // Blocks until the cluster's version is not `seen`, or `deadline`.
  // Returns the version then.
  uint64_t WaitForChange(const std::string& ns, const std::string& release,
                         uint64_t seen, absl::Time deadline) const;

  size_t ClusterCount() const;
  size_t RecordCount() const;

  // kube::WatchSink.
  void BeginResync(const kube::ResourceType& type) override;
  void EndResync(const kube::ResourceType& type) override;
  void AbortResync(const kube::ResourceType& type) override;
  void Upsert(const kube::ResourceType& type,
              const nlohmann::json& object) override;
  void Remove(const kube::ResourceType& type,
              const nlohmann::json& object) override;

 private:
  struct Entry {
    ClusterObjects objects;
    uint64_t version = 0;
  };
  // (cluster key, object name)
  using Held = std::pair<std::string, std::string>;

  // Applies `change` to the entry of `key` (created on demand), erases the
  // entry when it is left empty, advances its version, wakes waiters.
  template <typename F>
  void Change(const std::string& key, F&& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const std::string& kind, const std::string& key,
                    const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<Held> HeldOf(const std::string& kind) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  mutable absl::CondVar changed_;
  absl::flat_hash_map<std::string, Entry> clusters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::flat_hash_set<Held>> stale_
      ABSL_GUARDED_BY(mu_);
  uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace capi_bridge::status

#endif  // CAPI_BRIDGE_SERVER_STATUS_OBJECT_STORE_H_
