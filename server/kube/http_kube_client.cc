#include "server/kube/http_kube_client.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "server/process/run.h"

namespace capi_bridge::kube {
namespace {

using nlohmann::json;

std::string Escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

std::once_flag curl_init_once;

bool Retriable(int http_code) {
  return http_code == 429 || http_code == 500 || http_code == 502 ||
         http_code == 503 || http_code == 504;
}

bool RetriableCurl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// libcurl's short error, with its detail when it has one: for TLS the
// reason OpenSSL gave ("SSL certificate problem: certificate has expired",
// "unable to get local issuer certificate", "no alternative certificate
// subject name matches ...").
std::string CurlError(CURLcode rc, const char* detail) {
  std::string text = curl_easy_strerror(rc);
  if (detail != nullptr && detail[0] != '\0' && text != detail) {
    absl::StrAppend(&text, ": ", detail);
  }
  return text;
}

absl::Status StatusFromHttp(int code, const std::string& what,
                            const std::string& body, bool create) {
  std::string message;
  try {
    json status = json::parse(body);
    message = status.value("message", "");
  } catch (const json::exception&) {
  }
  if (message.empty()) message = body.substr(0, 200);
  std::string text = absl::StrCat("management cluster: ", what, ": HTTP ", code,
                                  ": ", message);
  switch (code) {
    case 400:
    case 422:
      return absl::InvalidArgumentError(text);
    case 401:
    case 403:
      return absl::PermissionDeniedError(text);
    case 404:
      return absl::NotFoundError(text);
    case 409:
      return create ? absl::AlreadyExistsError(text) : absl::AbortedError(text);
    case 410:
      return absl::OutOfRangeError(text);
    case 504:
      return absl::DeadlineExceededError(text);
    default:
      if (code == 429 || code >= 500) return absl::UnavailableError(text);
      return absl::UnknownError(text);
  }
}

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Splits a List document arriving in chunks into its items, each parsed
// alone as soon as its last byte has arrived, so that a list of any size
// costs one item's parse tree at a time instead of the whole page's. The
// rest of the document (apiVersion, kind, metadata) is kept with `items`
// emptied, to be parsed at the end. Strings are followed (brackets and
// braces inside them are text), escapes included.
class ListSplitter {
 public:
  explicit ListSplitter(const std::function<void(json&& item)>* on_item)
      : on_item_(on_item) {}

  // Feeds the next bytes; false once an item was not JSON.
  bool Feed(const char* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      const char c = data[i];
      if (in_items_ && depth_ >= 3) {
        item_.push_back(c);
      } else if (!in_items_) {
        rest_.push_back(c);
      }
      if (in_string_) {
        if (escaped_) {
          escaped_ = false;
        } else if (c == '\\') {
          escaped_ = true;
        } else if (c == '"') {
          in_string_ = false;
          if (depth_ == 1) last_key_ = std::move(text_);
          text_.clear();
        } else if (depth_ == 1 && text_.size() < 16) {
          text_.push_back(c);
        }
        continue;
      }
      switch (c) {
        case '"':
          in_string_ = true;
          text_.clear();
          break;
        case '{':
        case '[':
          if (depth_ == 1 && c == '[' && last_key_ == "items") {
            in_items_ = true;
          } else if (in_items_ && depth_ == 2 && c == '{') {
            item_.assign(1, '{');
          }
          ++depth_;
          break;
        case '}':
        case ']':
          --depth_;
          if (in_items_ && depth_ == 2 && c == '}') {
            if (!Deliver()) return false;
          } else if (in_items_ && depth_ == 1) {
            in_items_ = false;
            rest_.push_back(']');
          }
          break;
        case ',':
          if (depth_ == 1) last_key_.clear();
          break;
        default:
          break;
      }
    }
    return true;
  }

  // The document without its items ("items":[]); null when it is not JSON.
  json Rest() const { return json::parse(rest_, nullptr, false); }
  size_t items() const { return items_; }

 private:
  bool Deliver() {
    json item = json::parse(item_, nullptr, false);
    item_.clear();
    if (item.is_discarded()) return false;
    ++items_;
    (*on_item_)(std::move(item));
    return true;
  }

