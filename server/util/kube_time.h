// Kubernetes timestamps: metav1.Time / MicroTime (RFC 3339) to and from
// absl::Time. Header-only and pure: every room may use it.
#ifndef CAPI_BRIDGE_SERVER_UTIL_KUBE_TIME_H_
#define CAPI_BRIDGE_SERVER_UTIL_KUBE_TIME_H_

#include <string>

#include "absl/time/time.h"

namespace capi_bridge::util {

// An RFC 3339 time (any fraction, Z or an offset); InfinitePast when
// `text` is empty or not one.
inline absl::Time ParseKubeTime(const std::string& text) {
  absl::Time when;
  std::string error;
  if (text.empty() ||
      !absl::ParseTime(absl::RFC3339_full, text, &when, &error)) {
    return absl::InfinitePast();
  }
  return when;
}

// metav1.Time: whole seconds, UTC.
inline std::string KubeTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// metav1.MicroTime: microseconds, UTC.
inline std::string KubeMicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

}  // namespace capi_bridge::util

#endif  // CAPI_BRIDGE_SERVER_UTIL_KUBE_TIME_H_
