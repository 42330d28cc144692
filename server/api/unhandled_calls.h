// UnhandledCalls: counts and logs ClusterDriver calls that ended before
// reaching their handler — a request that is not a valid protobuf message
// of the method's type (garbage bytes, a string that is not UTF-8) — which
// VerbCall never sees. A gRPC server interceptor: at the status it sends,
// a call without VerbCall's x-request-id trailer was not handled.
//
// Thread-safe; `stats` must outlive the server.
#ifndef CAPI_BRIDGE_SERVER_API_UNHANDLED_CALLS_H_
#define CAPI_BRIDGE_SERVER_API_UNHANDLED_CALLS_H_

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "server/stats/histogram.h"

namespace capi_bridge::api {

class UnhandledCalls final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Calls are recorded in `stats` by (method, gRPC code).
  explicit UnhandledCalls(stats::CallStats* stats) : stats_(stats) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  stats::CallStats* stats_;
};

}  // namespace capi_bridge::api

#endif  // CAPI_BRIDGE_SERVER_API_UNHANDLED_CALLS_H_
