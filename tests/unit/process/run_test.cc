#include "server/process/run.h"

#include "catch2/catch.hpp"

namespace capi_bridge::process {
namespace {

TEST_CASE("RunProcess feeds stdin and collects both outputs, no shell") {
  ProcessRequest request;
  request.argv = {"/bin/sh", "-c", "cat; echo oops >&2; exit 3"};
  request.stdin_data = std::string(200000, 'x');  // larger than a pipe
  auto result = RunProcess(request);
  REQUIRE(result.ok());
  CHECK(result->exit_code == 3);
  CHECK(result->stdout_data.size() == 200000);
  CHECK(result->stderr_data == "oops\n");

  request.argv = {"/bin/echo", "$HOME; rm -rf /"};  // argv, not a shell
  request.stdin_data.clear();
  result = RunProcess(request);
  REQUIRE(result.ok());
  CHECK(result->stdout_data == "$HOME; rm -rf /\n");
}

TEST_CASE("RunProcess kills a child at its deadline") {
  ProcessRequest request;
  request.argv = {"/bin/sleep", "30"};
  request.deadline = absl::Now() + absl::Milliseconds(200);
  absl::Time start = absl::Now();
  auto result = RunProcess(request);
  CHECK(absl::IsDeadlineExceeded(result.status()));
  CHECK(absl::Now() - start < absl::Seconds(5));
}

TEST_CASE("RunProcess names a missing program") {
  ProcessRequest request;
  request.argv = {"/nonexistent/helm"};
  auto result = RunProcess(request);
  CHECK(absl::IsNotFound(result.status()));
}

}  // namespace
}  // namespace capi_bridge::process
