#include "server/lifecycle/machine_removal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;

// Writes other than the cluster's own objects use their own field manager,
// so that they never take fields away from the main one.
constexpr char kResizeFieldManager[] = "magnum-capi-bridge-resize";
constexpr char kDeleteMachineAnnotation[] = "cluster.x-k8s.io/delete-machine";

}  // namespace

absl::Status MarkMachinesForRemoval(kube::KubeClient* kube,
                                    kube::ApiVersions* versions,
                                    const MachineRemoval& removal) {
  auto type = kube::ResolveOrBase(versions, kube::kinds::kMachine);
  if (!type.ok()) return type.status();
  std::string selector =
      absl::StrCat("capi.stackhpc.com/cluster=", removal.release);
  absl::StrAppend(&selector,
                  removal.control_plane
                      ? ",capi.stackhpc.com/component=control-plane"
                      : absl::StrCat(",capi.stackhpc.com/node-group=",
                                     removal.group_label));
  auto machines = kube->List(*type, removal.ns, selector);
  if (!machines.ok()) return machines.status();
  std::vector<std::string> targets, unknown, known;
  for (const std::string& node : removal.nodes) {
    bool found = false;
    for (const auto& m : (*machines)["items"]) {
      std::string machine = m["metadata"].value("name", "");
      std::string node_name = m.value("/status/nodeRef/name"_json_pointer, "");
      if (node == machine || node == node_name) {
        targets.push_back(machine);
        found = true;
        break;
      }
    }
    if (!found) unknown.push_back(node);
  }
  if (!unknown.empty()) {
    for (const auto& m : (*machines)["items"]) {
      known.push_back(m.value("/status/nodeRef/name"_json_pointer,
                              m["metadata"].value("name", "")));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "nodes_to_remove: ", absl::StrJoin(unknown, ", "),
        (unknown.size() == 1 ? " is not a node" : " are not nodes"),
        " of node group ", removal.group_name, "; its nodes: ",
        known.empty() ? "(none)" : absl::StrJoin(known, ", ")));
  }
  int current = static_cast<int>((*machines)["items"].size());
  if (static_cast<int>(targets.size()) > current - removal.new_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nodes_to_remove: ", targets.size(), " nodes named but node group ",
        removal.group_name, " goes from ", current, " to ", removal.new_count,
        " nodes; name at most ", std::max(0, current - removal.new_count)));
  }
  for (const std::string& machine : targets) {
    json mark = {{"apiVersion", type->ApiVersion()},
                 {"kind", type->kind},
                 {"metadata",
                  {{"name", machine},
                   {"namespace", removal.ns},
                   {"annotations", {{kDeleteMachineAnnotation, "yes"}}}}}};
    auto marked = kube->Apply(*type, mark, kResizeFieldManager);
    if (!marked.ok()) return marked.status();
  }
  return absl::OkStatus();
}

}  // namespace capi_bridge::lifecycle
