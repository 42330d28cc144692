#include "server/rules/release_diff.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/config/yaml_json.h"
#include "server/shared/utf8.h"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::rules {
namespace {

using nlohmann::json;

bool IsIdentifier(absl::string_view key) {
  if (key.empty() || absl::ascii_isdigit(key[0])) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string Child(const std::string& path, const std::string& key) {
  if (IsIdentifier(key)) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }
  return absl::StrCat(path, "[", json(key).dump(), "]");
}

void Walk(const std::string& path, const json* deployed, const json* rendered,
          std::vector<ValueChange>* out) {
  if (deployed != nullptr && rendered != nullptr &&
      deployed->type() == rendered->type()) {
    if (deployed->is_object()) {
      // Both key sets, in order (nlohmann's objects are sorted maps).
      auto d = deployed->begin(), r = rendered->begin();
      while (d != deployed->end() || r != rendered->end()) {
        if (r == rendered->end() ||
            (d != deployed->end() && d.key() < r.key())) {
          Walk(Child(path, d.key()), &d.value(), nullptr, out);
          ++d;
        } else if (d == deployed->end() || r.key() < d.key()) {
          Walk(Child(path, r.key()), nullptr, &r.value(), out);
          ++r;
        } else {
          Walk(Child(path, d.key()), &d.value(), &r.value(), out);
          ++d;
          ++r;
        }
      }
      return;
    }
    if (deployed->is_array()) {
      size_t n = std::max(deployed->size(), rendered->size());
      for (size_t i = 0; i < n; ++i) {
        Walk(absl::StrCat(path, "[", i, "]"),
             i < deployed->size() ? &(*deployed)[i] : nullptr,
             i < rendered->size() ? &(*rendered)[i] : nullptr, out);
      }
      return;
    }
  }
  if (deployed != nullptr && rendered != nullptr && *deployed == *rendered) {
    return;
  }
  ValueChange change;
  change.path = path;
  if (deployed != nullptr) change.deployed = *deployed;
  if (rendered != nullptr) change.rendered = *rendered;
  out->push_back(std::move(change));
}

struct ObjectKey {
  std::string group, kind, ns, name;
  bool operator<(const ObjectKey& o) const {
    return std::tie(group, kind, ns, name) <
           std::tie(o.group, o.kind, o.ns, o.name);
  }
};

struct ParsedObject {
  std::string api_version;
  json object;
};

absl::StatusOr<std::map<ObjectKey, ParsedObject>> ParseManifest(
    absl::string_view text, absl::string_view which) {
  std::map<ObjectKey, ParsedObject> objects;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", which, " manifest is not YAML: line ",
                     e.mark.line + 1, ": ", e.msg));
  }
  for (const YAML::Node& doc : docs) {
    if (!doc || doc.IsNull()) continue;  // empty documents between ---
    json object;
    try {
      object = config::YamlToJson(doc);
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", which, " manifest: ", e.msg));
    }
    const json* kind = object.is_object() && object.contains("kind")
                           ? &object["kind"]
                           : nullptr;
    const json* name =
        object.is_object() ? &object["/metadata/name"_json_pointer] : nullptr;
    if (kind == nullptr || !kind->is_string() || name == nullptr ||
        !name->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", which,
                       " manifest holds a document that is not a Kubernetes "
                       "object with kind and metadata.name"));
    }
    std::string api_version = object.value("apiVersion", "");
    size_t slash = api_version.find('/');
    ObjectKey key{
        slash == std::string::npos ? "" : api_version.substr(0, slash),
        kind->get<std::string>(),
        object.value("/metadata/namespace"_json_pointer, ""),
        name->get<std::string>()};
    objects[key] = ParsedObject{api_version, std::move(object)};
  }
  return objects;
}

ObjectChange ChangeOf(ObjectChange::Action action, const ObjectKey& key,
                      const std::string& api_version) {
  ObjectChange change;
  change.action = action;
  change.api_version = api_version;
  change.kind = key.kind;
  change.namespace_name = key.ns;
  change.name = key.name;
  return change;
}

std::string Compact(const json& value, size_t max_value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > max_value) {
    text = std::string(util::Utf8Prefix(text, max_value)) + "...";
  }
  return text;
}

}  // namespace

std::vector<ValueChange> DiffValues(const json& deployed,
                                    const json& rendered) {
  std::vector<ValueChange> out;
  Walk("", &deployed, &rendered, &out);
  return out;
}

std::string DescribeChange(const ValueChange& change, size_t max_value) {
  return absl::StrCat(
      change.path.empty() ? "(the whole document)" : change.path, ": ",
      change.deployed ? Compact(*change.deployed, max_value) : "(absent)",
      " -> ",
      change.rendered ? Compact(*change.rendered, max_value) : "(absent)");
}

absl::string_view ActionName(ObjectChange::Action action) {
  switch (action) {
    case ObjectChange::Action::kCreate:
      return "create";
    case ObjectChange::Action::kUpdate:
      return "update";
    case ObjectChange::Action::kDelete:
      return "delete";
  }
  return "update";
}

absl::StatusOr<std::vector<ObjectChange>> DiffManifests(
    absl::string_view deployed, absl::string_view rendered, size_t max_paths) {
  auto before = ParseManifest(deployed, "deployed");
  if (!before.ok()) return before.status();
  auto after = ParseManifest(rendered, "new");
  if (!after.ok()) return after.status();
  std::vector<ObjectChange> out;
  for (const auto& [key, object] : *before) {
    auto it = after->find(key);
    if (it == after->end()) {
      out.push_back(
          ChangeOf(ObjectChange::Action::kDelete, key, object.api_version));
      continue;
    }
    std::vector<ValueChange> leaves =
        DiffValues(object.object, it->second.object);
    if (leaves.empty()) continue;
    ObjectChange change =
        ChangeOf(ObjectChange::Action::kUpdate, key, it->second.api_version);
    change.changed_count = leaves.size();
    for (size_t i = 0; i < leaves.size() && i < max_paths; ++i) {
      change.changed_paths.push_back(leaves[i].path);
    }
    out.push_back(std::move(change));
  }
  for (const auto& [key, object] : *after) {
    if (before->count(key) == 0) {
      out.push_back(
          ChangeOf(ObjectChange::Action::kCreate, key, object.api_version));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ObjectChange& a, const ObjectChange& b) {
                     return std::tie(a.kind, a.namespace_name, a.name) <
                            std::tie(b.kind, b.namespace_name, b.name);
                   });
  return out;
}

}  // namespace capi_bridge::rules
