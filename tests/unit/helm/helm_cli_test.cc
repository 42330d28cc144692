#include "server/helm/helm_cli.h"

#include "catch2/catch.hpp"
#include "server/helm/release_record.h"

namespace capi_bridge::helm {
namespace {

TEST_CASE("helm upgrade argv matches the reference invocation") {
  UpgradeRequest request;
  request.release = "web-k3vq7x2mzp4a";
  request.namespace_name = "magnum-p";
  request.timeout = absl::Minutes(5);
  auto argv = UpgradeArgv("helm", request, "/cache/openstack-cluster.tgz", 10,
                          {"--kubeconfig", "/etc/kube"});
  std::vector<std::string> expected = {"helm",
                                       "upgrade",
                                       "web-k3vq7x2mzp4a",
                                       "/cache/openstack-cluster.tgz",
                                       "--install",
                                       "--history-max",
                                       "10",
                                       "--output",
                                       "json",
                                       "--timeout",
                                       "5m",
                                       "--values",
                                       "-",
                                       "--namespace",
                                       "magnum-p",
                                       "--kubeconfig",
                                       "/etc/kube"};
  CHECK(argv == expected);
}

TEST_CASE("every error of a multi-error helm failure reaches the caller") {
  absl::Status status = HelmFailure(
      "upgrade --install", 1,
      "Error: UPGRADE FAILED: 2 errors occurred:\n"
      "\t* Cluster.cluster.x-k8s.io \"web\" is invalid: spec.topology: "
      "Forbidden\n"
      "\t* MachineDeployment.cluster.x-k8s.io \"web-md\" is invalid: "
      "spec.replicas: Invalid value: -1\n\n");
  CHECK(std::string(status.message()) ==
        "helm upgrade --install failed: UPGRADE FAILED: 2 errors occurred: "
        "Cluster.cluster.x-k8s.io \"web\" is invalid: spec.topology: "
        "Forbidden; MachineDeployment.cluster.x-k8s.io \"web-md\" is "
        "invalid: spec.replicas: Invalid value: -1");
}

TEST_CASE("helm failures become statuses a user can act on") {
  struct Row {
    const char* stderr_text;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"Error: UPGRADE FAILED: another operation (install/upgrade/rollback) "
       "is in progress",
       absl::StatusCode::kAborted},
      {"Error: Kubernetes cluster unreachable: Get \"https://x\": dial tcp: "
       "connection refused",
       absl::StatusCode::kUnavailable},
      {"Error: chart \"openstack-cluster\" version \"9.9.9\" not found in "
       "https://repo repository",
       absl::StatusCode::kNotFound},
      {"Error: UPGRADE FAILED: context deadline exceeded",
       absl::StatusCode::kDeadlineExceeded},
      {"Error: execution error at (openstack-cluster/templates/x.yaml): "
       "bad value",
       absl::StatusCode::kFailedPrecondition},
  };
  for (const Row& row : rows) {
    CAPTURE(row.stderr_text);
    absl::Status status = HelmFailure("upgrade", 1, row.stderr_text);
    CHECK(status.code() == row.code);
    CHECK_THAT(std::string(status.message()),
               Catch::StartsWith("helm upgrade failed: "));
  }
}

TEST_CASE("release records decode as helm stores them") {
  nlohmann::json release = {
      {"name", "web"},
      {"version", 3},
      {"info", {{"status", "deployed"}}},
      {"chart",
       {{"metadata", {{"name", "openstack-cluster"}, {"version", "0.27.0"}}}}},
      {"config", {{"kubernetesVersion", "1.34.3"}, {"n", 3}}}};
  nlohmann::json secret = {
      {"metadata", {{"name", "sh.helm.release.v1.web.v3"}}},
      {"data", {{"release", EncodeReleasePayload(release)}}}};
  auto record = DecodeReleaseSecret(secret);
  REQUIRE(record.ok());
  CHECK(record->revision == 3);
  CHECK(record->status == "deployed");
  CHECK(record->chart_version == "0.27.0");
  CHECK(record->values == release["config"]);
  CHECK(ReleaseSecretSelector("web") == "owner=helm,name=web");

  secret["data"]["release"] = "!!";
  CHECK(absl::IsDataLoss(DecodeReleaseSecret(secret).status()));
}

}  // namespace
}  // namespace capi_bridge::helm
