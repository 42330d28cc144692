#include "server/rules/ca_material.h"

#include <fstream>
#include <sstream>
#include <string>

#include "catch2/catch.hpp"

namespace capi_bridge::rules {
namespace {

namespace v1 = magnum::capi::bridge::v1;

// Test-only CAs made with `openssl req -x509 -newkey ec` (testdata/).
std::string TestData(const std::string& name) {
  std::ifstream in(std::string(CA_TESTDATA_DIR) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  REQUIRE_FALSE(text.str().empty());
  return text.str();
}

v1::KeyPair Pair(const std::string& cert, const std::string& key) {
  v1::KeyPair pair;
  pair.set_certificate_pem(cert);
  pair.set_private_key_pem(key);
  return pair;
}

TEST_CASE("cluster CAs are parsed and matched before they are written",
          "[hostile]") {
  const std::string cert_a = TestData("ca-a.crt"), key_a = TestData("ca-a.key");
  const std::string key_b = TestData("ca-b.key");
  v1::CaCertificates cas;
  *cas.mutable_ca() = Pair(cert_a, key_a);
  *cas.mutable_service_account() = Pair(TestData("ca-a.pub"), key_a);
  CHECK(CheckCaMaterial(cas).ok());
  CHECK(CheckCaMaterial(v1::CaCertificates()).ok());  // CAPI makes its own

  *cas.mutable_etcd() = Pair("not a certificate", key_a);
  *cas.mutable_front_proxy() = Pair(cert_a, key_b);
  *cas.mutable_ca() = Pair(cert_a, TestData("ca-a-encrypted.key"));
  absl::Status status = CheckCaMaterial(cas);
  REQUIRE(absl::IsInvalidArgument(status));
  const std::string message(status.message());
  INFO(message);
  CHECK(message.rfind("3 problems in the cluster CAs:", 0) == 0);
  CHECK(message.find("ca_certificates.etcd.certificate_pem: \"not a "
                     "certificate\"; accepted: a PEM certificate") !=
        std::string::npos);
  CHECK(message.find("ca_certificates.front_proxy.private_key_pem: \"(not "
                     "shown)\"; accepted: the private key of "
                     "ca_certificates.front_proxy.certificate_pem (they do "
                     "not match)") != std::string::npos);
  CHECK(message.find("ca_certificates.ca.private_key_pem: \"(not shown)\"; "
                     "accepted: an unencrypted PEM private key") !=
        std::string::npos);
  // No key material in the message.
  CHECK(message.find("PRIVATE KEY") == std::string::npos);
}

}  // namespace
}  // namespace capi_bridge::rules
