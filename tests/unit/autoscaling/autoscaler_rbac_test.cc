#include "server/autoscaling/autoscaler_rbac.h"

#include <string>

#include "catch2/catch.hpp"

namespace capi_bridge::autoscaling {
namespace {

TEST_CASE("the autoscaler's ServiceAccount is named as the chart names it") {
  struct Row {
    std::string release;
    std::string account;
  };
  const Row rows[] = {
      {"web-k3vq7x2mzp4a", "web-k3vq7x2mzp4a-autoscaler"},
      // componentName: cut to 63 characters, no trailing '-'.
      {std::string(53, 'a'), std::string(53, 'a') + "-autoscale"},
      {std::string(52, 'a') + "-b", std::string(52, 'a') + "-b-autoscal"},
      {std::string(62, 'a'), std::string(62, 'a')},
  };
  for (const Row& row : rows) {
    CAPTURE(row.release);
    CHECK(AutoscalerServiceAccountName(row.release) == row.account);
    CHECK(AutoscalerServiceAccountName(row.release).size() <= 63);
  }
}

TEST_CASE("the Role grants reading machine templates and nothing else") {
  const ClusterRef cluster{"web-k3vq7x2mzp4a", "magnum-proj", "uuid-1"};
  nlohmann::json role = TemplateReaderRole(cluster);
  CHECK(role["apiVersion"] == "rbac.authorization.k8s.io/v1");
  CHECK(role["kind"] == "Role");
  CHECK(role["metadata"]["name"] == "web-k3vq7x2mzp4a-autoscaler-templates");
  CHECK(role["metadata"]["namespace"] == "magnum-proj");
  CHECK(role["metadata"]["labels"]["magnum.openstack.org/cluster-uuid"] ==
        "uuid-1");
  CHECK(role["rules"] == nlohmann::json::parse(R"([{
      "apiGroups": ["infrastructure.cluster.x-k8s.io"],
      "resources": ["openstackmachinetemplates"],
      "verbs": ["get", "list", "watch"]}])"));
}

TEST_CASE("the RoleBinding binds that Role to the cluster's autoscaler only") {
  const ClusterRef cluster{"web-k3vq7x2mzp4a", "magnum-proj", "uuid-1"};
  nlohmann::json binding = TemplateReaderRoleBinding(cluster);
  CHECK(binding["kind"] == "RoleBinding");
  CHECK(binding["metadata"]["name"] == "web-k3vq7x2mzp4a-autoscaler-templates");
  CHECK(binding["roleRef"] == nlohmann::json::parse(R"({
      "apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
      "name": "web-k3vq7x2mzp4a-autoscaler-templates"})"));
  CHECK(binding["subjects"] == nlohmann::json::parse(R"([{
      "kind": "ServiceAccount", "name": "web-k3vq7x2mzp4a-autoscaler",
      "namespace": "magnum-proj"}])"));
}

}  // namespace
}  // namespace capi_bridge::autoscaling
