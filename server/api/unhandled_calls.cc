#include "server/api/unhandled_calls.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/log/log.h"

namespace capi_bridge::api {
namespace {

constexpr std::string_view kDriverPrefix =
    "/magnum.capi.bridge.v1.ClusterDriver/";

class Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(std::string method, stats::CallStats* stats)
      : method_(std::move(method)), stats_(stats) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      auto* trailers = methods->GetSendTrailingMetadata();
      const bool handled =
          trailers != nullptr && trailers->count("x-request-id") > 0;
      grpc::Status status = methods->GetSendStatus();
      if (!handled && !status.ok()) {
        const std::string code = absl::StatusCodeToString(
            static_cast<absl::StatusCode>(status.error_code()));
        stats_->Record(method_, code, absl::ZeroDuration());
        log::Warn("call refused before its handler (malformed request)",
                  {{"verb", method_},
                   {"code", code},
                   {"error", status.error_message()}});
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  stats::CallStats* stats_;
};

}  // namespace

grpc::experimental::Interceptor* UnhandledCalls::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  std::string_view method = info->method() ? info->method() : "";
  if (method.substr(0, kDriverPrefix.size()) != kDriverPrefix) return nullptr;
  return new Interceptor(std::string(method.substr(kDriverPrefix.size())),
                         stats_);
}

}  // namespace capi_bridge::api
