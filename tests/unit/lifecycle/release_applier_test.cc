// ReleaseApplier (the Apply stage) on fakes of the management cluster and
// helm: the request helm gets; the code and message the caller gets for
// each way helm fails (killed at its timeout, a non-zero exit with helm's
// error text, a release another operation holds, an unreachable cluster),
// with nothing written beside the failed upgrade; the dry run's bounded
// timeout; and the operation annotations on the CAPI Cluster.
#include "server/lifecycle/release_applier.h"

#include <catch2/catch.hpp>

#include "server/helm/helm_cli.h"
#include "server/log/log.h"
#include "server/rules/adoption.h"
#include "server/status/capi_records.h"
#include "server/util/kube_time.h"
#include "tests/unit/lifecycle/release_records.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;
using testing::PutHistory;

constexpr const char* kNs = testing::kObservedNs;
constexpr const char* kRelease = testing::kObservedRelease;

struct Rig : testing::ObserverRig {
  ReleaseApplier applier{&kube, &helm, &observer,
                         helm::ChartRef{"https://charts.example.invalid",
                                        "openstack-cluster", "ignored"},
                         testing::kHelmTimeout};

  helm::UpgradeRequest Request() const {
    return applier.Request(kRelease, kNs, "0.27.1",
                           json{{"kubernetesVersion", "1.30.2"}});
  }
};

json CapiCluster() {
  return {{"apiVersion", "cluster.x-k8s.io/v1beta1"},
          {"kind", "Cluster"},
          {"metadata",
           {{"name", kRelease},
            {"namespace", kNs},
            {"annotations", {{"kept", "yes"}}}}}};
}

TEST_CASE(
    "request: the chart at the rendered version, the values, helm's timeout "
    "and the calling verb",
    "[release_applier]") {
  Rig rig;
  helm::UpgradeRequest outside = rig.Request();
  CHECK(outside.release == kRelease);
  CHECK(outside.namespace_name == kNs);
  CHECK(outside.chart.repo == "https://charts.example.invalid");
  CHECK(outside.chart.name == "openstack-cluster");
  CHECK(outside.chart.version == "0.27.1");
  CHECK(json::parse(outside.values_json) ==
        json{{"kubernetesVersion", "1.30.2"}});
  CHECK(outside.timeout == testing::kHelmTimeout);
  CHECK(outside.description.empty());

  log::Context context;
  context.verb = "UpgradeCluster";
  context.request_id = "req-7f3a";
  log::ScopedContext scope(context);
  CHECK(rig.Request().description ==
        std::string(rules::kReleaseDescriptionPrefix) +
            "UpgradeCluster request req-7f3a");
}

TEST_CASE("upgrade: helm's result is the caller's", "[release_applier]") {
  Rig rig;
  auto result = rig.applier.Upgrade(rig.Request());
  REQUIRE(result.ok());
  CHECK(result->revision == 1);
  CHECK(result->status == "deployed");
  REQUIRE(rig.helm.Upgrades().size() == 1);
  CHECK(rig.helm.Upgrades()[0].chart.version == "0.27.1");
}

TEST_CASE(
    "upgrade: each helm failure reaches the caller with helm's code and "
    "text, and nothing else is written",
    "[release_applier]") {
  struct Row {
    const char* what;
    std::string helm_stderr;
    absl::StatusCode code;
    const char* says;
  };
  const std::vector<Row> rows = {
      {"a non-zero exit with helm's error text",
       "Error: UPGRADE FAILED: values don't meet the specifications of the "
       "schema(s)\n",
       absl::StatusCode::kFailedPrecondition,
       "values don't meet the specifications of the schema(s)"},
      {"a release another operation holds",
       "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) "
       "is in progress\n",
       absl::StatusCode::kAborted, "another helm operation holds the release"},
      {"a kube error",
       "Error: Kubernetes cluster unreachable: Get "
       "\"https://10.0.0.1:6443/version\": dial tcp 10.0.0.1:6443: connect: "
       "connection refused\n",
       absl::StatusCode::kUnavailable, "Kubernetes cluster unreachable"},
      {"a missing chart version",
       "Error: chart \"openstack-cluster\" version \"9.9.9\" not found in "
       "https://charts.example.invalid repository\n",
       absl::StatusCode::kNotFound, "version \"9.9.9\" not found"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.what) {
      Rig rig;
      PutHistory(rig.kube, kRelease, kNs, {{1, "deployed"}});
      rig.kube.Put(kube::kinds::kCluster, CapiCluster());
      absl::Status failure = helm::HelmFailure("upgrade", 1, row.helm_stderr);
      rig.helm.FailNext("UpgradeInstall", failure);
      auto result = rig.applier.Upgrade(rig.Request());
      CHECK(result.status().code() == row.code);
      CHECK(result.status().message() == failure.message());
      CHECK_THAT(std::string(result.status().message()),
                 Catch::Contains(row.says));
      CHECK(rig.helm.Upgrades().size() == 1);
      CHECK(rig.Untouched());
      CHECK(testing::StoredStatuses(rig.kube, kRelease, kNs) ==
            std::vector<std::string>{"v1=deployed"});
    }
  }
}

