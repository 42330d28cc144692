// The CLI's status subcommands:
//   status  one GetClusterStatus, as a table, JSON or YAML;
//   watch   WatchClusterStatus with live progress: the cluster line and a
//           line per node group with ready/total counts, redrawn in place
//           with progress bars on a terminal, one plain line per change
//           when piped. Exits 0 on *_COMPLETE, 1 on *_FAILED.
#ifndef CAPI_BRIDGE_CLIENT_STATUS_COMMANDS_H_
#define CAPI_BRIDGE_CLIENT_STATUS_COMMANDS_H_

#include <functional>

#include "CLI/CLI.hpp"
#include "client/connection.h"

namespace capi_bridge::client {

// Adds the subcommands to `app`. The returned function runs whichever was
// parsed and returns its exit code, or -1 when neither was.
std::function<int()> AddStatusCommands(CLI::App* app, const Options* o);

}  // namespace capi_bridge::client

#endif  // CAPI_BRIDGE_CLIENT_STATUS_COMMANDS_H_
