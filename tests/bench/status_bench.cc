// Status cost: GetClusterStatus answered from the watch cache, against a
// client that follows the reference driver's request pattern per status
// (a fresh client from the kubeconfig, a GET of the Cluster, the control
// plane and each MachineDeployment, a LIST of HelmReleases, Manifests and
// HelmChartProxies), both against the same simulator in the same run; and
// the memory of the cache with every cluster in it.
//
//   make bench-status   (starts and fills the simulator; see
//                        tests/bench/status_bench.py)
//
// Targets (issue 4): cache >= 50x faster than the reference pattern, p99
// < 1 ms, 0 requests per status call in steady state; RSS < 100 MiB with
// 10,000 clusters cached.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "server/api/cluster_driver_service.h"
#include "server/kube/http_kube_client.h"
#include "server/kube/kubeconfig.h"
#include "server/kube/watch_cache.h"
#include "server/lifecycle/status_service.h"
#include "server/status/object_store.h"

namespace {

namespace v1 = magnum::capi::bridge::v1;
namespace k = capi_bridge::kube::kinds;
using capi_bridge::kube::HttpKubeClient;
using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

long RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

void Fail(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

// The spec Magnum would send for bench cluster `i` (see status_bench.py).
v1::GetClusterStatusRequest Request(int i, int namespaces) {
  v1::GetClusterStatusRequest request;
  v1::ClusterSpec* spec = request.mutable_spec();
  spec->mutable_cluster()->set_uuid(absl::StrFormat("uuid-%05d", i));
  spec->mutable_cluster()->set_project_id(
      absl::StrFormat("proj%02d", i % namespaces));
  spec->mutable_cluster()->set_stack_id(absl::StrFormat("bench-%05d", i));
  auto* master = spec->add_node_groups();
  master->set_name("default-master");
  master->set_role("master");
  master->set_node_count(1);
  master->set_status("CREATE_IN_PROGRESS");
  auto* worker = spec->add_node_groups();
  worker->set_name("default-worker");
  worker->set_role("worker");
  worker->set_node_count(2);
  worker->set_status("CREATE_IN_PROGRESS");
  request.set_current_status("CREATE_IN_PROGRESS");
  return request;
}

struct Summary {
  double p50, p99, max, per_second;
};

Summary Summarize(std::vector<double> micros, double wall_seconds) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double p) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(p * micros.size()))];
  };
  return {at(0.5), at(0.99), micros.back(), micros.size() / wall_seconds};
}

void Print(const char* name, const Summary& s, double requests_per_call) {
  std::printf(
      "%-34s p50 %9.1f us  p99 %9.1f us  max %9.1f us  %9.0f calls/s  "
      "%.2f API requests/call\n",
      name, s.p50, s.p99, s.max, s.per_second, requests_per_call);
}

