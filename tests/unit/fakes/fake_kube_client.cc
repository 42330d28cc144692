#include "tests/unit/fakes/fake_kube_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/render/deep_merge.h"

namespace capi_bridge::testing {

using nlohmann::json;

namespace {

std::string NameOf(const json& object) {
  return object.value("/metadata/name"_json_pointer, std::string());
}

std::string NamespaceOf(const kube::ResourceType& type, const json& object) {
  if (!type.namespaced) return "";
  return object.value("/metadata/namespace"_json_pointer, std::string());
}

bool IsWrite(const std::string& method) {
  return method == "Apply" || method == "Create" || method == "Replace" ||
         method == "Delete" || method == "DeleteCollection";
}

}  // namespace

bool MatchesSelector(const json& labels, const std::string& selector) {
  for (absl::string_view term :
       absl::StrSplit(selector, ',', absl::SkipWhitespace())) {
    std::string key, value;
    bool negate = false, has_value = false;
    if (auto pos = term.find("!="); pos != absl::string_view::npos) {
      key = std::string(term.substr(0, pos));
      value = std::string(term.substr(pos + 2));
      negate = has_value = true;
    } else if (auto eq = term.find('='); eq != absl::string_view::npos) {
      key = std::string(term.substr(0, eq));
      value = std::string(absl::StripPrefix(term.substr(eq + 1), "="));
      has_value = true;
    } else {
      key = std::string(term);
    }
    const bool present =
        labels.is_object() && labels.contains(key) && labels[key].is_string();
    if (!has_value) {
      if (!present) return false;
      continue;
    }
    const bool equal = present && labels[key].get<std::string>() == value;
    if (negate == equal) return false;
  }
  return true;
}

void FakeKubeClient::FailNext(const std::string& method,
                              const std::string& plural, absl::Status status,
                              int times) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back({method, plural, std::move(status), times});
}

void FakeKubeClient::Put(const kube::ResourceType& type, json object) {
  std::lock_guard<std::mutex> lock(mu_);
  StoreLocked(type, std::move(object));
}

std::optional<json> FakeKubeClient::Object(const std::string& plural,
                                           const std::string& ns,
                                           const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(Key{plural, ns, name});
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> FakeKubeClient::Names(const std::string& plural,
                                               const std::string& ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [key, object] : objects_) {
    if (std::get<0>(key) == plural && std::get<1>(key) == ns) {
      out.push_back(std::get<2>(key));
    }
  }
  return out;
}

std::vector<FakeKubeClient::Call> FakeKubeClient::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int FakeKubeClient::Writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(
      std::count_if(calls_.begin(), calls_.end(),
                    [](const Call& call) { return IsWrite(call.method); }));
}

absl::Status FakeKubeClient::EnterLocked(const std::string& method,
                                         const std::string& plural,
                                         const std::string& ns,
                                         const std::string& name,
                                         const std::string& field_manager) {
  calls_.push_back({method, plural, ns, name, field_manager});
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if ((it->method == method || it->method == "*") &&
        (it->plural == plural || it->plural == "*")) {
      absl::Status status = it->status;
      if (--it->times <= 0) failures_.erase(it);
      return status;
    }
  }
  return absl::OkStatus();
}

json FakeKubeClient::StoreLocked(const kube::ResourceType& type, json object) {
  object["apiVersion"] = type.ApiVersion();
  object["kind"] = type.kind;
  json& meta = object["metadata"];
  if (!meta.contains("uid")) meta["uid"] = absl::StrCat("uid-", ++version_);
  meta["resourceVersion"] = std::to_string(++version_);
  Key key{type.plural, NamespaceOf(type, object), NameOf(object)};
  objects_[key] = object;
  return object;
}

absl::StatusOr<json> FakeKubeClient::Get(const kube::ResourceType& type,
                                         const std::string& ns,
                                         const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto s = EnterLocked("Get", type.plural, ns, name); !s.ok()) return s;
  auto it = objects_.find(Key{type.plural, type.namespaced ? ns : "", name});
  if (it == objects_.end()) {
    return absl::NotFoundError(
        absl::StrCat(type.plural, " \"", name, "\" not found"));
  }
  return it->second;
}

absl::StatusOr<json> FakeKubeClient::List(const kube::ResourceType& type,
                                          const std::string& ns,
                                          const std::string& label_selector) {
  json items = json::array();
  auto version = ListEach(type, ns, label_selector,
                          [&](json&& item) { items.push_back(item); });
  if (!version.ok()) return version.status();
  return json{{"items", items}, {"metadata", {{"resourceVersion", *version}}}};
}

