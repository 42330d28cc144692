#include "client/status_commands.h"

#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/spec_file.h"
#include "google/protobuf/util/json_util.h"
#include "magnum/capi/bridge/v1/driver.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::client {
namespace {

namespace v1 = magnum::capi::bridge::v1;

struct Inputs {
  std::string spec_path;
  std::string stack_id;
  std::string current;  // empty: the bridge infers it
  std::string output = "table";
  double watch_timeout_minutes = 120;
};

bool IsFailed(v1::Status s) {
  return s == v1::CREATE_FAILED || s == v1::UPDATE_FAILED ||
         s == v1::DELETE_FAILED;
}

bool IsComplete(v1::Status s) {
  return s == v1::CREATE_COMPLETE || s == v1::UPDATE_COMPLETE ||
         s == v1::DELETE_COMPLETE;
}

std::string Json(const v1::ClusterStatus& status) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(status, &out, options);
  return out;
}

// JSON → YAML through yaml-cpp's emitter (block style, keys in order).
void EmitYaml(const nlohmann::json& value, YAML::Emitter* out) {
  if (value.is_object()) {
    *out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      *out << YAML::Key << key << YAML::Value;
      EmitYaml(item, out);
    }
    *out << YAML::EndMap;
  } else if (value.is_array()) {
    *out << YAML::BeginSeq;
    for (const auto& item : value) EmitYaml(item, out);
    *out << YAML::EndSeq;
  } else if (value.is_string()) {
    *out << YAML::DoubleQuoted << value.get<std::string>();
  } else {
    *out << value.dump();
  }
}

std::string Ready(const v1::NodeGroupStatus& g) {
  return absl::StrCat(g.ready_nodes(), "/", g.desired_nodes());
}

void PrintTable(const std::string& release, const v1::ClusterStatus& s) {
  // Keys and values always apart, however long the key ("  infrastructure").
  auto row = [](const std::string& key, const std::string& value) {
    if (!value.empty()) {
      std::cout << std::left << std::setw(18) << key
                << (key.size() >= 18 ? " " : "") << value << "\n";
    }
  };
  row("release", release);
  row("status", v1::Status_Name(s.status()));
  row("evaluated as", s.evaluated_as() == v1::STATUS_UNSPECIFIED
                          ? ""
                          : v1::Status_Name(s.evaluated_as()));
  row("reason", s.status_reason());
  row("api", s.api_address());
  row("version", s.coe_version());
  row("health", v1::HealthStatus_Name(s.health_status()));
  for (const auto& [component, reason] : s.health_status_reason()) {
    if (reason != "Ready") row("  " + component, reason);
  }
  std::cout << "\n"
            << std::left << std::setw(22) << "NODE GROUP" << std::setw(22)
            << "STATUS" << std::setw(8) << "READY"
            << "ADDRESSES\n";
  for (const v1::NodeGroupStatus& g : s.node_groups()) {
    std::cout << std::left << std::setw(22) << g.name() << std::setw(22)
              << v1::Status_Name(g.status()) << std::setw(8) << Ready(g)
              << absl::StrJoin(g.node_addresses(), ",") << "\n";
    if (!g.status_reason().empty()) {
      std::cout << "  " << g.status_reason() << "\n";
    }
  }
}

std::string Bar(int ready, int total, int width = 20) {
  int filled = total <= 0 ? 0 : std::min(width, ready * width / total);
  return absl::StrCat("[", std::string(filled, '#'),
                      std::string(width - filled, '.'), "]");
}

// Draws the progress block; on a terminal, over the previous one.
class Progress {
 public:
  explicit Progress(bool terminal) : terminal_(terminal) {}

