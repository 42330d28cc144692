// ReadOnlyKubeClient: the part of a KubeClient that fakes of a read-only
// management cluster share: List collects ListEach, every write is
// UNIMPLEMENTED. A fake implements Get, ListEach and Watch.
#ifndef CAPI_BRIDGE_TESTS_UNIT_FAKES_READ_ONLY_KUBE_CLIENT_H_
#define CAPI_BRIDGE_TESTS_UNIT_FAKES_READ_ONLY_KUBE_CLIENT_H_

#include <string>
#include <utility>

#include "server/kube/kube_client.h"

namespace capi_bridge::testing {

class ReadOnlyKubeClient : public kube::KubeClient {
 public:
  absl::StatusOr<nlohmann::json> List(
      const kube::ResourceType& type, const std::string& ns,
      const std::string& label_selector) override {
    nlohmann::json list = {{"items", nlohmann::json::array()}};
    auto version =
        ListEach(type, ns, label_selector, [&](nlohmann::json&& item) {
          list["items"].push_back(std::move(item));
        });
    if (!version.ok()) return version.status();
    list["metadata"]["resourceVersion"] = *version;
    return list;
  }
  absl::StatusOr<nlohmann::json> Apply(const kube::ResourceType&,
                                       const nlohmann::json&,
                                       const std::string&) override {
    return Refused();
  }
  absl::StatusOr<nlohmann::json> Create(const kube::ResourceType&,
                                        const nlohmann::json&) override {
    return Refused();
  }
  absl::StatusOr<nlohmann::json> Replace(const kube::ResourceType&,
                                         const nlohmann::json&) override {
    return Refused();
  }
  absl::Status Delete(const kube::ResourceType&, const std::string&,
                      const std::string&) override {
    return Refused();
  }
  absl::Status DeleteCollection(const kube::ResourceType&, const std::string&,
                                const std::string&) override {
    return Refused();
  }

 private:
  static absl::Status Refused() {
    return absl::UnimplementedError(
        "this fake management cluster is read-only");
  }
};

}  // namespace capi_bridge::testing

#endif  // CAPI_BRIDGE_TESTS_UNIT_FAKES_READ_ONLY_KUBE_CLIENT_H_
