// RunProcess: starts a program from an argv vector (never through a
// shell), feeds it stdin, collects stdout and stderr, and kills it when the
// deadline passes.
//
// Thread-safe: each call owns its child. The child gets the parent's
// environment plus `env_overrides`, and no other file descriptors. It runs
// in its own process group, which the deadline kills whole, and it is
// killed (SIGKILL) when the calling process dies, however it dies: a
// killed bridge never leaves a helm applying on behind it.
#ifndef CAPI_BRIDGE_SERVER_PROCESS_RUN_H_
#define CAPI_BRIDGE_SERVER_PROCESS_RUN_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace capi_bridge::process {

struct ProcessRequest {
  // argv[0] is the program: a path, or a name looked up in PATH.
  std::vector<std::string> argv;
  std::string stdin_data;
  // Extra NAME=value variables for the child.
  std::vector<std::pair<std::string, std::string>> env_overrides;
  // The child is killed (SIGKILL to its process group) at this time.
  absl::Time deadline = absl::InfiniteFuture();
};

struct ProcessResult {
  int exit_code = 0;  // 128 + signal when killed by a signal
  std::string stdout_data;
  std::string stderr_data;
};

// `name` as a path: itself when it holds a slash, else the first
// executable of that name in PATH; "" when there is none.
std::string ResolveProgram(const std::string& name);

// Runs the program to completion. Errors: NOT_FOUND when the program does
// not exist, DEADLINE_EXCEEDED when it was killed at the deadline (with
// what it wrote so far in the message's tail), INTERNAL for system-call
// failures. A non-zero exit code is not an error: read `exit_code`.
absl::StatusOr<ProcessResult> RunProcess(const ProcessRequest& request);

}  // namespace capi_bridge::process

#endif  // CAPI_BRIDGE_SERVER_PROCESS_RUN_H_
