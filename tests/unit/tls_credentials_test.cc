// MakeServerCredentials: plaintext only when the config says insecure (a
// plaintext client is served); TLS from the configured PEM files, a gRPC
// server then refusing a plaintext client; and an unreadable, empty or non-PEM
// file refused with INVALID_ARGUMENT naming the config key and the path, never
// the file's content. (The TLS and mutual-TLS handshakes themselves are shown
// end to end by tests/python/test_tls.py, with certificates made per run.)
#include "server/tls_credentials.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "grpcpp/grpcpp.h"
#include "server/api/cluster_driver_service.h"

namespace capi_bridge {
namespace {

const std::string kCaDir = CA_TESTDATA_DIR;

// A file under the system's temporary directory, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/tls_credentials_test.XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

config::BridgeConfig TlsConfig() {
  config::BridgeConfig config;
  config.tls.cert_file = kCaDir + "/ca-a.crt";
  config.tls.key_file = kCaDir + "/ca-a.key";
  return config;
}

// The status of a plaintext call to a ClusterDriver server (without a
// management cluster) built with `credentials`.
grpc::Status PlaintextCall(
    const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  rules::RenderService render{render::RenderOptions{},
                              [] { return uint64_t{42}; }};
  api::ClusterDriverService service(&render, nullptr, nullptr, "none here");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", credentials, &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  REQUIRE(server != nullptr);
  REQUIRE(port > 0);
  auto stub = magnum::capi::bridge::v1::ClusterDriver::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  magnum::capi::bridge::v1::GetClusterStatusRequest request;
  magnum::capi::bridge::v1::ClusterStatus response;
  grpc::Status status = stub->GetClusterStatus(&context, request, &response);
  server->Shutdown();
  return status;
}

TEST_CASE("tls credentials: insecure serves plaintext", "[tls_credentials]") {
  config::BridgeConfig config;
  config.insecure = true;
  config.tls.cert_file = "/nonexistent/ignored.crt";
  auto credentials = MakeServerCredentials(config);
  REQUIRE(credentials.ok());
  // The service answered: no management cluster here.
  CHECK(PlaintextCall(*credentials).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("tls credentials: a TLS server refuses a plaintext client",
          "[tls_credentials]") {
  auto credentials = MakeServerCredentials(TlsConfig());
  REQUIRE(credentials.ok());
  CHECK(PlaintextCall(*credentials).error_code() ==
        grpc::StatusCode::UNAVAILABLE);

  config::BridgeConfig mutual = TlsConfig();
  mutual.tls.client_ca_file = kCaDir + "/ca-b.crt";
  auto mutual_credentials = MakeServerCredentials(mutual);
  REQUIRE(mutual_credentials.ok());
  CHECK(PlaintextCall(*mutual_credentials).error_code() ==
        grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE(
    "tls credentials: a bad file is named by key and path, never by its "
    "content",
    "[tls_credentials]") {
  const std::string secret = "hunter2-this-is-not-a-pem-file";
  TempFile not_pem(secret);
  TempFile empty("");
  struct Row {
    const char* key;
    std::function<void(config::BridgeConfig*, const std::string&)> set;
  };
  const std::vector<Row> rows = {
      {"tls.cert_file", [](config::BridgeConfig* c,
                           const std::string& p) { c->tls.cert_file = p; }},
      {"tls.key_file", [](config::BridgeConfig* c,
                          const std::string& p) { c->tls.key_file = p; }},
      {"tls.client_ca_file",
       [](config::BridgeConfig* c, const std::string& p) {
         c->tls.client_ca_file = p;
       }},
  };
  for (const Row& row : rows) {
    // Named without the temporary paths, which change on every run of the
    // test case (Catch runs it once per section).
    const std::vector<std::pair<const char*, std::string>> files = {
        {"missing", "/nonexistent/missing.pem"},
        {"empty", empty.path()},
        {"not PEM", not_pem.path()}};
    for (const auto& [what, path] : files) {
      DYNAMIC_SECTION(row.key << " " << what) {
        config::BridgeConfig config = TlsConfig();
        row.set(&config, path);
        auto credentials = MakeServerCredentials(config);
        REQUIRE(absl::IsInvalidArgument(credentials.status()));
        const std::string message(credentials.status().message());
        CHECK_THAT(message, Catch::StartsWith(std::string(row.key) + ": \"" +
                                              path + "\""));
        CHECK_THAT(message, !Catch::Contains(secret));
      }
    }
  }
}

}  // namespace
}  // namespace capi_bridge
