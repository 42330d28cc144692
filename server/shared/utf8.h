// UTF-8 checks and cuts that never split a character. Header-only and
// pure: every room may use it.
#ifndef CAPI_BRIDGE_SERVER_SHARED_UTF8_H_
#define CAPI_BRIDGE_SERVER_SHARED_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace capi_bridge::util {

// The length of the valid UTF-8 sequence starting at text[i], or 0 when
// the bytes there are not one (stray continuation byte, overlong form,
// surrogate, beyond U+10FFFF, or cut short).
inline size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char low = 0x80, high = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) low = 0xa0;   // no overlong forms
    if (c == 0xed) high = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

// The offset of the first byte that is not valid UTF-8, or npos.
inline size_t FirstInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// Whether `text` is valid UTF-8 throughout.
inline bool IsValidUtf8(std::string_view text) {
  return FirstInvalidUtf8(text) == std::string_view::npos;
}

// The longest prefix of `text` of at most `max_bytes` that does not end
// inside a character.
inline std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

// The bytes `text` takes once percent-encoded the way gRPC sends a status
// message (grpc-message header): printable ASCII but '%' as is, every
// other byte as %XX.
inline size_t GrpcMessageBytes(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    n += (c >= 0x20 && c <= 0x7e && c != '%') ? 1 : 3;
  return n;
}

// The longest prefix of `text` whose GrpcMessageBytes is at most
// `max_bytes`, not ending inside a character.
inline std::string_view GrpcMessagePrefix(std::string_view text,
                                          size_t max_bytes) {
  size_t cost = 0, end = 0;
  while (end < text.size()) {
    size_t n = Utf8SequenceLength(text, end);
    if (n == 0) n = 1;  // a stray byte is one unit
    size_t more = GrpcMessageBytes(text.substr(end, n));
    if (cost + more > max_bytes) break;
    cost += more;
    end += n;
  }
  return text.substr(0, end);
}

}  // namespace capi_bridge::util

#endif  // CAPI_BRIDGE_SERVER_SHARED_UTF8_H_