  const std::function<void(json&& item)>* on_item_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool in_items_ = false;
  std::string text_;      // the string being read at depth 1 (a key)
  std::string last_key_;  // the last key read at depth 1
  std::string item_;      // the bytes of the item being read
  std::string rest_;
  size_t items_ = 0;
};

struct HeaderState {
  int retry_after_seconds = -1;
};

struct SplitState {
  std::string* body;  // a body that is not a List's 200
  ListSplitter* splitter;
  CURL* curl;
  bool malformed = false;
};

size_t CollectList(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<SplitState*>(user);
  long code = 0;
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return CollectBody(data, size, count, state->body);
  if (!state->splitter->Feed(data, size * count)) {
    state->malformed = true;
    return 0;
  }
  return size * count;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  constexpr char kRetryAfter[] = "retry-after:";
  if (line.size() > sizeof(kRetryAfter)) {
    std::string lower = line.substr(0, sizeof(kRetryAfter) - 1);
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    if (lower == kRetryAfter) {
      int seconds = 0;
      std::string value = line.substr(sizeof(kRetryAfter) - 1);
      value.erase(0, value.find_first_not_of(' '));
      value.erase(value.find_last_not_of("\r\n ") + 1);
      if (absl::SimpleAtoi(value, &seconds)) {
        static_cast<HeaderState*>(user)->retry_after_seconds = seconds;
      }
    }
  }
  return size * count;
}

struct StreamState {
  std::string buffer;
  const std::function<bool(const WatchEvent&)>* on_event = nullptr;
  bool stopped = false;  // on_event returned false
  bool expired = false;  // an ERROR event with code 410
  std::string error;     // message of another ERROR event
  CURL* curl = nullptr;  // the transfer, to read its response code
};

// The most of a failed watch's body kept for its error message.
constexpr size_t kMaxErrorBody = 64 * 1024;

size_t CollectStream(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  long code = 0;
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) {
    // Not a stream of events (a 404 when the version is no longer served
    // comes as plain text): keep the body for Watch's error.
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, state->buffer.size());
    state->buffer.append(data, std::min(room, size * count));
    return size * count;
  }
  state->buffer.append(data, size * count);
  size_t newline;
  while ((newline = state->buffer.find('\n')) != std::string::npos) {
    std::string line = state->buffer.substr(0, newline);
    state->buffer.erase(0, newline + 1);
    if (line.empty()) continue;
    WatchEvent event;
    try {
      json parsed = json::parse(line);
      event.type = parsed.value("type", "");
      event.object = parsed.value("object", json::object());
    } catch (const json::exception&) {
      state->error = "malformed watch event";
      return 0;
    }
    if (event.type == "ERROR") {
      if (event.object.value("code", 0) == 410) {
        state->expired = true;
      } else {
        state->error = event.object.value("message", "watch error");
      }
      return 0;
    }
    if (!(*state->on_event)(event)) {
      state->stopped = true;
      return 0;
    }
  }
  return size * count;
}

// Progress callback of watches: aborts the transfer once the client shuts
// down (libcurl calls it about once a second on an idle stream).
int AbortOnShutdown(void* user, curl_off_t, curl_off_t, curl_off_t,
                    curl_off_t) {
  return static_cast<std::atomic<bool>*>(user)->load() ? 1 : 0;
}

// What tells one version of a file from the next without reading it: a
// file swapped in (the kubelet rotates projected tokens so) has another
// inode, one rewritten in place another modification time (to the
// nanosecond: a rotation within the second of the last read counts) or
// size.
std::string FileStamp(const struct stat& info) {
  return absl::StrCat(info.st_dev, ":", info.st_ino, ":", info.st_size, ":",
                      info.st_mtim.tv_sec, ".", info.st_mtim.tv_nsec);
}

absl::Status ShutdownError() {
  return absl::CancelledError("management cluster client is shutting down");
}

}  // namespace

