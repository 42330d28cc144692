// HelmCli: HelmRunner over the helm binary.
//
// Every run is an argv vector (no shell); values go to helm as JSON on
// stdin (`--values -`); each run has a deadline a little beyond helm's own
// `--timeout`. Charts are pulled once per (repository, name, version) into
// a local cache and installed from the cached archive afterwards. Runs are
// bounded by `max_concurrent` (further callers wait). helm's state
// directories live under the cache directory, so the bridge needs no
// writable $HOME.
#ifndef CAPI_BRIDGE_SERVER_HELM_HELM_CLI_H_
#define CAPI_BRIDGE_SERVER_HELM_HELM_CLI_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "server/helm/helm_runner.h"
#include "server/process/run.h"
#include "server/stats/histogram.h"

namespace capi_bridge::helm {

struct HelmCliOptions {
  std::string binary = "helm";
  // Passed as --kubeconfig / --kube-context when set.
  std::string kubeconfig;
  std::string kube_context;
  // Chart archives and helm's cache/config/data homes.
  std::string cache_dir = "/var/cache/capi-bridge";
  int max_concurrent = 4;
  int history_max = 10;
  // helm gets its own --timeout, then this long to report and exit before
  // it is killed.
  absl::Duration kill_grace = absl::Seconds(30);
};

struct HelmStats {
  std::atomic<uint64_t> runs{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> chart_pulls{0};
  // Run durations by (helm command, "ok" | "error" exit).
  stats::CallStats durations;
};

class HelmCli final : public HelmRunner {
 public:
  explicit HelmCli(HelmCliOptions options);

  absl::StatusOr<UpgradeResult> UpgradeInstall(
      const UpgradeRequest& request) override;
  absl::StatusOr<std::string> DryRunManifest(
      const UpgradeRequest& request) override;
  absl::StatusOr<bool> Uninstall(const std::string& release,
                                 const std::string& namespace_name,
                                 absl::Duration timeout) override;
  absl::Status Rollback(const std::string& release,
                        const std::string& namespace_name, int revision,
                        absl::Duration timeout) override;
  bool Running(const std::string& release,
               const std::string& namespace_name) const override;
  absl::Duration RunBound(absl::Duration timeout) const override {
    return timeout + options_.kill_grace;
  }

  // The local archive of `chart`, pulling it on first use.
  absl::StatusOr<std::string> CachedChart(const ChartRef& chart);

  const HelmStats& stats() const { return stats_; }

 private:
  struct Slot;  // RAII holder of one of `max_concurrent` run slots
  std::vector<std::pair<std::string, std::string>> Environment() const;
  std::vector<std::string> GlobalFlags() const;
  // `helm upgrade --install` (with `--dry-run=server` when `dry_run`): the
  // release helm printed as JSON, or the mapped failure.
  absl::StatusOr<nlohmann::json> RunUpgrade(const UpgradeRequest& request,
                                            bool dry_run);
  // Runs helm on `release` in `ns` in a slot with helm's homes set and a
  // deadline of RunBound(timeout), counting it in the stats.
  absl::StatusOr<process::ProcessResult> RunHelm(process::ProcessRequest run,
                                                 const std::string& release,
                                                 const std::string& ns,
                                                 absl::Duration timeout);

  HelmCliOptions options_;
  HelmStats stats_;
  mutable absl::Mutex slots_mu_;
  int running_ ABSL_GUARDED_BY(slots_mu_) = 0;
  // "<namespace>/<release>" → helm runs on it now.
  std::map<std::string, int> busy_ ABSL_GUARDED_BY(slots_mu_);
  absl::Mutex pulls_mu_;
  std::map<std::string, std::shared_ptr<absl::Mutex>> pull_locks_
      ABSL_GUARDED_BY(pulls_mu_);
};

// The argv of `helm upgrade --install` for `request` with `chart_path` the
// local chart (pure; exposed for tests). `global` are the connection flags.
std::vector<std::string> UpgradeArgv(const std::string& binary,
                                     const UpgradeRequest& request,
                                     const std::string& chart_path,
                                     int history_max,
                                     const std::vector<std::string>& global);

// Turns a failed helm run into a status a user can act on (pure).
absl::Status HelmFailure(const std::string& operation, int exit_code,
                         const std::string& stderr_text);

}  // namespace capi_bridge::helm

#endif  // CAPI_BRIDGE_SERVER_HELM_HELM_CLI_H_
