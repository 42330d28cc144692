#include "client/diff_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "client/spec_file.h"
#include "google/protobuf/util/json_util.h"
#include "magnum/capi/bridge/v1/driver.grpc.pb.h"

namespace capi_bridge::client {
namespace {

namespace v1 = magnum::capi::bridge::v1;

struct DiffInputs {
  std::string spec_path;
  std::string stack_id;
  std::string output = "text";
};

std::string Side(const std::string& json) {
  return json.empty() ? "(absent)" : json;
}

void PrintText(const v1::DiffClusterResponse& r) {
  std::cout << "release " << r.release_name() << " in namespace "
            << r.namespace_() << ": ";
  if (r.deployed_revision() == 0) {
    std::cout << "not deployed yet";
  } else {
    std::cout << "deployed revision " << r.deployed_revision() << " (chart "
              << r.deployed_chart_version() << ", written by \""
              << r.deployed_by() << "\")";
  }
  std::cout << "; would apply chart " << r.chart_version() << "\n";
  if (r.values_size() > 0) {
    std::cout << "values (" << r.values_size() << " changed):\n";
    for (const v1::ValueChange& v : r.values()) {
      std::cout << "  " << v.path() << ": " << Side(v.deployed_json()) << " -> "
                << Side(v.new_json()) << "\n";
    }
  }
  if (r.objects_size() > 0) {
    std::cout << "objects (" << r.objects_size() << " changed):\n";
    for (const v1::ObjectChange& o : r.objects()) {
      char mark = o.action() == "create"   ? '+'
                  : o.action() == "delete" ? '-'
                                           : '~';
      std::cout << "  " << mark << " " << o.action() << " " << o.kind() << " "
                << o.name();
      if (o.changed_count() > 0) {
        std::cout << " (" << o.changed_count()
                  << (o.changed_count() == 1 ? " field:" : " fields:");
        for (const std::string& path : o.changed_paths()) {
          std::cout << " " << path;
        }
        if (o.changed_count() > o.changed_paths_size()) std::cout << " ...";
        std::cout << ")";
      }
      std::cout << "\n";
    }
  }
  if (!r.refusal().empty()) {
    std::cout << "the next verb would be refused: " << r.refusal() << "\n";
  }
  if (!r.changed() && r.refusal().empty()) std::cout << "no changes\n";
}

}  // namespace

std::function<int()> AddDiffCommand(CLI::App* app, const Options* o) {
  auto in = std::make_shared<DiffInputs>();
  CLI::App* diff = app->add_subcommand(
      "diff",
      "show what applying a spec would change in the deployed release "
      "(values and objects; dry run). Exit 0: no change, 1: changes");
  diff->add_option("-s,--spec", in->spec_path,
                   "cluster spec file, YAML or JSON ('-' for stdin)")
      ->required();
  diff->add_option("--stack-id", in->stack_id,
                   "the cluster's release name (Magnum's stack_id), "
                   "overriding the spec's");
  diff->add_option("-o,--output", in->output, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  return [=]() -> int {
    if (!diff->parsed()) return -1;
    v1::DiffClusterRequest request;
    absl::Status read =
        ReadClusterSpec(in->spec_path, in->stack_id, request.mutable_spec());
    if (!read.ok()) {
      std::cerr << "capi-bridge: " << read.message() << "\n";
      return kUsage;
    }
    auto channel = Channel(*o);
    auto stub = v1::ClusterDriver::NewStub(channel);
    auto context = Context(*o);
    v1::DiffClusterResponse response;
    grpc::Status status = stub->DiffCluster(context.get(), request, &response);
    if (!status.ok()) {
      int rc = Report(status, *context, channel.get(), o->address);
      return rc == kCallFailed ? kDiffFailed : rc;
    }
    for (const v1::Warning& w : response.warnings()) {
      std::cerr << "warning: " << w.field() << ": " << w.message() << "\n";
    }
    if (in->output == "json") {
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.always_print_primitive_fields = true;
      options.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(response, &json,
                                                        options);
      std::cout << json << "\n";
    } else {
      PrintText(response);
    }
    return response.changed() || !response.refusal().empty() ? kDiffChanges : 0;
  };
}

}  // namespace capi_bridge::client
