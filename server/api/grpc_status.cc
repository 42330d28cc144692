#include "server/api/grpc_status.h"

#include <string>

#include "server/log/log.h"
#include "server/render/problems.h"
#include "server/shared/utf8.h"

namespace capi_bridge::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  if (auto all = status.GetPayload(render::kAllProblemsPayload)) {
    // The reply lists only the first problems; the log has every one.
    log::Warn("every problem of the refused spec",
              {{"problems", std::string(*all)}});
  }
  // The message travels in a header: keep it under gRPC's default 8 KiB
  // metadata limit, and valid UTF-8, whatever produced it.
  const std::string_view full(status.message().data(), status.message().size());
  std::string message(util::GrpcMessagePrefix(full, kMaxStatusMessage));
  if (message.size() < status.message().size()) message += " ...";
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

}  // namespace capi_bridge::api
