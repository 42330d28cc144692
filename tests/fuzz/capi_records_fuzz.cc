// The projections of CAPI objects (what the watch cache keeps of each
// object the API server sends) and helm's release record decoder, on any
// JSON document.
#include "absl/strings/escaping.h"
#include "nlohmann/json.hpp"
#include "server/helm/release_record.h"
#include "server/status/capi_records.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace capi_bridge;
  const std::string text = fuzz::Text(data, size);
  nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (!object.is_discarded()) {
    (void)status::ProjectCluster(object);
    (void)status::ProjectInfrastructure(object);
    (void)status::ProjectControlPlane(object);
    (void)status::ProjectMachineDeployment(object);
    (void)status::ProjectMachine(object);
    (void)status::ProjectAddon(object);
    (void)helm::DecodeReleaseSecret(object);
  }
  // The bytes as a release record's payload (gzip or JSON inside).
  nlohmann::json secret = {
      {"metadata", {{"name", "sh.helm.release.v1.fuzz.v1"}}},
      {"data", {{"release", absl::Base64Escape(absl::Base64Escape(text))}}}};
  (void)helm::DecodeReleaseSecret(secret);
  return 0;
}
