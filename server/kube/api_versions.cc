#include "server/kube/api_versions.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/log/log.h"

namespace capi_bridge::kube {

using json = nlohmann::json;

const std::vector<std::string>& UnderstoodVersions(const std::string& group) {
  static const auto* const kUnderstood =
      new std::map<std::string, std::vector<std::string>>{
          {"cluster.x-k8s.io", {"v1beta2", "v1beta1"}},
          {"controlplane.cluster.x-k8s.io", {"v1beta2", "v1beta1"}},
          {"infrastructure.cluster.x-k8s.io", {"v1beta1"}},
      };
  static const auto* const kNone = new std::vector<std::string>();
  auto it = kUnderstood->find(group);
  return it == kUnderstood->end() ? *kNone : it->second;
}

absl::StatusOr<std::string> NewestServed(
    const json& api_group, const std::vector<std::string>& understood) {
  const std::string name =
      api_group.is_object() ? api_group.value("name", "") : "";
  auto versions =
      api_group.is_object() ? api_group.find("versions") : api_group.end();
  if (!api_group.is_object() || versions == api_group.end() ||
      !versions->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("API group ", name, ": discovery lists no versions"));
  }
  std::vector<std::string> served;
  for (const json& v : *versions) {
    if (v.is_object() && v.value("version", "") != "") {
      served.push_back(v.value("version", ""));
    }
  }
  for (const std::string& want : understood) {
    for (const std::string& have : served) {
      if (have == want) return want;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the management cluster serves API group ", name, " in [",
                   absl::StrJoin(served, ", "), "]; this bridge reads [",
                   absl::StrJoin(understood, ", "), "]"));
}

ApiVersions::ApiVersions(KubeClient* client, ApiVersionsOptions options)
    : client_(client), options_(std::move(options)) {}

absl::StatusOr<ResourceType> ApiVersions::Resolve(const ResourceType& base) {
  const std::vector<std::string>& understood = UnderstoodVersions(base.group);
  if (understood.empty()) return base;
  absl::MutexLock lock(&mu_);
  Answer& answer = answers_[base.group];
  const absl::Time now = options_.now();
  if (!answer.known || now - answer.at >= options_.refresh) {
    // One discovery at a time (under mu_): concurrent readers wait for it
    // rather than ask again.
    auto document = client_->GetApiGroup(base.group);
    if (document.ok()) {
      absl::StatusOr<std::string> version = NewestServed(*document, understood);
      if (answer.known && answer.version.ok() && version.ok() &&
          *answer.version != *version) {
        log::Info("management cluster serves a newer API version",
                  {{"group", base.group},
                   {"was", *answer.version},
                   {"now", *version}});
      }
      answer.version = std::move(version);
      answer.at = now;
      answer.known = true;
    } else if (absl::IsNotFound(document.status())) {
      answer.version = absl::NotFoundError(
          absl::StrCat("the management cluster does not serve API group ",
                       base.group, " (its CRDs are not installed)"));
      answer.at = now;
      answer.known = true;
    } else if (answer.known) {
      // Keep the last answer; the read itself will tell if the cluster is
      // gone. Ask again on the next call.
      log::Warn("API discovery failed, using the last answer",
                {{"group", base.group},
                 {"error", std::string(document.status().message())}});
    } else {
      return absl::UnavailableError(absl::StrCat(
          "API discovery of ", base.group, " failed, so the version to read ",
          base.kind, " in is unknown: ", document.status().message()));
    }
  }
  if (!answer.version.ok()) {
    return absl::Status(
        answer.version.status().code(),
        absl::StrCat(base.kind, ": ", answer.version.status().message()));
  }
  ResourceType resolved = base;
  resolved.version = *answer.version;
  return resolved;
}

void ApiVersions::Invalidate() {
  absl::MutexLock lock(&mu_);
  for (auto& [group, answer] : answers_) answer.at = absl::InfinitePast();
}

std::map<std::string, std::string> ApiVersions::Chosen() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::string> out;
  for (const auto& [group, answer] : answers_) {
    if (answer.known) out[group] = answer.version.ok() ? *answer.version : "";
  }
  return out;
}

absl::StatusOr<ResourceType> ResolveOrBase(ApiVersions* versions,
                                           const ResourceType& base) {
  if (versions == nullptr) return base;
  return versions->Resolve(base);
}

}  // namespace capi_bridge::kube
