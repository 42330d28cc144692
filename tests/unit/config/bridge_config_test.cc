#include "server/config/bridge_config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "catch2/catch.hpp"

namespace capi_bridge::config {
namespace {

TEST_CASE("an empty config gives the documented defaults", "[config]") {
  auto config = ParseConfig("insecure: true", "", {});
  REQUIRE(config.ok());
  CHECK(config->listen == "127.0.0.1:50051");
  CHECK(config->chart.name == "openstack-cluster");
  CHECK(config->render.namespace_prefix == "magnum");
  CHECK(config->render.default_chart_version == "0.27.0");
  CHECK(config->render.minimum_flavor_ram_mb == 2048);
}

TEST_CASE("every key is read, and --set overrides the file", "[config]") {
  auto config =
      ParseConfig(R"(
listen: 0.0.0.0:6000
tls: {cert_file: /etc/b/tls.crt, key_file: tls.key, client_ca_file: ca.crt}
namespace_prefix: magnum-b
chart: {repo: "", name: oci://registry.example.com/charts/openstack-cluster, default_version: 0.26.1}
flavors: {minimum_ram_mb: 4096, minimum_vcpus: 4}
storage: {default_volume_type: ceph, allowed_topologies: [{matchLabelExpressions: [{key: zone, values: [a]}]}]}
boot_volume: {default_type: ceph, default_size_gb: 40}
site_labels: {monitoring_enabled: "true", auto_scaling_enabled: yes}
autoscaler_tags: {"1.34": v1.34.1}
)",
                  "/etc/b", {"flavors.minimum_vcpus=8", "listen=[::1]:7000"});
  INFO(config.status().message());
  REQUIRE(config.ok());
  CHECK(config->listen == "[::1]:7000");
  CHECK_FALSE(config->insecure);
  CHECK(config->tls.cert_file == "/etc/b/tls.crt");
  CHECK(config->tls.key_file == "/etc/b/tls.key");  // relative to the file
  CHECK(config->tls.client_ca_file == "/etc/b/ca.crt");
  CHECK(config->chart.repo.empty());
  CHECK(config->render.namespace_prefix == "magnum-b");
  CHECK(config->render.default_chart_version == "0.26.1");
  CHECK(config->render.minimum_flavor_ram_mb == 4096);
  CHECK(config->render.minimum_flavor_vcpus == 8);
  CHECK(config->render.csi_cinder_default_volume_type == "ceph");
  CHECK(config->render.csi_cinder_allowed_topologies.size() == 1);
  CHECK(config->render.default_boot_volume_size_gb == 40);
  CHECK(config->render.site_labels.at("auto_scaling_enabled") == "yes");
  CHECK(config->render.autoscaler_tags.at("1.34") == "v1.34.1");
}

TEST_CASE("config errors name the key, the value and what is accepted",
          "[config]") {
  auto config = ParseConfig(R"(
listn: 1
chart: {default_version: latest}
flavors: {minimum_vcpus: many}
site_labels: {not_a_label: x}
)",
                            "", {"novalue"});
  REQUIRE_FALSE(config.ok());
  std::string m(config.status().message());
  INFO(m);
  CHECK(m.rfind("6 problems in the bridge config:", 0) == 0);
  CHECK(m.find("- tls.cert_file: (missing)") != std::string::npos);
  CHECK(m.find("- listn: \"listn\"; accepted: one of the known keys") !=
        std::string::npos);
  CHECK(m.find("- chart.default_version: \"latest\"") != std::string::npos);
  CHECK(m.find("- flavors.minimum_vcpus: \"many\"; accepted: a whole number") !=
        std::string::npos);
  CHECK(m.find("- site_labels.not_a_label") != std::string::npos);
  CHECK(m.find("- --set: \"novalue\"") != std::string::npos);

