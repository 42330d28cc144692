#include "server/render/problems.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/shared/utf8.h"

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
  const std::string head = absl::StrCat(
      problems_.size(), problems_.size() == 1 ? " problem" : " problems",
      " in ", subject_, ":");
  std::string all = head;
  std::string shown = head;
  size_t listed = 0;
  bool full = false;
  for (const Problem& p : problems_) {
    std::string line = absl::StrCat("\n- ", p.field, ": ", p.value,
                                    "; accepted: ", p.accepted);
    all += line;
    full = full || listed == kMaxListedProblems ||
           util::GrpcMessageBytes(shown) + util::GrpcMessageBytes(line) >
               kMaxProblemBytes;
    if (full) continue;
    shown += line;
    ++listed;
  }
  if (listed < problems_.size()) {
    absl::StrAppend(&shown, "\n- ... and ", problems_.size() - listed,
                    " more (the bridge's log lists all ", problems_.size(),
                    " under this call's request id)");
  }
  absl::Status status = absl::InvalidArgumentError(shown);
  if (listed < problems_.size()) {
    status.SetPayload(kAllProblemsPayload, absl::Cord(all));
  }
  return status;
}

std::string QuoteForMessage(absl::string_view value) {
  constexpr size_t kMaxShown = 120;  // characters
  std::string out = "\"";
  size_t shown = 0;
  for (size_t i = 0; i < value.size();) {
    if (shown++ == kMaxShown) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(value[i]);
    const size_t n = util::Utf8SequenceLength(
        std::string_view(value.data(), value.size()), i);
    if (n == 0) {
      out += absl::StrFormat("\\x%02x", c);  // not UTF-8: shown as a byte
      ++i;
    } else if (n > 1) {
      out.append(value.data() + i, n);
      i += n;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
      ++i;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
  }
  out += "\"";
  return out;
}

}  // namespace capi_bridge::render