template <typename Call>
Summary Time(int calls, int clusters, Call call) {
  std::vector<double> micros;
  micros.reserve(calls);
  Clock::time_point begin = Clock::now();
  for (int n = 0; n < calls; ++n) {
    Clock::time_point start = Clock::now();
    call(n % clusters);
    micros.push_back(MicrosSince(start));
  }
  return Summarize(std::move(micros), MicrosSince(begin) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GetClusterStatus from the watch cache vs the reference"};
  std::string kubeconfig, mode = "latency";
  int clusters = 1000, namespaces = 10, calls = 20000, reference_calls = 500;
  app.add_option("--kubeconfig", kubeconfig)->required();
  app.add_option("--mode", mode)->check(CLI::IsMember({"latency", "memory"}));
  app.add_option("--clusters", clusters)->check(CLI::PositiveNumber);
  app.add_option("--namespaces", namespaces)->check(CLI::PositiveNumber);
  app.add_option("--calls", calls)->check(CLI::PositiveNumber);
  app.add_option("--reference-calls", reference_calls)
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  long rss_start = RssKiB();
  auto connection = capi_bridge::kube::LoadKubeconfig(kubeconfig, "");
  Fail(connection.status(), "kubeconfig");
  auto kube = HttpKubeClient::Create(*connection);
  Fail(kube.status(), "client");
  capi_bridge::status::ObjectStore store;
  capi_bridge::kube::WatchCache cache(
      kube->get(), capi_bridge::status::WatchedTypes(), &store);
  Clock::time_point sync_start = Clock::now();
  cache.Start();
  if (!cache.WaitReady(absl::Minutes(10))) {
    std::fprintf(stderr, "the watch cache did not sync\n");
    return 1;
  }
  double sync_seconds = MicrosSince(sync_start) / 1e6;
  std::printf("watch cache synced in %.2f s: %zu clusters, %zu records\n",
              sync_seconds, store.ClusterCount(), store.RecordCount());

  if (mode == "memory") {
    long rss = RssKiB();
    std::printf(
        "RSS with %d clusters cached: %.1f MiB (%.1f MiB before the cache; "
        "%.0f bytes per cluster)\n",
        clusters, rss / 1024.0, rss_start / 1024.0,
        (rss - rss_start) * 1024.0 / clusters);
    (*kube)->Shutdown();
    cache.Stop();
    return rss < 100 * 1024 ? 0 : 1;
  }

  capi_bridge::rules::RenderService render({}, [] { return 42; });
  capi_bridge::lifecycle::OperationTimes times;
  capi_bridge::lifecycle::StatusService status(&render, kube->get(), &store,
                                               &cache, &times, {});
  std::vector<v1::GetClusterStatusRequest> requests;
  for (int i = 0; i < clusters; ++i) {
    requests.push_back(Request(i, namespaces));
  }
  auto check = [](const absl::StatusOr<v1::ClusterStatus>& s) {
    if (!s.ok()) Fail(s.status(), "status");
    if (s->status() != v1::CREATE_COMPLETE) {
      std::fprintf(stderr, "unexpected status %s: %s\n",
                   v1::Status_Name(s->status()).c_str(),
                   s->status_reason().c_str());
      std::exit(1);
    }
  };

  // 1. The bridge's engine, in process.
  uint64_t before = (*kube)->stats().requests.load();
  Summary engine =
      Time(calls, clusters, [&](int i) { check(status.Get(requests[i])); });
  double engine_requests =
      static_cast<double>((*kube)->stats().requests.load() - before) / calls;

  // 2. The same through gRPC on loopback (what the shim sees).
  capi_bridge::api::ClusterDriverService driver(&render, nullptr, &status);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&driver);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = v1::ClusterDriver::NewStub(
      grpc::CreateChannel(absl::StrFormat("127.0.0.1:%d", port),
                          grpc::InsecureChannelCredentials()));
  before = (*kube)->stats().requests.load();
  Summary over_grpc = Time(calls, clusters, [&](int i) {
    grpc::ClientContext context;
    v1::ClusterStatus reply;
    grpc::Status rpc = stub->GetClusterStatus(&context, requests[i], &reply);
    if (!rpc.ok()) {
      std::fprintf(stderr, "rpc: %s\n", rpc.error_message().c_str());
      std::exit(1);
    }
  });
  double grpc_requests =
      static_cast<double>((*kube)->stats().requests.load() - before) / calls;

  // 3. The reference driver's pattern, per status: its requests, with a
  // fresh client and kubeconfig parse each time as it does, and (a lower
  // bound for it) over one reused connection.
  auto reference_status = [&](HttpKubeClient* client, int i) {
    const v1::ClusterSpec& spec = requests[i].spec();
    std::string ns = render.NamespaceOf(spec);
    std::string release = spec.cluster().stack_id();
    Fail(client->Get(k::kCluster, ns, release).status(), "GET Cluster");
    Fail(client->Get(k::kKubeadmControlPlane, ns, release + "-control-plane")
             .status(),
         "GET KubeadmControlPlane");
    Fail(client->Get(k::kMachineDeployment, ns, release + "-default-worker")
             .status(),
         "GET MachineDeployment");
    std::string selector = "addons.stackhpc.com/cluster=" + release;
    Fail(client->List(k::kHelmRelease, ns, selector).status(),
         "LIST HelmRelease");
    Fail(client->List(k::kManifests, ns, selector).status(), "LIST Manifests");
    auto proxies = client->List(k::kHelmChartProxy, ns, selector);
    if (!proxies.ok() && !absl::IsNotFound(proxies.status())) {
      Fail(proxies.status(), "LIST HelmChartProxy");
    }
  };
  uint64_t reference_requests = 0;
  Summary reference = Time(reference_calls, clusters, [&](int i) {
    auto fresh = capi_bridge::kube::LoadKubeconfig(kubeconfig, "");
    Fail(fresh.status(), "kubeconfig");
    auto client = HttpKubeClient::Create(*fresh);
    Fail(client.status(), "client");
    reference_status(client->get(), i);
    reference_requests += (*client)->stats().requests.load();
  });
  auto reused = HttpKubeClient::Create(*connection);
  Fail(reused.status(), "client");
  Summary reference_reused = Time(reference_calls, clusters, [&](int i) {
    reference_status(reused->get(), i);
  });

  std::printf("GetClusterStatus, %d clusters, %d calls (reference: %d)\n",
              clusters, calls, reference_calls);
  Print("bridge, from the cache (in process)", engine, engine_requests);
  Print("bridge, from the cache (gRPC)", over_grpc, grpc_requests);
  Print("reference request pattern", reference,
        static_cast<double>(reference_requests) / reference_calls);
  Print("reference pattern, reused connection", reference_reused,
        static_cast<double>(reused->get()->stats().requests.load()) /
            reference_calls);
  std::printf(
      "speed-up at p50 over the reference pattern: %.0fx in process, %.0fx "
      "over gRPC (%.0fx over gRPC against its reused-connection variant)\n",
      reference.p50 / engine.p50, reference.p50 / over_grpc.p50,
      reference_reused.p50 / over_grpc.p50);
  server->Shutdown();
  (*kube)->Shutdown();
  cache.Stop();
  return 0;
}
