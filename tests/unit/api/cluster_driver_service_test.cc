// ClusterDriverService (the gRPC edge) served by a real in-process gRPC
// server on 127.0.0.1 with a ClusterService on fakes of the management
// cluster and helm: the gRPC code and message a client gets for each
// absl::Status a verb ends with (as driver.proto lists them); a bad
// request refused with INVALID_ARGUMENT naming the field before anything
// is written; the caller's deadline reaching the verb; the bearer token;
// the request id; a bridge without a management cluster; and
// UnhandledCalls counting the calls that never reached a handler.
#include "server/api/cluster_driver_service.h"

#include <catch2/catch.hpp>
#include <future>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "server/api/unhandled_calls.h"
#include "tests/unit/fakes/fake_helm_runner.h"
#include "tests/unit/fakes/fake_kube_client.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::api {
namespace {

using testing::FakeHelmRunner;
using testing::FakeKubeClient;

constexpr char kToken[] = "t0ken-for-the-edge-test";

struct RigOptions {
  bool with_clusters = true;
  std::string bearer_token;
};

// The service, its fakes and a server on an OS-picked loopback port.
struct Rig {
  explicit Rig(RigOptions options = {}) {
    lifecycle::LifecycleOptions lifecycle;
    lifecycle.chart.repo = "https://charts.example.invalid";
    lifecycle.chart.name = "openstack-cluster";
    lifecycle.leases.identity = "replica-a";
    lifecycle.leases.duration = absl::Seconds(30);
    clusters = std::make_unique<lifecycle::ClusterService>(
        &render, &kube, &helm, lifecycle,
        [](size_t n) { return std::string(n, 'k'); });
    CallPolicy policy;
    policy.bearer_token = options.bearer_token;
    policy.calls = &calls;
    service = std::make_unique<ClusterDriverService>(
        &render, options.with_clusters ? clusters.get() : nullptr,
        /*status=*/nullptr, "kubeconfig /etc/none is unreadable", policy);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service.get());
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<UnhandledCalls>(&unhandled));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    REQUIRE(port > 0);
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                  grpc::InsecureChannelCredentials());
    stub = v1::ClusterDriver::NewStub(channel);
  }
  ~Rig() { server->Shutdown(); }

  FakeKubeClient kube;
  FakeHelmRunner helm{&kube};
  rules::RenderService render{render::RenderOptions{},
                              [] { return uint64_t{42}; }};
  std::unique_ptr<lifecycle::ClusterService> clusters;
  stats::CallStats calls, unhandled;
  std::unique_ptr<ClusterDriverService> service;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ClusterDriver::Stub> stub;
};

v1::CreateClusterRequest CreateRequest() {
  v1::CreateClusterRequest request;
  *request.mutable_spec() = testing::StandardSpec();
  request.mutable_credential()->set_application_credential_id("cred-1");
  request.mutable_credential()->set_application_credential_secret("s3cret");
  return request;
}

// How many calls `stats` holds for (verb, code).
uint64_t Count(const stats::CallStats& stats, const std::string& verb,
               const std::string& code) {
  auto all = stats.Read();
  auto it = all.find({verb, code});
  return it == all.end() ? 0 : it->second.count;
}

