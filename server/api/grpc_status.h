// The one place where absl::Status becomes a gRPC status (absl::Status
// inside, gRPC codes at the edge). Codes map one to one. Messages never
// carry secrets (the renderer and the clients of this function guarantee
// that); they are cut, on a character boundary, to kMaxStatusMessage bytes
// as sent (percent-encoded), so that every reply fits gRPC's default 8 KiB
// metadata limit. A status
// carrying the full problem list of a refused spec
// (render::kAllProblemsPayload) has that list logged under the call's
// request id.
#ifndef CAPI_BRIDGE_SERVER_API_GRPC_STATUS_H_
#define CAPI_BRIDGE_SERVER_API_GRPC_STATUS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace capi_bridge::api {

inline constexpr size_t kMaxStatusMessage = 6000;

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace capi_bridge::api

#endif  // CAPI_BRIDGE_SERVER_API_GRPC_STATUS_H_
