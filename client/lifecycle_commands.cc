#include "client/lifecycle_commands.h"

#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/spec_file.h"
#include "google/protobuf/util/json_util.h"
#include "magnum/capi/bridge/v1/driver.grpc.pb.h"

namespace capi_bridge::client {
namespace {

namespace v1 = magnum::capi::bridge::v1;

// Everything the lifecycle subcommands may be given.
struct Inputs {
  std::string spec_path;
  std::string output = "text";
  std::string stack_id;
  std::vector<std::string> node_counts;  // GROUP=N
  std::string node_group;
  int node_count = -1;
  std::vector<std::string> remove;
  std::string kube_version;
  std::string image_id;
  std::string chart_version;
  std::string credential_file;
  std::string ca_file;
  std::string role = "worker";
  std::string flavor;
};

absl::Status UsageError(const std::string& text) {
  return absl::InvalidArgumentError(text);
}

v1::NodeGroup* FindGroup(v1::ClusterSpec* spec, const std::string& name) {
  for (auto& group : *spec->mutable_node_groups()) {
    if (group.name() == name) return &group;
  }
  return nullptr;
}

// Applies the change flags to `spec`. `add_group` creates --node-group when
// the spec lacks it (nodegroup create).
absl::Status ApplyFlags(const Inputs& in, bool add_group,
                        v1::ClusterSpec* spec) {
  if (!in.stack_id.empty()) spec->mutable_cluster()->set_stack_id(in.stack_id);
  for (const std::string& entry : in.node_counts) {
    auto eq = entry.find('=');
    int count = 0;
    if (eq == std::string::npos ||
        !absl::SimpleAtoi(entry.substr(eq + 1), &count) || count < 0) {
      return UsageError(absl::StrCat("--node-count-of: \"", entry,
                                     "\" is not GROUP=N with N ≥ 0"));
    }
    v1::NodeGroup* group = FindGroup(spec, entry.substr(0, eq));
    if (group == nullptr) {
      return UsageError(absl::StrCat("--node-count-of: no node group \"",
                                     entry.substr(0, eq), "\" in the spec"));
    }
    group->set_node_count(count);
  }
  if (!in.node_group.empty()) {
    v1::NodeGroup* group = FindGroup(spec, in.node_group);
    if (group == nullptr && add_group) {
      group = spec->add_node_groups();
      group->set_name(in.node_group);
      group->set_role(in.role);
      group->set_flavor_id(in.flavor.empty() ? spec->cluster().flavor_id()
                                             : in.flavor);
      group->set_node_count(in.node_count < 0 ? 1 : in.node_count);
      group->set_min_node_count(1);
    }
    if (group == nullptr) {
      return UsageError(absl::StrCat("--node-group: no node group \"",
                                     in.node_group, "\" in the spec"));
    }
    if (in.node_count >= 0) group->set_node_count(in.node_count);
    if (!in.flavor.empty()) group->set_flavor_id(in.flavor);
  }
  if (!in.kube_version.empty()) {
    spec->mutable_facts()->mutable_image()->set_kube_version(in.kube_version);
  }
  if (!in.image_id.empty()) {
    spec->mutable_facts()->mutable_image()->set_id(in.image_id);
    spec->mutable_template_()->set_image_id(in.image_id);
  }
  if (!in.chart_version.empty()) {
    (*spec->mutable_template_()->mutable_labels())["capi_helm_chart_version"] =
        in.chart_version;
  }
  return absl::OkStatus();
}

int PrintOutcome(const Inputs& in, const char* verb,
                 const v1::OperationResponse& response) {
  if (!response.recovery().empty()) {
    std::cerr << "recovered: " << response.recovery() << "\n";
  }
  for (const v1::Warning& w : response.warnings()) {
    std::cerr << "warning: " << w.field() << ": " << w.message() << "\n";
  }
  if (in.output == "json") {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(response, &json, options);
    std::cout << json << "\n";
    return 0;
  }
  std::cout << verb << ": release " << response.release_name()
            << " in namespace " << response.namespace_();
  if (!response.chart_version().empty()) {
    std::cout << ", chart " << response.chart_version();
  }
  if (response.unchanged()) {
    std::cout << (std::string(verb) == "deleting"
                      ? " (release already uninstalled)"
                      : " (unchanged: nothing to apply)");
  }
  std::cout << "\n";
  if (!response.replaced_credential_id().empty()) {
    std::cout << "replaced application credential "
              << response.replaced_credential_id()
              << " (delete it in Keystone when no longer needed)\n";
  }
  return 0;
}

class Runner {
 public:
  Runner(const Options* o, Inputs* in) : o_(o), in_(in) {}

