// capi-bridge: the operators' command line for the bridge's gRPC API.
//
// Exit codes: 0 success; 1 the bridge refused or failed the call (the gRPC
// code and message are printed); 2 bad arguments or spec file; 3 the bridge
// could not be reached in time.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "client/connection.h"
#include "client/diff_command.h"
#include "client/lifecycle_commands.h"
#include "client/spec_file.h"
#include "client/status_commands.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "magnum/capi/bridge/v1/driver.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/render/labels_doc.h"

namespace {

namespace v1 = magnum::capi::bridge::v1;
using capi_bridge::client::Channel;
using capi_bridge::client::Context;
using capi_bridge::client::kCallFailed;
using capi_bridge::client::kUsage;
using capi_bridge::client::Options;
using capi_bridge::client::Report;

int RunRender(const Options& o, const std::string& spec_path,
              const std::string& chart_version, const std::string& format) {
  v1::RenderValuesRequest request;
  absl::Status read =
      capi_bridge::client::ReadSpecFile(spec_path, request.mutable_spec());
  if (!read.ok()) {
    std::cerr << "capi-bridge: " << read.message() << "\n";
    return kUsage;
  }
  request.set_chart_version(chart_version);
  auto channel = Channel(o);
  auto stub = v1::ClusterDriver::NewStub(channel);
  v1::RenderValuesResponse response;
  auto context = Context(o);
  grpc::Status status = stub->RenderValues(context.get(), request, &response);
  if (!status.ok()) return Report(status, *context, channel.get(), o.address);
  for (const v1::Warning& w : response.warnings()) {
    std::cerr << "warning: " << w.field() << ": " << w.message() << "\n";
  }
  std::cerr << "# release " << response.release_name() << " in namespace "
            << response.namespace_() << ", chart openstack-cluster "
            << response.chart_version() << "\n";
  if (format == "json") {
    std::cout << nlohmann::json::parse(response.values_json()).dump(2) << "\n";
  } else {
    std::cout << response.values_yaml();
  }
  return 0;
}

int RunHealth(const Options& o, const std::string& service) {
  auto channel = Channel(o);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  auto context = Context(o);
  grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) return Report(status, *context, channel.get(), o.address);
  std::string state = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
  std::cout << o.address << ": " << state << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : kCallFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"capi-bridge: operate Magnum clusters through the bridge"};
  app.require_subcommand(1);
  Options o;
  app.add_option("-a,--address", o.address,
                 "bridge gRPC address, host:port or unix:/path")
      ->envname("CAPI_BRIDGE_ADDRESS")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_seconds, "seconds to wait for a reply")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI::Option* insecure =
      app.add_flag("--insecure", o.insecure,
                   "plaintext gRPC (only for a bridge configured insecure)")
          ->envname("CAPI_BRIDGE_INSECURE");
  app.add_option("--ca", o.ca_file,
                 "PEM CA of the bridge's certificate (default: system CAs)")
      ->envname("CAPI_BRIDGE_CA")
      ->check(CLI::ExistingFile)
      ->excludes(insecure);
  CLI::Option* cert =
      app.add_option("--cert", o.cert_file,
                     "PEM client certificate, for a bridge with mutual TLS")
          ->envname("CAPI_BRIDGE_CERT")
          ->check(CLI::ExistingFile)
          ->excludes(insecure);
  CLI::Option* key =
      app.add_option("--key", o.key_file, "PEM private key of --cert")
          ->envname("CAPI_BRIDGE_KEY")
          ->check(CLI::ExistingFile)
          ->excludes(insecure);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--token-file", o.token_file,
                 "file holding the bearer token, for a bridge that requires "
                 "one (auth.token_file)")
      ->envname("CAPI_BRIDGE_TOKEN_FILE")
      ->check(CLI::ExistingFile);

  std::string spec_path, chart_version, format = "yaml";
  CLI::App* render = app.add_subcommand(
      "render", "validate a cluster spec and print the chart values (dry run)");
  render
      ->add_option("-s,--spec", spec_path,
                   "cluster spec file, YAML or JSON ('-' for stdin)")
      ->required();
  render->add_option("--chart-version", chart_version,
                     "render for this openstack-cluster chart version");
  render->add_option("-o,--output", format, "output format")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();

  std::string labels_format = "markdown";
  CLI::App* labels = app.add_subcommand(
      "labels",
      "print every cluster label the bridge reads (offline; docs/labels.md)");
  labels->add_option("-o,--output", labels_format, "output format")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();

  std::string service;
  CLI::App* health =
      app.add_subcommand("health", "ask the bridge whether it is serving");
  health->add_option("--service", service,
                     "service name to check (empty = the whole server)");

  std::function<int()> run_lifecycle =
      capi_bridge::client::AddLifecycleCommands(&app, &o);
  std::function<int()> run_status =
      capi_bridge::client::AddStatusCommands(&app, &o);
  std::function<int()> run_diff = capi_bridge::client::AddDiffCommand(&app, &o);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  if (labels->parsed()) {
    std::cout << (labels_format == "json"
                      ? capi_bridge::render::LabelsJson().dump(2) + "\n"
                      : capi_bridge::render::LabelsMarkdown());
    return 0;
  }
  if (!capi_bridge::client::LoadToken(&o)) return kUsage;
  if (render->parsed()) return RunRender(o, spec_path, chart_version, format);
  if (health->parsed()) return RunHealth(o, service);
  int rc = run_lifecycle();
  if (rc < 0) rc = run_status();
  if (rc < 0) rc = run_diff();
  return rc >= 0 ? rc : kUsage;
}
