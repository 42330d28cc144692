// Render latency: a whole RenderValues pass (validate, render, YAML) for a
// cluster with 1 worker group and one with 20, all labels of the full
// example set. Prints p50/p99/max in microseconds.
//
//   make bench        (or build/tests/bench/render_bench [iterations])
//
// Targets (issue 2): p50 < 100 us for 1 group, < 1 ms for 20 groups.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "server/render/values_renderer.h"
#include "server/render/yaml_writer.h"
#include "tests/unit/render/spec_builder.h"

namespace {

using capi_bridge::testing::ClusterSpec;

void Run(const char* name, const ClusterSpec& spec, int iterations) {
  capi_bridge::render::ValuesRenderer renderer({});
  auto chart = capi_bridge::render::ChartVersion::Of("0.27.0");
  std::vector<double> micros;
  micros.reserve(iterations);
  size_t bytes = 0;
  for (int i = 0; i < iterations + iterations / 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto result = renderer.Render(spec, chart, spec.cluster().stack_id());
    if (!result.ok()) {
      std::fprintf(stderr, "%s: %s\n", name,
                   std::string(result.status().message()).c_str());
      std::exit(1);
    }
    std::string yaml = capi_bridge::render::ToYaml(result->values);
    auto end = std::chrono::steady_clock::now();
    bytes = yaml.size();
    if (i >= iterations / 10) {  // the first tenth warms up
      micros.push_back(
          std::chrono::duration<double, std::micro>(end - start).count());
    }
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(p * micros.size()))];
  };
  std::printf(
      "%-10s %6d renders  p50 %8.1f us  p99 %8.1f us  max %8.1f us  "
      "(%zu bytes of YAML)\n",
      name, static_cast<int>(micros.size()), pct(0.50), pct(0.99),
      micros.back(), bytes);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 5000;
  ClusterSpec one = capi_bridge::testing::FullFeaturedSpec();
  one.mutable_node_groups()->DeleteSubrange(2, 1);  // only default-worker
  ClusterSpec twenty = one;
  for (int i = 1; i < 20; ++i) {
    auto* ng = capi_bridge::testing::AddWorkerGroup(
        &twenty, "pool-" + std::to_string(i), 3);
    ng->set_min_node_count(1);
    ng->set_max_node_count(6);
    (*twenty.mutable_facts()->mutable_server_group_ids())[ng->name()] =
        "7e1d7f0a-6b2c-4d8e-9f3a-5b6c7d8e9f0" + std::to_string(i % 10);
  }
  Run("1 group", one, iterations);
  Run("20 groups", twenty, iterations);
  return 0;
}