// Whether no call reached the cluster's namespace and nothing was written
// (the deletion reaper's background lists read every namespace at once).
bool Untouched(const Rig& rig) {
  const std::string ns = rig.render.NamespaceOf(testing::StandardSpec());
  for (const auto& call : rig.kube.Calls()) {
    if (call.ns == ns) return false;
  }
  return rig.kube.Writes() == 0 && rig.helm.Upgrades().empty();
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// The trailing metadata value of `key` ("" when absent).
std::string Trailer(const grpc::ClientContext& context,
                    const std::string& key) {
  auto it = context.GetServerTrailingMetadata().find(key);
  if (it == context.GetServerTrailingMetadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

TEST_CASE("edge: a verb that succeeds answers OK with the lifecycle's reply",
          "[cluster_driver_service]") {
  Rig rig;
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-0123456789abcdef");
  v1::OperationResponse response;
  grpc::Status status =
      rig.stub->CreateCluster(&context, CreateRequest(), &response);
  REQUIRE(status.ok());
  CHECK(response.release_name() == testing::kRelease);
  CHECK(response.chart_version() == rig.helm.Upgrades().at(0).chart.version);
  CHECK(Trailer(context, "x-request-id") == "req-0123456789abcdef");
  CHECK(Count(rig.calls, "CreateCluster", "OK") == 1);
  CHECK(rig.unhandled.Read().empty());
}

TEST_CASE(
    "edge: each status a verb ends with becomes the gRPC code driver.proto "
    "promises, its message kept",
    "[cluster_driver_service]") {
  struct Row {
    absl::Status failure;
    grpc::StatusCode code;
  };
  const std::vector<Row> rows = {
      {absl::UnavailableError("helm: Kubernetes cluster unreachable"),
       grpc::StatusCode::UNAVAILABLE},
      {absl::AbortedError("another operation is in progress"),
       grpc::StatusCode::ABORTED},
      {absl::FailedPreconditionError("helm refused the values"),
       grpc::StatusCode::FAILED_PRECONDITION},
      {absl::NotFoundError("chart version 9.9.9 not found"),
       grpc::StatusCode::NOT_FOUND},
      {absl::InternalError("a bug"), grpc::StatusCode::INTERNAL},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.failure.ToString()) {
      Rig rig;
      rig.helm.FailNext("UpgradeInstall", row.failure);
      grpc::ClientContext context;
      v1::OperationResponse response;
      grpc::Status status =
          rig.stub->CreateCluster(&context, CreateRequest(), &response);
      CHECK(status.error_code() == row.code);
      CHECK(status.error_message() == row.failure.message());
      CHECK(response.release_name().empty());
      CHECK_FALSE(Trailer(context, "x-request-id").empty());
      CHECK(Count(rig.calls, "CreateCluster", CodeName(row.code)) == 1);
      // Handled calls are VerbCall's to count, not UnhandledCalls'.
      CHECK(rig.unhandled.Read().empty());
    }
  }
}

TEST_CASE(
    "edge: an unreachable management cluster is UNAVAILABLE; a helm killed "
    "at its deadline is DEADLINE_EXCEEDED",
    "[cluster_driver_service]") {
  Rig rig;
  rig.kube.FailNext("*", "*", absl::UnavailableError("no route to host"), 1000);
  grpc::ClientContext context;
  v1::OperationResponse response;
  grpc::Status status =
      rig.stub->CreateCluster(&context, CreateRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("no route to host"));

  Rig killed;
  killed.helm.FailNext("UpgradeInstall",
                       absl::DeadlineExceededError("helm was killed"));
  grpc::ClientContext killed_context;
  grpc::Status late =
      killed.stub->CreateCluster(&killed_context, CreateRequest(), &response);
  CHECK(late.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK_THAT(late.error_message(), Catch::StartsWith("helm was killed") &&
                                       Catch::Contains("retry it"));
}

TEST_CASE(
    "edge: a bad request is INVALID_ARGUMENT naming the field, before "
    "anything is written",
    "[cluster_driver_service]") {
  struct Row {
    const char* what;
    std::function<void(v1::CreateClusterRequest*)> spoil;
    const char* field;
  };
  const std::vector<Row> rows = {
      {"no application credential",
       [](v1::CreateClusterRequest* r) { r->clear_credential(); },
       "credential.application_credential_id"},
      {"no credential secret",
       [](v1::CreateClusterRequest* r) {
         r->mutable_credential()->clear_application_credential_secret();
       },
       "credential.application_credential_secret"},
      {"no cluster uuid",
       [](v1::CreateClusterRequest* r) {
         r->mutable_spec()->mutable_cluster()->clear_uuid();
       },
       "spec.cluster.uuid"},
      // It names the Lease taken first, which the API server would refuse.
      {"a cluster uuid that cannot name a Lease",
       [](v1::CreateClusterRequest* r) {
         r->mutable_spec()->mutable_cluster()->set_uuid("0B1C-UPPER");
       },
       "cluster.uuid: \"0B1C-UPPER\"; accepted: a UUID as Magnum writes it"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.what) {
      Rig rig;
      v1::CreateClusterRequest request = CreateRequest();
      row.spoil(&request);
      grpc::ClientContext context;
      v1::OperationResponse response;
      grpc::Status status =
          rig.stub->CreateCluster(&context, request, &response);
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK_THAT(status.error_message(), Catch::Contains(row.field));
      CHECK(Untouched(rig));
      CHECK(Count(rig.calls, "CreateCluster", "INVALID_ARGUMENT") == 1);
    }
  }
}

TEST_CASE(
    "edge: a label that does not validate is INVALID_ARGUMENT naming it; "
    "only the cluster's Lease was written",
    "[cluster_driver_service]") {
  Rig rig;
  v1::CreateClusterRequest request = CreateRequest();
  (*request.mutable_spec()
        ->mutable_cluster()
        ->mutable_labels())["boot_volume_size"] = "lots";
  grpc::ClientContext context;
  v1::OperationResponse response;
  grpc::Status status = rig.stub->CreateCluster(&context, request, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(),
             Catch::Contains("boot_volume_size") && Catch::Contains("lots"));
  for (const auto& call : rig.kube.Calls()) {
    if (call.method == "Get" || call.method == "List") continue;
    CHECK(call.plural == "leases");
  }
  CHECK(rig.helm.Upgrades().empty());
}

TEST_CASE(
    "edge: the caller's deadline reaches the verb: too little of it applies "
    "nothing",
    "[cluster_driver_service]") {
  Rig rig;
  grpc::ClientContext context;
  // Below LifecycleOptions::min_time_to_start, generous for a loaded host.
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(3));
  v1::OperationResponse response;
  grpc::Status status =
      rig.stub->CreateCluster(&context, CreateRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(Untouched(rig));
}

TEST_CASE("edge: with a bearer token configured, only its holder is served",
          "[cluster_driver_service]") {
  Rig rig({/*with_clusters=*/true, kToken});
  grpc::ClientContext anonymous;
  v1::OperationResponse response;
  grpc::Status refused =
      rig.stub->CreateCluster(&anonymous, CreateRequest(), &response);
  CHECK(refused.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK_THAT(refused.error_message(), !Catch::Contains(kToken));
  CHECK(Untouched(rig));

  grpc::ClientContext wrong;
  wrong.AddMetadata("authorization", "Bearer not-the-token");
  CHECK(rig.stub->CreateCluster(&wrong, CreateRequest(), &response)
            .error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Untouched(rig));

  grpc::ClientContext holder;
  holder.AddMetadata("authorization", std::string("Bearer ") + kToken);
  CHECK(rig.stub->CreateCluster(&holder, CreateRequest(), &response).ok());
  CHECK(Count(rig.calls, "CreateCluster", "UNAUTHENTICATED") == 2);
  CHECK(Count(rig.calls, "CreateCluster", "OK") == 1);
}

TEST_CASE(
    "edge: without a management cluster the verbs are FAILED_PRECONDITION "
    "saying why; rendering still works",
    "[cluster_driver_service]") {
  Rig rig({/*with_clusters=*/false, ""});
  grpc::ClientContext context;
  v1::OperationResponse response;
  grpc::Status status =
      rig.stub->CreateCluster(&context, CreateRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(),
             Catch::Contains("no management cluster is configured") &&
                 Catch::Contains("kubeconfig /etc/none is unreadable"));

  grpc::ClientContext status_context;
  v1::GetClusterStatusRequest get;
  *get.mutable_spec() = testing::StandardSpec();
  v1::ClusterStatus cluster_status;
  CHECK(rig.stub->GetClusterStatus(&status_context, get, &cluster_status)
            .error_code() == grpc::StatusCode::FAILED_PRECONDITION);

  grpc::ClientContext render_context;
  v1::RenderValuesRequest render;
  *render.mutable_spec() = testing::StandardSpec();
  v1::RenderValuesResponse rendered;
  CHECK(rig.stub->RenderValues(&render_context, render, &rendered).ok());
  CHECK(Untouched(rig));
}

// Sends `bytes` as the request of `method` of the ClusterDriver service.
grpc::Status RawCall(Rig& rig, const std::string& method,
                     const std::string& bytes) {
  grpc::GenericStub stub(rig.channel);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext context;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/magnum.capi.bridge.v1.ClusterDriver/" + method,
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

TEST_CASE(
    "unhandled calls: a request that is not a message of its method is "
    "refused before the handler, and counted once with its code",
    "[cluster_driver_service][unhandled_calls]") {
  Rig rig;
  grpc::Status garbage = RawCall(rig, "CreateCluster", "\xff\xff\xff\xff");
  REQUIRE_FALSE(garbage.ok());
  CHECK(Count(rig.unhandled, "CreateCluster", CodeName(garbage.error_code())) ==
        1);

  // A string field that is not UTF-8.
  v1::UpdateClusterRequest update;
  *update.mutable_spec() = testing::StandardSpec();
  update.mutable_spec()->mutable_cluster()->set_name("bad\xc3\x28name");
  std::string bytes;
  REQUIRE(update.SerializePartialToString(&bytes));
  grpc::Status not_utf8 = RawCall(rig, "UpdateCluster", bytes);
  REQUIRE_FALSE(not_utf8.ok());
  CHECK(Count(rig.unhandled, "UpdateCluster",
              CodeName(not_utf8.error_code())) == 1);

  // The handler never ran: nothing reached the lifecycle or VerbCall.
  CHECK(Untouched(rig));
  CHECK(rig.calls.Read().empty());
  CHECK(rig.unhandled.Read().size() == 2);

  // A call its handler refused is not counted as unhandled.
  grpc::ClientContext context;
  v1::OperationResponse response;
  v1::CreateClusterRequest no_credential = CreateRequest();
  no_credential.clear_credential();
  CHECK(rig.stub->CreateCluster(&context, no_credential, &response)
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(rig.unhandled.Read().size() == 2);
}

}  // namespace
}  // namespace capi_bridge::api
