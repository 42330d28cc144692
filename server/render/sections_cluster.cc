// Cluster-wide sections: image and identity, etcd, OIDC, registries and
// the autoscaler, kubeadm fragments.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/render/naming.h"
#include "server/render/sections.h"

namespace capi_bridge::render {
namespace {

using nlohmann::json;

// Registries the chart mirrors by default (values.yaml registryMirrors).
constexpr absl::string_view kDefaultMirroredRegistries[] = {
    "docker.io", "ghcr.io", "nvcr.io", "quay.io", "registry.k8s.io"};

bool IsHttpUrl(absl::string_view text) {
  return IsHttpsUrl(text) ||
         (absl::StartsWith(text, "http://") && text.size() > 7 &&
          IsPrintable(text) && text.find(' ') == absl::string_view::npos);
}

bool IsRegistryHost(absl::string_view text) {
  absl::string_view host = text.substr(0, text.find(':'));
  if (!IsDnsName(host)) return false;
  if (host.size() == text.size()) return true;
  return ParseInt(text.substr(host.size() + 1), 1, 65535).has_value();
}

// "<registry>=<mirror URL>", e.g. docker.io=https://mirror.example.com/v2/x.
bool IsMirrorEntry(absl::string_view text) {
  size_t eq = text.find('=');
  return eq != absl::string_view::npos && IsRegistryHost(text.substr(0, eq)) &&
         IsHttpUrl(text.substr(eq + 1));
}

bool IsImageTag(absl::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsVersionTag(absl::string_view text) {
  return ParseKubeVersion(text).has_value();
}

bool IsCipherSuite(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsPluginName(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isalpha(c)) return false;
  }
  return true;
}

bool IsSanEntry(absl::string_view text) {
  return IsDnsName(text) || ParseIpv4(text).has_value() ||
         (absl::StartsWith(text, "*.") && IsDnsName(text.substr(2)));
}

bool IsClaimName(absl::string_view text) {
  return !text.empty() && IsPrintable(text) &&
         text.find(' ') == absl::string_view::npos;
}

}  // namespace

void RenderImageAndIdentity(RenderContext* ctx) {
  const auto& image = ctx->spec.facts().image();
  json& v = ctx->values;
  if (image.id().empty()) {
    ctx->problems.Missing("facts.image.id",
                          "the Glance UUID of the template's image");
  } else {
    v["machineImageId"] = image.id();
  }

  // Kubernetes version: the image property, else the kube_tag label.
  std::optional<KubeVersion> from_image;
  if (!image.kube_version().empty()) {
    from_image = ParseKubeVersion(image.kube_version());
    if (!from_image) {
      ctx->problems.Add("facts.image.kube_version", image.kube_version(),
                        "an image property kube_version of the form X.Y.Z "
                        "with an optional leading v, e.g. v1.34.3");
    }
  }
  std::optional<KubeVersion> from_tag;
  if (ctx->reader.IsSet("kube_tag")) {
    std::string tag = ctx->reader.Text("kube_tag", "");
    from_tag = ParseKubeVersion(tag);
    if (!from_tag) {
      ctx->reader.Reject("kube_tag", "vX.Y.Z, e.g. v1.34.3");
    } else if (from_image && from_image->ToString() != from_tag->ToString()) {
      ctx->reader.Reject(
          "kube_tag",
          absl::StrCat("unset, or v", from_image->ToString(),
                       " (the kube_version of the image, which is what its "
                       "kubeadm and kubelet run)"));
    }
  }
  ctx->kube_version = from_image ? from_image : from_tag;
  if (ctx->kube_version) {
    v["kubernetesVersion"] = ctx->kube_version->ToString();
  } else if (image.kube_version().empty() && !ctx->reader.IsSet("kube_tag")) {
    ctx->problems.Missing(
        "facts.image.kube_version",
        "the image property kube_version (X.Y.Z), or the kube_tag label");
  }

  const std::string& distro = image.os_distro();
  if (distro == "ubuntu" || distro == "flatcar") {
    v["osDistro"] = distro;
  } else if (distro.empty()) {
    ctx->problems.Missing("facts.image.os_distro",
                          "the image property os_distro: ubuntu or flatcar");
  } else {
    ctx->problems.Add("facts.image.os_distro", distro, "ubuntu or flatcar");
  }

  const std::string& keypair = ctx->spec.cluster().keypair();
  if (!keypair.empty()) {
    if (IsOpenStackName(keypair)) {
      v["machineSSHKeyName"] = keypair;
    } else {
      ctx->problems.Add("cluster.keypair", keypair,
                        "a Nova keypair name without control characters");
    }
  }
  v["cloudCredentialsSecretName"] = CloudCredentialsSecretName(ctx->release);
}

void RenderEtcd(RenderContext* ctx) {
  LabelReader& r = ctx->reader;
  json etcd = json::object();
  // New-style labels win over the deprecated etcd_volume_* ones.
  int64_t size = r.IsSet("etcd_blockdevice_size")
                     ? r.Int("etcd_blockdevice_size", 0, 0, 10000)
                     : r.Int("etcd_volume_size", 0, 0, 10000);
  std::string type =
      r.Enum("etcd_blockdevice_type", "volume", {"volume", "local"});
  std::string volume_type = r.IsSet("etcd_blockdevice_volume_type")
                                ? r.Name("etcd_blockdevice_volume_type", "")
                                : r.Name("etcd_volume_type", "");
  std::string volume_az = r.Name("etcd_blockdevice_volume_az", "");
  if (size > 0) {
    json device = {{"size", size}};
    if (type == "local") {
      device["type"] = "Local";
    } else {
      device["type"] = "Volume";
      if (!volume_type.empty()) device["volumeType"] = volume_type;
      if (!volume_az.empty()) device["availabilityZone"] = volume_az;
    }
    etcd["blockDevice"] = device;
  }

  if (r.IsSet("etcd_encryption_enabled")) {
    bool encrypt = r.Bool("etcd_encryption_enabled", false);
    if (!ctx->ChartAtLeast("0.16.0")) {
      if (encrypt) ctx->NeedsChart("etcd_encryption_enabled", "0.16.0");
    } else {
      etcd["encryption"]["enabled"] = encrypt;
    }
  }
  ctx->values["etcd"] = etcd;
}

void RenderOidc(RenderContext* ctx) {
  LabelReader& r = ctx->reader;
  static constexpr absl::string_view kOidcLabels[] = {
      "oidc_issuer_url",      "oidc_client_id",    "oidc_username_claim",
      "oidc_username_prefix", "oidc_groups_claim", "oidc_groups_prefix",
      "oidc_signing_algs"};
  std::string issuer = r.Text("oidc_issuer_url", "");
  if (issuer.empty()) {
    for (absl::string_view label : kOidcLabels) {
      if (label != "oidc_issuer_url" && r.IsNonEmpty(label)) {
        ctx->Warn(absl::StrCat("labels.", label),
                  "has no effect without oidc_issuer_url");
      }
    }
    return;
  }
  if (!ctx->ChartAtLeast("0.11.0")) {
    ctx->NeedsChart("oidc_issuer_url", "0.11.0");
    return;
  }
  json oidc = json::object();
  if (!IsHttpsUrl(issuer)) {
    r.Reject("oidc_issuer_url",
             "an https:// URL of the OIDC provider, e.g. "
             "https://auth.example.com");
  }
  oidc["issuerUrl"] = issuer;
  std::string client = r.Text("oidc_client_id", "");
  if (client.empty()) {
    ctx->problems.Missing("labels.oidc_client_id",
                          "the OIDC client id tokens are issued for (required "
                          "with oidc_issuer_url)");
  } else {
    oidc["clientId"] = client;
  }
  struct Claim {
    absl::string_view label, key;
  };
  for (const Claim& c : {Claim{"oidc_username_claim", "usernameClaim"},
                         Claim{"oidc_groups_claim", "groupsClaim"}}) {
    if (!r.IsSet(c.label)) continue;
    std::string value = r.Text(c.label, "");
    if (!IsClaimName(value)) {
      r.Reject(c.label, "a claim name without spaces");
    } else {
      oidc[std::string(c.key)] = value;
    }
  }
  for (const Claim& c : {Claim{"oidc_username_prefix", "usernamePrefix"},
                         Claim{"oidc_groups_prefix", "groupsPrefix"}}) {
    if (r.IsSet(c.label)) oidc[std::string(c.key)] = r.Text(c.label, "");
  }
  if (r.IsSet("oidc_signing_algs")) {
    std::vector<std::string> algs = r.Csv("oidc_signing_algs", IsClaimName,
                                          "JOSE algorithm names, e.g. RS256");
    if (!algs.empty()) oidc["signingAlgs"] = absl::StrJoin(algs, ",");
  }
  ctx->values["oidc"] = oidc;
}

void RenderRegistryAndAutoscaler(RenderContext* ctx) {
  LabelReader& r = ctx->reader;
  json& v = ctx->values;
  bool has_mirrors = r.IsSet("registry_mirrors");
  bool has_prefix = r.IsNonEmpty("container_infra_prefix");
  if (has_mirrors && has_prefix) {
    r.Reject("container_infra_prefix",
             "unset when registry_mirrors is set (registry_mirrors is the "
             "precise form; use one of them)");
  } else if (has_mirrors) {
    std::string text = r.Text("registry_mirrors", "");
    if (absl::AsciiStrToLower(text) == "none") {
      // null removes the chart's default mirrors (helm deletes null keys).
      v["registryMirrors"] = nullptr;
    } else {
      json mirrors = json::object();
      for (const std::string& item :
           r.Csv("registry_mirrors", IsMirrorEntry,
                 "<registry>=<mirror URL> entries (or none), e.g. "
                 "docker.io=https://mirror.example.com/v2/dockerhub")) {
        size_t eq = item.find('=');
        mirrors[item.substr(0, eq)].push_back(item.substr(eq + 1));
      }
      // The listed mirrors replace the chart's defaults entirely.
      for (absl::string_view registry : kDefaultMirroredRegistries) {
        if (!mirrors.contains(registry))
          mirrors[std::string(registry)] = nullptr;
      }
      v["registryMirrors"] = mirrors;
    }
  } else if (has_prefix) {
    std::string prefix = r.Text("container_infra_prefix", "");
    std::string host = prefix.substr(0, prefix.find('/'));
    std::string path = host.size() < prefix.size()
                           ? std::string(absl::StripSuffix(
                                 prefix.substr(host.size() + 1), "/"))
                           : "";
    if (!IsRegistryHost(host) || !IsPrintable(path) ||
        path.find(' ') != std::string::npos) {
      r.Reject("container_infra_prefix",
               "host[:port][/path], e.g. registry.example.com:5000/mirror");
    } else {
      json mirrors = json::object();
      for (absl::string_view registry : kDefaultMirroredRegistries) {
        std::string url = absl::StrCat("https://", host, "/v2/");
        if (!path.empty()) absl::StrAppend(&url, path, "/");
        absl::StrAppend(&url, registry);
        mirrors[std::string(registry)] = json::array({url});
      }
      v["registryMirrors"] = mirrors;
      ctx->Warn("labels.container_infra_prefix",
                "mirrors docker.io, ghcr.io, nvcr.io, quay.io and "
                "registry.k8s.io under <prefix>/<registry>; image names are "
                "not rewritten (use registry_mirrors for other layouts)");
    }
  }

  std::string tag;
  if (r.IsSet("autoscaler_tag")) {
    tag = r.Text("autoscaler_tag", "");
    if (!IsImageTag(tag)) {
      r.Reject("autoscaler_tag", "an image tag, e.g. v1.34.1");
      tag.clear();
    }
  } else if (ctx->kube_version) {
    auto it = ctx->options.autoscaler_tags.find(
        absl::StrCat(ctx->kube_version->major, ".", ctx->kube_version->minor));
    if (it != ctx->options.autoscaler_tags.end()) tag = it->second;
  }
  if (!tag.empty()) v["autoscaler"]["image"]["tag"] = tag;
}

void RenderKubeadm(RenderContext* ctx) {
  LabelReader& r = ctx->reader;
  json& cp = ctx->values["controlPlane"];
  if (r.IsSet("api_server_cert_sans")) {
    std::vector<std::string> sans = r.Csv("api_server_cert_sans", IsSanEntry,
                                          "DNS names or IPv4 addresses");
    if (!sans.empty()) {
      cp["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["certSANs"] =
          sans;
    }
  }
  if (r.IsSet("api_server_tls_cipher_suites")) {
    std::vector<std::string> suites =
        r.Csv("api_server_tls_cipher_suites", IsCipherSuite,
              "Go TLS cipher suite names, e.g. "
              "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    if (!suites.empty()) {
      cp["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["extraArgs"]
        ["tls-cipher-suites"] = absl::StrJoin(suites, ",");
    }
  }
  if (r.IsSet("admission_control_list")) {
    std::vector<std::string> plugins =
        r.Csv("admission_control_list", IsPluginName,
              "admission plugin names, e.g. NodeRestriction,PodSecurity");
    // NodeRestriction always comes first (as vexxhost's driver renders it).
    std::vector<std::string> ordered = {"NodeRestriction"};
    for (const std::string& p : plugins) {
      if (std::find(ordered.begin(), ordered.end(), p) == ordered.end()) {
        ordered.push_back(p);
      }
    }
    cp["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["extraArgs"]
      ["enable-admission-plugins"] = absl::StrJoin(ordered, ",");
  }
  if (r.IsSet("kubelet_tls_cipher_suites")) {
    std::vector<std::string> suites =
        r.Csv("kubelet_tls_cipher_suites", IsCipherSuite,
              "Go TLS cipher suite names");
    if (!suites.empty()) {
      std::string joined = absl::StrJoin(suites, ",");
      json& spec = cp["kubeadmConfigSpec"];
      for (const char* phase : {"initConfiguration", "joinConfiguration"}) {
        spec[phase]["nodeRegistration"]["kubeletExtraArgs"]
            ["tls-cipher-suites"] = joined;
      }
      ctx->values["nodeGroupDefaults"]["kubeadmConfigSpec"]["joinConfiguration"]
                 ["nodeRegistration"]["kubeletExtraArgs"]["tls-cipher-suites"] =
          joined;
    }
  }
  if (r.IsSet("calico_tag")) {
    std::string tag = r.Text("calico_tag", "");
    if (!IsVersionTag(tag)) {
      r.Reject("calico_tag", "a tigera-operator chart version, e.g. v3.31.5");
    } else {
      ctx->values["addons"]["cni"]["calico"]["chart"]["version"] = tag;
    }
  }
  if (r.IsSet("cilium_tag")) {
    std::string tag = r.Text("cilium_tag", "");
    if (!IsVersionTag(tag) || absl::StartsWith(tag, "v")) {
      r.Reject("cilium_tag", "a cilium chart version without v, e.g. 1.19.3");
    } else {
      ctx->values["addons"]["cni"]["cilium"]["chart"]["version"] = tag;
    }
  }
}

}  // namespace capi_bridge::render