  // Reads the spec and applies the flags; kUsage on error.
  int Spec(bool add_group, v1::ClusterSpec* spec) {
    absl::Status read = ReadSpecFile(in_->spec_path, spec);
    if (read.ok()) read = ApplyFlags(*in_, add_group, spec);
    if (!read.ok()) {
      std::cerr << "capi-bridge: " << read.message() << "\n";
      return kUsage;
    }
    return 0;
  }

  template <typename Request, typename Call>
  int Send(const char* verb, const Request& request, Call call) {
    auto channel = Channel(*o_);
    auto stub = v1::ClusterDriver::NewStub(channel);
    v1::OperationResponse response;
    auto context = Context(*o_);
    grpc::Status status = call(stub.get(), context.get(), request, &response);
    if (!status.ok()) {
      return Report(status, *context, channel.get(), o_->address);
    }
    return PrintOutcome(*in_, verb, response);
  }

  int Material(const std::string& path, google::protobuf::Message* message,
               const char* flag) {
    if (path.empty()) return 0;
    absl::Status read = ReadSpecFile(path, message);
    if (!read.ok()) {
      std::cerr << "capi-bridge: " << flag << ": " << read.message() << "\n";
      return kUsage;
    }
    return 0;
  }

  const Options* o_;
  Inputs* in_;
};

void SpecOption(CLI::App* command, Inputs* in) {
  command
      ->add_option("-s,--spec", in->spec_path,
                   "cluster spec file, YAML or JSON ('-' for stdin)")
      ->required();
  command->add_option("--stack-id", in->stack_id,
                      "the cluster's release name (Magnum's stack_id), "
                      "overriding the spec's");
  command->add_option("-o,--output", in->output, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

}  // namespace

std::function<int()> AddLifecycleCommands(CLI::App* app, const Options* o) {
  auto in = std::make_shared<Inputs>();
  auto* create = app->add_subcommand(
      "create", "create the cluster (namespace, Secrets, helm release)");
  SpecOption(create, in.get());
  create
      ->add_option("--credential", in->credential_file,
                   "YAML file with application_credential_id, "
                   "application_credential_secret and ca_bundle")
      ->required();
  create->add_option("--ca-certificates", in->ca_file,
                     "YAML file with the cluster CAs (ca, etcd, front_proxy, "
                     "service_account: certificate_pem, private_key_pem)");

  auto* update = app->add_subcommand(
      "update", "re-render and re-apply the cluster (e.g. after a PATCH)");
  SpecOption(update, in.get());
  update->add_option("--node-count-of", in->node_counts,
                     "GROUP=N: set a node group's size (repeatable)");

  auto* resize = app->add_subcommand("resize", "change one node group's size");
  SpecOption(resize, in.get());
  resize->add_option("-g,--node-group", in->node_group, "the group to resize")
      ->required();
  resize->add_option("-n,--node-count", in->node_count, "its new size")
      ->required()
      ->check(CLI::NonNegativeNumber);
  resize->add_option("--remove", in->remove,
                     "a node (Machine or Node name) to remove first "
                     "(repeatable)");

  auto* upgrade = app->add_subcommand(
      "upgrade", "move the cluster to a new image, Kubernetes or chart");
  SpecOption(upgrade, in.get());
  upgrade->add_option("--kube-version", in->kube_version,
                      "Kubernetes version of the new image, e.g. v1.35.0");
  upgrade->add_option("--image-id", in->image_id, "Glance id of the new image");
  upgrade->add_option("--chart-version", in->chart_version,
                      "openstack-cluster chart version");
  upgrade->add_option("--node-count-of", in->node_counts,
                      "GROUP=N: set a node group's size (repeatable)");

  auto* remove = app->add_subcommand(
      "delete", "delete the cluster (helm uninstall; Secrets follow)");
  SpecOption(remove, in.get());

  auto* nodegroup = app->add_subcommand("nodegroup", "node-group verbs");
  nodegroup->require_subcommand(1);
  auto* ng_create = nodegroup->add_subcommand("create", "add a node group");
  auto* ng_update = nodegroup->add_subcommand("update", "update a node group");
  auto* ng_delete = nodegroup->add_subcommand("delete", "remove a node group");
  for (CLI::App* command : {ng_create, ng_update, ng_delete}) {
    SpecOption(command, in.get());
    command->add_option("-g,--node-group", in->node_group, "the group")
        ->required();
  }
  for (CLI::App* command : {ng_create, ng_update}) {
    command->add_option("-n,--node-count", in->node_count, "its size")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--flavor", in->flavor, "its flavor (id or name)");
  }
  ng_create->add_option("--role", in->role, "role of a new group")
      ->capture_default_str();

  auto* rotate = app->add_subcommand(
      "rotate-credential", "replace the cluster's application credential");
  SpecOption(rotate, in.get());
  rotate
      ->add_option("--credential", in->credential_file,
                   "YAML file with the new application credential")
      ->required();

  return [=]() -> int {
    Runner run(o, in.get());
    using Stub = v1::ClusterDriver::Stub;
    if (create->parsed()) {
      v1::CreateClusterRequest request;
      if (int rc = run.Spec(false, request.mutable_spec())) return rc;
      if (int rc = run.Material(in->credential_file,
                                request.mutable_credential(), "--credential"))
        return rc;
      if (int rc = run.Material(in->ca_file, request.mutable_ca_certificates(),
                                "--ca-certificates"))
        return rc;
      return run.Send("created", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->CreateCluster(c, r, out);
                      });
    }
    if (update->parsed()) {
      v1::UpdateClusterRequest request;
      if (int rc = run.Spec(false, request.mutable_spec())) return rc;
      return run.Send("updated", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->UpdateCluster(c, r, out);
                      });
    }
    if (resize->parsed()) {
      v1::ResizeClusterRequest request;
      if (int rc = run.Spec(false, request.mutable_spec())) return rc;
      request.set_node_group(in->node_group);
      for (const auto& node : in->remove) request.add_nodes_to_remove(node);
      return run.Send("resized", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->ResizeCluster(c, r, out);
                      });
    }
    if (upgrade->parsed()) {
      v1::UpgradeClusterRequest request;
      if (int rc = run.Spec(false, request.mutable_spec())) return rc;
      return run.Send("upgraded", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->UpgradeCluster(c, r, out);
                      });
    }
    if (remove->parsed()) {
      v1::DeleteClusterRequest request;
      if (int rc = run.Spec(false, request.mutable_spec())) return rc;
      return run.Send("deleting", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->DeleteCluster(c, r, out);
                      });
    }
    if (nodegroup->parsed()) {
      v1::NodeGroupRequest request;
      if (int rc = run.Spec(ng_create->parsed(), request.mutable_spec()))
        return rc;
      request.set_node_group(in->node_group);
      if (ng_create->parsed()) {
        return run.Send("node group created", request,
                        [](Stub* s, grpc::ClientContext* c, const auto& r,
                           v1::OperationResponse* out) {
                          return s->CreateNodeGroup(c, r, out);
                        });
      }
      if (ng_update->parsed()) {
        return run.Send("node group updated", request,
                        [](Stub* s, grpc::ClientContext* c, const auto& r,
                           v1::OperationResponse* out) {
                          return s->UpdateNodeGroup(c, r, out);
                        });
      }
      return run.Send("node group deleted", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->DeleteNodeGroup(c, r, out);
                      });
    }
    if (rotate->parsed()) {
      v1::RotateCredentialRequest request;
      if (int rc = run.Spec(false, request.mutable_spec())) return rc;
      if (int rc = run.Material(in->credential_file,
                                request.mutable_credential(), "--credential"))
        return rc;
      return run.Send("credential rotated", request,
                      [](Stub* s, grpc::ClientContext* c, const auto& r,
                         v1::OperationResponse* out) {
                        return s->RotateCredential(c, r, out);
                      });
    }
    return -1;
  };
}

}  // namespace capi_bridge::client
