#include "server/api/grpc_status.h"

#include <string>

#include "catch2/catch.hpp"
#include "server/shared/utf8.h"

namespace capi_bridge::api {
namespace {

TEST_CASE("a reply's message always fits gRPC's metadata limit, UTF-8 whole") {
  std::string huge;
  for (int i = 0; i < 5000; ++i) huge += "probl\xc3\xa8me ";
  grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError(huge));
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const std::string& message = status.error_message();
  CHECK(util::GrpcMessageBytes(message) <= kMaxStatusMessage + 12);
  CHECK(util::IsValidUtf8(message));
  CHECK(message.substr(message.size() - 4) == " ...");
  // A short one passes unchanged.
  CHECK(ToGrpcStatus(absl::AbortedError("busy")).error_message() == "busy");
}

}  // namespace
}  // namespace capi_bridge::api