std::string ResourcePath(const ResourceType& type, const std::string& ns,
                         const std::string& name) {
  std::string path = type.group.empty() ? absl::StrCat("/api/", type.version)
                                        : absl::StrCat("/apis/", type.group,
                                                       "/", type.version);
  if (type.namespaced && !ns.empty()) {
    absl::StrAppend(&path, "/namespaces/", ns);
  }
  absl::StrAppend(&path, "/", type.plural);
  if (!name.empty()) absl::StrAppend(&path, "/", name);
  return path;
}

struct HttpKubeClient::Request {
  std::string method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string content_type;
  bool create = false;  // 409 means AlreadyExists
  std::string accept = "application/json";
  // A List whose items go to `on_item` as they arrive (a 200's body is
  // then not kept); each attempt splits anew.
  const std::function<void(json&& item)>* on_item = nullptr;
  mutable std::optional<ListSplitter> splitter;
  std::string What() const { return absl::StrCat(method, " ", path); }
};

struct HttpKubeClient::Response {
  long code = 0;
  std::string body;
  int retry_after_seconds = -1;
};

struct HttpKubeClient::Credentials {
  std::string token;
  std::string cert_pem;
  std::string key_pem;
  absl::Time expiry = absl::InfiniteFuture();
  std::string token_file_stamp;  // FileStamp of the token file read
};

// What a prepared curl handle points at; must outlive the transfer.
struct HttpKubeClient::CurlSetup {
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  std::string auth;
  std::string request_id;
  curl_blob ca{}, cert{}, key{};
  ~CurlSetup() {
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }
};

void HttpKubeClient::Prepare(void* handle, const Credentials& credentials,
                             const std::string& content_type, CurlSetup* setup,
                             const std::string& accept) const {
  CURL* curl = static_cast<CURL*>(handle);
  setup->headers = curl_slist_append(nullptr, ("Accept: " + accept).c_str());
  if (!content_type.empty()) {
    setup->headers = curl_slist_append(
        setup->headers, ("Content-Type: " + content_type).c_str());
  }
  if (!credentials.token.empty()) {
    setup->auth = "Authorization: Bearer " + credentials.token;
    setup->headers = curl_slist_append(setup->headers, setup->auth.c_str());
  }
  // The verb's request id, for the API server's audit trail and proxies.
  if (const log::Context* context = log::CurrentContext();
      context != nullptr && !context->request_id.empty()) {
    setup->request_id = "X-Request-Id: " + context->request_id;
    setup->headers =
        curl_slist_append(setup->headers, setup->request_id.c_str());
  }
  if (!connect_to_.empty()) {
    setup->connect_to = curl_slist_append(nullptr, connect_to_.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, setup->connect_to);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, setup->headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "capi-bridge/1");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  if (!connection_.ca_pem.empty()) {
    setup->ca = {const_cast<char*>(connection_.ca_pem.data()),
                 connection_.ca_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &setup->ca);
  }
  if (connection_.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!credentials.cert_pem.empty()) {
    setup->cert = {const_cast<char*>(credentials.cert_pem.data()),
                   credentials.cert_pem.size(), CURL_BLOB_NOCOPY};
    setup->key = {const_cast<char*>(credentials.key_pem.data()),
                  credentials.key_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &setup->cert);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &setup->key);
  }
}

HttpKubeClient::HttpKubeClient(KubeConnection connection,
                               HttpKubeClientOptions options)
    : connection_(std::move(connection)), options_(options) {}

absl::StatusOr<std::unique_ptr<HttpKubeClient>> HttpKubeClient::Create(
    KubeConnection connection, HttpKubeClientOptions options) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_ALL); });
  if (connection.server.rfind("https://", 0) != 0 &&
      connection.server.rfind("http://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("management cluster server \"", connection.server,
                     "\" is not an https:// URL"));
  }
  std::unique_ptr<HttpKubeClient> client(
      new HttpKubeClient(std::move(connection), options));
  client->url_base_ = client->connection_.server;
  if (!client->connection_.tls_server_name.empty()) {
    // Connect to the configured host but speak TLS (SNI, verification) for
    // tls-server-name: put that name in the URL and map it back.
    std::string rest = client->url_base_.substr(8);
    std::string host_port = rest.substr(0, rest.find('/'));
    std::string port = "443";
    std::string host = host_port;
    if (auto colon = host_port.rfind(':');
        colon != std::string::npos && host_port.back() != ']') {
      host = host_port.substr(0, colon);
      port = host_port.substr(colon + 1);
    }
    client->url_base_ = absl::StrCat(
        "https://", client->connection_.tls_server_name, ":", port);
    client->connect_to_ = absl::StrCat(client->connection_.tls_server_name, ":",
                                       port, ":", host, ":", port);
  }
  return client;
}

