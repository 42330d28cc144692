// Reads a cluster spec file (YAML or JSON, the ClusterSpec message with its
// proto field names) into the protobuf message.
//
// The file is checked against the message's descriptor, so a misspelt
// field, a list where a value belongs or "maybe" for a boolean is reported
// with its path (e.g. spec.node_groups[1].node_count), the bad value and
// what is accepted. Label values may be written unquoted (true, 3, 1.34):
// string fields take the text as written.
#ifndef CAPI_BRIDGE_CLIENT_SPEC_FILE_H_
#define CAPI_BRIDGE_CLIENT_SPEC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"

namespace capi_bridge::client {

// Parses `text` into `message` (cleared first).
absl::Status ParseSpecText(const std::string& text,
                           google::protobuf::Message* message);

// Reads the file at `path` ("-" = standard input) into `message`.
absl::Status ReadSpecFile(const std::string& path,
                          google::protobuf::Message* message);

// ReadSpecFile of a ClusterSpec, then `stack_id` (when not empty) as its
// cluster.stack_id: the CLI's --spec and --stack-id.
absl::Status ReadClusterSpec(const std::string& path,
                             const std::string& stack_id,
                             magnum::capi::bridge::v1::ClusterSpec* spec);

}  // namespace capi_bridge::client

#endif  // CAPI_BRIDGE_CLIENT_SPEC_FILE_H_
