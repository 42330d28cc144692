// Parsers for the syntaxes label values and spec fields use. Each returns
// std::nullopt (or false) for anything it does not accept, never a guess:
// the reference driver's habit of silently falling back to a default is a
// defect we do not repeat. The `k...Accepted` strings are what error
// messages tell the user.
#ifndef CAPI_BRIDGE_SERVER_RENDER_VALUE_SYNTAX_H_
#define CAPI_BRIDGE_SERVER_RENDER_VALUE_SYNTAX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace capi_bridge::render {

inline constexpr absl::string_view kBoolAccepted =
    "true/false, yes/no, on/off, 1/0, t/f, y/n (any case)";

// oslo's bool_from_string set, strict: anything else is nullopt.
std::optional<bool> ParseBool(absl::string_view text);

// A decimal integer in [min, max]; no sign for non-negative ranges, no
// spaces, no leading "+".
std::optional<int64_t> ParseInt(absl::string_view text, int64_t min,
                                int64_t max);

// Splits on commas, trims spaces around items, drops empty items.
std::vector<std::string> SplitCsv(absl::string_view text);

// An IPv4 network.
struct Ipv4Cidr {
  uint32_t address = 0;  // network address, host order
  int prefix = 0;        // 0..32

  std::string ToString() const;
  bool Contains(const Ipv4Cidr& inner) const;
  bool Overlaps(const Ipv4Cidr& other) const;
};

// A dotted-quad IPv4 address.
std::optional<uint32_t> ParseIpv4(absl::string_view text);
// "a.b.c.d/n" with zero host bits. When allow_bare_address, "a.b.c.d" is
// read as a /32.
std::optional<Ipv4Cidr> ParseCidr(absl::string_view text,
                                  bool allow_bare_address = false);

// A Kubernetes version "X.Y.Z" with an optional leading "v".
struct KubeVersion {
  int major = 0, minor = 0, patch = 0;
  std::string ToString() const;  // without "v"
};
std::optional<KubeVersion> ParseKubeVersion(absl::string_view text);

// Printable ASCII or UTF-8, no control characters.
bool IsPrintable(absl::string_view text);
// Non-empty, printable, no commas, no leading/trailing space: the form of
// OpenStack names (availability zones, volume types, networks).
bool IsOpenStackName(absl::string_view text);
// A DNS name (RFC 1123 labels joined by dots), lower or upper case.
bool IsDnsName(absl::string_view text);
// "https://" followed by a host; no spaces.
bool IsHttpsUrl(absl::string_view text);
// A Kubernetes label key (optional DNS prefix + "/" + name) and value.
bool IsK8sLabelKey(absl::string_view text);
bool IsK8sLabelValue(absl::string_view text);
// A UUID in its 8-4-4-4-12 hex form (dashes optional, as Neutron accepts).
bool IsUuid(absl::string_view text);

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_VALUE_SYNTAX_H_
