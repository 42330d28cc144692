// The CLI's lifecycle subcommands: create, update, resize, upgrade, delete,
// nodegroup create|update|delete, rotate-credential. Each reads a cluster
// spec file and applies the flags for the common changes on top of it
// (node counts, Kubernetes version and image, chart version, a new node
// group), then makes one call and prints the outcome.
#ifndef CAPI_BRIDGE_CLIENT_LIFECYCLE_COMMANDS_H_
#define CAPI_BRIDGE_CLIENT_LIFECYCLE_COMMANDS_H_

#include <functional>

#include "CLI/CLI.hpp"
#include "client/connection.h"

namespace capi_bridge::client {

// Adds the subcommands to `app`. The returned function runs whichever was
// parsed and returns its exit code, or -1 when none of them was.
std::function<int()> AddLifecycleCommands(CLI::App* app, const Options* o);

}  // namespace capi_bridge::client

#endif  // CAPI_BRIDGE_CLIENT_LIFECYCLE_COMMANDS_H_
