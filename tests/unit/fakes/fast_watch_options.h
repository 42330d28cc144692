// FastWatchOptions: WatchCache options for tests against in-memory
// management clusters: retries and rechecks in milliseconds, watches the
// fake ends after a second, no heartbeat.
#ifndef CAPI_BRIDGE_TESTS_UNIT_FAKES_FAST_WATCH_OPTIONS_H_
#define CAPI_BRIDGE_TESTS_UNIT_FAKES_FAST_WATCH_OPTIONS_H_

#include "server/kube/watch_cache.h"

namespace capi_bridge::testing {

// `versions` may be null (kinds read as given).
inline kube::WatchCacheOptions FastWatchOptions(
    kube::ApiVersions* versions = nullptr) {
  kube::WatchCacheOptions options;
  options.initial_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(20);
  options.heartbeat_interval = absl::Hours(1);
  options.absent_recheck = absl::Milliseconds(50);
  options.watch_timeout = absl::Seconds(1);
  options.versions = versions;
  return options;
}

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_FAKES_FAST_WATCH_OPTIONS_H_
