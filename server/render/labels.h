// Labels: the catalogue of cluster/template labels the bridge knows, and
// typed, precedence-aware reading of their values.
//
// Precedence: cluster label > template label > site default
// (the bridge config's site_labels) > built-in default. A node-group label
// overrides the cluster's only for the labels marked per_node_group.
// capi_helm_chart_version is read from the template only.
//
// Reading a label never guesses: a value that does not parse is recorded in
// Problems (naming the label, where it was set, the value and the accepted
// form) and the built-in default is returned so that rendering can go on
// and find every other problem too.
#ifndef CAPI_BRIDGE_SERVER_RENDER_LABELS_H_
#define CAPI_BRIDGE_SERVER_RENDER_LABELS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/render/problems.h"
#include "server/render/value_syntax.h"

namespace capi_bridge::render {

using LabelMap = std::map<std::string, std::string>;

enum class LabelSource { kSite, kTemplate, kCluster, kNodeGroup };

// "site default", "template label", "cluster label", "node-group label".
absl::string_view LabelSourceName(LabelSource source);

// Where a label may be set.
enum class LabelScope {
  kCluster,       // template, cluster (and site default)
  kPerNodeGroup,  // also per node group, overriding the cluster's
  kTemplateOnly,  // template (and site default); a cluster label is ignored
};

// One row of the label catalogue. The text fields are the operator's
// reference (docs/labels.md is generated from them by `capi-bridge labels
// -o markdown`); the reading code is in the sections_*.cc files and
// tests/unit/render/labels_table_test.cc holds each row to what it renders.
struct LabelInfo {
  absl::string_view name;
  LabelScope scope = LabelScope::kCluster;
  absl::string_view type;            // what the value must look like
  absl::string_view default_value;   // when no layer sets it
  absl::string_view chart_values;    // openstack-cluster value paths driven
  absl::string_view chart_versions;  // "all" or the versions with the path
  absl::string_view notes;           // rules, caveats, origin

  bool per_node_group() const { return scope == LabelScope::kPerNodeGroup; }
  bool template_only() const { return scope == LabelScope::kTemplateOnly; }
};

// Every label the renderer reads, in catalogue order.
const std::vector<LabelInfo>& KnownLabels();
const LabelInfo* FindLabel(absl::string_view name);

// A label recognised but without a chart value (reported as a warning):
// an exact name, or a prefix ending in '_'.
struct IgnoredLabel {
  absl::string_view name;
  absl::string_view reason;
};
const std::vector<IgnoredLabel>& IgnoredLabels();
// The reason `name` is ignored, or nullopt when it is not such a label.
std::optional<absl::string_view> IgnoredLabelReason(absl::string_view name);

// The label layers of one cluster, optionally narrowed to one node group.
class LabelSet {
 public:
  LabelSet(const LabelMap* site, const LabelMap* template_labels,
           const LabelMap* cluster);

  // A copy that also consults `node_group` (named `group_name` in
  // messages) for per_node_group labels.
  LabelSet ForNodeGroup(const LabelMap* node_group,
                        absl::string_view group_name) const;

  struct Value {
    std::string text;
    LabelSource source;
  };
  // The effective value, or nullopt when no layer sets it.
  std::optional<Value> Get(absl::string_view name) const;

  // "labels.<name> (cluster label)" etc., for messages.
  std::string Field(absl::string_view name, LabelSource source) const;

  const LabelMap& template_labels() const { return *template_; }
  const LabelMap& cluster_labels() const { return *cluster_; }

 private:
  const LabelMap* site_;
  const LabelMap* template_;
  const LabelMap* cluster_;
  const LabelMap* node_group_ = nullptr;
  std::string group_name_;
};

// Typed reads of a LabelSet; bad values go to `problems`.
class LabelReader {
 public:
  LabelReader(const LabelSet& labels, Problems* problems)
      : labels_(labels), problems_(problems) {}

  bool IsSet(absl::string_view name) const;
  // Set, to something other than the empty string.
  bool IsNonEmpty(absl::string_view name) const;
  bool Bool(absl::string_view name, bool fallback);
  int64_t Int(absl::string_view name, int64_t fallback, int64_t min,
              int64_t max);
  // One of `allowed` (compared case-sensitively).
  std::string Enum(absl::string_view name, absl::string_view fallback,
                   const std::vector<absl::string_view>& allowed);
  // Printable text without control characters.
  std::string Text(absl::string_view name, absl::string_view fallback);
  // An OpenStack name (no commas or control characters), or empty.
  std::string Name(absl::string_view name, absl::string_view fallback);
  std::optional<Ipv4Cidr> Cidr(absl::string_view name);
  // Comma-separated items, each checked by `valid`; bad items reported with
  // `accepted`.
  std::vector<std::string> Csv(absl::string_view name,
                               bool (*valid)(absl::string_view),
                               absl::string_view accepted);

  // Records a problem about a label value that parsed but is not allowed
  // in context.
  void Reject(absl::string_view name, absl::string_view accepted);

  const LabelSet& labels() const { return labels_; }
  Problems* problems() { return problems_; }

 private:
  const LabelSet& labels_;
  Problems* problems_;
};

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_LABELS_H_
