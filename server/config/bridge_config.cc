#include "server/config/bridge_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/config/yaml_json.h"
#include "server/render/chart_version.h"
#include "server/render/problems.h"
#include "server/shared/utf8.h"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::config {
namespace {

using render::Problems;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read file ", path));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : absl::StrCat(prefix, ".", key);
}

// Reads a YAML mapping key by key, reporting unknown keys.
class Section {
 public:
  Section(const YAML::Node& node, std::string path, Problems* problems)
      : node_(node), path_(std::move(path)), problems_(problems) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      problems_->Add(path_.empty() ? "(top level)" : path_, "(not a mapping)",
                     "a mapping of keys to values");
      valid_ = false;
    }
  }

  YAML::Node Get(const std::string& key) {
    known_.insert(key);
    if (!valid_ || !node_) return YAML::Node();
    return node_[key];
  }

  void String(const std::string& key, std::string* out) {
    YAML::Node v = Get(key);
    if (!v || v.IsNull()) return;
    if (!v.IsScalar()) {
      problems_->Add(Join(path_, key), "(not a scalar)", "a string");
      return;
    }
    *out = v.Scalar();
  }

  void Bool(const std::string& key, bool* out) {
    YAML::Node v = Get(key);
    if (!v || v.IsNull()) return;
    bool value = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, value)) {
      problems_->Add(Join(path_, key),
                     v.IsScalar() ? v.Scalar() : "(not a scalar)",
                     "true or false");
      return;
    }
    *out = value;
  }

  void Int(const std::string& key, int min, int max, int* out) {
    YAML::Node v = Get(key);
    if (!v || v.IsNull()) return;
    int value = 0;
    if (!v.IsScalar() || !YAML::convert<int>::decode(v, value) || value < min ||
        value > max) {
      problems_->Add(Join(path_, key),
                     v.IsScalar() ? v.Scalar() : "(not a scalar)",
                     absl::StrCat("a whole number from ", min, " to ", max));
      return;
    }
    *out = value;
  }

  // A mapping of string keys to scalar values.
  void StringMap(const std::string& key,
                 std::map<std::string, std::string>* out) {
    YAML::Node v = Get(key);
    if (!v || v.IsNull()) return;
    if (!v.IsMap()) {
      problems_->Add(Join(path_, key), "(not a mapping)",
                     "a mapping of names to string values");
      return;
    }
    for (const auto& entry : v) {
      std::string name = entry.first.as<std::string>();
      if (!entry.second.IsScalar()) {
        problems_->Add(Join(Join(path_, key), name), "(not a scalar)",
                       "a string value");
        continue;
      }
      (*out)[name] = entry.second.Scalar();
    }
  }

  Section Child(const std::string& key) {
    return Section(Get(key), Join(path_, key), problems_);
  }

  // Reports keys present in the file but never asked for.
  void CheckUnknown() {
    if (!valid_ || !node_ || !node_.IsMap()) return;
    std::vector<std::string> known(known_.begin(), known_.end());
    for (const auto& entry : node_) {
      std::string key = entry.first.as<std::string>();
      if (known_.count(key) == 0) {
        problems_->Add(Join(path_, key), key,
                       absl::StrCat("one of the known keys: ",
                                    absl::StrJoin(known, ", ")));
      }
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  Problems* problems_;
  std::set<std::string> known_;
  bool valid_ = true;
};

void ApplySet(const std::string& assignment, YAML::Node root,
              Problems* problems) {
  std::vector<std::string> kv =
      absl::StrSplit(assignment, absl::MaxSplits('=', 1));
  if (kv.size() != 2 || kv[0].empty()) {
    problems->Add("--set", assignment,
                  "path.to.key=value, e.g. listen=0.0.0.0:50051");
    return;
  }
  std::vector<std::string> path = absl::StrSplit(kv[0], '.');
  std::vector<YAML::Node> chain = {root};
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    YAML::Node next = chain.back()[path[i]];
    if (next && !next.IsMap() && !next.IsNull()) {
      problems->Add("--set", assignment,
                    absl::StrCat("a path through mappings; ", path[i],
                                 " is not a mapping"));
      return;
    }
    chain.push_back(next);
  }
  // Always a scalar: "[::1]:7000" is an address, not a YAML list. Lists
  // and mappings belong in the file.
  chain.back()[path.back()] = kv[1];
}

