// MarkMachinesForRemoval: ResizeCluster's `nodes_to_remove`. Finds the
// named nodes (Machine or Node name) among the node group's Machines,
// refuses names that are not there or more than the shrink removes
// (INVALID_ARGUMENT, listing the group's nodes), then marks each with
// CAPI's delete-machine annotation so the MachineSet removes those first.
// Checks before it writes: a refusal marks nothing.
//
// Thread-safe (stateless); `kube` must outlive the call.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_MACHINE_REMOVAL_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_MACHINE_REMOVAL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/kube/api_versions.h"
#include "server/kube/kube_client.h"

namespace capi_bridge::lifecycle {

struct MachineRemoval {
  std::string release;
  std::string ns;
  std::string group_name;   // as Magnum names it (for messages)
  std::string group_label;  // the sanitised name the chart labels with
  bool control_plane = false;
  int new_count = 0;
  std::vector<std::string> nodes;  // what the caller named
};

// Machines are read and marked in the version `versions` chose (null:
// kinds.cc's).
absl::Status MarkMachinesForRemoval(kube::KubeClient* kube,
                                    kube::ApiVersions* versions,
                                    const MachineRemoval& removal);

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_MACHINE_REMOVAL_H_
