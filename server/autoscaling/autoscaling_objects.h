// Writes what a cluster's cluster-autoscaler needs beside the helm release:
// the template-reading Role and RoleBinding (autoscaler_rbac.h) and the
// capacity annotations of its autoscaled MachineDeployments
// (capacity_annotations.h).
//
// Runs after helm, so the MachineDeployments the chart renders exist. Each
// write is a server-side apply under kFieldManager, never the bridge's
// other managers and never helm's: helm's later three-way merges leave
// fields it never wrote alone, so the annotations survive upgrades; an
// apply that no longer names an annotation drops it (the API server
// removes fields only this manager owned). A MachineDeployment that does
// not exist is never created, and nothing already as wanted is written
// again (a cluster without autoscaling costs reads only).
//
// Thread-compatible; `kube` must outlive the call.
#ifndef CAPI_BRIDGE_SERVER_AUTOSCALING_AUTOSCALING_OBJECTS_H_
#define CAPI_BRIDGE_SERVER_AUTOSCALING_AUTOSCALING_OBJECTS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "nlohmann/json.hpp"
#include "server/autoscaling/autoscaler_rbac.h"
#include "server/autoscaling/capacity_annotations.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::autoscaling {

// The field manager of every write here.
inline constexpr char kFieldManager[] = "capi-bridge-autoscaling";

// rbac.authorization.k8s.io/v1 Role and RoleBinding.
extern const kube::ResourceType kRole;
extern const kube::ResourceType kRoleBinding;

// The node sizes of the spec's flavors, keyed as the spec names them
// (the values document's machineFlavor).
std::map<std::string, FlavorCapacity> FlavorCapacities(
    const magnum::capi::bridge::v1::OpenStackFacts& facts);

// With any autoscaled group in `values`: applies the Role and RoleBinding;
// without: deletes them (absent is fine). Then for every worker group whose
// MachineDeployment exists: applies its capacity annotations, or drops the
// ones this manager set when the group no longer needs them. Stops at the
// first failed request and returns its status.
absl::Status SyncAutoscalingObjects(
    kube::KubeClient& kube, const ClusterRef& cluster,
    const nlohmann::json& values,
    const std::map<std::string, FlavorCapacity>& flavors);

// When the cluster is deleted: deletes the Role and RoleBinding (absent is
// fine). The MachineDeployments go with the release.
absl::Status RemoveAutoscalingObjects(kube::KubeClient& kube,
                                      const ClusterRef& cluster);

}  // namespace capi_bridge::autoscaling

#endif  // CAPI_BRIDGE_SERVER_AUTOSCALING_AUTOSCALING_OBJECTS_H_
