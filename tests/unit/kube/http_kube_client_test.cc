// HttpKubeClient against a tiny in-process API server (cpp-httplib on
// 127.0.0.1, a port the OS picks) reached through a kubeconfig: lists
// follow continue tokens and stream items out of a body sent in small
// chunks, the cache-served first list asks for resourceVersion=0, errors
// are judged by their HTTP status (a plain-text 404 is NOT_FOUND, not a
// parse error), a refused watch too, watches deliver events in order, and
// server-side apply sends its field manager and content type.
#include "server/kube/http_kube_client.h"

#include <httplib.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "catch2/catch.hpp"
#include "server/kube/kubeconfig.h"
#include "tests/unit/fakes/eventually.h"

namespace capi_bridge::kube {
namespace {

using json = nlohmann::json;

// A request as the server saw it.
struct Seen {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;
  std::string content_type;
  std::string authorization;
  std::string accept;
};

// An API server on 127.0.0.1: routes are added before Start(); every
// request is recorded.
class FakeApiServer {
 public:
  FakeApiServer() { server_.set_keep_alive_timeout(1); }
  ~FakeApiServer() {
    if (thread_.joinable()) {
      // stop() is only heard once the accept loop runs.
      while (!server_.is_running()) std::this_thread::yield();
      server_.stop();
      thread_.join();
    }
  }

  httplib::Server& routes() { return server_; }

