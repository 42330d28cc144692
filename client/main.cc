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
#include "client/spec_file.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "magnum/capi/bridge/v1/driver.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace {

namespace v1 = magnum::capi::bridge::v1;

constexpr int kCallFailed = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "CANCELLED";
    case grpc::UNKNOWN:
      return "UNKNOWN";
    case grpc::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::ABORTED:
      return "ABORTED";
    case grpc::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::INTERNAL:
      return "INTERNAL";
    case grpc::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

int Report(const grpc::Status& status, const std::string& address) {
  std::cerr << "capi-bridge: " << CodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  if (status.error_code() == grpc::UNAVAILABLE ||
      status.error_code() == grpc::DEADLINE_EXCEEDED) {
    std::cerr << "capi-bridge: is the bridge running at " << address
              << "? (set --address or CAPI_BRIDGE_ADDRESS)\n";
    return kUnreachable;
  }
  return kCallFailed;
}

struct Options {
  std::string address = "127.0.0.1:50051";
  double timeout_seconds = 30;
  bool insecure = false;  // plaintext, for a bridge configured insecure
  std::string ca_file;    // CA of the bridge's certificate ("" = system)
  std::string cert_file;  // client certificate, for mutual TLS
  std::string key_file;   // its private key
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::unique_ptr<grpc::ClientContext> Context(const Options& o) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(
                            static_cast<int64_t>(o.timeout_seconds * 1000)));
  return context;
}

std::shared_ptr<grpc::Channel> Channel(const Options& o) {
  if (o.insecure) {
    return grpc::CreateChannel(o.address, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions tls;
  if (!o.ca_file.empty()) tls.pem_root_certs = ReadFile(o.ca_file);
  if (!o.cert_file.empty()) {
    tls.pem_cert_chain = ReadFile(o.cert_file);
    tls.pem_private_key = ReadFile(o.key_file);
  }
  return grpc::CreateChannel(o.address, grpc::SslCredentials(tls));
}

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
  auto stub = v1::ClusterDriver::NewStub(Channel(o));
  v1::RenderValuesResponse response;
  grpc::Status status =
      stub->RenderValues(Context(o).get(), request, &response);
  if (!status.ok()) return Report(status, o.address);
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
  auto stub = grpc::health::v1::Health::NewStub(Channel(o));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(Context(o).get(), request, &response);
  if (!status.ok()) return Report(status, o.address);
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

  std::string service;
  CLI::App* health =
      app.add_subcommand("health", "ask the bridge whether it is serving");
  health->add_option("--service", service,
                     "service name to check (empty = the whole server)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  if (render->parsed()) return RunRender(o, spec_path, chart_version, format);
  if (health->parsed()) return RunHealth(o, service);
  return kUsage;
}
