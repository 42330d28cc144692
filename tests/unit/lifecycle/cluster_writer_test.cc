// Write: the Namespace first, a Lease Admit deferred next, then the
// cluster's Secrets; a cluster another replica created meanwhile aborts
// the verb before any Secret is written.
#include "server/lifecycle/cluster_writer.h"

#include <catch2/catch.hpp>

#include "server/rules/cluster_objects.h"
#include "tests/unit/fakes/fake_kube_client.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;
using testing::FakeKubeClient;

constexpr char kNs[] = "magnum-p1";

LeaseOptions Leases() {
  LeaseOptions options;
  options.identity = "replica-a";
  return options;
}

v1::CredentialMaterial Credential() {
  v1::CredentialMaterial credential;
  credential.set_application_credential_id("id");
  credential.set_application_credential_secret("secret");
  return credential;
}

std::string FixedBytes(size_t n) { return std::string(n, 'k'); }

std::unique_ptr<VerbScope> DeferredScope(FakeKubeClient* kube,
                                         Admission* admission,
                                         const std::string& uuid) {
  kube->FailNext("Create", "leases",
                 absl::NotFoundError("namespaces \"magnum-p1\" not found"));
  auto scope = admission->Admit(
      {"CreateCluster", uuid, kNs, absl::InfiniteFuture(), "nothing"});
  REQUIRE(scope.ok());
  REQUIRE((*scope)->lease_deferred());
  return *std::move(scope);
}

TEST_CASE("Write creates the namespace, takes the Lease, writes the Secrets",
          "[cluster_writer]") {
  FakeKubeClient kube;
  Admission admission(&kube, Leases(), absl::Seconds(5));
  v1::ClusterSpec spec = testing::StandardSpec();
  auto scope = DeferredScope(&kube, &admission, spec.cluster().uuid());
  const v1::CredentialMaterial credential = Credential();
  ClusterWriter writer(&kube, "magnum", FixedBytes);
  json values = json::object();
  REQUIRE(
      writer.Write({&spec, "r1", &credential, nullptr, &values}, scope.get())
          .ok());
  CHECK_FALSE(scope->lease_deferred());
  CHECK(kube.Object("namespaces", "", kNs).has_value());
  CHECK(kube.Object("secrets", kNs, "r1-cloud-credentials").has_value());
  // The namespace came before the Lease, the Lease before the Secret.
  std::vector<std::string> order;
  for (const auto& call : kube.Calls()) {
    if (call.method == "Apply" || call.method == "Create") {
      order.push_back(call.plural);
    }
  }
  REQUIRE(order.size() >= 4);
  CHECK(order[0] == "leases");  // Admit's failed attempt
  CHECK(order[1] == "namespaces");
  CHECK(order[2] == "leases");
  CHECK(order.back() == "secrets");
}

TEST_CASE("a cluster created meanwhile by another replica aborts the Write",
          "[cluster_writer]") {
  FakeKubeClient kube;
  Admission admission(&kube, Leases(), absl::Seconds(5));
  v1::ClusterSpec spec = testing::StandardSpec();
  auto scope = DeferredScope(&kube, &admission, spec.cluster().uuid());
  kube.Put(kube::kinds::kSecret,
           {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata",
             {{"name", "theirs-cloud-credentials"},
              {"namespace", kNs},
              {"labels",
               {{rules::kClusterUuidLabel, spec.cluster().uuid()},
                {rules::kClusterNameLabel, "theirs"}}}}}});
  const v1::CredentialMaterial credential = Credential();
  ClusterWriter writer(&kube, "magnum", FixedBytes);
  absl::Status written =
      writer.Write({&spec, "mine", &credential, nullptr, nullptr}, scope.get());
  REQUIRE(absl::IsAborted(written));
  CHECK_THAT(std::string(written.message()), Catch::Contains("theirs"));
  CHECK_FALSE(kube.Object("secrets", kNs, "mine-cloud-credentials"));
}

}  // namespace
}  // namespace capi_bridge::lifecycle
