#include "server/render/labels.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace capi_bridge::render {

absl::string_view LabelSourceName(LabelSource source) {
  switch (source) {
    case LabelSource::kSite:
      return "site default";
    case LabelSource::kTemplate:
      return "template label";
    case LabelSource::kCluster:
      return "cluster label";
    case LabelSource::kNodeGroup:
      return "node-group label";
  }
  return "label";
}

LabelSet::LabelSet(const LabelMap* site, const LabelMap* template_labels,
                   const LabelMap* cluster)
    : site_(site), template_(template_labels), cluster_(cluster) {}

LabelSet LabelSet::ForNodeGroup(const LabelMap* node_group,
                                absl::string_view group_name) const {
  LabelSet copy = *this;
  copy.node_group_ = node_group;
  copy.group_name_ = std::string(group_name);
  return copy;
}

std::optional<LabelSet::Value> LabelSet::Get(absl::string_view name) const {
  const LabelInfo* info = FindLabel(name);
  auto find = [&](const LabelMap* layer) -> const std::string* {
    if (layer == nullptr) return nullptr;
    auto it = layer->find(std::string(name));
    return it == layer->end() ? nullptr : &it->second;
  };
  if (info != nullptr && info->per_node_group()) {
    if (const std::string* v = find(node_group_)) {
      return Value{*v, LabelSource::kNodeGroup};
    }
  }
  if (info == nullptr || !info->template_only()) {
    if (const std::string* v = find(cluster_)) {
      return Value{*v, LabelSource::kCluster};
    }
  }
  if (const std::string* v = find(template_)) {
    return Value{*v, LabelSource::kTemplate};
  }
  if (const std::string* v = find(site_)) {
    return Value{*v, LabelSource::kSite};
  }
  return std::nullopt;
}

std::string LabelSet::Field(absl::string_view name, LabelSource source) const {
  if (source == LabelSource::kNodeGroup) {
    return absl::StrCat("node_groups[", group_name_, "].labels.", name,
                        " (node-group label)");
  }
  if (source == LabelSource::kSite) {
    return absl::StrCat("site_labels.", name, " (site default)");
  }
  return absl::StrCat("labels.", name, " (", LabelSourceName(source), ")");
}

bool LabelReader::IsSet(absl::string_view name) const {
  return labels_.Get(name).has_value();
}

bool LabelReader::IsNonEmpty(absl::string_view name) const {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  return v.has_value() && !v->text.empty();
}

void LabelReader::Reject(absl::string_view name, absl::string_view accepted) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) {
    problems_->Missing(absl::StrCat("labels.", name), accepted);
    return;
  }
  problems_->Add(labels_.Field(name, v->source), v->text, accepted);
}

bool LabelReader::Bool(absl::string_view name, bool fallback) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return fallback;
  std::optional<bool> parsed = ParseBool(v->text);
  if (!parsed) {
    problems_->Add(labels_.Field(name, v->source), v->text, kBoolAccepted);
    return fallback;
  }
  return *parsed;
}

int64_t LabelReader::Int(absl::string_view name, int64_t fallback, int64_t min,
                         int64_t max) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return fallback;
  std::optional<int64_t> parsed = ParseInt(v->text, min, max);
  if (!parsed) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   absl::StrCat("a whole number from ", min, " to ", max));
    return fallback;
  }
  return *parsed;
}

std::string LabelReader::Enum(absl::string_view name,
                              absl::string_view fallback,
                              const std::vector<absl::string_view>& allowed) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::string(fallback);
  if (std::find(allowed.begin(), allowed.end(), v->text) == allowed.end()) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   absl::StrCat("one of ", absl::StrJoin(allowed, ", ")));
    return std::string(fallback);
  }
  return v->text;
}

std::string LabelReader::Text(absl::string_view name,
                              absl::string_view fallback) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::string(fallback);
  if (!IsPrintable(v->text)) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   "text without control characters");
    return std::string(fallback);
  }
  return v->text;
}

std::string LabelReader::Name(absl::string_view name,
                              absl::string_view fallback) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::string(fallback);
  if (!v->text.empty() && !IsOpenStackName(v->text)) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   "a name of printable characters without commas or "
                   "surrounding spaces, or empty");
    return std::string(fallback);
  }
  return v->text;
}

std::optional<Ipv4Cidr> LabelReader::Cidr(absl::string_view name) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return std::nullopt;
  std::optional<Ipv4Cidr> parsed = ParseCidr(v->text);
  if (!parsed) {
    problems_->Add(labels_.Field(name, v->source), v->text,
                   "an IPv4 network in CIDR form with zero host bits, e.g. "
                   "10.0.0.0/24");
  }
  return parsed;
}

std::vector<std::string> LabelReader::Csv(absl::string_view name,
                                          bool (*valid)(absl::string_view),
                                          absl::string_view accepted) {
  std::optional<LabelSet::Value> v = labels_.Get(name);
  if (!v) return {};
  std::vector<std::string> items = SplitCsv(v->text);
  std::vector<std::string> good;
  for (const std::string& item : items) {
    if (valid(item)) {
      good.push_back(item);
    } else {
      problems_->Add(labels_.Field(name, v->source), item,
                     absl::StrCat("a comma-separated list of ", accepted));
    }
  }
  return good;
}

}  // namespace capi_bridge::render