void LoadOverrides(Section* section, const std::string& base_dir,
                   render::RenderOptions* options, Problems* problems) {
  YAML::Node node = section->Get("value_overrides");
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) {
    problems->Add("value_overrides", "(not a mapping)",
                  "a mapping of override-set names to lists of YAML files");
    return;
  }
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    std::string field = absl::StrCat("value_overrides.", key);
    std::vector<std::string> files;
    if (entry.second.IsScalar()) {
      files.push_back(entry.second.Scalar());
    } else if (entry.second.IsSequence()) {
      bool scalars = true;
      for (const auto& f : entry.second) {
        if (f.IsScalar()) {
          files.push_back(f.Scalar());
        } else {
          scalars = false;
        }
      }
      if (!scalars) {
        problems->Add(field, "(a list holding more than paths)",
                      "a file path or a list of them");
        continue;
      }
    } else {
      problems->Add(field, "(not a list)", "a file path or a list of them");
      continue;
    }
    render::OverrideSet set;
    for (const std::string& file : files) {
      std::string path = (!file.empty() && file[0] == '/') || base_dir.empty()
                             ? file
                             : absl::StrCat(base_dir, "/", file);
      absl::StatusOr<std::string> text = ReadFile(path);
      if (!text.ok()) {
        problems->Add(field, path, "a readable YAML file");
        continue;
      }
      try {
        YAML::Node doc = YAML::Load(*text);
        if (!doc.IsMap()) {
          problems->Add(field, path,
                        "a YAML file whose top level is a mapping of chart "
                        "values");
          continue;
        }
        set.files.push_back(path);
        set.documents.push_back(YamlToJson(doc));
      } catch (const YAML::Exception& e) {
        problems->Add(field, path,
                      absl::StrCat("valid YAML (line ", e.mark.line + 1, ": ",
                                   e.msg, ")"));
      }
    }
    options->value_overrides[key] = std::move(set);
  }
}

bool IsLocalAddress(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return true;
  size_t colon = listen.rfind(':');
  std::string host =
      colon == std::string::npos ? listen : listen.substr(0, colon);
  return host == "localhost" || host == "[::1]" ||
         absl::StartsWith(host, "127.");
}

void CheckTransport(BridgeConfig& config, const std::string& base_dir,
                    Problems* problems) {
  TlsConfig& tls = config.tls;
  for (std::string* file :
       {&tls.cert_file, &tls.key_file, &tls.client_ca_file}) {
    if (!file->empty() && (*file)[0] != '/' && !base_dir.empty()) {
      *file = absl::StrCat(base_dir, "/", *file);
    }
  }
  if (config.insecure) {
    if (!tls.cert_file.empty() || !tls.client_ca_file.empty()) {
      problems->Add("insecure", "true",
                    "false when tls is configured (plaintext and TLS exclude "
                    "each other)");
    }
    if (!IsLocalAddress(config.listen)) {
      problems->Add("listen", config.listen,
                    "a loopback address (127.0.0.1:<port>, [::1]:<port>, "
                    "localhost:<port>) or unix:/path while insecure is true; "
                    "configure tls to serve other hosts");
    }
    return;
  }
  if (tls.cert_file.empty()) {
    problems->Missing("tls.cert_file",
                      "the server's PEM certificate (with tls.key_file), or "
                      "insecure: true for plaintext on loopback");
  }
  if (!tls.cert_file.empty() && tls.key_file.empty()) {
    problems->Missing("tls.key_file", "the PEM private key of tls.cert_file");
  }
}

void CheckOpsListen(const std::string& address, Problems* problems) {
  if (address.empty()) return;
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    problems->Add("ops_listen", address,
                  "host:port with a port from 0 to 65535 (e.g. 0.0.0.0:9180, "
                  "[::]:9180), or empty for no ops endpoint");
  }
}

void CheckAuth(AuthConfig& auth, const std::string& base_dir,
               Problems* problems) {
  if (auth.token_file.empty()) return;
  if (auth.token_file[0] != '/' && !base_dir.empty()) {
    auth.token_file = absl::StrCat(base_dir, "/", auth.token_file);
  }
  absl::StatusOr<std::string> text = ReadFile(auth.token_file);
  if (!text.ok()) {
    problems->Add("auth.token_file", auth.token_file,
                  "a readable file holding the bearer token");
    return;
  }
  std::string token(absl::StripAsciiWhitespace(*text));
  bool printable = !token.empty();
  for (char c : token) {
    if (c <= ' ' || c > '~') printable = false;
  }
  if (token.size() < 16 || !printable) {
    problems->Add("auth.token_file", auth.token_file,
                  "a file holding one token of at least 16 printable "
                  "characters without spaces (e.g. openssl rand -hex 32)");
    return;
  }
  auth.token = std::move(token);
}

}  // namespace

