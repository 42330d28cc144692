// Where the lifecycle verbs hand over to autoscaling: two calls, one after
// a cluster's release is applied (helm ran, or the values were unchanged)
// and one after it is uninstalled.
//
// A failure here never fails the verb: the release is applied by then, and
// the next verb tries again. It is logged and returned to the caller as a
// reply warning (field "autoscaling") naming what is missing.
#ifndef CAPI_BRIDGE_SERVER_AUTOSCALING_VERB_HOOK_H_
#define CAPI_BRIDGE_SERVER_AUTOSCALING_VERB_HOOK_H_

#include <string>

#include "magnum/capi/bridge/v1/driver.pb.h"
#include "nlohmann/json.hpp"
#include "server/kube/kube_client.h"

namespace capi_bridge::autoscaling {

// After the release of `spec` (named `release`, in `ns`) was applied with
// `values`: the autoscaler's Role and RoleBinding, and the capacity
// annotations of its MachineDeployments (autoscaling_objects.h).
void AfterReleaseApplied(kube::KubeClient& kube,
                         const magnum::capi::bridge::v1::ClusterSpec& spec,
                         const std::string& release, const std::string& ns,
                         const nlohmann::json& values,
                         magnum::capi::bridge::v1::OperationResponse* reply);

// After the release was uninstalled: the Role and RoleBinding go too.
void AfterReleaseUninstalled(
    kube::KubeClient& kube, const magnum::capi::bridge::v1::ClusterSpec& spec,
    const std::string& release, const std::string& ns,
    magnum::capi::bridge::v1::OperationResponse* reply);

}  // namespace capi_bridge::autoscaling

#endif  // CAPI_BRIDGE_SERVER_AUTOSCALING_VERB_HOOK_H_
