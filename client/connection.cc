#include "client/connection.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"

namespace capi_bridge::client {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

int Report(const grpc::Status& status, const grpc::ClientContext& context,
           grpc::Channel* channel, const std::string& address) {
  std::cerr << "capi-bridge: "
            << absl::StatusCodeToString(
                   static_cast<absl::StatusCode>(status.error_code()))
            << ": " << status.error_message() << "\n";
  const auto code = status.error_code();
  const bool answered =
      context.GetServerTrailingMetadata().count("x-request-id") > 0 ||
      context.GetServerInitialMetadata().count("x-request-id") > 0;
  const bool connected =
      channel != nullptr && channel->GetState(false) == GRPC_CHANNEL_READY;
  if (!answered && code == grpc::DEADLINE_EXCEEDED && connected) {
    std::cerr << "capi-bridge: the bridge did not answer within --timeout; "
                 "a verb that has started helm runs to its end: check with "
                 "`capi-bridge status`\n";
    return kRetryLater;
  }
  if (!answered &&
      (code == grpc::UNAVAILABLE || code == grpc::DEADLINE_EXCEEDED)) {
    std::cerr << "capi-bridge: is the bridge running at " << address
              << "? (set --address or CAPI_BRIDGE_ADDRESS)\n";
    return kUnreachable;
  }
  if (code == grpc::UNAVAILABLE || code == grpc::DEADLINE_EXCEEDED ||
      code == grpc::ABORTED || code == grpc::RESOURCE_EXHAUSTED) {
    return kRetryLater;
  }
  return kCallFailed;
}

bool LoadToken(Options* o) {
  if (o->token_file.empty()) return true;
  std::string text = ReadFile(o->token_file);
  absl::string_view token = absl::StripAsciiWhitespace(text);
  if (token.empty()) {
    std::cerr << "capi-bridge: --token-file: \"" << o->token_file
              << "\" holds no token; accepted: a file holding the bridge's "
                 "bearer token\n";
    return false;
  }
  o->token = std::string(token);
  return true;
}

std::unique_ptr<grpc::ClientContext> Context(const Options& o,
                                             double timeout_seconds) {
  if (timeout_seconds < 0) timeout_seconds = o.timeout_seconds;
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000)));
  if (!o.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + o.token);
  }
  return context;
}

std::shared_ptr<grpc::Channel> Channel(const Options& o) {
  if (o.insecure) {
    return grpc::CreateChannel(o.address, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions tls;
  if (!o.ca_file.empty()) tls.pem_root_certs = ReadFile(o.ca_file);
  if (!o.cert_file.empty()) {
    tls.pem_cert_chain = ReadFile(o.cert_file);
    tls.pem_private_key = ReadFile(o.key_file);
  }
  return grpc::CreateChannel(o.address, grpc::SslCredentials(tls));
}

}  // namespace capi_bridge::client
