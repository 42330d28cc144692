#include "server/render/chart_version.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace capi_bridge::render {
namespace {

bool ParseNumber(absl::string_view part, int* out) {
  if (part.empty() || part.size() > 6) return false;
  for (char c : part) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  if (part.size() > 1 && part[0] == '0') return false;
  return absl::SimpleAtoi(part, out);
}

bool ValidPrerelease(absl::string_view pre) {
  if (pre.empty()) return false;
  for (char c : pre) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ChartVersion> ChartVersion::Parse(absl::string_view text) {
  absl::string_view rest = text;
  if (!rest.empty() && rest[0] == 'v') rest.remove_prefix(1);
  ChartVersion v;
  size_t dash = rest.find('-');
  if (dash != absl::string_view::npos) {
    v.prerelease_ = std::string(rest.substr(dash + 1));
    rest = rest.substr(0, dash);
    if (!ValidPrerelease(v.prerelease_)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad pre-release in chart version '", text, "'"));
    }
  }
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '.');
  if (parts.size() != 3 || !ParseNumber(parts[0], &v.major_) ||
      !ParseNumber(parts[1], &v.minor_) || !ParseNumber(parts[2], &v.patch_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a chart version of the form X.Y.Z[-pre]"));
  }
  return v;
}

ChartVersion ChartVersion::Of(absl::string_view text) {
  absl::StatusOr<ChartVersion> v = Parse(text);
  if (!v.ok()) std::abort();
  return *v;
}

std::string ChartVersion::ToString() const {
  std::string s = absl::StrCat(major_, ".", minor_, ".", patch_);
  if (!prerelease_.empty()) absl::StrAppend(&s, "-", prerelease_);
  return s;
}

int ChartVersion::Compare(const ChartVersion& o) const {
  if (major_ != o.major_) return major_ < o.major_ ? -1 : 1;
  if (minor_ != o.minor_) return minor_ < o.minor_ ? -1 : 1;
  if (patch_ != o.patch_) return patch_ < o.patch_ ? -1 : 1;
  if (prerelease_ == o.prerelease_) return 0;
  if (prerelease_.empty()) return 1;
  if (o.prerelease_.empty()) return -1;
  return prerelease_ < o.prerelease_ ? -1 : 1;
}

}  // namespace capi_bridge::render
