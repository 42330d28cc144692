// WatchCache: keeps a sink up to date with every object of a set of
// resource types, by list + watch (the informer pattern of client-go).
//
// One thread per type lists the objects of all namespaces, then watches
// from the list's resourceVersion with bookmarks. The first list may be
// answered from the API server's watch cache (resourceVersion=0, as
// client-go's informers list first; cheap for the server at thousands of
// clusters, possibly a moment older than etcd, which the watch then
// brings); every later list is a consistent one, page by page. A watch that
// ends (server timeout, cut connection) resumes from the last version seen;
// 410 Gone (version compacted away) relists; errors retry with exponential
// backoff. A type whose API is not served (a CRD not installed: 404) is
// marked absent and checked again every `absent_recheck`. Objects outside
// namespaces named "<namespace_prefix>-..." are dropped before the sink.
//
// Versions: with `versions` set, each Cluster API type is read in the
// version ApiVersions resolves (v1beta2 where served, else v1beta1),
// resolved again before every list and whenever a watch is resumed; a
// newer version, or a 404 on the one being watched (no longer served),
// relists in the version resolved then. A type whose version cannot be
// discovered is not synced and retries with backoff, its last_error
// saying why; a group not served is absent.
//
// The cache is Ready once every type has been listed once (or found
// absent); until then callers should read the API directly.
//
// It also says how fresh it is: each type records when it last heard from
// the API server (a list, a watch event or bookmark, a watch the server
// ended), and a heartbeat (a GET every `heartbeat_interval`; any HTTP
// answer counts) vouches for types whose watch is open. Staleness() is
// how long ago the least recently heard type was heard: an outage of the
// management cluster shows as a staleness that grows.
#ifndef CAPI_BRIDGE_SERVER_KUBE_WATCH_CACHE_H_
#define CAPI_BRIDGE_SERVER_KUBE_WATCH_CACHE_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/kube/api_versions.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::kube {

// Receives the objects. Calls for one type come from one thread, in order;
// calls for different types may be concurrent.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // A relist of `type` begins: what is not upserted before EndResync is
  // gone.
  virtual void BeginResync(const ResourceType& type) = 0;
  virtual void EndResync(const ResourceType& type) = 0;
  // The relist failed half-way: keep everything held, as before it began.
  virtual void AbortResync(const ResourceType& type) = 0;
  virtual void Upsert(const ResourceType& type,
                      const nlohmann::json& object) = 0;
  virtual void Remove(const ResourceType& type,
                      const nlohmann::json& object) = 0;
};

struct WatchCacheOptions {
  std::string namespace_prefix = "magnum";
  // Server-side timeout of one watch request; it is then resumed.
  absl::Duration watch_timeout = absl::Minutes(5);
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration absent_recheck = absl::Minutes(5);
  absl::Duration heartbeat_interval = absl::Seconds(10);
  // Resolves the version to read each type in (null: as given). Not owned;
  // must outlive the cache.
  ApiVersions* versions = nullptr;
};

// What one type's loop is doing, for readiness, metrics and logs.
struct WatchState {
  std::string kind;
  std::string version;  // the API version read (as last listed)
  bool synced = false;  // listed at least once (or found absent)
  bool absent = false;  // the API does not serve this type
  bool connected = false;
  std::string last_error;
  uint64_t lists = 0;
  uint64_t relists_gone = 0;  // relists forced by 410 Gone
  uint64_t reconnects = 0;    // watches resumed after an end or error
  uint64_t events = 0;
  // When the API server was last heard from for this type (InfinitePast:
  // never).
  absl::Time heard = absl::InfinitePast();
};

class WatchCache {
 public:
  // `client` and `sink` must outlive the cache.
  WatchCache(KubeClient* client, std::vector<ResourceType> types,
             WatchSink* sink, WatchCacheOptions options = {});
  ~WatchCache();  // Stop()s

  void Start();
  // Ends the loops. Watches blocked on the network end when the client is
  // shut down (KubeClient::Shutdown), at the latest after watch_timeout.
  void Stop();

  bool Ready() const;
  // Blocks until Ready or `timeout`; returns Ready().
  bool WaitReady(absl::Duration timeout) const;
  std::vector<WatchState> States() const;
  // How long the least recently heard (served) type has not been heard
  // from at `now`; zero before Start or without types.
  absl::Duration Staleness(absl::Time now) const;

 private:
  struct Loop;
  void Run(Loop* loop);
  void Heartbeat();
  bool Keep(const nlohmann::json& object) const;
  // Sleeps `d` unless stopped; returns false when stopped.
  bool Pause(absl::Duration d);

  KubeClient* client_;
  WatchSink* sink_;
  WatchCacheOptions options_;
  std::string ns_prefix_;  // "<prefix>-"
  std::vector<std::unique_ptr<Loop>> loops_;
  std::thread heartbeat_;
  absl::Notification stop_;
  mutable absl::Mutex mu_;
  int unsynced_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace capi_bridge::kube

#endif  // CAPI_BRIDGE_SERVER_KUBE_WATCH_CACHE_H_