  void Start() {
    server_.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response&) {
          Seen seen{request.method, request.path, {}, "", "", ""};
          for (const auto& [key, value] : request.params) {
            seen.params[key] = value;
          }
          seen.content_type = request.get_header_value("Content-Type");
          seen.authorization = request.get_header_value("Authorization");
          seen.accept = request.get_header_value("Accept");
          absl::MutexLock lock(&mu_);
          seen_.push_back(std::move(seen));
          return httplib::Server::HandlerResponse::Unhandled;
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  // A client for this server, from a kubeconfig whose user is `user`
  // (YAML at its indentation).
  std::unique_ptr<HttpKubeClient> Client(
      HttpKubeClientOptions options = {},
      const std::string& user = "    token: t0ken\n") {
    const std::string kubeconfig = absl::StrCat(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
        "clusters:\n- name: fake\n  cluster:\n    server: http://127.0.0.1:",
        port_,
        "\ncontexts:\n- name: test\n  context: {cluster: fake, user: bridge}\n"
        "users:\n- name: bridge\n  user:\n",
        user);
    auto connection =
        ParseKubeconfig(kubeconfig, "/nonexistent", "test kubeconfig", "");
    REQUIRE(connection.ok());
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(2);
    auto client = HttpKubeClient::Create(*connection, options);
    REQUIRE(client.ok());
    return *std::move(client);
  }

  std::vector<Seen> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

json Secret(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", "magnum-p1"}}}};
}

// A SecretList page of `names`, continued by `next` ("" = the last).
std::string Page(const std::vector<std::string>& names, const std::string& next,
                 const std::string& version) {
  json items = json::array();
  for (const std::string& name : names) items.push_back(Secret(name));
  return json{{"kind", "SecretList"},
              {"apiVersion", "v1"},
              {"metadata", {{"resourceVersion", version}, {"continue", next}}},
              {"items", items}}
      .dump();
}

std::vector<std::string> NamesOf(const json& list) {
  std::vector<std::string> names;
  for (const json& item : list["items"]) {
    names.push_back(item["metadata"]["name"]);
  }
  return names;
}

// Sends `body` in pieces of `piece` bytes, each its own HTTP chunk.
void SendChunked(httplib::Response& response, std::string body, size_t piece,
                 const std::string& content_type = "application/json") {
  response.set_chunked_content_provider(
      content_type,
      [body = std::move(body), piece](size_t, httplib::DataSink& sink) {
        for (size_t at = 0; at < body.size(); at += piece) {
          if (!sink.write(body.data() + at,
                          std::min(piece, body.size() - at))) {
            return false;
          }
        }
        sink.done();
        return true;
      });
}

constexpr char kSecrets[] = "/api/v1/namespaces/magnum-p1/secrets";
constexpr char kAllSecrets[] = "/api/v1/secrets";

TEST_CASE("HttpKubeClient: List follows continue tokens, every page in order",
          "[http_kube_client]") {
  FakeApiServer api;
  // The token carries characters a query must escape.
  const std::string token = "page 2/3+=&";
  api.routes().Get(kSecrets, [&](const httplib::Request& request,
                                 httplib::Response& response) {
    const std::string next = request.get_param_value("continue");
    if (next.empty()) {
      response.set_content(Page({"a", "b"}, token, "10"), "application/json");
    } else if (next == token) {
      response.set_content(Page({"c", "d"}, "last", "10"), "application/json");
    } else if (next == "last") {
      response.set_content(Page({"e"}, "", "10"), "application/json");
    } else {
      response.status = 410;
    }
  });
  api.Start();
  HttpKubeClientOptions options;
  options.list_page_size = 2;
  auto client = api.Client(options);

  auto list = client->List(kinds::kSecret, "magnum-p1", "owner=bridge");
  REQUIRE(list.ok());
  CHECK(NamesOf(*list) == std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK((*list)["metadata"]["resourceVersion"] == "10");

  std::vector<Seen> seen = api.seen();
  REQUIRE(seen.size() == 3);
  for (Seen& request : seen) {
    CHECK(request.method == "GET");
    CHECK(request.params["limit"] == "2");
    CHECK(request.params["labelSelector"] == "owner=bridge");
    // A consistent list: no resourceVersion, so never from a cache.
    CHECK(request.params.count("resourceVersion") == 0);
    CHECK(request.authorization == "Bearer t0ken");
  }
  CHECK(seen[0].params.count("continue") == 0);
  CHECK(seen[1].params["continue"] == token);
  CHECK(seen[2].params["continue"] == "last");
}

TEST_CASE(
    "HttpKubeClient: ListEach hands on every item of a list that arrives in "
    "small chunks",
    "[http_kube_client]") {
  // Items whose strings hold what would end an item if read as structure.
  json items = json::array();
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    const std::string name = absl::StrCat("secret-", i);
    names.push_back(name);
    json item = Secret(name);
    item["data"] = {{"tricky", absl::StrCat("}]\\\"{\"items\":[", i, "]},{")},
                    {"nested", {{"list", {1, {{"a", "]"}}, json::array()}}}}};
    items.push_back(item);
  }
  // `items` first and the list's metadata after it, as any order is JSON.
  const std::string body = json{{"items", items},
                                {"kind", "SecretList"},
                                {"metadata", {{"resourceVersion", "4242"}}}}
                               .dump();
  FakeApiServer api;
  api.routes().Get(kAllSecrets,
                   [&](const httplib::Request&, httplib::Response& response) {
                     SendChunked(response, body, 7);
                   });
  api.Start();
  auto client = api.Client();

  std::vector<json> got;
  auto version = client->ListEach(kinds::kSecret, "", "", [&](json&& item) {
    got.push_back(std::move(item));
  });
  REQUIRE(version.ok());
  CHECK(*version == "4242");
  REQUIRE(got.size() == items.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == items[i]);  // each item whole, in the list's order
  }
}

TEST_CASE(
    "HttpKubeClient: ListEachCached asks for resourceVersion=0 first, then "
    "continues by token",
    "[http_kube_client]") {
  FakeApiServer api;
  api.routes().Get(kAllSecrets, [&](const httplib::Request& request,
                                    httplib::Response& response) {
    const bool first = !request.has_param("continue");
    response.set_content(
        first ? Page({"a", "b"}, "more", "7") : Page({"c"}, "", "7"),
        "application/json");
  });
  api.Start();
  HttpKubeClientOptions options;
  options.list_page_size = 2;
  auto client = api.Client(options);

  std::vector<std::string> names;
  auto version = client->ListEachCached(kinds::kSecret, [&](json&& item) {
    names.push_back(item["metadata"]["name"]);
  });
  REQUIRE(version.ok());
  CHECK(*version == "7");
  CHECK(names == std::vector<std::string>{"a", "b", "c"});
  std::vector<Seen> seen = api.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].path == kAllSecrets);
  CHECK(seen[0].params["resourceVersion"] == "0");
  // The token carries the version of the pages after the first.
  CHECK(seen[1].params.count("resourceVersion") == 0);
  CHECK(seen[1].params["continue"] == "more");
}

// A Kubernetes Status document, as the API server sends with an error.
std::string StatusBody(int code, const std::string& message) {
  return json{{"kind", "Status"},
              {"apiVersion", "v1"},
              {"status", "Failure"},
              {"message", message},
              {"code", code}}
      .dump();
}

TEST_CASE("HttpKubeClient: an error reply is judged by its HTTP status",
          "[http_kube_client]") {
  FakeApiServer api;
  auto reply = [](int code, std::string body, std::string type) {
    return [code, body, type](const httplib::Request&,
                              httplib::Response& response) {
      response.status = code;
      response.set_content(body, type);
    };
  };
  // The API server's plain-text 404 for a path it does not serve.
  api.routes().Get("/apis/gone.example/v1/things",
                   reply(404, "404 page not found\n", "text/plain"));
  api.routes().Get(R"(/api/v1/namespaces/magnum-p1/secrets/.+)",
                   reply(403,
                         StatusBody(403,
                                    "secrets \"s\" is forbidden: User "
                                    "cannot get resource"),
                         "application/json"));
  api.routes().Post(kSecrets, reply(409,
                                    StatusBody(409,
                                               "secrets \"s\" already "
                                               "exists"),
                                    "application/json"));
  api.routes().Put(R"(/api/v1/namespaces/magnum-p1/secrets/s)",
                   reply(409, StatusBody(409, "the object has been modified"),
                         "application/json"));
  api.routes().Get(kAllSecrets,
                   reply(410, StatusBody(410, "too old resource version"),
                         "application/json"));
  api.routes().Patch(
      R"(/api/v1/namespaces/magnum-p1/secrets/s)",
      reply(422, StatusBody(422, "data: Invalid value"), "application/json"));
  api.Start();
  auto client = api.Client();

  ResourceType gone{"gone.example", "v1", "things", "Thing"};
  absl::Status not_served = client->List(gone, "", "").status();
  CHECK(absl::IsNotFound(not_served));
  CHECK_THAT(std::string(not_served.message()),
             Catch::Contains("HTTP 404: 404 page not found"));
  CHECK_THAT(std::string(not_served.message()), !Catch::Contains("not JSON"));

  absl::Status forbidden =
      client->Get(kinds::kSecret, "magnum-p1", "s").status();
  CHECK(absl::IsPermissionDenied(forbidden));
  CHECK_THAT(std::string(forbidden.message()),
             Catch::Contains("is forbidden: User cannot get resource"));

  CHECK(absl::IsAlreadyExists(
      client->Create(kinds::kSecret, Secret("s")).status()));
  CHECK(absl::IsAborted(client->Replace(kinds::kSecret, Secret("s")).status()));
  CHECK(absl::IsOutOfRange(client->List(kinds::kSecret, "", "").status()));
  CHECK(absl::IsInvalidArgument(
      client->Apply(kinds::kSecret, Secret("s"), "capi-bridge").status()));
  // None of these is retried.
  CHECK(client->stats().retries.load() == 0);
}

TEST_CASE("HttpKubeClient: 503 is retried and the next answer returned",
          "[http_kube_client]") {
  FakeApiServer api;
  int calls = 0;  // handled on the server's threads, one request at a time
  absl::Mutex mu;
  api.routes().Get(R"(/api/v1/namespaces/magnum-p1/secrets/s)",
                   [&](const httplib::Request&, httplib::Response& response) {
                     absl::MutexLock lock(&mu);
                     if (++calls == 1) {
                       response.status = 503;
                       response.set_content("busy", "text/plain");
                     } else {
                       response.set_content(Secret("s").dump(),
                                            "application/json");
                     }
                   });
  api.Start();
  auto client = api.Client();
  auto secret = client->Get(kinds::kSecret, "magnum-p1", "s");
  REQUIRE(secret.ok());
  CHECK((*secret)["metadata"]["name"] == "s");
  CHECK(client->stats().retries.load() == 1);
}

std::string Event(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

json Versioned(const std::string& name, const std::string& version) {
  json object = Secret(name);
  object["metadata"]["resourceVersion"] = version;
  return object;
}

TEST_CASE("HttpKubeClient: Watch delivers events in order until told to stop",
          "[http_kube_client]") {
  std::string stream =
      Event("ADDED", Versioned("a", "11")) +
      Event("MODIFIED", Versioned("a", "12")) +
      Event("BOOKMARK", {{"metadata", {{"resourceVersion", "13"}}}}) +
      Event("DELETED", Versioned("a", "14")) +
      Event("ADDED", Versioned("b", "15"));
  FakeApiServer api;
  api.routes().Get(kAllSecrets,
                   [&](const httplib::Request&, httplib::Response& response) {
                     SendChunked(response, stream, 5);
                   });
  api.Start();
  auto client = api.Client();

  SECTION("every event, in order, until the stream ends") {
    std::vector<std::string> got;
    absl::Status status = client->Watch(
        kinds::kSecret, "", "owner=bridge", "10", absl::Seconds(30),
        [&](const WatchEvent& event) {
          got.push_back(absl::StrCat(
              event.type, " ", event.object["metadata"].value("name", ""), "@",
              event.object["metadata"].value("resourceVersion", "")));
          return true;
        });
    CHECK(status.ok());
    CHECK(got == std::vector<std::string>{"ADDED a@11", "MODIFIED a@12",
                                          "BOOKMARK @13", "DELETED a@14",
                                          "ADDED b@15"});
    std::vector<Seen> seen = api.seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].params["watch"] == "true");
    CHECK(seen[0].params["allowWatchBookmarks"] == "true");
    CHECK(seen[0].params["resourceVersion"] == "10");
    CHECK(seen[0].params["labelSelector"] == "owner=bridge");
    CHECK(seen[0].params["timeoutSeconds"] == "30");
  }
  SECTION("the callback stops it") {
    int delivered = 0;
    absl::Status status =
        client->Watch(kinds::kSecret, "", "", "10", absl::Seconds(30),
                      [&](const WatchEvent& event) {
                        ++delivered;
                        return event.type != "DELETED";
                      });
    CHECK(status.ok());
    CHECK(delivered == 4);
  }
}