  auto broken = ParseConfig("listen: [", "", {});
  REQUIRE_FALSE(broken.ok());
  CHECK(std::string(broken.status().message()).find("not valid YAML") !=
        std::string::npos);
}

TEST_CASE("duplicate keys, a bad namespace prefix and non-UTF-8 are refused",
          "[config][hostile]") {
  auto config = ParseConfig(
      "insecure: true\nhelm: {timeout_seconds: 60}\nhelm: "
      "{timeout_seconds: 600}\nstatus: {watch_cache: true, watch_cache: "
      "false}\nnamespace_prefix: Magnum_Prod!\n",
      "", {});
  REQUIRE(absl::IsInvalidArgument(config.status()));
  const std::string message(config.status().message());
  INFO(message);
  CHECK(message.find("helm: \"helm\"; accepted: each key once per mapping") !=
        std::string::npos);
  CHECK(message.find("status.watch_cache: \"watch_cache\"; accepted: each "
                     "key once") != std::string::npos);
  CHECK(message.find("namespace_prefix: \"Magnum_Prod!\"; accepted: "
                     "lower-case letters") != std::string::npos);
  config = ParseConfig("insecure: true\nnamespace_prefix: caf\xe9\n", "", {});
  REQUIRE(absl::IsInvalidArgument(config.status()));
  CHECK(std::string(config.status().message()) ==
        "config file: not valid UTF-8 at byte offset 36; accepted: UTF-8 YAML");
  CHECK_FALSE(
      ParseConfig("insecure: true\nnamespace_prefix: " + std::string(31, 'm'),
                  "", {})
          .ok());
}

TEST_CASE("fuzz findings: nodes of the wrong shape are refused, not thrown",
          "[config][hostile]") {
  // Found by fuzz_bridge_config: a list of mappings where file paths go
  // ended the process with an uncaught yaml-cpp exception.
  auto config = ParseConfig(
      "insecure: true\nvalue_overrides:\n  all:\n    - {a: b}\n", "", {});
  REQUIRE(absl::IsInvalidArgument(config.status()));
  CHECK(std::string(config.status().message()).find("value_overrides.all") !=
        std::string::npos);
  // A mapping as a key, a list as a scalar: refused with a position.
  for (const char* text : {"? [a, b]\n: c\n", "insecure: [true]\n",
                           "helm: {timeout_seconds: {a: 1}}\n"}) {
    INFO(text);
    CHECK_FALSE(ParseConfig(text, "", {}).ok());
  }
}

TEST_CASE("plaintext only when asked for, and then only on loopback",
          "[config]") {
  CHECK(ParseConfig("insecure: true\nlisten: unix:/run/b.sock", "", {}).ok());
  CHECK(ParseConfig("insecure: true\nlisten: localhost:1", "", {}).ok());
  auto remote = ParseConfig("insecure: true\nlisten: 0.0.0.0:50051", "", {});
  REQUIRE_FALSE(remote.ok());
  CHECK(
      std::string(remote.status().message())
          .find("- listen: \"0.0.0.0:50051\"; accepted: a loopback address") !=
      std::string::npos);
  auto both =
      ParseConfig("insecure: true\ntls: {cert_file: a, key_file: b}", "", {});
  REQUIRE_FALSE(both.ok());
  CHECK(std::string(both.status().message()).find("- insecure: \"true\"") !=
        std::string::npos);
  auto no_key = ParseConfig("tls: {cert_file: a}", "", {});
  REQUIRE_FALSE(no_key.ok());
  CHECK(std::string(no_key.status().message())
            .find("- tls.key_file: (missing)") != std::string::npos);
  auto bad_bool = ParseConfig("insecure: sometimes", "", {});
  REQUIRE_FALSE(bad_bool.ok());
  CHECK(std::string(bad_bool.status().message())
            .find("- insecure: \"sometimes\"; accepted: true or false") !=
        std::string::npos);
}

TEST_CASE("logs, bearer token, ops endpoint and grace period are checked",
          "[config]") {
  auto defaults = ParseConfig("insecure: true", "", {});
  REQUIRE(defaults.ok());
  CHECK(defaults->log.format == log::Format::kLogfmt);
  CHECK(defaults->log.level == log::Level::kInfo);
  CHECK(defaults->shutdown_grace_seconds == 30);
  CHECK(defaults->auth.token.empty());

  std::string dir = "/tmp/capi-bridge-config-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/token") << "  0123456789abcdef0123\n";
  std::ofstream(dir + "/short") << "abc\n";
  auto set = ParseConfig(
      "insecure: true\nlog: {format: json, level: debug}\n"
      "auth: {token_file: token}\nshutdown_grace_seconds: 5\n"
      "ops_listen: \"[::]:9180\"",
      dir, {});
  INFO(set.status().message());
  REQUIRE(set.ok());
  CHECK(set->log.format == log::Format::kJson);
  CHECK(set->log.level == log::Level::kDebug);
  CHECK(set->auth.token == "0123456789abcdef0123");
  CHECK(set->shutdown_grace_seconds == 5);