HttpKubeClient::~HttpKubeClient() {
  absl::MutexLock lock(&pool_mu_);
  for (void* handle : pool_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpKubeClient::Borrow() {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!pool_.empty()) {
      void* handle = pool_.back();
      pool_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpKubeClient::Return(void* handle) {
  absl::MutexLock lock(&pool_mu_);
  pool_.push_back(handle);
}

absl::StatusOr<HttpKubeClient::Credentials> HttpKubeClient::CurrentCredentials(
    bool refresh) {
  absl::MutexLock lock(&credentials_mu_);
  const KubeConnection& c = connection_;
  if (credentials_ && !refresh && absl::Now() < credentials_->expiry) {
    if (c.token_file.empty()) return *credentials_;
    struct stat info;
    if (stat(c.token_file.c_str(), &info) == 0 &&
        FileStamp(info) == credentials_->token_file_stamp) {
      return *credentials_;
    }
  }
  Credentials fresh;
  fresh.token = c.token;
  fresh.cert_pem = c.client_cert_pem;
  fresh.key_pem = c.client_key_pem;
  if (!c.token_file.empty()) {
    // Stamped before it is read: a rotation in between is seen next time.
    struct stat info;
    const bool stamped = stat(c.token_file.c_str(), &info) == 0;
    std::ifstream in(c.token_file);
    if (!stamped || !in) {
      return absl::FailedPreconditionError(
          absl::StrCat(c.source, ": cannot read token file ", c.token_file));
    }
    std::ostringstream text;
    text << in.rdbuf();
    fresh.token = text.str();
    fresh.token.erase(fresh.token.find_last_not_of("\r\n ") + 1);
    fresh.token_file_stamp = FileStamp(info);
  }
  if (c.has_exec) {
    process::ProcessRequest run;
    run.argv.push_back(c.exec.command);
    run.argv.insert(run.argv.end(), c.exec.args.begin(), c.exec.args.end());
    run.env_overrides = c.exec.env;
    run.env_overrides.emplace_back("KUBERNETES_EXEC_INFO",
                                   json{{"apiVersion", c.exec.api_version},
                                        {"kind", "ExecCredential"},
                                        {"spec", {{"interactive", false}}}}
                                       .dump());
    run.deadline = absl::Now() + absl::Seconds(60);
    auto result = process::RunProcess(run);
    if (!result.ok()) {
      return absl::UnavailableError(
          absl::StrCat(c.source, ": exec credential plugin ", c.exec.command,
                       ": ", result.status().message()));
    }
    if (result->exit_code != 0) {
      return absl::UnavailableError(
          absl::StrCat(c.source, ": exec credential plugin ", c.exec.command,
                       " exited with ", result->exit_code, ": ",
                       result->stderr_data.substr(0, 300)));
    }
    try {
      json credential = json::parse(result->stdout_data);
      const json& status = credential.at("status");
      fresh.token = status.value("token", "");
      fresh.cert_pem = status.value("clientCertificateData", "");
      fresh.key_pem = status.value("clientKeyData", "");
      std::string expiry = status.value("expirationTimestamp", "");
      std::string error;
      if (!expiry.empty() &&
          !absl::ParseTime(absl::RFC3339_full, expiry, &fresh.expiry, &error)) {
        return absl::UnavailableError(
            absl::StrCat(c.source,
                         ": exec credential plugin gave a bad "
                         "expirationTimestamp \"",
                         expiry, "\""));
      }
    } catch (const json::exception&) {
      return absl::UnavailableError(
          absl::StrCat(c.source, ": exec credential plugin ", c.exec.command,
                       " did not print an ExecCredential with a status"));
    }
    if (fresh.token.empty() && fresh.cert_pem.empty()) {
      return absl::UnavailableError(
          absl::StrCat(c.source, ": exec credential plugin ", c.exec.command,
                       " gave neither a token nor a client certificate"));
    }
  }
  credentials_ = std::make_shared<const Credentials>(fresh);
  return fresh;
}

absl::StatusOr<HttpKubeClient::Response> HttpKubeClient::SendOnce(
    const Request& request, const Credentials& credentials) {
  CURL* curl = static_cast<CURL*>(Borrow());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_easy_reset(curl);
  std::string url = url_base_ + request.path;
  if (!request.query.empty()) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : request.query) {
      parts.push_back(absl::StrCat(k, "=", Escape(v)));
    }
    absl::StrAppend(&url, "?", absl::StrJoin(parts, "&"));
  }
  Response response;
  HeaderState headers_state;
  CurlSetup setup;
  Prepare(curl, credentials, request.content_type, &setup, request.accept);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout)));
  SplitState split{&response.body, nullptr, curl};
  if (request.on_item != nullptr) {
    // A list streams for as long as it has items: bounded by the server
    // going quiet for request_timeout, not by a total.
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<int64_t>(
                         1, absl::ToInt64Seconds(options_.request_timeout))));
    request.splitter.emplace(request.on_item);
    split.splitter = &*request.splitter;
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectList);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &split);
  } else {
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers_state);
  if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(request.body.size()));
  }
  char detail[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.code);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  Return(curl);
  response.retry_after_seconds = headers_state.retry_after_seconds;
  if (split.malformed) {
    return absl::UnavailableError(
        absl::StrCat("management cluster ", connection_.server, ": ",
                     request.What(), ": an item of the list is not JSON"));
  }
  if (rc != CURLE_OK) {
    std::string text =
        absl::StrCat("management cluster ", connection_.server, ": ",
                     request.What(), ": ", CurlError(rc, detail));
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(text);
    }
    if (RetriableCurl(rc)) return absl::UnavailableError(text);
    return absl::FailedPreconditionError(text);
  }
  return response;
}

