// DeletionReaper on an in-memory management cluster: the Secrets of a
// cluster whose CAPI Cluster and helm release are both gone, and whose
// Lease nobody holds, are removed with the Lease, at the first pass
// already; a cluster still there, a release still installed (or being
// installed) or a Lease held by a running verb keeps its Secrets; other
// clusters' and unlabelled Secrets are never touched; a failed read
// removes nothing.
#include "server/lifecycle/deletion_reaper.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "server/lifecycle/cluster_leases.h"
#include "server/rules/cluster_objects.h"
#include "server/util/kube_time.h"
#include "tests/unit/fakes/captured_log.h"
#include "tests/unit/fakes/eventually.h"
#include "tests/unit/fakes/fake_kube_client.h"

namespace capi_bridge::lifecycle {
namespace {

using json = nlohmann::json;
namespace kinds = kube::kinds;
using testing::Eventually;
using testing::FakeKubeClient;

constexpr char kNs[] = "magnum-p1";
constexpr char kShop[] = "shop-k3vq7x2mzp4a";
constexpr char kShopUuid[] = "8d2c1e5a-0000-4000-8000-000000000001";

// The Secrets the bridge writes for a cluster, as labelled.
void PutClusterSecrets(FakeKubeClient* kube, const std::string& release,
                       const std::string& uuid) {
  for (const char* suffix : {"-cloud-credentials", "-ca", "-etcd"}) {
    kube->Put(kinds::kSecret, {{"metadata",
                                {{"name", release + suffix},
                                 {"namespace", kNs},
                                 {"labels",
                                  {{rules::kClusterUuidLabel, uuid},
                                   {rules::kClusterNameLabel, release}}}}}});
  }
}

void PutCapiCluster(FakeKubeClient* kube, const std::string& release) {
  kube->Put(kinds::kCluster,
            {{"metadata", {{"name", release}, {"namespace", kNs}}}});
}

// helm's record of a release revision.
void PutReleaseRecord(FakeKubeClient* kube, const std::string& release) {
  kube->Put(kinds::kSecret,
            {{"metadata",
              {{"name", "sh.helm.release.v1." + release + ".v1"},
               {"namespace", kNs},
               {"labels",
                {{"owner", "helm"},
                 {"name", release},
                 {"status", "uninstalling"}}}}}});
}

void PutLease(FakeKubeClient* kube, const std::string& uuid,
              const std::string& holder, absl::Time renewed) {
  kube->Put(kinds::kLease,
            {{"metadata", {{"name", LeaseName(uuid)}, {"namespace", kNs}}},
             {"spec",
              {{"holderIdentity", holder},
               {"leaseDurationSeconds", 60},
               {"renewTime", util::KubeMicroTime(renewed)}}}});
}

std::vector<std::string> Secrets(const FakeKubeClient& kube) {
  return kube.Names("secrets", kNs);
}

// A gone cluster's Secrets, and a reaper whose first pass (over a still
// empty management cluster) is over: the test's own passes are then the
// only ones, the next being an hour away.
struct IdleReaper {
  IdleReaper() {
    reaper = std::make_unique<DeletionReaper>(&kube, absl::Hours(1));
    // A pass that lists no Secrets makes no other call.
    REQUIRE(Eventually([&] { return !kube.Calls().empty(); }));
    PutClusterSecrets(&kube, kShop, kShopUuid);
  }

