#include "server/kube/kubeconfig.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::kube {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

// Finds the entry `name` in a list of {name, <key>: {...}}.
YAML::Node Named(const YAML::Node& list, const std::string& name,
                 const char* key) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) {
      return entry[key];
    }
  }
  return YAML::Node();
}

std::string Text(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap() || !node[key] || node[key].IsNull()) return "";
  return node[key].as<std::string>();
}

class Reader {
 public:
  Reader(std::string origin, std::string base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  absl::Status Error(const std::string& field, const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", origin_, ": ", field, ": ", what));
  }

  // Reads `<key>-data` (base64) or `<key>` (a file) into `out`.
  absl::Status DataOrFile(const YAML::Node& node, const std::string& field,
                          const std::string& key, std::string* out) const {
    std::string data = Text(node, (key + "-data").c_str());
    std::string file = Text(node, key.c_str());
    if (!data.empty()) {
      if (!absl::Base64Unescape(data, out)) {
        return Error(absl::StrCat(field, ".", key, "-data"),
                     "is not valid base64");
      }
      return absl::OkStatus();
    }
    if (!file.empty()) {
      auto content = ReadFile(Resolve(base_dir_, file));
      if (!content.ok()) {
        return Error(absl::StrCat(field, ".", key),
                     absl::StrCat("cannot read file ", file));
      }
      *out = *std::move(content);
    }
    return absl::OkStatus();
  }

  const std::string& base_dir() const { return base_dir_; }

 private:
  std::string origin_;
  std::string base_dir_;
};

}  // namespace

static absl::StatusOr<KubeConnection> ParseKubeconfigText(
    const std::string& text, const std::string& base_dir,
    const std::string& origin, const std::string& context);

absl::StatusOr<KubeConnection> ParseKubeconfig(const std::string& text,
                                               const std::string& base_dir,
                                               const std::string& origin,
                                               const std::string& context) {
  try {
    return ParseKubeconfigText(text, base_dir, origin, context);
  } catch (const YAML::Exception& e) {
    // A field of another shape than kubeconfig's (a list for a string...).
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ": line ", e.mark.line + 1, ", column ", e.mark.column + 1,
        ": ", e.msg, "; accepted: a kubeconfig (apiVersion v1, kind Config)"));
  }
}

