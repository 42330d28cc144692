// OpsServer over HTTP on an OS-picked loopback port, with cpp-httplib's
// client: /healthz, /readyz (200, or 503 with the reason, asked anew on
// every probe) and /metrics (the exposition text, Prometheus' content
// type); an address that is not host:port or cannot be bound refused with
// the key named; and a destroyed server no longer answering.
#include "server/ops/ops_server.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "httplib.h"

namespace capi_bridge::ops {
namespace {

std::unique_ptr<OpsServer> StartOn(const std::string& address,
                                   std::function<absl::Status()> ready,
                                   std::function<std::string()> metrics) {
  auto started =
      OpsServer::Start(address, std::move(ready), std::move(metrics));
  REQUIRE(started.ok());
  REQUIRE((*started)->port() > 0);
  return *std::move(started);
}

TEST_CASE("ops server: health, readiness and metrics over HTTP",
          "[ops_server]") {
  std::atomic<int> scrapes{0};
  auto server = StartOn(
      "127.0.0.1:0", [] { return absl::OkStatus(); },
      [&scrapes] {
        return "capi_bridge_scrapes_total " + std::to_string(++scrapes) + "\n";
      });
  httplib::Client client("127.0.0.1", server->port());

  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");

  auto ready = client.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(ready->body == "ready\n");

  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->get_header_value("Content-Type") ==
        "text/plain; version=0.0.4");
  CHECK(metrics->body == "capi_bridge_scrapes_total 1\n");
  // Rendered anew for every scrape.
  auto again = client.Get("/metrics");
  REQUIRE(again);
  CHECK(again->body == "capi_bridge_scrapes_total 2\n");

  auto unknown = client.Get("/clusters");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

TEST_CASE("ops server: not ready is 503 with the reason, until it is ready",
          "[ops_server]") {
  std::atomic<bool> synced{false};
  auto server = StartOn(
      "127.0.0.1:0",
      [&synced] {
        return synced ? absl::OkStatus()
                      : absl::UnavailableError(
                            "the watch cache has not listed clusters yet");
      },
      [] { return std::string(); });
  httplib::Client client("127.0.0.1", server->port());

  auto before = client.Get("/readyz");
  REQUIRE(before);
  CHECK(before->status == 503);
  CHECK(before->body ==
        "not ready: the watch cache has not listed clusters yet\n");
  // Liveness does not depend on readiness.
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);

  synced = true;
  auto after = client.Get("/readyz");
  REQUIRE(after);
  CHECK(after->status == 200);
}

TEST_CASE("ops server: an address that is not host:port is refused, named",
          "[ops_server]") {
  for (const char* address :
       {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:-1"}) {
    DYNAMIC_SECTION(address) {
      auto started = OpsServer::Start(
          address, [] { return absl::OkStatus(); },
          [] { return std::string(); });
      REQUIRE(absl::IsInvalidArgument(started.status()));
      CHECK_THAT(
          std::string(started.status().message()),
          Catch::StartsWith("ops_listen: \"") && Catch::Contains(address));
    }
  }
}

TEST_CASE("ops server: a port in use is UNAVAILABLE naming the address",
          "[ops_server]") {
  auto first = StartOn(
      "127.0.0.1:0", [] { return absl::OkStatus(); },
      [] { return std::string(); });
  const std::string taken = "127.0.0.1:" + std::to_string(first->port());
  auto second = OpsServer::Start(
      taken, [] { return absl::OkStatus(); }, [] { return std::string(); });
  REQUIRE(absl::IsUnavailable(second.status()));
  CHECK_THAT(std::string(second.status().message()), Catch::Contains(taken));
}

TEST_CASE("ops server: once destroyed it stops answering, at any moment",
          "[ops_server]") {
  int port = 0;
  {
    auto server = StartOn(
        "127.0.0.1:0", [] { return absl::OkStatus(); },
        [] { return std::string(); });
    port = server->port();
    httplib::Client client("127.0.0.1", port);
    auto health = client.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
  }
  httplib::Client client("127.0.0.1", port);
  CHECK_FALSE(client.Get("/healthz"));

  // Destroyed straight after Start, before its thread may have begun
  // serving: the destructor still returns.
  for (int i = 0; i < 50; ++i) {
    auto server = StartOn(
        "127.0.0.1:0", [] { return absl::OkStatus(); },
        [] { return std::string(); });
    CHECK(server->port() > 0);
  }
}

}  // namespace
}  // namespace capi_bridge::ops
