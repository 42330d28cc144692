// HttpKubeClient: KubeClient over libcurl.
//
// Connections are reused (a pool of curl handles, each keeping its
// connections alive). Requests that fail with 429, 5xx or a connection
// error are retried with exponential backoff and jitter (Retry-After is
// honoured up to the backoff cap); every request has a connect and a total
// timeout. Credentials: client certificate, static token, token file
// (re-read when it changes, as projected service-account tokens rotate), or
// an exec plugin (run on first use and again when its credential expires or
// the server answers 401).
#ifndef CAPI_BRIDGE_SERVER_KUBE_HTTP_KUBE_CLIENT_H_
#define CAPI_BRIDGE_SERVER_KUBE_HTTP_KUBE_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/kube/kube_client.h"
#include "server/kube/kubeconfig.h"

namespace capi_bridge::kube {

struct HttpKubeClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // Attempts per request, the first included.
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // Page size of LIST requests (0 = no limit).
  int list_page_size = 500;
};

// Counters for metrics; read with relaxed loads.
struct KubeClientStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};   // requests that ended in an error
  std::atomic<uint64_t> retries{0};  // attempts beyond the first
};

class HttpKubeClient final : public KubeClient {
 public:
  // Validates the connection (e.g. the server URL).
  static absl::StatusOr<std::unique_ptr<HttpKubeClient>> Create(
      KubeConnection connection, HttpKubeClientOptions options = {});
  ~HttpKubeClient() override;

  absl::StatusOr<nlohmann::json> Get(const ResourceType& type,
                                     const std::string& ns,
                                     const std::string& name) override;
  absl::StatusOr<nlohmann::json> List(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector) override;
  absl::StatusOr<std::string> ListEach(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector,
      const std::function<void(nlohmann::json&& item)>& on_item) override;
  absl::StatusOr<std::string> ListMetadataEach(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector,
      const std::function<void(nlohmann::json&& item)>& on_item) override;
  absl::StatusOr<std::string> ListEachCached(
      const ResourceType& type,
      const std::function<void(nlohmann::json&& item)>& on_item) override;
  absl::StatusOr<nlohmann::json> Apply(
      const ResourceType& type, const nlohmann::json& object,
      const std::string& field_manager) override;
  absl::StatusOr<nlohmann::json> Create(const ResourceType& type,
                                        const nlohmann::json& object) override;
  absl::StatusOr<nlohmann::json> Replace(const ResourceType& type,
                                         const nlohmann::json& object) override;
  absl::Status Delete(const ResourceType& type, const std::string& ns,
                      const std::string& name) override;
  absl::Status DeleteCollection(const ResourceType& type, const std::string& ns,
                                const std::string& label_selector) override;
  absl::Status Watch(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector, const std::string& resource_version,
      absl::Duration timeout,
      const std::function<bool(const WatchEvent&)>& on_event) override;
  absl::StatusOr<nlohmann::json> GetApiGroup(const std::string& group) override;
  void Shutdown() override { shutdown_.store(true); }

  const KubeClientStats& stats() const { return stats_; }
  const std::string& server() const { return connection_.server; }

 private:
  struct Request;
  struct Response;
  struct Credentials;
  struct CurlSetup;

  HttpKubeClient(KubeConnection connection, HttpKubeClientOptions options);
  absl::StatusOr<Response> Send(const Request& request);
  // Send, then the body parsed as JSON (UNAVAILABLE when it is not).
  absl::StatusOr<nlohmann::json> SendJson(const Request& request);
  absl::StatusOr<Response> SendOnce(const Request& request,
                                    const Credentials& credentials);
  absl::StatusOr<Credentials> CurrentCredentials(bool refresh);
  // Headers, authentication, TLS and timeouts common to every request.
  absl::StatusOr<std::string> ListPages(
      const ResourceType& type, const std::string& ns,
      const std::string& label_selector, const std::string& accept,
      const std::function<void(nlohmann::json&& item)>& on_item,
      bool from_cache);
  void Prepare(void* curl, const Credentials& credentials,
               const std::string& content_type, CurlSetup* setup,
               const std::string& accept = "application/json") const;
  void* Borrow();
  void Return(void* handle);

  KubeConnection connection_;
  HttpKubeClientOptions options_;
  std::string url_base_;    // scheme://host:port used in URLs
  std::string connect_to_;  // CURLOPT_CONNECT_TO entry for tls-server-name
  KubeClientStats stats_;
  std::atomic<bool> shutdown_{false};

  absl::Mutex pool_mu_;
  std::vector<void*> pool_ ABSL_GUARDED_BY(pool_mu_);

  absl::Mutex credentials_mu_;
  std::shared_ptr<const Credentials> credentials_
      ABSL_GUARDED_BY(credentials_mu_);
};

// "/api/v1/namespaces/ns/secrets/name" for a type, namespace and name (both
// may be empty); exposed for tests.
std::string ResourcePath(const ResourceType& type, const std::string& ns,
                         const std::string& name);

}  // namespace capi_bridge::kube

#endif  // CAPI_BRIDGE_SERVER_KUBE_HTTP_KUBE_CLIENT_H_
