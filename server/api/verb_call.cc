#include "server/api/verb_call.h"

#include "absl/status/status.h"

namespace capi_bridge::api {
namespace {

std::string Metadata(const grpc::ServerContext* context,
                     const std::string& key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

bool BearerMatches(std::string_view header, std::string_view token) {
  std::string expected = "Bearer " + std::string(token);
  // Length is not secret; the bytes are compared without early exit.
  if (token.empty() || header.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(header[i] ^ expected[i]);
  }
  return diff == 0;
}

std::vector<std::string> SecretsOf(const v1::CredentialMaterial& credential) {
  return {credential.application_credential_secret()};
}

std::vector<std::string> SecretsOf(const v1::CaCertificates& cas) {
  return {cas.ca().private_key_pem(), cas.etcd().private_key_pem(),
          cas.front_proxy().private_key_pem(),
          cas.service_account().private_key_pem()};
}

VerbCall::VerbCall(const char* verb, grpc::ServerContext* context,
                   const v1::ClusterSpec& spec, const CallPolicy& policy,
                   std::vector<std::string> secrets)
    : verb_(verb),
      context_(context),
      policy_(policy),
      start_(absl::Now()),
      quiet_(std::string_view(verb) == "GetClusterStatus" ||
             std::string_view(verb) == "RenderValues") {
  std::string request_id = Metadata(context, "x-request-id");
  if (!log::ValidRequestId(request_id)) request_id = log::NewRequestId();
  context->AddInitialMetadata("x-request-id", request_id);
  // Also in the trailers, which every answer carries (an error reply may
  // have no initial metadata): a client sees that the bridge answered.
  context->AddTrailingMetadata("x-request-id", request_id);
  log::Context log_context;
  log_context.request_id = request_id;
  log_context.verb = verb;
  log_context.cluster_uuid = spec.cluster().uuid();
  log_context.release = spec.cluster().stack_id();
  log_context.secrets = std::move(secrets);
  scope_.emplace(std::move(log_context));
  log::Log(quiet_ ? log::Level::kDebug : log::Level::kInfo, "call started",
           {{"peer", context->peer()}});
}

grpc::Status VerbCall::Authorize() const {
  if (policy_.bearer_token.empty()) return grpc::Status::OK;
  if (BearerMatches(Metadata(context_, "authorization"),
                    policy_.bearer_token)) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "this bridge requires 'authorization: Bearer <token>' "
                      "metadata with its configured token");
}

grpc::Status VerbCall::Finish(grpc::Status status) {
  absl::Duration took = absl::Now() - start_;
  const std::string code = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  log::Fields fields = {{"code", code},
                        {"duration_ms", absl::ToInt64Milliseconds(took)}};
  if (!status.ok()) fields.emplace_back("error", status.error_message());
  log::Level level = !status.ok() ? log::Level::kWarn
                     : quiet_     ? log::Level::kDebug
                                  : log::Level::kInfo;
  log::Log(level, "call finished", fields);
  if (policy_.calls != nullptr) policy_.calls->Record(verb_, code, took);
  return status;
}

}  // namespace capi_bridge::api