absl::StatusOr<std::string> FakeKubeClient::ListEach(
    const kube::ResourceType& type, const std::string& ns,
    const std::string& label_selector,
    const std::function<void(json&& item)>& on_item) {
  std::vector<json> found;
  std::string version;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto s = EnterLocked("List", type.plural, ns, ""); !s.ok()) return s;
    for (const auto& [key, object] : objects_) {
      if (std::get<0>(key) != type.plural) continue;
      if (!ns.empty() && std::get<1>(key) != ns) continue;
      json labels = object.value("/metadata/labels"_json_pointer, json());
      if (MatchesSelector(labels, label_selector)) found.push_back(object);
    }
    version = std::to_string(version_);
  }
  for (json& item : found) on_item(std::move(item));
  return version;
}

absl::StatusOr<json> FakeKubeClient::Apply(const kube::ResourceType& type,
                                           const json& object,
                                           const std::string& field_manager) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ns = NamespaceOf(type, object), name = NameOf(object);
  if (auto s = EnterLocked("Apply", type.plural, ns, name, field_manager);
      !s.ok()) {
    return s;
  }
  json stored = object;
  if (auto it = objects_.find(Key{type.plural, ns, name});
      it != objects_.end()) {
    stored = it->second;
    render::DeepMerge(object, &stored);
  }
  return StoreLocked(type, std::move(stored));
}

absl::StatusOr<json> FakeKubeClient::Create(const kube::ResourceType& type,
                                            const json& object) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ns = NamespaceOf(type, object), name = NameOf(object);
  if (auto s = EnterLocked("Create", type.plural, ns, name); !s.ok()) return s;
  if (objects_.count(Key{type.plural, ns, name})) {
    return absl::AlreadyExistsError(
        absl::StrCat(type.plural, " \"", name, "\" already exists"));
  }
  return StoreLocked(type, object);
}

absl::StatusOr<json> FakeKubeClient::Replace(const kube::ResourceType& type,
                                             const json& object) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ns = NamespaceOf(type, object), name = NameOf(object);
  if (auto s = EnterLocked("Replace", type.plural, ns, name); !s.ok()) {
    return s;
  }
  auto it = objects_.find(Key{type.plural, ns, name});
  if (it == objects_.end()) {
    return absl::NotFoundError(
        absl::StrCat(type.plural, " \"", name, "\" not found"));
  }
  const std::string wanted =
      object.value("/metadata/resourceVersion"_json_pointer, std::string());
  const std::string current =
      it->second.value("/metadata/resourceVersion"_json_pointer, std::string());
  if (!wanted.empty() && wanted != current) {
    return absl::AbortedError(absl::StrCat("Operation cannot be fulfilled on ",
                                           type.plural, " \"", name,
                                           "\": the object has been modified"));
  }
  return StoreLocked(type, object);
}

absl::Status FakeKubeClient::Delete(const kube::ResourceType& type,
                                    const std::string& ns,
                                    const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto s = EnterLocked("Delete", type.plural, ns, name); !s.ok()) return s;
  if (objects_.erase(Key{type.plural, type.namespaced ? ns : "", name}) == 0) {
    return absl::NotFoundError(
        absl::StrCat(type.plural, " \"", name, "\" not found"));
  }
  return absl::OkStatus();
}

absl::Status FakeKubeClient::DeleteCollection(
    const kube::ResourceType& type, const std::string& ns,
    const std::string& label_selector) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto s = EnterLocked("DeleteCollection", type.plural, ns, ""); !s.ok()) {
    return s;
  }
  for (auto it = objects_.begin(); it != objects_.end();) {
    const json labels =
        it->second.value("/metadata/labels"_json_pointer, json());
    if (std::get<0>(it->first) == type.plural && std::get<1>(it->first) == ns &&
        MatchesSelector(labels, label_selector)) {
      it = objects_.erase(it);
    } else {
      ++it;
    }
  }
  return absl::OkStatus();
}

absl::Status FakeKubeClient::Watch(
    const kube::ResourceType& type, const std::string& ns,
    const std::string& label_selector, const std::string& resource_version,
    absl::Duration timeout,
    const std::function<bool(const kube::WatchEvent&)>& on_event) {
  return absl::UnimplementedError("FakeKubeClient serves no watches");
}

}  // namespace capi_bridge::testing
