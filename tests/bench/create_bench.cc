// Create-verb cost: where the time of CreateCluster goes, and what the
// unchanged-skip saves. Runs ClusterService (the server's code path) against
// a management cluster with the real helm binary, timing every Kubernetes
// request and every helm run through thin wrappers of the two interfaces.
//
//   make bench-create   (starts the simulator with the stand-in chart; see
//                        tests/bench/create_bench.py)
//
// Prints, per phase, wall time per verb split into helm, Kubernetes API
// and the bridge's own work (render, diff, encoding: the rest), plus how
// often the chart was pulled. Targets (issue 3): own work < 10 ms per
// create; unchanged re-apply >= 10x faster than a full helm run of the same
// values; one chart pull per version.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "server/helm/helm_cli.h"
#include "server/kube/http_kube_client.h"
#include "server/kube/kubeconfig.h"
#include "server/lifecycle/cluster_service.h"
#include "tests/unit/render/spec_builder.h"

namespace {

using capi_bridge::helm::HelmCli;
using capi_bridge::helm::HelmRunner;
using capi_bridge::kube::KubeClient;
using capi_bridge::kube::ResourceType;
using capi_bridge::kube::WatchEvent;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
namespace v1 = magnum::capi::bridge::v1;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// Accumulates the wall time spent inside the wrapped calls (the bench is
// single-threaded, so plain counters do).
struct Meter {
  double millis = 0;
  int calls = 0;
  template <typename F>
  auto Time(F&& call) {
    Clock::time_point start = Clock::now();
    auto result = call();
    millis += MillisSince(start);
    ++calls;
    return result;
  }
};

class TimedKube final : public KubeClient {
 public:
  TimedKube(KubeClient* inner, Meter* meter) : inner_(inner), meter_(meter) {}
  absl::StatusOr<json> Get(const ResourceType& t, const std::string& ns,
                           const std::string& name) override {
    return meter_->Time([&] { return inner_->Get(t, ns, name); });
  }
  absl::StatusOr<json> List(const ResourceType& t, const std::string& ns,
                            const std::string& selector) override {
    return meter_->Time([&] { return inner_->List(t, ns, selector); });
  }
  absl::StatusOr<std::string> ListEach(
      const ResourceType& t, const std::string& ns, const std::string& sel,
      const std::function<void(json&& item)>& on_item) override {
    return meter_->Time([&] { return inner_->ListEach(t, ns, sel, on_item); });
  }
  absl::StatusOr<json> Apply(const ResourceType& t, const json& object,
                             const std::string& manager) override {
    return meter_->Time([&] { return inner_->Apply(t, object, manager); });
  }
  absl::StatusOr<json> Create(const ResourceType& t,
                              const json& object) override {
    return meter_->Time([&] { return inner_->Create(t, object); });
  }
  absl::StatusOr<json> Replace(const ResourceType& t,
                               const json& object) override {
    return meter_->Time([&] { return inner_->Replace(t, object); });
  }
  absl::Status Delete(const ResourceType& t, const std::string& ns,
                      const std::string& name) override {
    return meter_->Time([&] { return inner_->Delete(t, ns, name); });
  }
  absl::Status DeleteCollection(const ResourceType& t, const std::string& ns,
                                const std::string& selector) override {
    return meter_->Time(
        [&] { return inner_->DeleteCollection(t, ns, selector); });
  }
  absl::Status Watch(
      const ResourceType& t, const std::string& ns, const std::string& sel,
      const std::string& rv, absl::Duration timeout,
      const std::function<bool(const WatchEvent&)>& on_event) override {
    return inner_->Watch(t, ns, sel, rv, timeout, on_event);
  }

 private:
  KubeClient* inner_;
  Meter* meter_;
};

class TimedHelm final : public HelmRunner {
 public:
  TimedHelm(HelmRunner* inner, Meter* meter) : inner_(inner), meter_(meter) {}
  absl::StatusOr<capi_bridge::helm::UpgradeResult> UpgradeInstall(
      const capi_bridge::helm::UpgradeRequest& request) override {
    return meter_->Time([&] { return inner_->UpgradeInstall(request); });
  }
  absl::StatusOr<std::string> DryRunManifest(
      const capi_bridge::helm::UpgradeRequest& request) override {
    return meter_->Time([&] { return inner_->DryRunManifest(request); });
  }
  absl::StatusOr<bool> Uninstall(const std::string& release,
                                 const std::string& ns,
                                 absl::Duration timeout) override {
    return meter_->Time(
        [&] { return inner_->Uninstall(release, ns, timeout); });
  }
  absl::Status Rollback(const std::string& release, const std::string& ns,
                        int revision, absl::Duration timeout) override {
    return meter_->Time(
        [&] { return inner_->Rollback(release, ns, revision, timeout); });
  }
  bool Running(const std::string& release,
               const std::string& ns) const override {
    return inner_->Running(release, ns);
  }
  absl::Duration RunBound(absl::Duration timeout) const override {
    return inner_->RunBound(timeout);
  }

