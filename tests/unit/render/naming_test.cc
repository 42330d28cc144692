#include "server/render/naming.h"

#include "catch2/catch.hpp"

namespace capi_bridge::render {
namespace {

TEST_CASE("names follow the reference driver's rules", "[naming]") {
  CHECK(SanitizedName("GPU_Pool 1") == "gpu-pool-1");
  CHECK(SanitizedName("--a__b--") == "a-b");
  CHECK(SanitizedName("__") == "");
  CHECK(NamespaceName("magnum", "6F1E0C2A-B8D9") == "magnum-6f1e0c2ab8d9");
}

TEST_CASE("release names: 30 name characters, a dash, a 12-char short id",
          "[naming]") {
  // 60 bits, 5 at a time, into base32 (a..z, 2..7).
  CHECK(ShortId(0) == "aaaaaaaaaaaa");
  CHECK(ShortId(0x0FFFFFFFFFFFFFFFull) == "777777777777");
  CHECK(ShortId(1) == "aaaaaaaaaaab");
  std::string name =
      GenerateReleaseName("A very long cluster name for production", 1);
  CHECK(name == "a-very-long-cluster-name-for-p-aaaaaaaaaaab");
  CHECK(name.size() <= 43);
  CHECK(GenerateReleaseName("***", 0) == "cluster-aaaaaaaaaaaa");
  CHECK(CloudCredentialsSecretName("r") == "r-cloud-credentials");
}

}  // namespace
}  // namespace capi_bridge::render
