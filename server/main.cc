// capi-bridge-server: flags and config only. Loads the config (file +
// flags), starts the Bridge (server/bridge.h: every service, the gRPC
// server, the ops endpoint) and serves until SIGTERM or SIGINT, then shuts
// down gracefully (see Shutdown below).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/synchronization/notification.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/grpcpp.h"
#include "server/bridge.h"
#include "server/config/bridge_config.h"
#include "server/log/log.h"
#include "server/tls_credentials.h"

namespace {

constexpr char kVersion[] = "0.1.0";
// After the grace period, how long gRPC gets to cancel what is left before
// the process exits regardless (a helm run does not stop on cancel).
constexpr absl::Duration kCancelSlack = absl::Seconds(2);

namespace log = capi_bridge::log;

// The first signal has arrived: stop accepting calls, let in-flight verbs
// finish within `grace`, and return the exit code. A second signal, or
// verbs still running once the grace period (plus slack) is over, end the
// process at once.
int Shutdown(capi_bridge::Bridge& bridge, const sigset_t& signals,
             int first_signal, absl::Duration grace) {
  grpc::Server* server = bridge.server();
  auto in_flight = [&bridge] { return bridge.InFlight(); };
  log::Info(
      "stop signal received: refusing new calls, letting in-flight "
      "verbs finish",
      {{"signal", first_signal},
       {"grace_seconds", absl::ToInt64Seconds(grace)},
       {"verbs_in_flight", in_flight()}});
  absl::Notification done;
  std::thread stopper([server, grace, &done] {
    server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    done.Notify();
  });
  const absl::Time hard_stop = absl::Now() + grace + kCancelSlack;
  while (!done.HasBeenNotified()) {
    timespec tick{0, 100 * 1000 * 1000};
    int again = sigtimedwait(&signals, nullptr, &tick);
    if (again > 0) {
      log::Warn("second stop signal: exiting now",
                {{"signal", again}, {"verbs_in_flight", in_flight()}});
      _exit(1);
    }
    if (absl::Now() > hard_stop) {
      log::Error("grace period over with verbs still running: exiting",
                 {{"verbs_in_flight", in_flight()}});
      _exit(1);
    }
  }
  stopper.join();
  log::Info("every call finished; stopped");
  return 0;
}

// libprotobuf's own messages (e.g. a request with a string that is not
// UTF-8) go through the structured log instead of raw lines on stderr.
void ProtobufLog(google::protobuf::LogLevel level, const char* filename,
                 int line, const std::string& message) {
  (void)filename;
  (void)line;
  log::Log(level >= google::protobuf::LOGLEVEL_ERROR ? log::Level::kWarn
                                                     : log::Level::kDebug,
           "libprotobuf", {{"detail", message}});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "capi-bridge-server: Magnum's Cluster API driver, as a gRPC "
      "service"};
  std::string config_path;
  std::string listen;
  std::vector<std::string> sets;
  app.add_option("-c,--config", config_path,
                 "YAML config file (see docs/configuration.md)")
      ->check(CLI::ExistingFile)
      ->envname("CAPI_BRIDGE_CONFIG");
  app.add_option("--listen", listen,
                 "gRPC address, host:port or unix:/path (overrides `listen`; "
                 "port 0 picks a free port)");
  app.add_option("--set", sets,
                 "override one config key: dotted.path=value (repeatable)");
  bool check_only = false;
  app.add_flag("--check-config", check_only,
               "check the config (file, --set, referenced files) and exit: "
               "0 when valid, 2 with every problem named");
  app.set_version_flag("--version", kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every argument error exits 2, as the
    // config errors do (CLI11's own codes would be 101-120).
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!listen.empty()) sets.push_back("listen=" + listen);

  absl::StatusOr<capi_bridge::config::BridgeConfig> config =
      capi_bridge::config::LoadConfig(config_path, sets);
  if (!config.ok()) {
    std::cerr << "capi-bridge-server: " << config.status().message() << "\n";
    return 2;
  }
  log::Configure(config->log.format, config->log.level);
  google::protobuf::SetLogHandler(&ProtobufLog);
  log::AddGlobalSecret(config->auth.token);

  // Signals are taken by sigwait on the main thread, so block them in
  // every thread started from here on.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      capi_bridge::MakeServerCredentials(*config);
  if (!credentials.ok()) {
    std::cerr << "capi-bridge-server: " << credentials.status().message()
              << "\n";
    return 2;
  }
  if (check_only) {
    absl::StatusOr<std::string> reach = capi_bridge::CheckLifecycle(*config);
    if (!reach.ok()) {
      std::cerr << "capi-bridge-server: " << reach.status().message() << "\n";
      return 2;
    }
    std::cout << "capi-bridge-server: config is valid; " << *reach << "\n";
    return 0;
  }

  auto bridge = capi_bridge::Bridge::Start(*config, *credentials);
  if (!bridge.ok()) {
    if (absl::IsAborted(bridge.status())) return 1;  // logged: cannot listen
    std::cerr << "capi-bridge-server: " << bridge.status().message() << "\n";
    return 2;
  }

  const std::string& shown = (*bridge)->listening();
  const char* transport = config->insecure                     ? "plaintext"
                          : config->tls.client_ca_file.empty() ? "TLS"
                                                               : "mutual TLS";
  log::Info("serving",
            {{"listen", shown},
             {"transport", transport},
             {"auth", config->auth.token.empty() ? "none" : "required"},
             {"version", kVersion}});
  // These two stdout lines are the readiness contract of scripts and tests.
  std::cout << "capi-bridge-server " << kVersion << " listening on " << shown
            << " (" << transport << ")" << std::endl;
  if ((*bridge)->ops_port() != 0) {
    std::cout << "capi-bridge-server ops endpoint on "
              << config->ops_listen.substr(0, config->ops_listen.rfind(':'))
              << ":" << (*bridge)->ops_port() << std::endl;
  }

  int received = 0;
  sigwait(&signals, &received);
  (*bridge)->BeginStop();
  int code = Shutdown(**bridge, signals, received,
                      absl::Seconds(config->shutdown_grace_seconds));
  (*bridge)->Stop();
  return code;
}
