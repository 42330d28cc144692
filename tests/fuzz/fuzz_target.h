// The one entry point every fuzz target defines (libFuzzer's): run the
// code under test on `data` and return 0. A crash, an exception escaping
// or a sanitizer report is a finding; a refusal (a non-OK status) is not.
#ifndef CAPI_BRIDGE_TESTS_FUZZ_FUZZ_TARGET_H_
#define CAPI_BRIDGE_TESTS_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace capi_bridge::fuzz {

inline std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace capi_bridge::fuzz

#endif  // CAPI_BRIDGE_TESTS_FUZZ_FUZZ_TARGET_H_
