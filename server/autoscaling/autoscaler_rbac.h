// The Role and RoleBinding that let one cluster's cluster-autoscaler read
// the infrastructure machine templates of its namespace.
//
// The openstack-cluster chart runs one cluster-autoscaler per cluster on
// the management cluster, as the ServiceAccount `<release>-autoscaler`,
// with a Role that grants only cluster.x-k8s.io resources. To size a group
// that has no machines (scale from zero) the autoscaler's clusterapi
// provider reads the group's OpenStackMachineTemplate (its status.capacity);
// without read access it never scales such a group up. These objects add
// exactly that access: get, list and watch on
// infrastructure.cluster.x-k8s.io openstackmachinetemplates in the
// cluster's namespace, for that one ServiceAccount.
//
// Pure: every function returns a document ready for server-side apply.
#ifndef CAPI_BRIDGE_SERVER_AUTOSCALING_AUTOSCALER_RBAC_H_
#define CAPI_BRIDGE_SERVER_AUTOSCALING_AUTOSCALER_RBAC_H_

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::autoscaling {

// What names a cluster's objects in the management cluster.
struct ClusterRef {
  std::string release;         // helm release (Magnum's stack_id)
  std::string namespace_name;  // "magnum-<project>"
  std::string cluster_uuid;    // Magnum's cluster UUID (a label)
};

// The chart's name for the autoscaler's ServiceAccount: its componentName
// rule, "<release>-autoscaler" cut to 63 characters without a trailing '-'.
std::string AutoscalerServiceAccountName(absl::string_view release);

// "<release>-autoscaler-templates": the name of both the Role and the
// RoleBinding (a name the chart does not use).
std::string TemplateReaderName(absl::string_view release);

// rbac.authorization.k8s.io/v1 Role: get/list/watch on
// openstackmachinetemplates of infrastructure.cluster.x-k8s.io, in the
// cluster's namespace, labelled with the cluster's release and UUID.
nlohmann::json TemplateReaderRole(const ClusterRef& cluster);

// rbac.authorization.k8s.io/v1 RoleBinding of that Role to the cluster's
// autoscaler ServiceAccount.
nlohmann::json TemplateReaderRoleBinding(const ClusterRef& cluster);

}  // namespace capi_bridge::autoscaling

#endif  // CAPI_BRIDGE_SERVER_AUTOSCALING_AUTOSCALER_RBAC_H_
