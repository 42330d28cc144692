#include "server/helm/helm_cli.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "server/log/log.h"
#include "server/process/run.h"
#include "server/shared/utf8.h"

namespace capi_bridge::helm {
namespace {

namespace fs = std::filesystem;

bool IsLocal(const ChartRef& chart) {
  return chart.repo.empty() && !absl::StartsWith(chart.name, "oci://");
}

std::string CacheFileName(const ChartRef& chart) {
  std::string key = absl::StrCat(chart.repo, "|", chart.name);
  std::string base = chart.name.substr(chart.name.rfind('/') + 1);
  // Distinct repositories with the same chart name get distinct files.
  size_t hash = std::hash<std::string>{}(key);
  return absl::StrCat(base, "-", chart.version, "-",
                      absl::Hex(hash & 0xffffffff), ".tgz");
}

// The last "Error: ..." line of helm's stderr, else its last line. When
// helm reports several errors ("5 errors occurred:" and one "* ..." line
// each), they follow on the same line, separated by "; ". At most 1,500
// bytes, cut on a character boundary.
std::string HelmMessage(const std::string& stderr_text) {
  std::string error_line, last_line;
  bool listing = false;
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    last_line = std::string(line);
    if (absl::StartsWith(line, "Error: ")) {
      error_line = std::string(line.substr(7));
      listing = absl::EndsWith(line, "occurred:");
    } else if (listing && absl::StartsWith(line, "* ")) {
      absl::StrAppend(&error_line, error_line.back() == ':' ? " " : "; ",
                      line.substr(2));
    } else {
      listing = false;
    }
  }
  std::string message = !error_line.empty()  ? error_line
                        : !last_line.empty() ? last_line
                                             : "no message on stderr";
  constexpr size_t kMaxMessage = 1500;
  if (message.size() > kMaxMessage) {
    message = std::string(util::Utf8Prefix(message, kMaxMessage)) + "...";
  }
  return message;
}

}  // namespace

struct HelmCli::Slot {
  explicit Slot(HelmCli* cli) : cli(cli) {
    absl::MutexLock lock(&cli->slots_mu_);
    cli->slots_mu_.Await(absl::Condition(
        +[](HelmCli* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->slots_mu_) {
          return c->running_ < std::max(1, c->options_.max_concurrent);
        },
        cli));
    ++cli->running_;
  }
  ~Slot() {
    absl::MutexLock lock(&cli->slots_mu_);
    --cli->running_;
  }
  HelmCli* cli;
};

std::vector<std::string> UpgradeArgv(const std::string& binary,
                                     const UpgradeRequest& request,
                                     const std::string& chart_path,
                                     int history_max,
                                     const std::vector<std::string>& global) {
  std::vector<std::string> argv = {binary,
                                   "upgrade",
                                   request.release,
                                   chart_path,
                                   "--install",
                                   "--history-max",
                                   std::to_string(history_max),
                                   "--output",
                                   "json",
                                   "--timeout",
                                   absl::FormatDuration(request.timeout),
                                   "--values",
                                   "-",
                                   "--namespace",
                                   request.namespace_name};
  if (!request.description.empty()) {
    argv.push_back("--description");
    argv.push_back(request.description);
  }
  argv.insert(argv.end(), global.begin(), global.end());
  return argv;
}

absl::Status HelmFailure(const std::string& operation, int exit_code,
                         const std::string& stderr_text) {
  std::string message = HelmMessage(stderr_text);
  std::string text = absl::StrCat("helm ", operation, " failed: ", message);
  if (absl::StrContains(message, "another operation") &&
      absl::StrContains(message, "in progress")) {
    return absl::AbortedError(absl::StrCat(
        text,
        " (another helm operation holds the release; retry when it "
        "has finished)"));
  }
  if (absl::StrContains(message, "Kubernetes cluster unreachable") ||
      absl::StrContains(message, "connection refused") ||
      absl::StrContains(message, "no such host") ||
      absl::StrContains(message, "i/o timeout") ||
      absl::StrContains(message, "TLS handshake") ||
      absl::StrContains(message, "503") ||
      absl::StrContains(message, "looks like") /* bad repo URL */) {
    return absl::UnavailableError(text);
  }
  if (absl::StrContains(message, "context deadline exceeded") ||
      absl::StrContains(message, "timed out")) {
    return absl::DeadlineExceededError(text);
  }
  if (absl::StrContains(message, "not found in") ||
      absl::StrContains(message, "no chart version found") ||
      absl::StrContains(message, "no chart name found") ||
      absl::StrContains(message, "failed to fetch") ||
      absl::StrContains(message, "404 Not Found")) {
    return absl::NotFoundError(text);
  }
  if (absl::StrContains(message, "Unauthorized") ||
      absl::StrContains(message, "forbidden")) {
    return absl::PermissionDeniedError(text);
  }
  (void)exit_code;
  return absl::FailedPreconditionError(text);
}

