// Upgrade rules (pure): which Kubernetes version and chart version changes
// a cluster may make. Kubernetes supports upgrading one minor version at a
// time and no downgrades (kubeadm and etcd data do not go back); a chart's
// objects are not made to go back to an older chart either.
#ifndef CAPI_BRIDGE_SERVER_RULES_UPGRADE_RULES_H_
#define CAPI_BRIDGE_SERVER_RULES_UPGRADE_RULES_H_

#include <string>

#include "absl/status/status.h"

namespace capi_bridge::rules {

// OK when `to` equals `from`, is a patch or minor step up within one minor
// version. FAILED_PRECONDITION for a downgrade or a skip of more than one
// minor version; INVALID_ARGUMENT when either is not "[v]MAJOR.MINOR.PATCH".
absl::Status CheckKubernetesUpgrade(const std::string& from,
                                    const std::string& to);

// OK when the openstack-cluster chart version `to` is `from` or newer (or
// either does not parse: the deployed release may come from elsewhere).
// FAILED_PRECONDITION for a lower version, naming both and how the version
// was chosen.
absl::Status CheckChartVersion(const std::string& from, const std::string& to);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_UPGRADE_RULES_H_