TEST_CASE(
    "HttpKubeClient: a refused watch is judged by its HTTP code, not read as "
    "events",
    "[http_kube_client]") {
  FakeApiServer api;
  // A version no longer served: the API server's plain-text 404.
  api.routes().Get("/apis/cluster.x-k8s.io/v1beta1/clusters",
                   [](const httplib::Request&, httplib::Response& response) {
                     response.status = 404;
                     response.set_content("404 page not found\n", "text/plain");
                   });
  api.routes().Get("/api/v1/namespaces/magnum-p1/secrets",
                   [](const httplib::Request&, httplib::Response& response) {
                     response.status = 403;
                     response.set_content(
                         StatusBody(403, "secrets is forbidden"),
                         "application/json");
                   });
  api.routes().Get(
      kAllSecrets, [](const httplib::Request&, httplib::Response& response) {
        response.status = 410;
        response.set_content(StatusBody(410, "too old"), "application/json");
      });
  api.routes().Get("/api/v1/configmaps", [](const httplib::Request&,
                                            httplib::Response& response) {
    // The version expired while the stream was open.
    SendChunked(response,
                Event("ERROR",
                      json::parse(StatusBody(410, "too old resource version"))),
                4);
  });
  api.Start();
  auto client = api.Client();
  int events = 0;
  auto count = [&](const WatchEvent&) {
    ++events;
    return true;
  };

  absl::Status not_served =
      client->Watch(kinds::kCluster, "", "", "5", absl::Seconds(30), count);
  CHECK(absl::IsNotFound(not_served));
  CHECK_THAT(std::string(not_served.message()),
             Catch::Contains("404 page not found"));
  CHECK_THAT(std::string(not_served.message()), !Catch::Contains("malformed"));

  absl::Status forbidden = client->Watch(kinds::kSecret, "magnum-p1", "", "5",
                                         absl::Seconds(30), count);
  CHECK(absl::IsPermissionDenied(forbidden));
  CHECK_THAT(std::string(forbidden.message()),
             Catch::Contains("secrets is forbidden"));

  CHECK(absl::IsOutOfRange(
      client->Watch(kinds::kSecret, "", "", "5", absl::Seconds(30), count)));
  ResourceType config_maps{"", "v1", "configmaps", "ConfigMap"};
  CHECK(absl::IsOutOfRange(
      client->Watch(config_maps, "", "", "5", absl::Seconds(30), count)));
  CHECK(events == 0);
}

