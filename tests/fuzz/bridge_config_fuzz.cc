// The bridge's config loader on any bytes, with a --set override.
#include "server/config/bridge_config.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = capi_bridge::fuzz::Text(data, size);
  (void)capi_bridge::config::ParseConfig(text, "/nonexistent-fuzz-dir", {});
  // The first line also as a --set override (dotted.path=value).
  std::string first = text.substr(0, text.find('\n'));
  (void)capi_bridge::config::ParseConfig("insecure: true",
                                         "/nonexistent-fuzz-dir", {first});
  return 0;
}
