#include "server/render/yaml_writer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace capi_bridge::render {
namespace {

using nlohmann::json;

bool LooksLikeNonString(const std::string& s) {
  static const char* const kWords[] = {"true", "false", "yes",   "no",   "on",
                                       "off",  "y",     "n",     "null", "~",
                                       ".inf", "-.inf", "+.inf", ".nan"};
  std::string lower = absl::AsciiStrToLower(s);
  for (const char* word : kWords) {
    if (lower == word) return true;
  }
  // Anything made only of number characters may read as an int, a float or
  // a YAML 1.1 sexagesimal; quote it.
  for (char c : lower) {
    if (!absl::ascii_isdigit(c) && c != '.' && c != '_' && c != '+' &&
        c != '-' && c != 'e' && c != ':') {
      return absl::StartsWith(lower, "0x") || absl::StartsWith(lower, "0o");
    }
  }
  return true;
}

bool NeedsQuotes(const std::string& s) {
  if (s.empty() || LooksLikeNonString(s)) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  static const std::string kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s.front()) != std::string::npos) return true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return absl::StrContains(s, ": ") || absl::StrContains(s, " #") ||
         s.back() == ':';
}

std::string Scalar(const json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return NeedsQuotes(s) ? v.dump() : s;
  }
  return v.dump();  // null, booleans and numbers print as YAML reads them
}

bool IsCollection(const json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

std::string Inline(const json& v) {
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return Scalar(v);
}

void WriteNode(const json& v, int indent, std::string* out);

// Writes `key: value` at `indent`, the first line already indented by the
// caller when `indented` is true.
void WriteEntry(const std::string& key, const json& value, int indent,
                std::string* out) {
  *out += NeedsQuotes(key) ? json(key).dump() : key;
  if (IsCollection(value)) {
    *out += ":\n";
    WriteNode(value, value.is_array() ? indent : indent + 2, out);
  } else {
    *out += ": ";
    *out += Inline(value);
    *out += '\n';
  }
}

void WriteNode(const json& v, int indent, std::string* out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      *out += pad;
      WriteEntry(it.key(), it.value(), indent, out);
    }
    return;
  }
  // Arrays: "- item", with an object's first key on the dash line.
  for (const json& item : v) {
    *out += pad;
    *out += "- ";
    if (item.is_object() && !item.empty()) {
      bool first = true;
      for (auto it = item.begin(); it != item.end(); ++it) {
        if (!first) *out += std::string(indent + 2, ' ');
        first = false;
        WriteEntry(it.key(), it.value(), indent + 2, out);
      }
    } else if (item.is_array() && !item.empty()) {
      *out += "\n";
      WriteNode(item, indent + 2, out);
    } else {
      *out += Inline(item);
      *out += '\n';
    }
  }
}

}  // namespace

std::string ToYaml(const json& document) {
  if (!IsCollection(document)) return Inline(document) + "\n";
  std::string out;
  WriteNode(document, 0, &out);
  return out;
}

}  // namespace capi_bridge::render
