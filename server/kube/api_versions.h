// ApiVersions: the version in which the bridge reads each Cluster API kind,
// from the management cluster's API discovery.
//
// Cluster API serves its kinds in more than one version: v1beta1 up to
// v1.10; v1beta1 and v1beta2 from v1.11 (stored as v1beta2, v1beta1
// converted by CAPI's webhooks); v1beta2 only once v1beta1 stops being
// served (announced for v1.16). The bridge reads each group in the newest
// version that the management cluster serves and that it understands
// (UnderstoodVersions):
//   cluster.x-k8s.io                 v1beta2, else v1beta1
//   controlplane.cluster.x-k8s.io    v1beta2, else v1beta1
//   infrastructure.cluster.x-k8s.io  v1beta1 (CAPO's OpenStackCluster)
// Other groups (core, coordination, the addon providers') are read as
// kinds.cc names them, without discovery.
//
// Discovery is one GET /apis/<group> per group, on first use and again once
// the answer is older than `refresh`, so a CAPI upgrade is picked up
// without a restart. Nothing is guessed: a group never discovered gives
// UNAVAILABLE; a later failed refresh keeps the last answer (the
// management cluster then fails the read itself). Thread-safe.
#ifndef CAPI_BRIDGE_SERVER_KUBE_API_VERSIONS_H_
#define CAPI_BRIDGE_SERVER_KUBE_API_VERSIONS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/kube/kube_client.h"

namespace capi_bridge::kube {

// The versions of `group` the bridge can read, newest first; empty for a
// group read without discovery.
const std::vector<std::string>& UnderstoodVersions(const std::string& group);

// Pure: the newest of `understood` (newest first) that the APIGroup
// document `api_group` lists. FAILED_PRECONDITION naming what is served and
// what is understood when none is; INVALID_ARGUMENT for a document without
// versions.
absl::StatusOr<std::string> NewestServed(
    const nlohmann::json& api_group,
    const std::vector<std::string>& understood);

struct ApiVersionsOptions {
  // How long an answer is used before the group is discovered again.
  absl::Duration refresh = absl::Minutes(5);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class ApiVersions;

// `base` in the version `versions` chose (see ApiVersions::Resolve); `base`
// itself when `versions` is null (tests, a bridge without discovery).
absl::StatusOr<ResourceType> ResolveOrBase(ApiVersions* versions,
                                           const ResourceType& base);

class ApiVersions {
 public:
  // `client` must outlive this.
  explicit ApiVersions(KubeClient* client, ApiVersionsOptions options = {});

  // `base` (one of kinds::k*) with the version to read it in: `base` itself
  // for a group without discovery. Errors: NOT_FOUND when the group is not
  // served (CRDs not installed); FAILED_PRECONDITION when it is served only
  // in versions this bridge does not understand; UNAVAILABLE when the
  // group could not be discovered (the management cluster's error
  // included).
  absl::StatusOr<ResourceType> Resolve(const ResourceType& base);

  // Forgets every answer: the next Resolve asks again (for a reader whose
  // version just stopped being served).
  void Invalidate();

  // The version chosen per group so far ("" for a group not served), for
  // logs and tests.
  std::map<std::string, std::string> Chosen() const;

 private:
  struct Answer {
    absl::StatusOr<std::string> version;  // or why there is none
    absl::Time at = absl::InfinitePast();
    bool known = false;  // a discovery succeeded (or said 404) at least once
  };

  KubeClient* client_;
  ApiVersionsOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Answer> answers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace capi_bridge::kube

#endif  // CAPI_BRIDGE_SERVER_KUBE_API_VERSIONS_H_