TEST_CASE(
    "upgrade: a helm killed at its timeout is DEADLINE_EXCEEDED, what it "
    "left pending recovered and said",
    "[release_applier]") {
  Rig rig;
  PutHistory(rig.kube, kRelease, kNs,
             {{1, "deployed", "0.27.0"},
              {2, "pending-upgrade", "0.27.1", absl::Now()}});
  rig.helm.FailNext(
      "UpgradeInstall",
      absl::DeadlineExceededError(
          "helm did not finish before its deadline and was killed"));
  auto result = rig.applier.Upgrade(rig.Request());
  REQUIRE(absl::IsDeadlineExceeded(result.status()));
  CHECK_THAT(std::string(result.status().message()),
             Catch::StartsWith("helm did not finish before its deadline") &&
                 Catch::Contains("pending-upgrade at revision 2") &&
                 Catch::Contains("rolled back to revision 1") &&
                 Catch::Contains("the verb was not applied: retry it"));
  CHECK(rig.helm.Rollbacks() ==
        std::vector<std::string>{std::string(kNs) + "/" + kRelease + " to 1"});
  // The release is deployed again; no other object was written.
  CHECK(testing::StoredStatuses(rig.kube, kRelease, kNs) ==
        std::vector<std::string>{"v1=superseded", "v2=failed", "v3=deployed"});
  CHECK(rig.kube.Writes() == 0);
}

TEST_CASE("dry run: bounded by the caller's deadline; writes nothing",
          "[release_applier]") {
  Rig rig;
  helm::UpgradeRequest request = rig.Request();
  REQUIRE(rig.applier.DryRun(request, absl::InfiniteFuture()).ok());
  CHECK(rig.helm.DryRuns() == 1);
  CHECK(rig.helm.Upgrades().empty());
  CHECK(rig.kube.Writes() == 0);

  rig.helm.FailNext("DryRunManifest",
                    absl::UnavailableError("connection refused"));
  auto failed = rig.applier.DryRun(request, absl::Now() + absl::Seconds(30));
  CHECK(absl::IsUnavailable(failed.status()));
  CHECK(rig.kube.Writes() == 0);
}

TEST_CASE(
    "operation started: written on the Cluster as it was read, with the "
    "verb",
    "[release_applier]") {
  Rig rig;
  rig.kube.Put(kube::kinds::kCluster, CapiCluster());
  const absl::Time started = absl::FromUnixMicros(1800000000123456);
  rig.applier.MarkOperationStarted(kRelease, kNs, started, "ResizeCluster");
  auto cluster = rig.kube.Object("clusters", kNs, kRelease);
  REQUIRE(cluster.has_value());
  const json& annotations = (*cluster)["metadata"]["annotations"];
  CHECK(annotations[status::kOperationStartedAnnotation] ==
        util::KubeMicroTime(started));
  CHECK(annotations[status::kOperationAnnotation] == "ResizeCluster");
  CHECK(annotations["kept"] == "yes");
  for (const auto& call : rig.kube.Calls()) {
    CHECK((call.method == "Get" || call.method == "Replace"));
  }
}

TEST_CASE("operation started: a Cluster not rendered yet is not created",
          "[release_applier]") {
  Rig rig;
  rig.applier.MarkOperationStarted(kRelease, kNs, absl::Now(), "CreateCluster");
  CHECK(rig.kube.Writes() == 0);
  CHECK(rig.kube.Names("clusters", kNs).empty());
}

TEST_CASE(
    "operation started: a conflict is retried on a fresh read; other "
    "failures give up without failing the verb",
    "[release_applier]") {
  Rig rig;
  rig.kube.Put(kube::kinds::kCluster, CapiCluster());
  rig.kube.FailNext("Replace", "clusters",
                    absl::AbortedError("the object has been modified"), 2);
  rig.applier.MarkOperationStarted(kRelease, kNs, absl::Now(), "UpdateCluster");
  auto cluster = rig.kube.Object("clusters", kNs, kRelease);
  CHECK((*cluster)["metadata"]["annotations"][status::kOperationAnnotation] ==
        "UpdateCluster");
  CHECK(rig.kube.Writes() == 3);

  Rig failing;
  failing.kube.Put(kube::kinds::kCluster, CapiCluster());
  failing.kube.FailNext("Replace", "clusters",
                        absl::UnavailableError("etcdserver: timeout"), 5);
  failing.applier.MarkOperationStarted(kRelease, kNs, absl::Now(),
                                       "UpdateCluster");
  CHECK(failing.kube.Writes() == 1);
  auto untouched = failing.kube.Object("clusters", kNs, kRelease);
  CHECK_FALSE((*untouched)["metadata"]["annotations"].contains(
      status::kOperationAnnotation));
}

}  // namespace
}  // namespace capi_bridge::lifecycle
