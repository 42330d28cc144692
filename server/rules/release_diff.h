// What applying a spec would change in a deployed release (pure): the values
// (path: deployed -> new) and the Kubernetes objects of the two rendered
// manifests. Used by DiffCluster and by the first verb on a release another
// driver wrote, which logs what it changes.
#ifndef CAPI_BRIDGE_SERVER_RULES_RELEASE_DIFF_H_
#define CAPI_BRIDGE_SERVER_RULES_RELEASE_DIFF_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::rules {

// One leaf that differs. Paths are dotted, list items indexed and keys that
// are not plain identifiers quoted: `nodeGroups[0].machineCount`,
// `metadata.annotations["helm.sh/chart"]`. A side without the leaf is
// nullopt (added or removed).
struct ValueChange {
  std::string path;
  std::optional<nlohmann::json> deployed;
  std::optional<nlohmann::json> rendered;
};

// Every leaf that differs, in path order. Objects are compared key by key
// and lists item by item; a value whose type changes is one change.
std::vector<ValueChange> DiffValues(const nlohmann::json& deployed,
                                    const nlohmann::json& rendered);

// "nodeGroups[0].machineCount: 2 -> 3", "x: (absent) -> true"; values are
// compact JSON cut after `max_value` bytes.
std::string DescribeChange(const ValueChange& change, size_t max_value = 200);

struct ObjectChange {
  enum class Action { kCreate, kUpdate, kDelete };
  Action action;
  std::string api_version;
  std::string kind;
  std::string namespace_name;  // as the manifest writes it (may be empty)
  std::string name;
  // For updates: the changed leaves, at most `max_paths` of them.
  std::vector<std::string> changed_paths;
  size_t changed_count = 0;  // all of them
};

absl::string_view ActionName(ObjectChange::Action action);  // create, ...

// Compares two helm manifests (YAML documents separated by ---), objects
// keyed by apiVersion group, kind, namespace and name; in kind, namespace
// and name order. INVALID_ARGUMENT
// when a manifest is not YAML or holds a document that is not an object
// with kind and metadata.name.
absl::StatusOr<std::vector<ObjectChange>> DiffManifests(
    absl::string_view deployed, absl::string_view rendered,
    size_t max_paths = 20);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_RELEASE_DIFF_H_
