// The CLI's connection to the bridge: options, channel, per-call context,
// and how a failed call is reported (with the exit code to use).
#ifndef CAPI_BRIDGE_CLIENT_CONNECTION_H_
#define CAPI_BRIDGE_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"

namespace capi_bridge::client {

// Exit codes: 0 success; 1 the bridge refused or failed the call; 2 bad
// arguments or input files; 3 the bridge could not be reached; 4 the bridge
// answered "not now" (the cluster busy with another verb, the management
// cluster or helm unavailable, its deadline passed): retry later.
inline constexpr int kCallFailed = 1;
inline constexpr int kUsage = 2;
inline constexpr int kUnreachable = 3;
inline constexpr int kRetryLater = 4;

struct Options {
  std::string address = "127.0.0.1:50051";
  double timeout_seconds = 30;
  bool insecure = false;   // plaintext, for a bridge configured insecure
  std::string ca_file;     // CA of the bridge's certificate ("" = system)
  std::string cert_file;   // client certificate, for mutual TLS
  std::string key_file;    // its private key
  std::string token_file;  // bearer token the bridge requires ("" = none)
  std::string token;       // its content, read by LoadToken
};

// Reads `o->token_file` into `o->token`; false (and a message naming the
// file on stderr) when it is missing or empty.
bool LoadToken(Options* o);

// Prints the gRPC code and message; returns the exit code. "Unreachable"
// only when the bridge did not answer (no x-request-id came back) and the
// channel never connected; a DEADLINE_EXCEEDED on a connected channel
// says the bridge may still be working.
int Report(const grpc::Status& status, const grpc::ClientContext& context,
           grpc::Channel* channel, const std::string& address);

// A call context with the deadline (`timeout_seconds`, or the option's
// when negative) and the bearer token.
std::unique_ptr<grpc::ClientContext> Context(const Options& o,
                                             double timeout_seconds = -1);
std::shared_ptr<grpc::Channel> Channel(const Options& o);

}  // namespace capi_bridge::client

#endif  // CAPI_BRIDGE_CLIENT_CONNECTION_H_