absl::StatusOr<HttpKubeClient::Response> HttpKubeClient::Send(
    const Request& request) {
  absl::Duration backoff = options_.initial_backoff;
  thread_local std::mt19937 jitter(std::random_device{}());
  bool refreshed = false;
  absl::Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (shutdown_.load()) return ShutdownError();
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 1) stats_.retries.fetch_add(1, std::memory_order_relaxed);
    auto credentials = CurrentCredentials(false);
    if (!credentials.ok()) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      return credentials.status();
    }
    auto response = SendOnce(request, *credentials);
    if (log::Enabled(log::Level::kDebug)) {
      log::Debug("kube request",
                 {{"request", request.What()},
                  {"attempt", attempt},
                  {"http_status",
                   response.ok() ? absl::StrCat(response->code) : "none"}});
    }
    absl::Duration wait = backoff;
    if (response.ok()) {
      if (response->code == 401 && connection_.has_exec && !refreshed) {
        refreshed = true;  // the plugin's credential may have been revoked
        auto renewed = CurrentCredentials(true);
        if (!renewed.ok()) return renewed.status();
        --attempt;
        continue;
      }
      if (response->code < 400) return response;
      last = StatusFromHttp(static_cast<int>(response->code), request.What(),
                            response->body, request.create);
      if (!Retriable(static_cast<int>(response->code))) {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        return last;
      }
      if (response->retry_after_seconds >= 0) {
        wait = std::min(absl::Seconds(response->retry_after_seconds),
                        options_.max_backoff);
      }
    } else {
      last = response.status();
      if (!absl::IsUnavailable(last) && !absl::IsDeadlineExceeded(last)) {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        return last;
      }
    }
    if (attempt == options_.max_attempts) break;
    // A list cut after some of its items were handed on is not repeated
    // here (they would be handed twice): the caller lists again.
    if (request.splitter && request.splitter->items() > 0) break;
    std::uniform_real_distribution<double> spread(0.5, 1.0);
    absl::SleepFor(wait * spread(jitter));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  stats_.errors.fetch_add(1, std::memory_order_relaxed);
  return absl::Status(last.code(),
                      absl::StrCat(last.message(), " (after ",
                                   options_.max_attempts, " attempts)"));
}

