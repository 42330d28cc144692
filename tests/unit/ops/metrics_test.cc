#include "server/ops/metrics.h"

#include <string>

#include "catch2/catch.hpp"
#include "server/api/verb_call.h"

namespace capi_bridge::ops {
namespace {

TEST_CASE("calls are exposed as histograms by method and code", "[metrics]") {
  stats::CallStats calls;
  calls.Record("CreateCluster", "OK", absl::Milliseconds(300));
  calls.Record("CreateCluster", "OK", absl::Seconds(3));
  calls.Record("CreateCluster", "ABORTED", absl::Milliseconds(2));
  MetricsInputs in;
  in.calls = &calls;
  std::string text = PrometheusText(in);
  INFO(text);
  const std::string ok = "method=\"CreateCluster\",code=\"OK\"";
  CHECK(text.find("# TYPE capi_bridge_grpc_request_duration_seconds "
                  "histogram\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_bucket{" + ok +
                  ",le=\"0.25\"} 0\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_bucket{" + ok +
                  ",le=\"0.5\"} 1\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_bucket{" + ok +
                  ",le=\"5\"} 2\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_bucket{" + ok +
                  ",le=\"+Inf\"} 2\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_count{" + ok +
                  "} 2\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_sum{" + ok +
                  "} 3.3\n") != std::string::npos);
  CHECK(text.find("capi_bridge_grpc_request_duration_seconds_count{method=\""
                  "CreateCluster\",code=\"ABORTED\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("the bearer token matches only exactly", "[metrics][auth]") {
  using api::BearerMatches;
  CHECK(BearerMatches("Bearer 0123456789abcdef", "0123456789abcdef"));
  CHECK_FALSE(BearerMatches("Bearer 0123456789abcdeF", "0123456789abcdef"));
  CHECK_FALSE(BearerMatches("bearer 0123456789abcdef", "0123456789abcdef"));
  CHECK_FALSE(BearerMatches("Bearer 0123456789abcdef0", "0123456789abcdef"));
  CHECK_FALSE(BearerMatches("", "0123456789abcdef"));
  CHECK_FALSE(BearerMatches("Bearer ", ""));
}

}  // namespace
}  // namespace capi_bridge::ops
