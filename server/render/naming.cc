#include "server/render/naming.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace capi_bridge::render {

std::string SanitizedName(absl::string_view name) {
  std::string out;
  bool pending_dash = false;
  for (char raw : name) {
    char c = absl::ascii_tolower(raw);
    bool keep = absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z');
    if (!keep) {
      pending_dash = true;
      continue;
    }
    if (pending_dash && !out.empty()) out += '-';
    pending_dash = false;
    out += c;
  }
  return out;
}

std::string NamespaceName(absl::string_view prefix,
                          absl::string_view project_id) {
  std::string project;
  for (char raw : project_id) {
    char c = absl::ascii_tolower(raw);
    if (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z')) project += c;
  }
  return absl::StrCat(prefix, "-", project);
}

std::string ShortId(uint64_t random_bits) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out(12, 'a');
  for (int i = 0; i < 12; ++i) {
    int shift = 55 - 5 * i;
    out[i] = kAlphabet[(random_bits >> shift) & 0x1f];
  }
  return out;
}

std::string GenerateReleaseName(absl::string_view cluster_name,
                                uint64_t random_bits) {
  std::string base = SanitizedName(cluster_name).substr(0, 30);
  if (base.empty()) base = "cluster";
  return absl::StrCat(base, "-", ShortId(random_bits));
}

std::string CloudCredentialsSecretName(absl::string_view release) {
  return absl::StrCat(release, "-cloud-credentials");
}

bool IsReleaseName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxReleaseNameLength) return false;
  auto alnum = [](char c) {
    return absl::ascii_isdigit(c) || absl::ascii_islower(c);
  };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

bool IsClusterUuid(absl::string_view uuid) {
  return uuid.size() <= kMaxObjectNameLength && IsReleaseName(uuid);
}

}  // namespace capi_bridge::render
