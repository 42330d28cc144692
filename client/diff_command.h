// The CLI's `diff` subcommand: what applying a spec would change in the
// cluster's deployed release (DiffCluster), as text or JSON.
//
// Exit codes differ from the other subcommands so that scripts can test
// for changes: 0 nothing would change, 1 something would change (or the
// next verb would be refused), 2 bad arguments or input, 3 the bridge could
// not be reached, 4 retry later, 5 the bridge refused or failed the diff.
#ifndef CAPI_BRIDGE_CLIENT_DIFF_COMMAND_H_
#define CAPI_BRIDGE_CLIENT_DIFF_COMMAND_H_

#include <functional>

#include "CLI/CLI.hpp"
#include "client/connection.h"

namespace capi_bridge::client {

inline constexpr int kDiffChanges = 1;
inline constexpr int kDiffFailed = 5;

// Adds `diff` to `app`. The returned function runs it when it was parsed
// and returns its exit code, or -1 when it was not.
std::function<int()> AddDiffCommand(CLI::App* app, const Options* o);

}  // namespace capi_bridge::client

#endif  // CAPI_BRIDGE_CLIENT_DIFF_COMMAND_H_