absl::StatusOr<json> HttpKubeClient::SendJson(const Request& request) {
  auto response = Send(request);
  if (!response.ok()) return response.status();
  try {
    return json::parse(response->body);
  } catch (const json::exception&) {
    return absl::UnavailableError(absl::StrCat(
        "management cluster: ", request.What(), ": response is not JSON"));
  }
}

absl::StatusOr<json> HttpKubeClient::Get(const ResourceType& type,
                                         const std::string& ns,
                                         const std::string& name) {
  Request request;
  request.path = ResourcePath(type, ns, name);
  return SendJson(request);
}

absl::StatusOr<json> HttpKubeClient::GetApiGroup(const std::string& group) {
  Request request;
  request.path = absl::StrCat("/apis/", group);
  return SendJson(request);
}

absl::StatusOr<json> HttpKubeClient::List(const ResourceType& type,
                                          const std::string& ns,
                                          const std::string& label_selector) {
  json result = {{"items", json::array()}, {"metadata", json::object()}};
  auto version = ListEach(type, ns, label_selector, [&](json&& item) {
    result["items"].push_back(std::move(item));
  });
  if (!version.ok()) return version.status();
  result["metadata"]["resourceVersion"] = *version;
  return result;
}

absl::StatusOr<std::string> HttpKubeClient::ListEach(
    const ResourceType& type, const std::string& ns,
    const std::string& label_selector,
    const std::function<void(json&& item)>& on_item) {
  return ListPages(type, ns, label_selector, "application/json", on_item,
                   false);
}

absl::StatusOr<std::string> HttpKubeClient::ListEachCached(
    const ResourceType& type, const std::function<void(json&& item)>& on_item) {
  return ListPages(type, "", "", "application/json", on_item, true);
}

absl::StatusOr<std::string> HttpKubeClient::ListMetadataEach(
    const ResourceType& type, const std::string& ns,
    const std::string& label_selector,
    const std::function<void(json&& item)>& on_item) {
  // Metadata only where the API server offers it (every release since
  // 1.15), whole objects otherwise.
  return ListPages(type, ns, label_selector,
                   "application/json;as=PartialObjectMetadataList;"
                   "g=meta.k8s.io;v=v1,application/json",
                   on_item, false);
}

absl::StatusOr<std::string> HttpKubeClient::ListPages(
    const ResourceType& type, const std::string& ns,
    const std::string& label_selector, const std::string& accept,
    const std::function<void(json&& item)>& on_item, bool from_cache) {
  std::string continue_token;
  std::string version;
  do {
    Request request;
    request.accept = accept;
    request.on_item = &on_item;
    if (from_cache && continue_token.empty()) {
      // Any version: the API server answers from its watch cache, without
      // reading (and decoding) every object from etcd. A continue token
      // carries the version of the pages after the first.
      request.query.emplace_back("resourceVersion", "0");
    }
    request.path = ResourcePath(type, ns, "");
    if (!label_selector.empty()) {
      request.query.emplace_back("labelSelector", label_selector);
    }
    if (options_.list_page_size > 0) {
      request.query.emplace_back("limit",
                                 std::to_string(options_.list_page_size));
    }
    if (!continue_token.empty()) {
      request.query.emplace_back("continue", continue_token);
    }
    auto response = Send(request);
    if (!response.ok()) return response.status();
    json page = request.splitter ? request.splitter->Rest() : json();
    if (!page.is_object() || !page["metadata"].is_object()) {
      return absl::UnavailableError(absl::StrCat(
          "management cluster: ", request.What(), ": response is not JSON"));
    }
    version = page["metadata"].value("resourceVersion", "");
    continue_token = page["metadata"].value("continue", "");
  } while (!continue_token.empty());
  return version;
}

