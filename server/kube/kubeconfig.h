// Kubeconfig: how to reach and authenticate to the management cluster.
//
// LoadKubeconfig reads a kubeconfig file the way kubectl does for one
// context (the current one unless named): server URL, CA (data or file),
// client certificate and key (data or file), bearer token or token file,
// insecure-skip-tls-verify, tls-server-name, and exec credential plugins.
// Relative file paths are resolved against the kubeconfig's directory.
// InClusterConnection builds the same from a pod's service account.
//
// Errors name the kubeconfig, the field (e.g. `users[admin].user.token`)
// and what is wrong; secret values never appear in them.
#ifndef CAPI_BRIDGE_SERVER_KUBE_KUBECONFIG_H_
#define CAPI_BRIDGE_SERVER_KUBE_KUBECONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace capi_bridge::kube {

// An exec credential plugin (client.authentication.k8s.io ExecCredential).
struct ExecPlugin {
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

struct KubeConnection {
  std::string server;  // https://host:port
  std::string ca_pem;  // empty = system trust store
  bool insecure_skip_verify = false;
  std::string tls_server_name;  // SNI / verification name override
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // static bearer token
  std::string token_file;  // re-read on expiry (service accounts)
  bool has_exec = false;
  ExecPlugin exec;
  // Where this came from, for messages: "<path> context <name>".
  std::string source;
};

// `context` empty = the kubeconfig's current-context.
absl::StatusOr<KubeConnection> LoadKubeconfig(const std::string& path,
                                              const std::string& context);

// Parses kubeconfig text; `base_dir` resolves relative paths, `origin`
// names the file in messages.
absl::StatusOr<KubeConnection> ParseKubeconfig(const std::string& text,
                                               const std::string& base_dir,
                                               const std::string& origin,
                                               const std::string& context);

// The pod's service account: KUBERNETES_SERVICE_HOST/_PORT and the files
// under `account_dir` (token, ca.crt). FAILED_PRECONDITION when not in a
// pod.
absl::StatusOr<KubeConnection> InClusterConnection(
    const std::string& account_dir =
        "/var/run/secrets/kubernetes.io/serviceaccount");

// Picks the connection the way the bridge documents it: `path` when set,
// else $KUBECONFIG, else the in-cluster service account, else
// ~/.kube/config.
absl::StatusOr<KubeConnection> ResolveConnection(const std::string& path,
                                                 const std::string& context);

}  // namespace capi_bridge::kube

#endif  // CAPI_BRIDGE_SERVER_KUBE_KUBECONFIG_H_