  auto bad = ParseConfig(
      "insecure: true\nlog: {format: xml, level: loud}\n"
      "auth: {token_file: short}\nops_listen: metrics\n"
      "shutdown_grace_seconds: -1",
      dir, {});
  REQUIRE_FALSE(bad.ok());
  std::string m(bad.status().message());
  INFO(m);
  CHECK(m.find("- log.format: \"xml\"; accepted: logfmt or json") !=
        std::string::npos);
  CHECK(m.find("- log.level: \"loud\"; accepted: debug, info, warn or "
               "error") != std::string::npos);
  CHECK(m.find("- auth.token_file: \"" + dir +
               "/short\"; accepted: a file holding one token of at least "
               "16") != std::string::npos);
  CHECK(m.find("- ops_listen: \"metrics\"; accepted: host:port") !=
        std::string::npos);
  CHECK(m.find("- shutdown_grace_seconds: \"-1\"") != std::string::npos);
  CHECK(m.find("abc") == std::string::npos);  // the file's content

  auto missing =
      ParseConfig("insecure: true\nauth: {token_file: /nonexistent}", "", {});
  REQUIRE_FALSE(missing.ok());
  CHECK(std::string(missing.status().message())
            .find("- auth.token_file: \"/nonexistent\"; accepted: a "
                  "readable file") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("value override files load relative to the config file", "[config]") {
  std::string dir = "/tmp/capi-bridge-config-test-" + std::to_string(getpid());
  std::string mk = "mkdir -p " + dir;
  REQUIRE(std::system(mk.c_str()) == 0);
  std::ofstream(dir + "/gpu.yaml") << "addons:\n  nvidiaGPUOperator:\n"
                                      "    enabled: true\nquoted: \"1\"\n";
  std::ofstream(dir + "/list.yaml") << "- not a mapping\n";
  std::ofstream(dir + "/bridge.yaml")
      << "insecure: true\nvalue_overrides:\n  gpu: [gpu.yaml]\n";
  auto config = LoadConfig(dir + "/bridge.yaml", {});
  INFO(config.status().message());
  REQUIRE(config.ok());
  const auto& set = config->render.value_overrides.at("gpu");
  REQUIRE(set.documents.size() == 1);
  CHECK(set.documents[0]["addons"]["nvidiaGPUOperator"]["enabled"] == true);
  CHECK(set.documents[0]["quoted"] == "1");

  std::ofstream(dir + "/bridge.yaml")
      << "insecure: true\nvalue_overrides:\n  bad: [list.yaml, missing.yaml]\n";
  auto bad = LoadConfig(dir + "/bridge.yaml", {});
  REQUIRE_FALSE(bad.ok());
  std::string m(bad.status().message());
  CHECK(m.find("value_overrides.bad: \"" + dir +
               "/list.yaml\"; accepted: a YAML file whose top level is a "
               "mapping") != std::string::npos);
  CHECK(m.find("missing.yaml\"; accepted: a readable YAML file") !=
        std::string::npos);
  std::string rm = "rm -rf " + dir;
  CHECK(std::system(rm.c_str()) == 0);
}

}  // namespace
}  // namespace capi_bridge::config
