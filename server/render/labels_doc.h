// The label reference, generated from the label catalogue (KnownLabels,
// IgnoredLabels): what `capi-bridge labels` prints and docs/labels.md holds.
#ifndef CAPI_BRIDGE_SERVER_RENDER_LABELS_DOC_H_
#define CAPI_BRIDGE_SERVER_RENDER_LABELS_DOC_H_

#include <string>

#include "nlohmann/json.hpp"

namespace capi_bridge::render {

// A Markdown page: precedence and value syntax, one table row per label,
// then the labels that are recognised and ignored.
std::string LabelsMarkdown();

// {"labels": [{name, scope, type, default, chart_values, chart_versions,
// notes}], "ignored": [{name, prefix, reason}]}, for scripts.
nlohmann::json LabelsJson();

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_LABELS_DOC_H_