TEST_CASE(
    "HttpKubeClient: Apply is a forced server-side apply as the field "
    "manager",
    "[http_kube_client]") {
  FakeApiServer api;
  api.routes().Patch(
      R"(/api/v1/namespaces/magnum-p1/secrets/s)",
      [](const httplib::Request& request, httplib::Response& response) {
        // The object as stored: the body applied (read after routing, so
        // not in Seen).
        json stored = json::parse(request.body);
        stored["metadata"]["resourceVersion"] = "99";
        response.set_content(stored.dump(), "application/json");
      });
  api.Start();
  auto client = api.Client();
  json secret = Secret("s");
  secret["stringData"] = {{"key", "value"}};

  auto stored = client->Apply(kinds::kSecret, secret, "capi-bridge");
  REQUIRE(stored.ok());
  json expected = secret;
  expected["metadata"]["resourceVersion"] = "99";
  CHECK(*stored == expected);
  std::vector<Seen> seen = api.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "PATCH");
  CHECK(seen[0].content_type == "application/apply-patch+yaml");
  CHECK(seen[0].params["fieldManager"] == "capi-bridge");
  CHECK(seen[0].params["force"] == "true");
}

TEST_CASE(
    "HttpKubeClient: ListMetadataEach asks for object metadata only, whole "
    "objects as a fallback",
    "[http_kube_client]") {
  FakeApiServer api;
  api.routes().Get(
      kAllSecrets, [](const httplib::Request&, httplib::Response& response) {
        response.set_content(Page({"a"}, "", "3"), "application/json");
      });
  api.Start();
  auto client = api.Client();
  int items = 0;
  auto version = client->ListMetadataEach(kinds::kSecret, "", "",
                                          [&](json&&) { ++items; });
  REQUIRE(version.ok());
  CHECK(items == 1);
  std::vector<Seen> seen = api.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].accept ==
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
        "application/json");
}

