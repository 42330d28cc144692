#include "server/render/value_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace capi_bridge::render {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

uint32_t Mask(int prefix) {
  return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

// RFC 1123 label: 1-63 alphanumerics and '-', not starting/ending with '-'.
bool IsDnsLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

}  // namespace

std::optional<bool> ParseBool(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(text);
  if (t == "true" || t == "yes" || t == "on" || t == "1" || t == "t" ||
      t == "y") {
    return true;
  }
  if (t == "false" || t == "no" || t == "off" || t == "0" || t == "f" ||
      t == "n") {
    return false;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseInt(absl::string_view text, int64_t min,
                                int64_t max) {
  absl::string_view digits = text;
  bool negative = absl::ConsumePrefix(&digits, "-");
  if (!AllDigits(digits) || digits.size() > 12) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value)) return std::nullopt;
  if (negative) value = -value;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::vector<std::string> SplitCsv(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

std::optional<uint32_t> ParseIpv4(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t address = 0;
  for (absl::string_view part : parts) {
    if (!AllDigits(part) || part.size() > 3) return std::nullopt;
    if (part.size() > 1 && part[0] == '0') return std::nullopt;
    int octet = 0;
    if (!absl::SimpleAtoi(part, &octet) || octet > 255) return std::nullopt;
    address = (address << 8) | static_cast<uint32_t>(octet);
  }
  return address;
}

std::optional<Ipv4Cidr> ParseCidr(absl::string_view text,
                                  bool allow_bare_address) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    if (!allow_bare_address) return std::nullopt;
    std::optional<uint32_t> address = ParseIpv4(text);
    if (!address) return std::nullopt;
    return Ipv4Cidr{*address, 32};
  }
  std::optional<uint32_t> address = ParseIpv4(text.substr(0, slash));
  absl::string_view prefix_text = text.substr(slash + 1);
  int prefix = 0;
  if (!address || !AllDigits(prefix_text) || prefix_text.size() > 2 ||
      !absl::SimpleAtoi(prefix_text, &prefix) || prefix > 32) {
    return std::nullopt;
  }
  if ((*address & ~Mask(prefix)) != 0) return std::nullopt;  // host bits set
  return Ipv4Cidr{*address, prefix};
}

std::string Ipv4Cidr::ToString() const {
  return absl::StrCat((address >> 24) & 0xff, ".", (address >> 16) & 0xff, ".",
                      (address >> 8) & 0xff, ".", address & 0xff, "/", prefix);
}

bool Ipv4Cidr::Contains(const Ipv4Cidr& inner) const {
  return inner.prefix >= prefix &&
         (inner.address & Mask(prefix)) == (address & Mask(prefix));
}

bool Ipv4Cidr::Overlaps(const Ipv4Cidr& other) const {
  return Contains(other) || other.Contains(*this);
}

std::optional<KubeVersion> ParseKubeVersion(absl::string_view text) {
  absl::string_view rest = text;
  absl::ConsumePrefix(&rest, "v");
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '.');
  if (parts.size() != 3) return std::nullopt;
  KubeVersion v;
  int* fields[] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    if (!AllDigits(parts[i]) || parts[i].size() > 4 ||
        !absl::SimpleAtoi(parts[i], fields[i])) {
      return std::nullopt;
    }
  }
  return v;
}

std::string KubeVersion::ToString() const {
  return absl::StrCat(major, ".", minor, ".", patch);
}

bool IsPrintable(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsOpenStackName(absl::string_view text) {
  return !text.empty() && IsPrintable(text) &&
         text.find(',') == absl::string_view::npos &&
         absl::StripAsciiWhitespace(text) == text;
}

bool IsDnsName(absl::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(text, '.')) {
    if (!IsDnsLabel(label)) return false;
  }
  return true;
}

bool IsHttpsUrl(absl::string_view text) {
  absl::string_view rest = text;
  if (!absl::ConsumePrefix(&rest, "https://")) return false;
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') return false;
  for (unsigned char c : rest) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsK8sLabelValue(absl::string_view text) {
  if (text.empty()) return true;
  if (text.size() > 63) return false;
  if (!absl::ascii_isalnum(text.front()) || !absl::ascii_isalnum(text.back())) {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool IsK8sLabelKey(absl::string_view text) {
  absl::string_view name = text;
  size_t slash = text.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = text.substr(0, slash);
    if (!IsDnsName(prefix)) return false;
    name = text.substr(slash + 1);
  }
  return !name.empty() && IsK8sLabelValue(name);
}

bool IsUuid(absl::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == '-') continue;
    if (!absl::ascii_isxdigit(c)) return false;
    hex += c;
  }
  if (hex.size() != 32) return false;
  if (text.size() == 36) {
    return text[8] == '-' && text[13] == '-' && text[18] == '-' &&
           text[23] == '-';
  }
  return text.size() == 32;
}

}  // namespace capi_bridge::render
