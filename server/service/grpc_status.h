// The one place where absl::Status becomes a gRPC status (DESIGN.md:
// absl::Status inside, gRPC codes at the edge). Codes map one to one;
// messages pass through unchanged (they never carry secrets: the renderer
// and the clients of this function guarantee that).
#ifndef CAPI_BRIDGE_SERVER_SERVICE_GRPC_STATUS_H_
#define CAPI_BRIDGE_SERVER_SERVICE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace capi_bridge::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace capi_bridge::service

#endif  // CAPI_BRIDGE_SERVER_SERVICE_GRPC_STATUS_H_