TEST_CASE(
    "HttpKubeClient: Shutdown ends a running watch with CANCELLED and "
    "refuses new requests",
    "[http_kube_client]") {
  FakeApiServer api;
  absl::Notification release;  // ends the server's side of the stream
  api.routes().Get(
      kAllSecrets, [&](const httplib::Request&, httplib::Response& response) {
        response.set_chunked_content_provider(
            "application/json", [&](size_t, httplib::DataSink& sink) {
              // An open watch with nothing to say until the test is over.
              release.WaitForNotification();
              sink.done();
              return true;
            });
      });
  api.Start();
  auto client = api.Client();

  absl::Status ended;
  absl::Notification watch_returned;
  std::thread watcher([&] {
    ended = client->Watch(kinds::kSecret, "", "", "5", absl::Hours(1),
                          [](const WatchEvent&) { return true; });
    watch_returned.Notify();
  });
  // Once the server has the watch, the bridge shuts down.
  const bool asked = testing::Eventually([&] { return !api.seen().empty(); });
  client->Shutdown();
  const bool returned = watch_returned.WaitForNotificationWithTimeout(
      absl::Minutes(1));  // a bound against a hang only
  release.Notify();
  watcher.join();
  REQUIRE(asked);
  REQUIRE(returned);
  CHECK(absl::IsCancelled(ended));
  // A request after the shutdown never reaches the server.
  CHECK(absl::IsCancelled(
      client->Get(kinds::kSecret, "magnum-p1", "s").status()));
  CHECK(absl::IsCancelled(
      client->Watch(kinds::kSecret, "", "", "5", absl::Hours(1),
                    [](const WatchEvent&) { return true; })));
  CHECK(api.seen().size() == 1);
}

TEST_CASE(
    "HttpKubeClient: a token file is read again when it is replaced, as "
    "projected service-account tokens rotate",
    "[http_kube_client]") {
  char dir_template[] = "/tmp/http-kube-client-test-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  REQUIRE(dir != nullptr);
  const std::string token_path = std::string(dir) + "/token";
  // As the kubelet rotates it: a new file swapped in for the old.
  auto rotate_to = [&](const std::string& token) {
    const std::string next = token_path + ".next";
    {
      std::ofstream out(next);
      out << token << "\n";
    }
    REQUIRE(std::rename(next.c_str(), token_path.c_str()) == 0);
  };
  rotate_to("first-token");

  FakeApiServer api;
  api.routes().Get(R"(/api/v1/namespaces/magnum-p1/secrets/s)",
                   [](const httplib::Request&, httplib::Response& response) {
                     response.set_content(Secret("s").dump(),
                                          "application/json");
                   });
  api.Start();
  auto client =
      api.Client({}, absl::StrCat("    tokenFile: ", token_path, "\n"));

  REQUIRE(client->Get(kinds::kSecret, "magnum-p1", "s").ok());
  REQUIRE(client->Get(kinds::kSecret, "magnum-p1", "s").ok());
  // Rotated within the same second as the last read.
  rotate_to("second-token");
  REQUIRE(client->Get(kinds::kSecret, "magnum-p1", "s").ok());

  std::vector<Seen> seen = api.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].authorization == "Bearer first-token");
  CHECK(seen[1].authorization == "Bearer first-token");
  CHECK(seen[2].authorization == "Bearer second-token");
  std::remove(token_path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace capi_bridge::kube
