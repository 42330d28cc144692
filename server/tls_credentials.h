// Server credentials for the gRPC port from the config: TLS with the
// configured certificate, mutual TLS when a client CA is set, plaintext
// only when the config says insecure (the config loader has already
// limited that to loopback and unix sockets).
#ifndef CAPI_BRIDGE_SERVER_TLS_CREDENTIALS_H_
#define CAPI_BRIDGE_SERVER_TLS_CREDENTIALS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/config/bridge_config.h"

namespace capi_bridge {

// Reads the PEM files; an unreadable or empty file is an error naming the
// config key and the path (never the file's content).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::BridgeConfig& config);

}  // namespace capi_bridge

#endif  // CAPI_BRIDGE_SERVER_TLS_CREDENTIALS_H_
