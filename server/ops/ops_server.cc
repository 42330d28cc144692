#include "server/ops/ops_server.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace capi_bridge::ops {

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(
    const std::string& address, std::function<absl::Status()> ready,
    std::function<std::string()> metrics) {
  auto colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ops_listen: \"", address, "\" is not host:port (e.g. 0.0.0.0:9180)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto out = std::unique_ptr<OpsServer>(new OpsServer());
  out->server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *out->server_;
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [ready](const httplib::Request&, httplib::Response& res) {
    absl::Status status = ready();
    res.status = status.ok() ? 200 : 503;
    res.set_content(status.ok()
                        ? std::string("ready\n")
                        : absl::StrCat("not ready: ", status.message(), "\n"),
                    "text/plain");
  });
  s.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), "text/plain; version=0.0.4");
  });
  // cpp-httplib's default sets SO_REUSEPORT, with which a second process
  // binds a port already served and shares its probes; SO_REUSEADDR alone
  // still allows a restart over connections in TIME_WAIT.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  out->port_ = port == 0 ? s.bind_to_any_port(host)
                         : (s.bind_to_port(host, port) ? port : -1);
  if (out->port_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("ops_listen: cannot listen on ", address));
  }
  OpsServer* self = out.get();
  out->thread_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->listen_returned_ = true;
  });
  return out;
}

OpsServer::~OpsServer() {
  if (server_ && thread_.joinable()) {
    // stop() does nothing before the thread has begun listening: wait for
    // that (or for its listen to have given up), else the join never ends.
    while (!server_->is_running() && !listen_returned_) {
      std::this_thread::yield();
    }
    server_->stop();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace capi_bridge::ops
