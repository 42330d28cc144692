// The kubeconfig loader on any bytes (YAML of any shape; relative file
// paths resolve under a directory that does not exist).
#include "server/kube/kubeconfig.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)capi_bridge::kube::ParseKubeconfig(capi_bridge::fuzz::Text(data, size),
                                           "/nonexistent-fuzz-dir",
                                           "fuzz.kubeconfig", "");
  return 0;
}