HelmCli::HelmCli(HelmCliOptions options) : options_(std::move(options)) {}

std::vector<std::pair<std::string, std::string>> HelmCli::Environment() const {
  const std::string& c = options_.cache_dir;
  return {{"HELM_CACHE_HOME", c + "/helm/cache"},
          {"HELM_CONFIG_HOME", c + "/helm/config"},
          {"HELM_DATA_HOME", c + "/helm/data"}};
}

std::vector<std::string> HelmCli::GlobalFlags() const {
  std::vector<std::string> flags;
  if (!options_.kubeconfig.empty()) {
    flags.insert(flags.end(), {"--kubeconfig", options_.kubeconfig});
  }
  if (!options_.kube_context.empty()) {
    flags.insert(flags.end(), {"--kube-context", options_.kube_context});
  }
  return flags;
}

absl::StatusOr<std::string> HelmCli::CachedChart(const ChartRef& chart) {
  if (IsLocal(chart)) return chart.name;
  std::string dir = options_.cache_dir + "/charts";
  std::string file = dir + "/" + CacheFileName(chart);
  std::shared_ptr<absl::Mutex> lock;
  {
    absl::MutexLock guard(&pulls_mu_);
    auto& slot = pull_locks_[file];
    if (!slot) slot = std::make_shared<absl::Mutex>();
    lock = slot;
  }
  absl::MutexLock pull(lock.get());
  std::error_code ec;
  if (fs::exists(file, ec)) return file;
  fs::create_directories(dir, ec);
  std::string staging = absl::StrCat(file, ".pull");
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("chart cache ", dir, " is not writable: ", ec.message()));
  }
  process::ProcessRequest run;
  run.argv = {options_.binary, "pull",          chart.name, "--version",
              chart.version,   "--destination", staging};
  if (!chart.repo.empty())
    run.argv.insert(run.argv.end(), {"--repo", chart.repo});
  run.env_overrides = Environment();
  run.deadline = absl::Now() + absl::Minutes(2);
  stats_.chart_pulls.fetch_add(1, std::memory_order_relaxed);
  auto result = process::RunProcess(run);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    fs::remove_all(staging, ec);
    return HelmFailure(
        absl::StrCat("pull of chart ", chart.name, " ", chart.version,
                     chart.repo.empty() ? "" : " from ", chart.repo),
        result->exit_code, result->stderr_data);
  }
  for (const auto& entry : fs::directory_iterator(staging, ec)) {
    if (entry.path().extension() == ".tgz") {
      fs::rename(entry.path(), file, ec);
      break;
    }
  }
  fs::remove_all(staging, ec);
  if (!fs::exists(file)) {
    return absl::InternalError(
        absl::StrCat("helm pull of ", chart.name, " wrote no archive"));
  }
  return file;
}

bool HelmCli::Running(const std::string& release,
                      const std::string& namespace_name) const {
  absl::MutexLock lock(&slots_mu_);
  return busy_.count(absl::StrCat(namespace_name, "/", release)) > 0;
}

