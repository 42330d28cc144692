// Structured logging: one line per event, JSON lines or logfmt.
//
// Every line carries a timestamp, level and message, then the context of
// the verb running on the calling thread (request id, verb, cluster uuid,
// helm release) and the event's own fields. Secrets never reach the
// output: fields whose key names a secret are replaced by "[redacted]",
// and every value registered as secret (the verb's credential and key
// material, the bridge's bearer token) is cut out of the message and all
// field values before formatting.
//
// Thread-safe. Lines are written whole (one write per line).
#ifndef CAPI_BRIDGE_SERVER_LOG_LOG_H_
#define CAPI_BRIDGE_SERVER_LOG_LOG_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace capi_bridge::log {

enum class Format { kLogfmt, kJson };
enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "logfmt" / "json"; "debug" / "info" / "warn" / "error".
absl::StatusOr<Format> ParseFormat(std::string_view text);
absl::StatusOr<Level> ParseLevel(std::string_view text);

struct Field {
  Field(std::string k, std::string v)
      : key(std::move(k)), value(std::move(v)) {}
  Field(std::string k, const char* v) : key(std::move(k)), value(v) {}
  template <typename Number,
            typename = std::enable_if_t<std::is_arithmetic_v<Number>>>
  Field(std::string k, Number v) : key(std::move(k)), value(absl::StrCat(v)) {}
  std::string key;
  std::string value;
};
using Fields = std::vector<Field>;

// What every line of one verb carries.
struct Context {
  std::string request_id;
  std::string verb;
  std::string cluster_uuid;
  std::string release;
  // Values cut out of every line logged under this context (those shorter
  // than 4 characters are ignored).
  std::vector<std::string> secrets;
};

// Installs `context` for the calling thread until destroyed (restoring the
// one before). Work a verb hands to another thread installs its own.
class ScopedContext {
 public:
  explicit ScopedContext(Context context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  Context context_;
  Context* previous_;
};

// The calling thread's context (null outside a verb).
const Context* CurrentContext();
// Sets the release of the current context once it is known (no-op
// outside a verb).
void SetRelease(const std::string& release);
// Adds a value cut out of every line of the process (e.g. the bearer
// token). Values shorter than 4 characters are ignored.
void AddGlobalSecret(const std::string& value);

// A fresh request id: 16 lowercase hex digits.
std::string NewRequestId();
// True when `id` is acceptable as a client-supplied request id: 1 to 64
// characters from [A-Za-z0-9._-].
bool ValidRequestId(std::string_view id);

// Process-wide output. Default: logfmt, info, stderr.
void Configure(Format format, Level level);
// Replaces where lines go (tests); null restores stderr.
void SetSink(std::function<void(std::string_view line)> sink);
bool Enabled(Level level);

void Log(Level level, std::string_view message, const Fields& fields = {});
inline void Debug(std::string_view m, const Fields& f = {}) {
  if (Enabled(Level::kDebug)) Log(Level::kDebug, m, f);
}
inline void Info(std::string_view m, const Fields& f = {}) {
  Log(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, const Fields& f = {}) {
  Log(Level::kWarn, m, f);
}
inline void Error(std::string_view m, const Fields& f = {}) {
  Log(Level::kError, m, f);
}

// The line for one event, without its newline (pure; exposed for tests).
// `secrets` are cut out as described above.
std::string FormatLine(Format format, absl::Time time, Level level,
                       std::string_view message, const Context* context,
                       const Fields& fields,
                       const std::vector<std::string>& secrets);

// True when a field named `key` holds a secret (password, token, secret,
// private key, credential secret).
bool SecretKey(std::string_view key);

}  // namespace capi_bridge::log

#endif  // CAPI_BRIDGE_SERVER_LOG_LOG_H_
