#include "server/rules/cluster_objects.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/render/naming.h"
#include "server/render/yaml_writer.h"
#include "server/shared/utf8.h"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::rules {
namespace {

using nlohmann::json;

json Labels(const ClusterIdentity& id) {
  return {{kProjectLabel, LabelValue(id.project_id)},
          {kUserLabel, LabelValue(id.user_id)},
          {kClusterUuidLabel, LabelValue(id.cluster_uuid)},
          {kClusterNameLabel, id.release}};
}

json SecretObject(const ClusterIdentity& id, const std::string& name,
                  const std::string& type) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata",
           {{"name", name},
            {"namespace", id.namespace_name},
            {"labels", Labels(id)}}},
          {"type", type}};
}

}  // namespace

std::string LabelValue(const std::string& value) {
  // The renderer refuses values that are not label characters; cut on a
  // character boundary all the same.
  return std::string(util::Utf8Prefix(value, render::kMaxObjectNameLength));
}

std::string ClusterSecretsSelector(const std::string& cluster_uuid) {
  return absl::StrCat(kClusterUuidLabel, "=", LabelValue(cluster_uuid));
}

std::string LabelOf(const json& object, const char* key) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return "";
  return labels->value(key, "");
}

json NamespaceObject(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata", {{"name", name}}}};
}

json CloudCredentialsSecret(const ClusterIdentity& id,
                            const v1::KeystoneFacts& keystone,
                            const v1::CredentialMaterial& credential) {
  json cloud = {
      {"identity_api_version", 3},
      {"region_name", keystone.region_name()},
      {"interface",
       keystone.interface().empty() ? "public" : keystone.interface()},
      {"verify", keystone.verify_ca()},
      {"auth_type", "v3applicationcredential"},
      {"auth",
       {{"auth_url", keystone.auth_url()},
        {"application_credential_id", credential.application_credential_id()},
        {"application_credential_secret",
         credential.application_credential_secret()}}}};
  json clouds = {{"clouds", {{kCloudName, cloud}}}};
  json secret = SecretObject(id, render::CloudCredentialsSecretName(id.release),
                             "Opaque");
  secret["stringData"] = {{"clouds.yaml", render::ToYaml(clouds)},
                          {"cacert", credential.ca_bundle()}};
  return secret;
}

std::vector<json> CaSecrets(const ClusterIdentity& id,
                            const v1::CaCertificates& cas) {
  const std::pair<const char*, const v1::KeyPair*> pairs[] = {
      {"ca", &cas.ca()},
      {"etcd", &cas.etcd()},
      {"proxy", &cas.front_proxy()},
      {"sa", &cas.service_account()}};
  std::vector<json> secrets;
  for (const auto& [suffix, pair] : pairs) {
    if (pair->certificate_pem().empty() && pair->private_key_pem().empty()) {
      continue;
    }
    json secret = SecretObject(id, absl::StrCat(id.release, "-", suffix),
                               "cluster.x-k8s.io/secret");
    secret["stringData"] = {{"tls.crt", pair->certificate_pem()},
                            {"tls.key", pair->private_key_pem()}};
    secrets.push_back(std::move(secret));
  }
  return secrets;
}

json EtcdKeySecret(const ClusterIdentity& id,
                   const std::string& random_32_bytes) {
  json secret =
      SecretObject(id, absl::StrCat(id.release, "-etcd-key"), "Opaque");
  // The chart copies data.key into the EncryptionConfiguration, which
  // wants a base64-encoded 32-byte key: store the base64 text itself.
  secret["stringData"] = {{"key", absl::Base64Escape(random_32_bytes)}};
  return secret;
}

std::string CredentialIdOf(const json& secret) {
  auto data = secret.find("data");
  if (data == secret.end() || !data->contains("clouds.yaml")) return "";
  std::string text;
  if (!absl::Base64Unescape((*data)["clouds.yaml"].get<std::string>(), &text)) {
    return "";
  }
  try {
    YAML::Node clouds = YAML::Load(text);
    YAML::Node id =
        clouds["clouds"][kCloudName]["auth"]["application_credential_id"];
    return id ? id.as<std::string>() : "";
  } catch (const YAML::Exception&) {
    return "";
  }
}

}  // namespace capi_bridge::rules