  void Show(const v1::ClusterStatus& s) {
    std::string clock =
        absl::FormatTime("%H:%M:%S", absl::Now(), absl::LocalTimeZone());
    if (!terminal_) {
      std::vector<std::string> groups;
      for (const auto& g : s.node_groups()) {
        groups.push_back(absl::StrCat(g.name(), " ", Ready(g)));
      }
      std::cout << clock << " " << v1::Status_Name(s.status()) << " "
                << absl::StrJoin(groups, " ");
      if (!s.status_reason().empty()) std::cout << " - " << s.status_reason();
      std::cout << std::endl;
      return;
    }
    std::ostringstream block;
    block << clock << "  " << v1::Status_Name(s.status()) << "\n";
    block << "  " << (s.status_reason().empty() ? "-" : s.status_reason())
          << "\n";
    for (const auto& g : s.node_groups()) {
      block << "  " << std::left << std::setw(20) << g.name() << " "
            << Bar(g.ready_nodes(), g.desired_nodes()) << " " << std::setw(7)
            << Ready(g) << v1::Status_Name(g.status()) << "\n";
    }
    std::string text = block.str();
    // Up over the previous block, clearing each line as it is rewritten.
    if (lines_ > 0) std::cout << "\033[" << lines_ << "A";
    std::istringstream in(text);
    std::string line;
    int count = 0;
    while (std::getline(in, line)) {
      std::cout << "\r\033[K" << line << "\n";
      ++count;
    }
    for (int i = count; i < lines_; ++i) std::cout << "\r\033[K\n";
    if (lines_ > count) std::cout << "\033[" << (lines_ - count) << "A";
    lines_ = count;
    std::cout << std::flush;
  }

 private:
  bool terminal_;
  int lines_ = 0;
};

}  // namespace

std::function<int()> AddStatusCommands(CLI::App* app, const Options* o) {
  auto in = std::make_shared<Inputs>();
  auto* status = app->add_subcommand(
      "status", "show the cluster's status, node groups and health");
  auto* watch = app->add_subcommand(
      "watch", "follow the cluster's status until it completes or fails");
  for (CLI::App* command : {status, watch}) {
    command
        ->add_option("-s,--spec", in->spec_path,
                     "cluster spec file, YAML or JSON ('-' for stdin)")
        ->required();
    command->add_option("--stack-id", in->stack_id,
                        "the cluster's release name, overriding the spec's");
    command->add_option("--current", in->current,
                        "the operation to evaluate the status for, e.g. "
                        "CREATE_IN_PROGRESS or DELETE_IN_PROGRESS; default: "
                        "inferred from the cluster (deleting: DELETE, no verb "
                        "since its create: CREATE, else UPDATE)");
  }
  status->add_option("-o,--output", in->output, "output format")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();
  watch
      ->add_option("--timeout-minutes", in->watch_timeout_minutes,
                   "give up after this long")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  return [=]() -> int {
    if (!status->parsed() && !watch->parsed()) return -1;
    v1::GetClusterStatusRequest request;
    absl::Status read =
        ReadClusterSpec(in->spec_path, in->stack_id, request.mutable_spec());
    if (!read.ok()) {
      std::cerr << "capi-bridge: " << read.message() << "\n";
      return kUsage;
    }
    request.set_current_status(in->current);
    const std::string release = request.spec().cluster().stack_id();
    auto channel = Channel(*o);
    auto stub = v1::ClusterDriver::NewStub(channel);

    if (status->parsed()) {
      v1::ClusterStatus response;
      auto context = Context(*o);
      grpc::Status rpc =
          stub->GetClusterStatus(context.get(), request, &response);
      if (!rpc.ok()) return Report(rpc, *context, channel.get(), o->address);
      if (in->output == "json") {
        std::cout << Json(response) << "\n";
      } else if (in->output == "yaml") {
        YAML::Emitter out;
        EmitYaml(nlohmann::json::parse(Json(response)), &out);
        std::cout << out.c_str() << "\n";
      } else {
        PrintTable(release, response);
      }
      return 0;
    }

    std::unique_ptr<grpc::ClientContext> context =
        Context(*o, in->watch_timeout_minutes * 60.0);
    auto reader = stub->WatchClusterStatus(context.get(), request);
    Progress progress(isatty(STDOUT_FILENO) == 1);
    v1::ClusterStatus update;
    v1::Status last = v1::STATUS_UNSPECIFIED;
    std::string reason;
    while (reader->Read(&update)) {
      progress.Show(update);
      last = update.status();
      reason = update.status_reason();
    }
    grpc::Status rpc = reader->Finish();
    if (!rpc.ok()) return Report(rpc, *context, channel.get(), o->address);
    if (IsFailed(last)) {
      std::cerr << "capi-bridge: " << v1::Status_Name(last) << ": " << reason
                << "\n";
      return kCallFailed;
    }
    if (IsComplete(last)) return 0;
    std::cerr << "capi-bridge: the watch ended at " << v1::Status_Name(last)
              << "\n";
    return kCallFailed;
  };
}

}  // namespace capi_bridge::client