absl::StatusOr<json> HttpKubeClient::Apply(const ResourceType& type,
                                           const json& object,
                                           const std::string& field_manager) {
  Request request;
  request.method = "PATCH";
  const json& meta = object.at("metadata");
  request.path =
      ResourcePath(type, meta.value("namespace", ""), meta.value("name", ""));
  request.query = {{"fieldManager", field_manager}, {"force", "true"}};
  request.content_type = "application/apply-patch+yaml";
  request.body = object.dump();  // JSON is YAML
  return SendJson(request);
}

absl::StatusOr<json> HttpKubeClient::Create(const ResourceType& type,
                                            const json& object) {
  Request request;
  request.method = "POST";
  request.path =
      ResourcePath(type, object.at("metadata").value("namespace", ""), "");
  request.content_type = "application/json";
  request.body = object.dump();
  request.create = true;
  return SendJson(request);
}

absl::StatusOr<json> HttpKubeClient::Replace(const ResourceType& type,
                                             const json& object) {
  Request request;
  request.method = "PUT";
  const json& meta = object.at("metadata");
  request.path =
      ResourcePath(type, meta.value("namespace", ""), meta.value("name", ""));
  request.content_type = "application/json";
  request.body = object.dump();
  return SendJson(request);
}

absl::Status HttpKubeClient::Delete(const ResourceType& type,
                                    const std::string& ns,
                                    const std::string& name) {
  Request request;
  request.method = "DELETE";
  request.path = ResourcePath(type, ns, name);
  request.content_type = "application/json";
  request.body = R"({"propagationPolicy":"Background"})";
  return Send(request).status();
}

absl::Status HttpKubeClient::DeleteCollection(
    const ResourceType& type, const std::string& ns,
    const std::string& label_selector) {
  Request request;
  request.method = "DELETE";
  request.path = ResourcePath(type, ns, "");
  request.query.emplace_back("labelSelector", label_selector);
  return Send(request).status();
}

absl::Status HttpKubeClient::Watch(
    const ResourceType& type, const std::string& ns,
    const std::string& label_selector, const std::string& resource_version,
    absl::Duration timeout,
    const std::function<bool(const WatchEvent&)>& on_event) {
  if (shutdown_.load()) return ShutdownError();
  auto credentials = CurrentCredentials(false);
  if (!credentials.ok()) return credentials.status();
  stats_.requests.fetch_add(1, std::memory_order_relaxed);
  CURL* curl = static_cast<CURL*>(Borrow());
  curl_easy_reset(curl);
  std::string url = url_base_ + ResourcePath(type, ns, "");
  absl::StrAppend(
      &url, "?watch=true&allowWatchBookmarks=true",
      "&timeoutSeconds=", std::max<int64_t>(1, absl::ToInt64Seconds(timeout)));
  if (!resource_version.empty()) {
    absl::StrAppend(&url, "&resourceVersion=", Escape(resource_version));
  }
  if (!label_selector.empty()) {
    absl::StrAppend(&url, "&labelSelector=", Escape(label_selector));
  }
  StreamState state;
  state.on_event = &on_event;
  state.curl = curl;
  CurlSetup setup;
  Prepare(curl, *credentials, "", &setup);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(timeout + absl::Seconds(5))));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectStream);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortOnShutdown);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &shutdown_);
  char detail[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  Return(curl);
  std::string what = absl::StrCat("WATCH ", ResourcePath(type, ns, ""));
  if (state.stopped) return absl::OkStatus();
  if (rc == CURLE_ABORTED_BY_CALLBACK) return ShutdownError();
  if (state.expired || code == 410) {
    return absl::OutOfRangeError(
        absl::StrCat("management cluster: ", what, ": resource version ",
                     resource_version, " is too old; relist"));
  }
  // The response code first: a refused watch's body is not events.
  if (code >= 400) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    return StatusFromHttp(static_cast<int>(code), what, state.buffer, false);
  }
  if (!state.error.empty()) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    return absl::UnavailableError(
        absl::StrCat("management cluster: ", what, ": ", state.error));
  }
  if (rc != CURLE_OK && rc != CURLE_OPERATION_TIMEDOUT) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    return absl::UnavailableError(absl::StrCat("management cluster: ", what,
                                               ": ", CurlError(rc, detail)));
  }
  return absl::OkStatus();
}

}  // namespace capi_bridge::kube
