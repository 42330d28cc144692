#include "server/process/run.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/time/clock.h"
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

// Whether `pid` still runs (absent or a zombie counts as gone).
bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         line[close + 2] != 'Z';
}

TEST_CASE("A child dies with the process that started it (kill -9)") {
  char dir[] = "/tmp/run-test-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string pid_file = std::string(dir) + "/child.pid";
  pid_t bridge = fork();
  REQUIRE(bridge >= 0);
  if (bridge == 0) {
    ProcessRequest request;
    request.argv = {"/bin/sh", "-c",
                    "echo $$ > " + pid_file + "; exec sleep 60"};
    (void)RunProcess(request);
    _exit(0);
  }
  pid_t child = 0;
  for (int i = 0; i < 500 && child == 0; ++i) {
    std::ifstream in(pid_file);
    if (!(in >> child)) child = 0;
    if (child == 0) absl::SleepFor(absl::Milliseconds(10));
  }
  REQUIRE(child > 0);
  CHECK(Running(child));
  kill(bridge, SIGKILL);
  waitpid(bridge, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = !Running(child);
    if (!gone) absl::SleepFor(absl::Milliseconds(10));
  }
  CHECK(gone);
  if (!gone) kill(child, SIGKILL);
  unlink(pid_file.c_str());
  rmdir(dir);
}

TEST_CASE("RunProcess finds a program in PATH") {
  ProcessRequest request;
  request.argv = {"echo", "found"};
  auto result = RunProcess(request);
  REQUIRE(result.ok());
  CHECK(result->stdout_data == "found\n");
  request.argv = {"no-such-program-anywhere"};
  CHECK(absl::IsNotFound(RunProcess(request).status()));
}

}  // namespace
}  // namespace capi_bridge::process
