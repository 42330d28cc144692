// The autoscaling hook of the lifecycle verbs on a fake management
// cluster: after an apply it writes the autoscaler's Role and RoleBinding
// for autoscaled groups, after an uninstall it removes them; and a failure
// never fails the verb but becomes one reply warning, field
// "autoscaling", saying what failed and why.
#include "server/autoscaling/verb_hook.h"

#include <catch2/catch.hpp>

#include "server/autoscaling/autoscaling_objects.h"
#include "tests/unit/fakes/fake_kube_client.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::autoscaling {
namespace {

using nlohmann::json;
using testing::FakeKubeClient;
namespace v1 = magnum::capi::bridge::v1;

constexpr char kNs[] = "magnum-proj";
constexpr char kRelease[] = "web-k3vq7x2mzp4a";

json AutoscaledValues() {
  return {{"nodeGroups", json::array({{{"name", "pool"},
                                       {"machineFlavor", "m1.large"},
                                       {"machineCount", 1},
                                       {"autoscale", true},
                                       {"machineCountMin", 1},
                                       {"machineCountMax", 3}}})}};
}

// The hooks for the standard spec's release, its groups autoscaled.
void Applied(FakeKubeClient& kube, v1::OperationResponse* reply) {
  AfterReleaseApplied(kube, testing::StandardSpec(), kRelease, kNs,
                      AutoscaledValues(), reply);
}
void Uninstalled(FakeKubeClient& kube, v1::OperationResponse* reply) {
  AfterReleaseUninstalled(kube, testing::StandardSpec(), kRelease, kNs, reply);
}

TEST_CASE("verb hook: an applied release gets the autoscaler's Role, quietly",
          "[verb_hook]") {
  FakeKubeClient kube;
  v1::OperationResponse reply;
  Applied(kube, &reply);
  CHECK(reply.warnings().empty());
  CHECK(kube.Names(kRole.plural, kNs).size() == 1);
  CHECK(kube.Names(kRoleBinding.plural, kNs).size() == 1);

  Uninstalled(kube, &reply);
  CHECK(reply.warnings().empty());
  CHECK(kube.Names(kRole.plural, kNs).empty());
  CHECK(kube.Names(kRoleBinding.plural, kNs).empty());
}

TEST_CASE(
    "verb hook: a failed write or removal is a reply warning naming what "
    "failed and why, after the reply's other warnings",
    "[verb_hook]") {
  struct Row {
    const char* what;
    const char* method;
    std::function<void(FakeKubeClient&, v1::OperationResponse*)> hook;
    const char* says;
    bool applied_before;  // the Role exists (to remove)
  };
  const std::vector<Row> rows = {
      {"after an apply", "Apply", Applied,
       "writing the cluster-autoscaler's template-reading Role", false},
      {"after an uninstall", "Delete", Uninstalled,
       "removing the cluster-autoscaler's template-reading Role", true},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.what) {
      FakeKubeClient kube;
      if (row.applied_before) {
        v1::OperationResponse applied;
        Applied(kube, &applied);
        REQUIRE(applied.warnings().empty());
      }
      kube.FailNext(row.method, "*",
                    absl::UnavailableError("etcdserver: timeout"));
      v1::OperationResponse reply;
      reply.add_warnings()->set_field("labels.earlier");
      row.hook(kube, &reply);
      REQUIRE(reply.warnings_size() == 2);
      CHECK(reply.warnings(0).field() == "labels.earlier");
      CHECK(reply.warnings(1).field() == "autoscaling");
      CHECK_THAT(reply.warnings(1).message(),
                 Catch::StartsWith(row.says) &&
                     Catch::Contains("etcdserver: timeout") &&
                     Catch::Contains("the next operation tries again"));
    }
  }
}

}  // namespace
}  // namespace capi_bridge::autoscaling