static absl::StatusOr<KubeConnection> ParseKubeconfigText(
    const std::string& text, const std::string& base_dir,
    const std::string& origin, const std::string& context) {
  Reader reader(origin, base_dir);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return reader.Error("(document)", absl::StrCat("not YAML: ", e.what()));
  }
  if (!root.IsMap()) return reader.Error("(document)", "is not a map");
  try {
    std::string context_name =
        context.empty() ? Text(root, "current-context") : context;
    if (context_name.empty()) {
      return reader.Error("current-context",
                          "is empty and no context was named; set "
                          "management.context or the current-context");
    }
    YAML::Node ctx = Named(root["contexts"], context_name, "context");
    if (!ctx || ctx.IsNull()) {
      return reader.Error(
          "contexts", absl::StrCat("no context named \"", context_name, "\""));
    }
    std::string cluster_name = Text(ctx, "cluster");
    std::string user_name = Text(ctx, "user");
    YAML::Node cluster = Named(root["clusters"], cluster_name, "cluster");
    if (!cluster || cluster.IsNull()) {
      return reader.Error(
          "clusters", absl::StrCat("no cluster named \"", cluster_name, "\""));
    }
    KubeConnection c;
    c.source = absl::StrCat(origin, " context ", context_name);
    std::string cluster_field =
        absl::StrCat("clusters[", cluster_name, "].cluster");
    c.server = Text(cluster, "server");
    if (c.server.rfind("https://", 0) != 0 &&
        c.server.rfind("http://", 0) != 0) {
      return reader.Error(
          cluster_field + ".server",
          absl::StrCat("\"", c.server, "\" is not an https:// URL"));
    }
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    auto status = reader.DataOrFile(cluster, cluster_field,
                                    "certificate-authority", &c.ca_pem);
    if (!status.ok()) return status;
    if (cluster["insecure-skip-tls-verify"]) {
      c.insecure_skip_verify = cluster["insecure-skip-tls-verify"].as<bool>();
    }
    c.tls_server_name = Text(cluster, "tls-server-name");
    if (!Text(cluster, "proxy-url").empty()) {
      return reader.Error(cluster_field + ".proxy-url",
                          "proxies are not supported; use the https_proxy "
                          "environment variable");
    }

    YAML::Node user = Named(root["users"], user_name, "user");
    if (!user_name.empty() && (!user || user.IsNull())) {
      return reader.Error("users",
                          absl::StrCat("no user named \"", user_name, "\""));
    }
    std::string user_field = absl::StrCat("users[", user_name, "].user");
    if (user && user.IsMap()) {
      status = reader.DataOrFile(user, user_field, "client-certificate",
                                 &c.client_cert_pem);
      if (!status.ok()) return status;
      status =
          reader.DataOrFile(user, user_field, "client-key", &c.client_key_pem);
      if (!status.ok()) return status;
      if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
        return reader.Error(user_field,
                            "client-certificate and client-key must be "
                            "given together");
      }
      c.token = Text(user, "token");
      std::string token_file = Text(user, "tokenFile");
      if (!token_file.empty()) c.token_file = Resolve(base_dir, token_file);
      if (user["auth-provider"]) {
        return reader.Error(user_field + ".auth-provider",
                            "auth-provider plugins are not supported; use "
                            "an exec plugin (e.g. kubelogin)");
      }
      if (user["username"] || user["password"]) {
        return reader.Error(user_field + ".username",
                            "basic authentication is not supported; use a "
                            "token, a client certificate or an exec plugin");
      }
      if (YAML::Node exec = user["exec"]; exec && !exec.IsNull()) {
        c.has_exec = true;
        c.exec.api_version = Text(exec, "apiVersion");
        c.exec.command = Text(exec, "command");
        if (c.exec.command.empty()) {
          return reader.Error(user_field + ".exec.command", "is required");
        }
        if (c.exec.command.find('/') != std::string::npos &&
            c.exec.command[0] != '/') {
          c.exec.command = Resolve(base_dir, c.exec.command);
        }
        if (exec["args"]) {
          for (const auto& a : exec["args"]) {
            c.exec.args.push_back(a.as<std::string>());
          }
        }
        if (exec["env"]) {
          for (const auto& e : exec["env"]) {
            c.exec.env.emplace_back(Text(e, "name"), Text(e, "value"));
          }
        }
      }
    }
    return c;
  } catch (const YAML::Exception& e) {
    return reader.Error("(document)",
                        absl::StrCat("unexpected structure: ", e.what()));
  }
}

absl::StatusOr<KubeConnection> LoadKubeconfig(const std::string& path,
                                              const std::string& context) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", path, ": cannot be read"));
  }
  std::string base_dir;
  if (auto slash = path.rfind('/'); slash != std::string::npos) {
    base_dir = path.substr(0, slash);
  }
  return ParseKubeconfig(*text, base_dir, path, context);
}

absl::StatusOr<KubeConnection> InClusterConnection(
    const std::string& account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return absl::FailedPreconditionError(
        "not running in a pod (KUBERNETES_SERVICE_HOST is not set)");
  }
  KubeConnection c;
  std::string h(host);
  if (h.find(':') != std::string::npos) h = absl::StrCat("[", h, "]");
  c.server = absl::StrCat("https://", h, ":", port);
  c.token_file = account_dir + "/token";
  auto ca = ReadFile(account_dir + "/ca.crt");
  if (!ca.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "in-cluster service account: cannot read ", account_dir, "/ca.crt"));
  }
  c.ca_pem = *std::move(ca);
  c.source = "in-cluster service account";
  return c;
}

absl::StatusOr<KubeConnection> ResolveConnection(const std::string& path,
                                                 const std::string& context) {
  if (!path.empty()) return LoadKubeconfig(path, context);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string first(env);
    first = first.substr(0, first.find(':'));
    return LoadKubeconfig(first, context);
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    return InClusterConnection();
  }
  const char* home = std::getenv("HOME");
  return LoadKubeconfig(absl::StrCat(home ? home : "", "/.kube/config"),
                        context);
}

}  // namespace capi_bridge::kube
