// Immutability rules (pure): which rendered values a live cluster may not
// change (docs/labels.md marks them "immutable after create"). CAPI and
// Kubernetes cannot move a running cluster to another pod or service range, DNS
// domain, node network or etcd device, and StorageClass parameters cannot be
// edited in place, so an apply that changes them would leave the cluster
// half-updated.
#ifndef CAPI_BRIDGE_SERVER_RULES_IMMUTABLE_VALUES_H_
#define CAPI_BRIDGE_SERVER_RULES_IMMUTABLE_VALUES_H_

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::rules {

// Compares the values of the deployed release with the newly rendered ones.
// OK when no immutable value changes. FAILED_PRECONDITION otherwise, one
// line per change naming the label that drives it, the value path, the
// deployed value and the new one. Allowed: turning etcd encryption or the
// Manila CSI driver on, and StorageClasses that appear or go away.
absl::Status CheckImmutableValues(const nlohmann::json& deployed,
                                  const nlohmann::json& rendered);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_IMMUTABLE_VALUES_H_
