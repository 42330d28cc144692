#include "server/tls_credentials.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"

namespace capi_bridge {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& key,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  if (in) buffer << in.rdbuf();
  if (!in || !absl::StrContains(buffer.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": \"", path, "\"; accepted: a readable PEM file"));
  }
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::BridgeConfig& config) {
  if (config.insecure) return grpc::InsecureServerCredentials();
  const config::TlsConfig& tls = config.tls;
  absl::StatusOr<std::string> cert = ReadPem("tls.cert_file", tls.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("tls.key_file", tls.key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPem("tls.client_ca_file", tls.client_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace capi_bridge
