// The cluster-autoscaler's capacity annotations for an autoscaled node
// group's MachineDeployment.
//
// A group with no machines has no node the autoscaler could copy; its
// clusterapi provider then builds the node it would add from annotations
// on the MachineDeployment (cluster-autoscaler 1.30, the version the
// openstack-cluster chart runs):
//
//   capacity.cluster-autoscaler.kubernetes.io/labels     "k1=v1,k2=v2"
//   capacity.cluster-autoscaler.kubernetes.io/taints     "k=v:Effect,k:Effect"
//   capacity.cluster-autoscaler.kubernetes.io/cpu        quantity ("4")
//   capacity.cluster-autoscaler.kubernetes.io/memory     quantity ("8192Mi")
//   capacity.cluster-autoscaler.kubernetes.io/gpu-count  integer ("2")
//   capacity.cluster-autoscaler.kubernetes.io/gpu-type   resource name
//                                                         ("nvidia.com/gpu")
//
// Without labels and taints the autoscaler believes the new node carries
// none, so it scales a group up for a pod that will not fit there (a
// tainted group) or never for a pod that selects the group's label. CPU and
// memory override the machine template's status.capacity, which CAPO fills
// only from v0.14 on; the bridge writes the same flavor facts, so the two
// agree where both exist.
//
// Pure: values in, annotations out.
#ifndef CAPI_BRIDGE_SERVER_AUTOSCALING_CAPACITY_ANNOTATIONS_H_
#define CAPI_BRIDGE_SERVER_AUTOSCALING_CAPACITY_ANNOTATIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::autoscaling {

// The common prefix of the annotation keys.
inline constexpr char kCapacityPrefix[] =
    "capacity.cluster-autoscaler.kubernetes.io/";

// The extended resource a GPU node offers when the flavor facts name none
// (what the NVIDIA device plugin, and so the chart's GPU operator,
// advertises).
inline constexpr char kDefaultGpuResource[] = "nvidia.com/gpu";

// What the flavor tells about a node's size. Zero means unknown.
struct FlavorCapacity {
  int64_t vcpus = 0;
  int64_t ram_mb = 0;  // Nova's MB are MiB
  int64_t gpu_count = 0;
  std::string gpu_type;  // "" = kDefaultGpuResource when gpu_count > 0
};

struct NodeTaint {
  std::string key;
  std::string value;  // may be empty
  std::string effect;
};

// Everything a group's new node would carry.
struct GroupCapacity {
  std::map<std::string, std::string> node_labels;
  std::vector<NodeTaint> taints;
  std::optional<FlavorCapacity> flavor;
};

using Annotations = std::map<std::string, std::string>;

// The annotations for one autoscaled group; keys whose facts are absent
// (no labels, no taints, unknown size, no GPU) are left out.
Annotations CapacityAnnotations(const GroupCapacity& group);

// One worker group of a rendered values document.
struct GroupPlan {
  std::string machine_deployment;  // "<release>-<group>", the chart's name
  bool autoscaled = false;
  Annotations annotations;  // empty unless autoscaled
};

// Every worker group of `values` (the openstack-cluster values document the
// bridge renders, operator overrides merged), each merged over
// nodeGroupDefaults as the chart merges it. The node labels are the
// group's nodeLabels plus the chart's own "<projectPrefix>/node-group"; the
// taints those of the group's kubeadm join configuration; the size that of
// `flavors[machineFlavor]` when present.
std::vector<GroupPlan> PlanGroups(
    const nlohmann::json& values, absl::string_view release,
    const std::map<std::string, FlavorCapacity>& flavors);

// True when any worker group of `values` autoscales.
bool AutoscalingOn(const nlohmann::json& values);

}  // namespace capi_bridge::autoscaling

#endif  // CAPI_BRIDGE_SERVER_AUTOSCALING_CAPACITY_ANNOTATIONS_H_
