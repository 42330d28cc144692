#include "server/render/problems.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace capi_bridge::render {

void Problems::Add(absl::string_view field, absl::string_view value,
                   absl::string_view accepted) {
  Record(Problem{std::string(field), QuoteForMessage(value),
                 std::string(accepted)});
}

void Problems::Missing(absl::string_view field, absl::string_view accepted) {
  Record(Problem{std::string(field), "(missing)", std::string(accepted)});
}

void Problems::Record(Problem problem) {
  for (const Problem& p : problems_) {
    if (p.field == problem.field && p.value == problem.value &&
        p.accepted == problem.accepted) {
      return;  // the same label read for several groups: report it once
    }
  }
  problems_.push_back(std::move(problem));
}

absl::Status Problems::ToStatus() const {
  if (problems_.empty()) return absl::OkStatus();
  std::string message = absl::StrCat(
      problems_.size(), problems_.size() == 1 ? " problem" : " problems",
      " in ", subject_, ":");
  for (const Problem& p : problems_) {
    absl::StrAppend(&message, "\n- ", p.field, ": ", p.value,
                    "; accepted: ", p.accepted);
  }
  return absl::InvalidArgumentError(message);
}

std::string QuoteForMessage(absl::string_view value) {
  constexpr size_t kMaxShown = 120;
  std::string out = "\"";
  size_t shown = 0;
  for (unsigned char c : value) {
    if (shown++ == kMaxShown) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "\"";
  return out;
}

}  // namespace capi_bridge::render