namespace {

// Every mapping key that appears twice in `node` (yaml-cpp keeps both, and
// which one a lookup finds is not what the operator expects).
void DuplicateKeys(const YAML::Node& node, const std::string& path,
                   Problems* problems) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& entry : node) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      std::string where = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) {
        problems->Add(where, key,
                      "each key once per mapping (it is given "
                      "twice)");
      }
      DuplicateKeys(entry.second, where, problems);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      DuplicateKeys(node[i], absl::StrCat(path, "[", i, "]"), problems);
    }
  }
}

// The namespace prefix makes "<prefix>-<project id>" (32 characters from
// Keystone): a lower-case DNS label of at most 63 characters.
bool IsNamespacePrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 30) return false;
  for (char c : prefix) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return prefix.front() != '-' && prefix.back() != '-';
}

}  // namespace

static absl::StatusOr<BridgeConfig> ParseConfigText(
    const std::string& yaml_text, const std::string& base_dir,
    const std::vector<std::string>& sets) {
  Problems problems("the bridge config");
  if (size_t bad = util::FirstInvalidUtf8(yaml_text);
      bad != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file: not valid UTF-8 at byte offset ", bad,
                     "; accepted: UTF-8 YAML"));
  }
  YAML::Node root;
  try {
    root = yaml_text.empty() ? YAML::Node(YAML::NodeType::Map)
                             : YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file: not valid YAML (line ", e.mark.line + 1,
                     ", column ", e.mark.column + 1, "): ", e.msg));
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  DuplicateKeys(root, "", &problems);
  for (const std::string& set : sets) ApplySet(set, root, &problems);

  BridgeConfig config;
  render::RenderOptions& r = config.render;
  Section top(root, "", &problems);
  top.String("listen", &config.listen);
  top.String("ops_listen", &config.ops_listen);
  top.Bool("insecure", &config.insecure);
  Section tls = top.Child("tls");
  tls.String("cert_file", &config.tls.cert_file);
  tls.String("key_file", &config.tls.key_file);
  tls.String("client_ca_file", &config.tls.client_ca_file);
  tls.CheckUnknown();
  Section auth = top.Child("auth");
  auth.String("token_file", &config.auth.token_file);
  auth.CheckUnknown();
  Section logs = top.Child("log");
  std::string format, level;
  logs.String("format", &format);
  logs.String("level", &level);
  logs.CheckUnknown();
  if (!format.empty()) {
    auto parsed = log::ParseFormat(format);
    if (parsed.ok()) {
      config.log.format = *parsed;
    } else {
      problems.Add("log.format", format, "logfmt or json");
    }
  }
  if (!level.empty()) {
    auto parsed = log::ParseLevel(level);
    if (parsed.ok()) {
      config.log.level = *parsed;
    } else {
      problems.Add("log.level", level, "debug, info, warn or error");
    }
  }
  top.Int("shutdown_grace_seconds", 0, 3600, &config.shutdown_grace_seconds);
  top.String("namespace_prefix", &r.namespace_prefix);
  Section chart = top.Child("chart");
  chart.String("repo", &config.chart.repo);
  chart.String("name", &config.chart.name);
  chart.String("default_version", &r.default_chart_version);
  chart.CheckUnknown();
  Section management = top.Child("management");
  management.String("kubeconfig", &config.management.kubeconfig);
  management.String("context", &config.management.context);
  management.Int("connect_timeout_seconds", 1, 300,
                 &config.management.connect_timeout_seconds);
  management.Int("request_timeout_seconds", 1, 3600,
                 &config.management.request_timeout_seconds);
  management.Int("max_attempts", 1, 20, &config.management.max_attempts);
  management.Int("deletion_poll_seconds", 1, 3600,
                 &config.management.deletion_poll_seconds);
  management.Int("lease_duration_seconds", 3, 3600,
                 &config.management.lease_duration_seconds);
  management.CheckUnknown();
  Section helm = top.Child("helm");
  helm.String("binary", &config.helm.binary);
  helm.Int("timeout_seconds", 10, 86400, &config.helm.timeout_seconds);
  helm.Int("max_concurrent", 1, 256, &config.helm.max_concurrent);
  helm.Int("kill_grace_seconds", 1, 600, &config.helm.kill_grace_seconds);
  helm.String("cache_dir", &config.helm.cache_dir);
  helm.CheckUnknown();
  Section status = top.Child("status");
  status.Bool("watch_cache", &config.status.watch_cache);
  status.Int("create_timeout_minutes", 1, 10080,
             &config.status.create_timeout_minutes);
  status.Int("update_timeout_minutes", 1, 10080,
             &config.status.update_timeout_minutes);
  status.Int("delete_timeout_minutes", 1, 10080,
             &config.status.delete_timeout_minutes);
  status.Int("watch_timeout_seconds", 10, 3600,
             &config.status.watch_timeout_seconds);
  status.Int("max_staleness_seconds", 5, 86400,
             &config.status.max_staleness_seconds);
  status.CheckUnknown();
  Section flavors = top.Child("flavors");
  flavors.Int("minimum_ram_mb", 0, 1 << 24, &r.minimum_flavor_ram_mb);
  flavors.Int("minimum_vcpus", 0, 4096, &r.minimum_flavor_vcpus);
  flavors.CheckUnknown();
  Section storage = top.Child("storage");
  storage.String("default_volume_type", &r.csi_cinder_default_volume_type);
  YAML::Node topologies = storage.Get("allowed_topologies");
  if (topologies && !topologies.IsNull()) {
    if (!topologies.IsSequence()) {
      problems.Add("storage.allowed_topologies", "(not a list)",
                   "a list of StorageClass allowedTopologies terms");
    } else {
      r.csi_cinder_allowed_topologies = YamlToJson(topologies);
    }
  }
  storage.CheckUnknown();
  Section boot = top.Child("boot_volume");
  boot.String("default_type", &r.default_boot_volume_type);
  boot.Int("default_size_gb", 0, 100000, &r.default_boot_volume_size_gb);
  boot.CheckUnknown();
  top.StringMap("site_labels", &r.site_labels);
  top.StringMap("autoscaler_tags", &r.autoscaler_tags);
  LoadOverrides(&top, base_dir, &r, &problems);
  top.CheckUnknown();

  if (!config.management.kubeconfig.empty() &&
      config.management.kubeconfig[0] != '/') {
    config.management.kubeconfig =
        base_dir.empty() ? config.management.kubeconfig
                         : base_dir + "/" + config.management.kubeconfig;
  }
  if (!config.helm.cache_dir.empty() && config.helm.cache_dir[0] != '/') {
    config.helm.cache_dir = base_dir.empty()
                                ? config.helm.cache_dir
                                : base_dir + "/" + config.helm.cache_dir;
  }
  if (config.helm.cache_dir.empty()) {
    problems.Add("helm.cache_dir", "", "a writable directory");
  }
  if (config.helm.binary.empty()) {
    problems.Add("helm.binary", "",
                 "the helm program, a path or a name in PATH");
  }
  if (config.listen.empty()) {
    problems.Add("listen", "", "host:port or unix:/path");
  }
  CheckTransport(config, base_dir, &problems);
  CheckOpsListen(config.ops_listen, &problems);
  CheckAuth(config.auth, base_dir, &problems);
  if (!IsNamespacePrefix(r.namespace_prefix)) {
    problems.Add("namespace_prefix", r.namespace_prefix,
                 "lower-case letters, digits and '-', starting and ending "
                 "with a letter or digit, at most 30 characters (it begins "
                 "every project's namespace name), such as magnum");
  }
  absl::StatusOr<render::ChartVersion> version =
      render::ChartVersion::Parse(r.default_chart_version);
  if (!version.ok() ||
      *version < render::ChartVersion::Of(render::kOldestSupportedChart)) {
    problems.Add("chart.default_version", r.default_chart_version,
                 absl::StrCat("a chart version X.Y.Z, ",
                              render::kOldestSupportedChart, " or newer"));
  }
  for (const auto& [label, value] : r.site_labels) {
    if (render::FindLabel(label) == nullptr) {
      problems.Add(absl::StrCat("site_labels.", label), label,
                   "a label the renderer reads (see docs/labels.md#labels)");
    }
  }
  if (!problems.empty()) return problems.ToStatus();
  return config;
}

absl::StatusOr<BridgeConfig> ParseConfig(const std::string& yaml_text,
                                         const std::string& base_dir,
                                         const std::vector<std::string>& sets) {
  try {
    return ParseConfigText(yaml_text, base_dir, sets);
  } catch (const YAML::Exception& e) {
    // A node of another shape than the key takes (a mapping as a map key,
    // a list where a value goes): refused, never a crash.
    return absl::InvalidArgumentError(
        absl::StrCat("config file: line ", e.mark.line + 1, ", column ",
                     e.mark.column + 1, ": ", e.msg,
                     "; accepted: the shapes docs/configuration.md#every-key "
                     "shows"));
  }
}

absl::StatusOr<BridgeConfig> LoadConfig(const std::string& path,
                                        const std::vector<std::string>& sets) {
  if (path.empty()) return ParseConfig("", "", sets);
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  absl::StatusOr<BridgeConfig> config = ParseConfig(*text, dir, sets);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace capi_bridge::config
