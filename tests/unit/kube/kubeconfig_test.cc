#include "server/kube/kubeconfig.h"

#include <cstdio>
#include <fstream>

#include "catch2/catch.hpp"
#include "server/kube/http_kube_client.h"

namespace capi_bridge::kube {
namespace {

constexpr char kConfig[] = R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: mgmt
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: Q0EtUEVN
- name: other
  cluster:
    server: https://10.0.0.2:6443
    insecure-skip-tls-verify: true
contexts:
- name: admin
  context: {cluster: mgmt, user: admin}
- name: robot
  context: {cluster: other, user: robot}
- name: sso
  context: {cluster: mgmt, user: sso}
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: robot
  user:
    tokenFile: token
- name: sso
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubelogin
      args: [get-token]
      env: [{name: A, value: b}]
)";

TEST_CASE("kubeconfig: current context with inline certificates") {
  auto c = ParseKubeconfig(kConfig, "/etc/capi", "cfg", "");
  REQUIRE(c.ok());
  CHECK(c->server == "https://10.0.0.1:6443");
  CHECK(c->ca_pem == "CA-PEM");
  CHECK(c->client_cert_pem == "CERT");
  CHECK(c->client_key_pem == "KEY");
  CHECK_FALSE(c->has_exec);
}

TEST_CASE("kubeconfig: named contexts, token file, insecure, exec plugin") {
  auto robot = ParseKubeconfig(kConfig, "/etc/capi", "cfg", "robot");
  REQUIRE(robot.ok());
  CHECK(robot->token_file == "/etc/capi/token");
  CHECK(robot->insecure_skip_verify);
  auto sso = ParseKubeconfig(kConfig, "/etc/capi", "cfg", "sso");
  REQUIRE(sso.ok());
  CHECK(sso->has_exec);
  CHECK(sso->exec.command == "kubelogin");
  CHECK(sso->exec.args == std::vector<std::string>{"get-token"});
}

TEST_CASE("kubeconfig errors name the field and never a secret") {
  auto missing = ParseKubeconfig(kConfig, "", "cfg", "nope");
  REQUIRE(absl::IsInvalidArgument(missing.status()));
  CHECK_THAT(std::string(missing.status().message()),
             Catch::Contains("no context named \"nope\""));
  std::string bad = kConfig;
  bad.replace(bad.find("Q0VSVA=="), 8, "not*b64!");
  auto invalid = ParseKubeconfig(bad, "", "cfg", "");
  REQUIRE_FALSE(invalid.ok());
  CHECK_THAT(std::string(invalid.status().message()),
             Catch::Contains("users[admin].user.client-certificate-data"));
  CHECK_THAT(std::string(invalid.status().message()),
             !Catch::Contains("not*b64!"));
  auto http = ParseKubeconfig(
      "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
      "clusters: [{name: c, cluster: {server: 'ftp://x'}}]\n",
      "", "cfg", "");
  CHECK_THAT(std::string(http.status().message()),
             Catch::Contains("clusters[c].cluster.server"));
}

TEST_CASE("REST paths of core, grouped and cluster-scoped kinds") {
  CHECK(ResourcePath(kinds::kSecret, "ns", "s") ==
        "/api/v1/namespaces/ns/secrets/s");
  CHECK(ResourcePath(kinds::kNamespace, "", "ns") == "/api/v1/namespaces/ns");
  CHECK(ResourcePath(kinds::kCluster, "ns", "") ==
        "/apis/cluster.x-k8s.io/v1beta1/namespaces/ns/clusters");
  CHECK(ResourcePath(kinds::kMachine, "", "") ==
        "/apis/cluster.x-k8s.io/v1beta1/machines");
}

TEST_CASE("a kubeconfig of the wrong shape is refused, not thrown",
          "[hostile]") {
  for (const char* text :
       {"clusters: [{name: {a: 1}, cluster: {server: https://x}}]\n",
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: "
        "{server: [1], insecure-skip-tls-verify: maybe}}]\ncontexts: [{name: "
        "c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: "
        "[{name: u, user: {exec: {command: x, args: [[1]]}}}]\n",
        "current-context: [a]\n", "\xff\xfe"}) {
    INFO(text);
    CHECK_FALSE(ParseKubeconfig(text, "/nonexistent", "test", "").ok());
  }
}

}  // namespace
}  // namespace capi_bridge::kube