 private:
  HelmRunner* inner_;
  Meter* meter_;
};

struct Sample {
  double wall = 0, helm = 0, kube = 0;
  int kube_calls = 0;
  double Own() const { return wall - helm - kube; }
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

void Report(const char* phase, const std::vector<Sample>& samples) {
  std::vector<double> wall, helm, kube, own;
  double calls = 0;
  for (const Sample& s : samples) {
    wall.push_back(s.wall);
    helm.push_back(s.helm);
    kube.push_back(s.kube);
    own.push_back(s.Own());
    calls += s.kube_calls;
  }
  std::printf(
      "%-24s n=%-3zu wall p50 %8.2f ms | helm p50 %8.2f ms | kube API p50 "
      "%6.2f ms (%.1f calls) | bridge own p50 %6.3f ms p99 %6.3f ms\n",
      phase, samples.size(), Percentile(wall, 0.5), Percentile(helm, 0.5),
      Percentile(kube, 0.5), calls / samples.size(), Percentile(own, 0.5),
      Percentile(own, 0.99));
}

template <typename F>
Sample Measure(Meter* helm, Meter* kube, F&& verb) {
  *helm = Meter();
  *kube = Meter();
  Clock::time_point start = Clock::now();
  verb();
  Sample s;
  s.wall = MillisSince(start);
  s.helm = helm->millis;
  s.kube = kube->millis;
  s.kube_calls = kube->calls;
  return s;
}

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CreateCluster cost against a management cluster"};
  std::string kubeconfig, chart_repo, helm_binary, cache_dir;
  int clusters = 10;
  app.add_option("--kubeconfig", kubeconfig)->required();
  app.add_option("--chart-repo", chart_repo)->required();
  app.add_option("--helm", helm_binary)->required();
  app.add_option("--cache-dir", cache_dir)->required();
  app.add_option("--clusters", clusters)->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);

  auto connection = capi_bridge::kube::LoadKubeconfig(kubeconfig, "");
  Check(connection.status(), "kubeconfig");
  auto http = capi_bridge::kube::HttpKubeClient::Create(*connection);
  Check(http.status(), "client");
  capi_bridge::helm::HelmCliOptions helm_options;
  helm_options.binary = helm_binary;
  helm_options.kubeconfig = kubeconfig;
  helm_options.cache_dir = cache_dir;
  HelmCli helm_cli(helm_options);
  Meter helm_meter, kube_meter;
  TimedKube kube(http->get(), &kube_meter);
  TimedHelm helm(&helm_cli, &helm_meter);
  capi_bridge::rules::RenderService render({}, [] {
    static uint64_t n = 0x9e3779b97f4a7c15ULL;
    return n += 0x9e3779b97f4a7c15ULL;
  });
  capi_bridge::lifecycle::LifecycleOptions options;
  options.chart.repo = chart_repo;
  options.chart.name = "openstack-cluster";
  options.helm_timeout = absl::Seconds(60);
  capi_bridge::lifecycle::ClusterService service(
      &render, &kube, &helm, options,
      capi_bridge::lifecycle::SystemRandomBytes());

  std::vector<v1::ClusterSpec> specs;
  std::vector<Sample> creates, reapplies, helm_runs;
  for (int i = 0; i < clusters; ++i) {
    v1::ClusterSpec spec = capi_bridge::testing::FullFeaturedSpec();
    spec.mutable_cluster()->set_uuid(
        absl::StrFormat("0f6c2b8e-3d1a-4c59-9e2b-%012d", i));
    spec.mutable_cluster()->set_name(absl::StrFormat("bench-%d", i));
    spec.mutable_cluster()->set_stack_id("");
    v1::CreateClusterRequest request;
    *request.mutable_spec() = spec;
    request.mutable_credential()->set_application_credential_id("ac-bench");
    request.mutable_credential()->set_application_credential_secret("s3cr3t");
    absl::StatusOr<v1::OperationResponse> created;
    creates.push_back(Measure(&helm_meter, &kube_meter,
                              [&] { created = service.Create(request); }));
    Check(created.status(), "create");
    spec.mutable_cluster()->set_stack_id(created->release_name());
    specs.push_back(spec);
  }
  for (const v1::ClusterSpec& spec : specs) {
    v1::UpdateClusterRequest request;
    *request.mutable_spec() = spec;
    absl::StatusOr<v1::OperationResponse> updated;
    reapplies.push_back(Measure(&helm_meter, &kube_meter,
                                [&] { updated = service.Update(request); }));
    Check(updated.status(), "re-apply");
    if (!updated->unchanged()) {
      std::fprintf(stderr, "re-apply of unchanged values ran helm\n");
      return 1;
    }
  }
  // What a driver without the skip does on every update: the same render
  // followed by a full `helm upgrade` of identical values.
  for (const v1::ClusterSpec& spec : specs) {
    helm_runs.push_back(Measure(&helm_meter, &kube_meter, [&] {
      auto rendered = render.RenderRelease(spec, spec.cluster().stack_id());
      Check(rendered.status(), "render");
      capi_bridge::helm::UpgradeRequest upgrade;
      upgrade.release = spec.cluster().stack_id();
      upgrade.namespace_name = rendered->namespace_name;
      upgrade.chart = options.chart;
      upgrade.chart.version = rendered->chart_version.ToString();
      upgrade.values_json = rendered->values.dump();
      upgrade.timeout = absl::Seconds(60);
      Check(helm.UpgradeInstall(upgrade).status(), "helm upgrade");
    }));
  }

  std::printf("CreateCluster through ClusterService, %d clusters, chart %s\n",
              clusters, "0.27.0 (stand-in)");
  Report("create (helm install)", creates);
  Report("re-apply, unchanged skip", reapplies);
  Report("re-apply, full helm run", helm_runs);
  double skip = Percentile(
      [&] {
        std::vector<double> v;
        for (const Sample& s : reapplies) v.push_back(s.wall);
        return v;
      }(),
      0.5);
  double full = Percentile(
      [&] {
        std::vector<double> v;
        for (const Sample& s : helm_runs) v.push_back(s.wall);
        return v;
      }(),
      0.5);
  std::printf("unchanged skip vs full helm run: %.1fx faster (p50)\n",
              full / skip);
  std::printf(
      "chart pulls: %llu for %d creates and %d upgrades (one version)\n",
      static_cast<unsigned long long>(helm_cli.stats().chart_pulls.load()),
      clusters, clusters);
  return 0;
}