absl::StatusOr<process::ProcessResult> HelmCli::RunHelm(
    process::ProcessRequest run, const std::string& release,
    const std::string& ns, absl::Duration timeout) {
  run.env_overrides = Environment();
  Slot slot(this);
  const std::string key = absl::StrCat(ns, "/", release);
  {
    absl::MutexLock lock(&slots_mu_);
    ++busy_[key];
  }
  struct Unmark {
    HelmCli* cli;
    const std::string& key;
    ~Unmark() {
      absl::MutexLock lock(&cli->slots_mu_);
      if (--cli->busy_[key] <= 0) cli->busy_.erase(key);
    }
  } unmark{this, key};
  absl::Time start = absl::Now();
  run.deadline = start + RunBound(timeout);
  stats_.runs.fetch_add(1, std::memory_order_relaxed);
  const std::string command = run.argv.size() > 1 ? run.argv[1] : "helm";
  log::Debug("helm started", {{"command", command}});
  auto result = process::RunProcess(run);
  absl::Duration took = absl::Now() - start;
  const bool ran_ok = result.ok() && result->exit_code == 0;
  stats_.durations.Record(command, ran_ok ? "ok" : "error", took);
  log::Fields fields = {{"command", command},
                        {"duration_ms", absl::ToInt64Milliseconds(took)}};
  if (result.ok()) {
    fields.emplace_back("exit_code", result->exit_code);
    if (result->exit_code != 0) {
      fields.emplace_back("stderr", HelmMessage(result->stderr_data));
    }
  } else {
    fields.emplace_back("error", std::string(result.status().message()));
  }
  log::Log(ran_ok ? log::Level::kInfo : log::Level::kWarn, "helm finished",
           fields);
  if (!result.ok()) {
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
    if (absl::IsNotFound(result.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("helm binary \"", options_.binary,
                       "\" not found; set helm.binary in the bridge config"));
    }
  }
  return result;
}

absl::StatusOr<nlohmann::json> HelmCli::RunUpgrade(
    const UpgradeRequest& request, bool dry_run) {
  auto chart = CachedChart(request.chart);
  if (!chart.ok()) return chart.status();
  process::ProcessRequest run;
  run.argv = UpgradeArgv(options_.binary, request, *chart, options_.history_max,
                         GlobalFlags());
  if (dry_run) run.argv.push_back("--dry-run=server");
  run.stdin_data = request.values_json;
  auto result = RunHelm(std::move(run), request.release, request.namespace_name,
                        request.timeout);
  if (!result.ok()) return result.status();
  const char* operation =
      dry_run ? "upgrade --install --dry-run" : "upgrade --install";
  if (result->exit_code != 0) {
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
    return HelmFailure(operation, result->exit_code, result->stderr_data);
  }
  try {
    auto parsed = nlohmann::json::parse(result->stdout_data);
    if (parsed.is_object()) return parsed;
  } catch (const nlohmann::json::exception&) {
  }
  return absl::InternalError(
      absl::StrCat("helm ", operation, " printed no JSON release"));
}

absl::StatusOr<UpgradeResult> HelmCli::UpgradeInstall(
    const UpgradeRequest& request) {
  auto release = RunUpgrade(request, /*dry_run=*/false);
  if (!release.ok()) return release.status();
  UpgradeResult out;
  out.revision = release->value("version", 0);
  out.status = release->value("/info/status"_json_pointer, "");
  return out;
}

absl::StatusOr<std::string> HelmCli::DryRunManifest(
    const UpgradeRequest& request) {
  auto release = RunUpgrade(request, /*dry_run=*/true);
  if (!release.ok()) return release.status();
  auto manifest = release->find("manifest");
  if (manifest == release->end() || !manifest->is_string()) {
    return absl::InternalError("helm upgrade --dry-run printed no manifest");
  }
  return manifest->get<std::string>();
}

absl::StatusOr<bool> HelmCli::Uninstall(const std::string& release,
                                        const std::string& namespace_name,
                                        absl::Duration timeout) {
  process::ProcessRequest run;
  run.argv = {options_.binary,
              "uninstall",
              release,
              "--timeout",
              absl::FormatDuration(timeout),
              "--namespace",
              namespace_name};
  for (auto& flag : GlobalFlags()) run.argv.push_back(flag);
  auto result = RunHelm(std::move(run), release, namespace_name, timeout);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    if (absl::StrContains(result->stderr_data, "release: not found")) {
      return false;
    }
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
    return HelmFailure("uninstall", result->exit_code, result->stderr_data);
  }
  return true;
}

absl::Status HelmCli::Rollback(const std::string& release,
                               const std::string& namespace_name, int revision,
                               absl::Duration timeout) {
  process::ProcessRequest run;
  run.argv = {options_.binary, "rollback",
              release,         std::to_string(revision),
              "--history-max", std::to_string(options_.history_max),
              "--timeout",     absl::FormatDuration(timeout),
              "--namespace",   namespace_name};
  for (auto& flag : GlobalFlags()) run.argv.push_back(flag);
  auto result = RunHelm(std::move(run), release, namespace_name, timeout);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
    return HelmFailure(absl::StrCat("rollback to revision ", revision),
                       result->exit_code, result->stderr_data);
  }
  return absl::OkStatus();
}

}  // namespace capi_bridge::helm
