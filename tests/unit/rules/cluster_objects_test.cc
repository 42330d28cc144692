#include "server/rules/cluster_objects.h"

#include "absl/strings/escaping.h"
#include "catch2/catch.hpp"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::rules {
namespace {

ClusterIdentity Id() {
  return {"web-k3vq7x2mzp4a", "magnum-proj", "0f6c2b8e-uuid", "proj",
          std::string(70, 'u')};
}

TEST_CASE("credential Secret carries clouds.yaml as the reference writes it") {
  v1::KeystoneFacts keystone;
  keystone.set_auth_url("https://keystone:5000/v3");
  keystone.set_region_name("RegionOne");
  keystone.set_verify_ca(true);
  v1::CredentialMaterial credential;
  credential.set_application_credential_id("ac-1");
  credential.set_application_credential_secret("s3cr3t");
  credential.set_ca_bundle("PEM");
  nlohmann::json secret = CloudCredentialsSecret(Id(), keystone, credential);
  CHECK(secret["metadata"]["name"] == "web-k3vq7x2mzp4a-cloud-credentials");
  CHECK(secret["type"] == "Opaque");
  const auto& labels = secret["metadata"]["labels"];
  CHECK(labels[kClusterUuidLabel] == "0f6c2b8e-uuid");
  CHECK(labels[kClusterNameLabel] == "web-k3vq7x2mzp4a");
  CHECK(labels[kUserLabel].get<std::string>().size() == 63);  // truncated
  CHECK(secret["stringData"]["cacert"] == "PEM");
  YAML::Node clouds =
      YAML::Load(secret["stringData"]["clouds.yaml"].get<std::string>());
  YAML::Node cloud = clouds["clouds"]["openstack"];
  CHECK(cloud["auth_type"].as<std::string>() == "v3applicationcredential");
  CHECK(cloud["interface"].as<std::string>() == "public");
  CHECK(cloud["identity_api_version"].as<int>() == 3);
  CHECK(cloud["verify"].as<bool>());
  CHECK(cloud["auth"]["application_credential_secret"].as<std::string>() ==
        "s3cr3t");

  // Read back as the API returns it (data, base64).
  nlohmann::json stored = secret;
  stored["data"] = {
      {"clouds.yaml",
       absl::Base64Escape(
           secret["stringData"]["clouds.yaml"].get<std::string>())}};
  CHECK(CredentialIdOf(stored) == "ac-1");
  CHECK(CredentialIdOf(nlohmann::json::object()).empty());
}

TEST_CASE("CA Secrets: reference names and type, empty pairs skipped") {
  v1::CaCertificates cas;
  cas.mutable_ca()->set_certificate_pem("CA");
  cas.mutable_ca()->set_private_key_pem("KEY");
  cas.mutable_service_account()->set_certificate_pem("SA");
  cas.mutable_service_account()->set_private_key_pem("SAKEY");
  auto secrets = CaSecrets(Id(), cas);
  REQUIRE(secrets.size() == 2);
  CHECK(secrets[0]["metadata"]["name"] == "web-k3vq7x2mzp4a-ca");
  CHECK(secrets[0]["type"] == "cluster.x-k8s.io/secret");
  CHECK(secrets[0]["stringData"]["tls.key"] == "KEY");
  CHECK(secrets[1]["metadata"]["name"] == "web-k3vq7x2mzp4a-sa");
}

TEST_CASE("etcd key Secret holds a base64 32-byte key") {
  nlohmann::json secret = EtcdKeySecret(Id(), std::string(32, '\x7f'));
  CHECK(secret["metadata"]["name"] == "web-k3vq7x2mzp4a-etcd-key");
  std::string key;
  REQUIRE(absl::Base64Unescape(secret["stringData"]["key"].get<std::string>(),
                               &key));
  CHECK(key.size() == 32);
  CHECK(ClusterSecretsSelector("u") == "magnum.openstack.org/cluster-uuid=u");
}

}  // namespace
}  // namespace capi_bridge::rules