  testing::CapturedLog log;
  FakeKubeClient kube;
  std::unique_ptr<DeletionReaper> reaper;
};

TEST_CASE(
    "DeletionReaper: a gone cluster's Secrets and Lease are removed at the "
    "first pass",
    "[deletion_reaper]") {
  testing::CapturedLog log;
  FakeKubeClient kube;
  PutClusterSecrets(&kube, kShop, kShopUuid);
  PutLease(&kube, kShopUuid, "", absl::Now());  // released by the delete
  kube.Put(kinds::kSecret,
           {{"metadata", {{"name", "unlabelled"}, {"namespace", kNs}}}});

  DeletionReaper reaper(&kube, absl::Hours(1));
  REQUIRE(Eventually([&] { return reaper.Reaped() == 1; }));
  CHECK(Secrets(kube) == std::vector<std::string>{"unlabelled"});
  CHECK_FALSE(kube.Object("leases", kNs, LeaseName(kShopUuid)).has_value());
  CHECK(log.Contains("cluster gone, its Secrets removed"));
  // Idempotent: nothing left to do.
  auto again = reaper.CheckOnce();
  REQUIRE(again.ok());
  CHECK(*again == 0);
  CHECK(reaper.Reaped() == 1);
}

TEST_CASE("DeletionReaper: what keeps a cluster's Secrets",
          "[deletion_reaper]") {
  IdleReaper idle;
  FakeKubeClient& kube = idle.kube;
  DeletionReaper* reaper = idle.reaper.get();
  const std::vector<std::string> all = Secrets(kube);

  SECTION("its CAPI Cluster still exists (CAPI is tearing it down)") {
    PutCapiCluster(&kube, kShop);
  }
  SECTION("its helm release is still recorded (installing or uninstalling)") {
    PutReleaseRecord(&kube, kShop);
  }
  SECTION("a verb holds its Lease") {
    PutLease(&kube, kShopUuid, "bridge-0-1234", absl::Now());
  }
  SECTION("its Lease cannot be read") {
    kube.FailNext("Get", "leases", absl::UnavailableError("timeout"));
  }
  auto pass = reaper->CheckOnce();
  REQUIRE(pass.ok());
  CHECK(*pass == 0);
  std::vector<std::string> left = Secrets(kube);
  for (const std::string& name : all) {
    CAPTURE(name);
    CHECK(std::find(left.begin(), left.end(), name) != left.end());
  }
  CHECK(reaper->Reaped() == 0);
}

TEST_CASE(
    "DeletionReaper: a Lease whose holder stopped renewing does not keep "
    "the Secrets",
    "[deletion_reaper]") {
  IdleReaper idle;
  FakeKubeClient& kube = idle.kube;
  DeletionReaper* reaper = idle.reaper.get();
  // A replica killed mid-delete an hour ago.
  PutLease(&kube, kShopUuid, "bridge-1-dead", absl::Now() - absl::Hours(1));

  auto pass = reaper->CheckOnce();
  REQUIRE(pass.ok());
  CHECK(*pass == 1);
  CHECK(Secrets(kube).empty());
  CHECK_FALSE(kube.Object("leases", kNs, LeaseName(kShopUuid)).has_value());
}

TEST_CASE("DeletionReaper: only the gone cluster's Secrets are removed",
          "[deletion_reaper]") {
  IdleReaper idle;
  FakeKubeClient& kube = idle.kube;
  DeletionReaper* reaper = idle.reaper.get();
  const std::string live_uuid = "11111111-0000-4000-8000-000000000002";
  PutClusterSecrets(&kube, "live-abc", live_uuid);
  PutCapiCluster(&kube, "live-abc");

  auto pass = reaper->CheckOnce();
  REQUIRE(pass.ok());
  CHECK(*pass == 1);
  CHECK(Secrets(kube) == std::vector<std::string>{"live-abc-ca",
                                                  "live-abc-cloud-credentials",
                                                  "live-abc-etcd"});
}

TEST_CASE("DeletionReaper: a failed read removes nothing and says why",
          "[deletion_reaper]") {
  IdleReaper idle;
  FakeKubeClient& kube = idle.kube;
  DeletionReaper* reaper = idle.reaper.get();
  const size_t before = Secrets(kube).size();

  SECTION("the Secrets cannot be listed") {
    kube.FailNext("List", "secrets",
                  absl::PermissionDeniedError("secrets is forbidden"));
    auto pass = reaper->CheckOnce();
    CHECK(absl::IsPermissionDenied(pass.status()));
  }
  SECTION("the Clusters cannot be listed") {
    kube.FailNext("List", "clusters", absl::UnavailableError("timeout"));
    auto pass = reaper->CheckOnce();
    CHECK(absl::IsUnavailable(pass.status()));
  }
  SECTION("the release records cannot be listed") {
    // The first List of Secrets is the scan; the second, of the release's
    // records, fails.
    kube.FailNext("List", "secrets", absl::OkStatus());
    kube.FailNext("List", "secrets", absl::UnavailableError("timeout"));
    auto pass = reaper->CheckOnce();
    REQUIRE(pass.ok());
    CHECK(*pass == 0);
  }
  CHECK(Secrets(kube).size() == before);
  CHECK(kube.Writes() == 0);
}

TEST_CASE("DeletionReaper: passes recur every interval", "[deletion_reaper]") {
  testing::CapturedLog log;
  FakeKubeClient kube;
  DeletionReaper reaper(&kube, absl::Milliseconds(10));
  // A cluster deleted while the reaper runs is reaped by a later pass.
  PutClusterSecrets(&kube, kShop, kShopUuid);
  CHECK(Eventually([&] { return reaper.Reaped() == 1; }));
  CHECK(Secrets(kube).empty());
}

}  // namespace
}  // namespace capi_bridge::lifecycle
