// Helm's release record, as helm stores it in the release namespace: a
// Secret `sh.helm.release.v1.<release>.v<revision>` labelled owner=helm,
// name=<release>, status=<status>, whose `release` key holds
// base64(gzip(JSON)). DecodeReleaseSecret reads one (pure).
#ifndef CAPI_BRIDGE_SERVER_HELM_RELEASE_RECORD_H_
#define CAPI_BRIDGE_SERVER_HELM_RELEASE_RECORD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::helm {

struct ReleaseRecord {
  std::string name;
  int revision = 0;
  std::string status;  // deployed, failed, pending-upgrade, ...
  std::string chart_name;
  std::string chart_version;
  nlohmann::json values;  // the user-supplied values (`config`)
  // What wrote the revision (`info.description`): "capi-bridge <verb>
  // request <id>" for the bridge, "Upgrade complete" etc. for others.
  std::string description;
  std::string manifest;  // the rendered objects, YAML documents
  // When helm last wrote this revision: its `modifiedAt` label, else the
  // record's own time for its status (`info.deleted` while uninstalling,
  // `info.last_deployed` otherwise), else the Secret's creation time;
  // InfinitePast when none is readable.
  absl::Time updated = absl::InfinitePast();
};

// The label selector of every stored revision of `release`.
std::string ReleaseSecretSelector(const std::string& release);

// Decodes a release Secret as the Kubernetes JSON API returns it.
absl::StatusOr<ReleaseRecord> DecodeReleaseSecret(const nlohmann::json& secret);

// Encodes a release record the way helm stores it (for tests and tools).
std::string EncodeReleasePayload(const nlohmann::json& release);

}  // namespace capi_bridge::helm

#endif  // CAPI_BRIDGE_SERVER_HELM_RELEASE_RECORD_H_
