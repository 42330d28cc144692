// VerbCall: what every ClusterDriver call goes through at the gRPC edge.
//
// On entry it checks the bearer token (when one is configured), takes the
// request id (the client's `x-request-id` metadata when well formed, else
// a fresh one) and returns it to the client as `x-request-id` (initial and
// trailing metadata: an answer from the bridge always has it), and installs
// the log context of the call on the thread: request id, verb, cluster
// uuid, release (the spec's stack_id; the lifecycle sets it once
// generated) and the request's secrets, which are cut out of every line.
// It logs the start and the end (gRPC code, duration) and records the call
// in the per-verb statistics. Reads that Magnum's periodic sync repeats for
// every cluster (GetClusterStatus, RenderValues) log at debug unless they
// fail.
#ifndef CAPI_BRIDGE_SERVER_API_VERB_CALL_H_
#define CAPI_BRIDGE_SERVER_API_VERB_CALL_H_

#include <atomic>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"
#include "server/log/log.h"
#include "server/stats/histogram.h"

namespace capi_bridge::api {

namespace v1 = magnum::capi::bridge::v1;

struct CallPolicy {
  // Required "authorization: Bearer <token>" ("" = no token required).
  std::string bearer_token;
  // Where calls are counted (may be null).
  stats::CallStats* calls = nullptr;
  // Set once the bridge is stopping; status watches then end with
  // UNAVAILABLE so clients reconnect elsewhere (may be null).
  const std::atomic<bool>* stopping = nullptr;
};

class VerbCall {
 public:
  // `secrets` are the request's secret values (credential, CA keys).
  VerbCall(const char* verb, grpc::ServerContext* context,
           const v1::ClusterSpec& spec, const CallPolicy& policy,
           std::vector<std::string> secrets = {});

  // OK, or UNAUTHENTICATED when the bearer token is missing or wrong.
  grpc::Status Authorize() const;

  // Logs and records the call's outcome; returns `status`.
  grpc::Status Finish(grpc::Status status);

 private:
  const char* verb_;
  grpc::ServerContext* context_;
  const CallPolicy& policy_;
  absl::Time start_;
  bool quiet_;
  std::optional<log::ScopedContext> scope_;
};

// The secret values of a credential and of CA key pairs, for VerbCall.
std::vector<std::string> SecretsOf(const v1::CredentialMaterial& credential);
std::vector<std::string> SecretsOf(const v1::CaCertificates& cas);

// Constant-time comparison of an "authorization" metadata value with
// "Bearer <token>" (pure; exposed for tests).
bool BearerMatches(std::string_view header, std::string_view token);

}  // namespace capi_bridge::api

#endif  // CAPI_BRIDGE_SERVER_API_VERB_CALL_H_
