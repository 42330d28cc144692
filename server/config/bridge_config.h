// BridgeConfig: the bridge's one configuration file (YAML), every knob's
// home. Flags override single scalar keys with `--set path=value`.
//
// Loading is strict: an unknown key, a value of the wrong type or an
// unreadable override file is an error naming the key (as a dotted path),
// the value and what is accepted, so a typo is never silently ignored. The
// file reference is docs/configuration.md#every-key.
#ifndef CAPI_BRIDGE_SERVER_CONFIG_BRIDGE_CONFIG_H_
#define CAPI_BRIDGE_SERVER_CONFIG_BRIDGE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/log/log.h"
#include "server/render/render_options.h"

namespace capi_bridge::config {

struct ChartConfig {
  // Helm repository URL; empty when `name` is an oci:// reference or path.
  std::string repo = "https://azimuth-cloud.github.io/capi-helm-charts";
  std::string name = "openstack-cluster";
};

// TLS of the gRPC port. A server certificate is required unless `insecure`
// is set; a client CA turns on mutual TLS (clients without a certificate
// signed by it are refused during the handshake).
struct TlsConfig {
  std::string cert_file;       // PEM certificate chain of the server
  std::string key_file;        // its PEM private key
  std::string client_ca_file;  // PEM CA bundle for client certificates
};

// How the bridge reaches the CAPI management cluster. With `kubeconfig`
// empty: $KUBECONFIG, else the pod's service account, else ~/.kube/config.
struct ManagementConfig {
  std::string kubeconfig;
  std::string context;  // empty = the kubeconfig's current-context
  int connect_timeout_seconds = 5;
  int request_timeout_seconds = 30;
  int max_attempts = 5;  // per request, retries on 429/5xx/connection errors
  // How often a deleted cluster is checked for its Cluster object being
  // gone, after which its Secrets are removed.
  int deletion_poll_seconds = 10;
  // A verb holds its cluster's Lease; a replica that dies mid-verb blocks
  // the cluster this long at most.
  int lease_duration_seconds = 30;
};

// The helm binary and how the bridge runs it.
struct HelmConfig {
  std::string binary = "helm";
  int timeout_seconds = 300;  // helm --timeout
  int max_concurrent = 4;     // helm processes at once
  // After its --timeout, helm gets this long to exit before it is killed.
  // A release left pending for longer than both was left by a helm that no
  // longer runs, and the bridge recovers it.
  int kill_grace_seconds = 30;
  std::string cache_dir = "/var/cache/capi-bridge";  // charts, helm homes
};

// Cluster status (`status:`).
struct StatusConfig {
  // Answer status from a list+watch cache of the CAPI objects; false reads
  // the management cluster on every call (as the reference driver does).
  bool watch_cache = true;
  // *_FAILED after this long in progress (a create's own timeout wins).
  int create_timeout_minutes = 60;
  int update_timeout_minutes = 60;
  int delete_timeout_minutes = 60;
  // Server-side timeout of one watch request of the cache.
  int watch_timeout_seconds = 300;
  // Status refuses (UNAVAILABLE) to answer from a cache that has not heard
  // from the management cluster for longer than this; /readyz fails too.
  int max_staleness_seconds = 60;
};

struct LogConfig {
  log::Format format = log::Format::kLogfmt;  // "logfmt" or "json"
  log::Level level = log::Level::kInfo;       // debug, info, warn, error
};

struct AuthConfig {
  // File holding the bearer token every ClusterDriver call must present
  // ("authorization: Bearer <token>"); "" = no token. Read at start;
  // surrounding whitespace is ignored.
  std::string token_file;
  std::string token;  // its content, filled by the config check
};

struct BridgeConfig {
  // gRPC listen address: host:port, or unix:/path.
  std::string listen = "127.0.0.1:50051";
  // Plain-HTTP /healthz, /readyz and /metrics ("" = off), e.g.
  // "0.0.0.0:9180".
  std::string ops_listen;
  TlsConfig tls;
  // Plaintext gRPC, only when asked for, and then only on a loopback
  // address or a unix socket.
  bool insecure = false;
  AuthConfig auth;
  LogConfig log;
  // After SIGTERM/SIGINT: new calls are refused and in-flight verbs get
  // this long to finish before the process exits anyway; a second signal
  // exits at once.
  int shutdown_grace_seconds = 30;
  ChartConfig chart;
  ManagementConfig management;
  HelmConfig helm;
  StatusConfig status;
  render::RenderOptions render;
};

// Parses `yaml_text`; `base_dir` resolves relative override-file paths.
// `sets` are "dotted.path=value" overrides applied on top of the file.
absl::StatusOr<BridgeConfig> ParseConfig(const std::string& yaml_text,
                                         const std::string& base_dir,
                                         const std::vector<std::string>& sets);

// Reads and parses the file at `path` (empty = built-in defaults only).
absl::StatusOr<BridgeConfig> LoadConfig(const std::string& path,
                                        const std::vector<std::string>& sets);

}  // namespace capi_bridge::config

#endif  // CAPI_BRIDGE_SERVER_CONFIG_BRIDGE_CONFIG_H_
