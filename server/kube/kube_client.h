// KubeClient: the management cluster's REST API, as the bridge uses it.
//
// Objects are nlohmann::json documents in the Kubernetes JSON form. Errors
// carry the API server's message and map its HTTP codes:
//   404 → NOT_FOUND, 409 → ALREADY_EXISTS (create) or ABORTED (conflict),
//   400/422 → INVALID_ARGUMENT, 401/403 → PERMISSION_DENIED,
//   410 → OUT_OF_RANGE (resource version too old: relist),
//   429/5xx/connection errors → UNAVAILABLE (after retries),
//   timeouts → DEADLINE_EXCEEDED.
// Implementations are thread-safe.
#ifndef CAPI_BRIDGE_SERVER_KUBE_KUBE_CLIENT_H_
#define CAPI_BRIDGE_SERVER_KUBE_KUBE_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::kube {

// One API resource: where it lives on the REST path and what it is.
struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1", "v1beta1"
  std::string plural;   // "secrets", "machinedeployments"
  std::string kind;     // "Secret", "MachineDeployment"
  bool namespaced = true;

  std::string ApiVersion() const {
    return group.empty() ? version : group + "/" + version;
  }
};

// The kinds the bridge reads and writes (reference driver versions). The
// Cluster API kinds are v1beta1 here; status reads them in the version
// ApiVersions (api_versions.h) resolves from these.
namespace kinds {
extern const ResourceType kNamespace;
extern const ResourceType kSecret;
extern const ResourceType kCluster;
extern const ResourceType kMachineDeployment;
extern const ResourceType kMachine;
extern const ResourceType kKubeadmControlPlane;
extern const ResourceType kOpenStackCluster;
extern const ResourceType kHelmRelease;
extern const ResourceType kManifests;
// Cluster API addon provider's; the CRD may not be installed.
extern const ResourceType kHelmChartProxy;
// coordination.k8s.io/v1: the per-cluster operation Lease.
extern const ResourceType kLease;
}  // namespace kinds

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  nlohmann::json object;
};

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  // The object, or NOT_FOUND.
  virtual absl::StatusOr<nlohmann::json> Get(const ResourceType& type,
                                             const std::string& ns,
                                             const std::string& name) = 0;

  // Every object matching `label_selector` ("" = all) in `ns` ("" = all
  // namespaces), following continue tokens. Returns the List document:
  // `items` and `metadata.resourceVersion`.
  virtual absl::StatusOr<nlohmann::json> List(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector) = 0;

  // Like List, but hands the items to `on_item` page by page instead of
  // collecting them (bounded memory for large lists). Returns the list's
  // resourceVersion, from which a Watch continues.
  virtual absl::StatusOr<std::string> ListEach(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector,
      const std::function<void(nlohmann::json&& item)>& on_item) = 0;

  // Like ListEach, but the items carry only `metadata` (the API server's
  // PartialObjectMetadataList): for scans that read names and labels, at
  // a fraction of the bytes (a Secret's data stays on the server). An
  // implementation without it may hand whole objects.
  virtual absl::StatusOr<std::string> ListMetadataEach(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector,
      const std::function<void(nlohmann::json&& item)>& on_item) {
    return ListEach(type, ns, label_selector, on_item);
  }

  // Like ListEach over every namespace, but the API server may answer from
  // its watch cache (resourceVersion=0, as client-go's informers list
  // first): much cheaper for it with many objects, and possibly a moment
  // older than a consistent list, so only for a list that a Watch from
  // its returned version then follows (the watch brings what is newer).
  virtual absl::StatusOr<std::string> ListEachCached(
      const ResourceType& type,
      const std::function<void(nlohmann::json&& item)>& on_item) {
    return ListEach(type, "", "", on_item);
  }

  // Server-side apply of `object` (it names itself) as `field_manager`,
  // forcing ownership. Returns the object as stored.
  virtual absl::StatusOr<nlohmann::json> Apply(
      const ResourceType& type, const nlohmann::json& object,
      const std::string& field_manager) = 0;

  // Creates `object` (it names itself); ALREADY_EXISTS when an object of
  // that name exists. Returns the object as stored.
  virtual absl::StatusOr<nlohmann::json> Create(
      const ResourceType& type, const nlohmann::json& object) = 0;

  // Replaces the object `object` names (PUT). With
  // `metadata.resourceVersion` set, only that version is replaced: ABORTED
  // when the object changed since (optimistic concurrency). Returns the
  // object as stored.
  virtual absl::StatusOr<nlohmann::json> Replace(
      const ResourceType& type, const nlohmann::json& object) = 0;

  // Deletes one object (NOT_FOUND when absent). Objects with finalizers
  // linger until their controllers release them.
  virtual absl::Status Delete(const ResourceType& type, const std::string& ns,
                              const std::string& name) = 0;

  // Deletes every object matching `label_selector` in `ns`.
  virtual absl::Status DeleteCollection(const ResourceType& type,
                                        const std::string& ns,
                                        const std::string& label_selector) = 0;

  // Watches from `resource_version` ("" = current state first, as ADDED
  // events), with bookmarks, for at most `timeout`. Calls `on_event` for
  // each event until it returns false. Returns OK when the stream ends or
  // `on_event` stops it; OUT_OF_RANGE when the version is too old (an
  // ERROR event with code 410, or HTTP 410).
  virtual absl::Status Watch(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector, const std::string& resource_version,
      absl::Duration timeout,
      const std::function<bool(const WatchEvent&)>& on_event) = 0;

  // The API group's discovery document (GET /apis/<group>, an APIGroup:
  // `versions` and `preferredVersion`); NOT_FOUND when the group is not
  // served. For ApiVersions (api_versions.h). An implementation without
  // discovery returns UNIMPLEMENTED.
  virtual absl::StatusOr<nlohmann::json> GetApiGroup(const std::string& group) {
    return absl::UnimplementedError(
        "this management-cluster client has no API discovery (GET /apis/" +
        group + ")");
  }

  // Ends running watches promptly (they return CANCELLED) and refuses new
  // requests with CANCELLED: called once, when the bridge shuts down.
  virtual void Shutdown() {}
};

}  // namespace capi_bridge::kube

#endif  // CAPI_BRIDGE_SERVER_KUBE_KUBE_CLIENT_H_
