// FakeKubeClient: an in-memory management cluster behind the KubeClient
// interface, for unit tests of the code that reads and writes it.
//
// Objects live in a map keyed by resource (plural), namespace and name.
// Server-side apply merges the applied document into the stored one as
// render::DeepMerge does (maps recursively, anything else replaced, null
// removes), which is what the bridge's appliers rely on; field ownership
// is not modelled. Label selectors understand `k=v`, `k!=v` and `k` terms
// joined by commas. Every call is recorded; a test can make the next calls
// of a method on a resource fail with a chosen status. Watch is not served
// (UNIMPLEMENTED).
//
// Thread-safe.
#ifndef CAPI_BRIDGE_TESTS_UNIT_FAKES_FAKE_KUBE_CLIENT_H_
#define CAPI_BRIDGE_TESTS_UNIT_FAKES_FAKE_KUBE_CLIENT_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "server/kube/kube_client.h"

namespace capi_bridge::testing {

class FakeKubeClient : public kube::KubeClient {
 public:
  struct Call {
    std::string method;  // "Get", "List", "Apply", "Create", ...
    std::string plural;  // "secrets", "leases", ...
    std::string ns;
    std::string name;           // "" for lists and collections
    std::string field_manager;  // Apply only
  };

  // The next `times` calls of `method` on `plural` ("*" for either: any)
  // fail with `status`, after being recorded and before touching anything.
  void FailNext(const std::string& method, const std::string& plural,
                absl::Status status, int times = 1);

  // Stores `object` as it is (a test's starting state); not recorded.
  void Put(const kube::ResourceType& type, nlohmann::json object);

  std::optional<nlohmann::json> Object(const std::string& plural,
                                       const std::string& ns,
                                       const std::string& name) const;
  // Names of the stored objects of `plural` in `ns`, sorted.
  std::vector<std::string> Names(const std::string& plural,
                                 const std::string& ns) const;
  std::vector<Call> Calls() const;
  // Calls that change state (Apply, Create, Replace, Delete,
  // DeleteCollection), failed ones included.
  int Writes() const;

  absl::StatusOr<nlohmann::json> Get(const kube::ResourceType& type,
                                     const std::string& ns,
                                     const std::string& name) override;
  absl::StatusOr<nlohmann::json> List(
      const kube::ResourceType& type, const std::string& ns,
      const std::string& label_selector) override;
  absl::StatusOr<std::string> ListEach(
      const kube::ResourceType& type, const std::string& ns,
      const std::string& label_selector,
      const std::function<void(nlohmann::json&& item)>& on_item) override;
  absl::StatusOr<nlohmann::json> Apply(
      const kube::ResourceType& type, const nlohmann::json& object,
      const std::string& field_manager) override;
  absl::StatusOr<nlohmann::json> Create(const kube::ResourceType& type,
                                        const nlohmann::json& object) override;
  absl::StatusOr<nlohmann::json> Replace(const kube::ResourceType& type,
                                         const nlohmann::json& object) override;
  absl::Status Delete(const kube::ResourceType& type, const std::string& ns,
                      const std::string& name) override;
  absl::Status DeleteCollection(const kube::ResourceType& type,
                                const std::string& ns,
                                const std::string& label_selector) override;
  absl::Status Watch(
      const kube::ResourceType& type, const std::string& ns,
      const std::string& label_selector, const std::string& resource_version,
      absl::Duration timeout,
      const std::function<bool(const kube::WatchEvent&)>& on_event) override;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;

  // Records the call; returns the injected failure, if any. Holds mu_.
  absl::Status EnterLocked(const std::string& method, const std::string& plural,
                           const std::string& ns, const std::string& name,
                           const std::string& field_manager = "");
  nlohmann::json StoreLocked(const kube::ResourceType& type,
                             nlohmann::json object);

  mutable std::mutex mu_;
  std::map<Key, nlohmann::json> objects_;
  std::vector<Call> calls_;
  struct Failure {
    std::string method, plural;
    absl::Status status;
    int times;
  };
  std::vector<Failure> failures_;
  long long version_ = 1000;
};

// Whether `labels` (an object's metadata.labels) match `selector`.
bool MatchesSelector(const nlohmann::json& labels, const std::string& selector);

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_FAKES_FAKE_KUBE_CLIENT_H_
