// HelmRunner: installs, upgrades and uninstalls helm releases.
//
// The interface the lifecycle verbs use; HelmCli (helm_cli.h) runs the
// real helm binary, tests may substitute a fake. Implementations are
// thread-safe.
#ifndef CAPI_BRIDGE_SERVER_HELM_HELM_RUNNER_H_
#define CAPI_BRIDGE_SERVER_HELM_HELM_RUNNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace capi_bridge::helm {

// Where a chart comes from: `name` in the HTTP repository `repo`; or, with
// `repo` empty, an oci:// reference or a local chart directory/archive.
struct ChartRef {
  std::string repo;
  std::string name;
  std::string version;
};

struct UpgradeRequest {
  std::string release;
  std::string namespace_name;
  ChartRef chart;
  std::string values_json;  // the whole values document, sent on stdin
  absl::Duration timeout = absl::Minutes(5);
  // Recorded in the release's history (`helm history`), e.g. the verb and
  // request id that applied it.
  std::string description;
};

struct UpgradeResult {
  int revision = 0;
  std::string status;  // helm's release status, e.g. "deployed"
};

class HelmRunner {
 public:
  virtual ~HelmRunner() = default;

  // `helm upgrade --install`. Errors: UNAVAILABLE (cluster or chart
  // repository unreachable), NOT_FOUND (chart or version missing), ABORTED
  // (another helm operation holds the release), DEADLINE_EXCEEDED,
  // FAILED_PRECONDITION (helm refused: the message says why).
  virtual absl::StatusOr<UpgradeResult> UpgradeInstall(
      const UpgradeRequest& request) = 0;

  // `helm upgrade --install --dry-run=server`: the manifest helm would
  // apply for `request` (hooks excluded), the chart's lookups answered by
  // the management cluster. Writes nothing. Errors as UpgradeInstall.
  virtual absl::StatusOr<std::string> DryRunManifest(
      const UpgradeRequest& request) = 0;

  // `helm uninstall`. Returns false when the release did not exist.
  virtual absl::StatusOr<bool> Uninstall(const std::string& release,
                                         const std::string& namespace_name,
                                         absl::Duration timeout) = 0;

  // `helm rollback` to `revision`, which becomes a new deployed revision.
  // Errors as UpgradeInstall.
  virtual absl::Status Rollback(const std::string& release,
                                const std::string& namespace_name, int revision,
                                absl::Duration timeout) = 0;

  // Whether a helm of this runner is working on the release now.
  virtual bool Running(const std::string& release,
                       const std::string& namespace_name) const = 0;

  // How long after its start a helm run of `timeout` is surely over (killed
  // if it had not finished): a pending mark older than this was left by a
  // helm that no longer runs.
  virtual absl::Duration RunBound(absl::Duration timeout) const = 0;
};

}  // namespace capi_bridge::helm

#endif  // CAPI_BRIDGE_SERVER_HELM_HELM_RUNNER_H_
