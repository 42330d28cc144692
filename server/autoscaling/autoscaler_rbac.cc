#include "server/autoscaling/autoscaler_rbac.h"

#include "absl/strings/str_cat.h"

namespace capi_bridge::autoscaling {
namespace {

using nlohmann::json;

constexpr size_t kMaxChartName = 63;

json Metadata(const ClusterRef& cluster) {
  return {{"name", TemplateReaderName(cluster.release)},
          {"namespace", cluster.namespace_name},
          {"labels",
           {{"app.kubernetes.io/managed-by", "capi-bridge"},
            {"cluster.x-k8s.io/cluster-name", cluster.release.substr(0, 63)},
            {"magnum.openstack.org/cluster-uuid",
             cluster.cluster_uuid.substr(0, 63)}}}};
}

}  // namespace

std::string AutoscalerServiceAccountName(absl::string_view release) {
  std::string name = absl::StrCat(release, "-autoscaler");
  if (name.size() > kMaxChartName) name.resize(kMaxChartName);
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name;
}

std::string TemplateReaderName(absl::string_view release) {
  return absl::StrCat(release, "-autoscaler-templates");
}

json TemplateReaderRole(const ClusterRef& cluster) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "Role"},
          {"metadata", Metadata(cluster)},
          {"rules",
           json::array({{{"apiGroups", {"infrastructure.cluster.x-k8s.io"}},
                         {"resources", {"openstackmachinetemplates"}},
                         {"verbs", {"get", "list", "watch"}}}})}};
}

json TemplateReaderRoleBinding(const ClusterRef& cluster) {
  return {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", Metadata(cluster)},
      {"roleRef",
       {{"apiGroup", "rbac.authorization.k8s.io"},
        {"kind", "Role"},
        {"name", TemplateReaderName(cluster.release)}}},
      {"subjects",
       json::array({{{"kind", "ServiceAccount"},
                     {"name", AutoscalerServiceAccountName(cluster.release)},
                     {"namespace", cluster.namespace_name}}})}};
}

}  // namespace capi_bridge::autoscaling
