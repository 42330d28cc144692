#include "server/log/log.h"

#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "server/shared/utf8.h"

namespace capi_bridge::log {
namespace {

constexpr char kRedacted[] = "[redacted]";

thread_local Context* current = nullptr;

struct Output {
  absl::Mutex mu;
  Format format ABSL_GUARDED_BY(mu) = Format::kLogfmt;
  std::function<void(std::string_view)> sink ABSL_GUARDED_BY(mu);
  std::vector<std::string> global_secrets ABSL_GUARDED_BY(mu);
};

Output& TheOutput() {
  static Output* output = new Output();
  return *output;
}

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Values shorter than this are not cut out: they would mangle ordinary
// words, and no real secret is that short.
constexpr size_t kMinSecretLength = 4;

std::string Scrub(std::string_view text,
                  const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    if (secret.size() < kMinSecretLength) continue;
    absl::StrReplaceAll({{secret, kRedacted}}, &out);
  }
  return out;
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f) {
      return true;
    }
  }
  return !util::IsValidUtf8(value);
}

void AppendLogfmt(std::string* out, std::string_view key,
                  std::string_view value) {
  if (!out->empty()) out->push_back(' ');
  out->append(key);
  out->push_back('=');
  if (!NeedsQuotes(value)) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    const size_t n = util::Utf8SequenceLength(value, i);
    if (n > 1) {  // a whole multi-byte character
      out->append(value.data() + i, n);
      i += n;
      continue;
    }
    ++i;
    switch (n == 0 ? 0x100 : c) {  // 0x100: a byte that is not UTF-8
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (n == 0 || c < ' ' || c == 0x7f) {
          absl::StrAppend(out, "\\x", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

absl::StatusOr<Format> ParseFormat(std::string_view text) {
  if (text == "logfmt") return Format::kLogfmt;
  if (text == "json") return Format::kJson;
  return absl::InvalidArgumentError(absl::StrCat(
      "log format '", std::string(text), "': expected logfmt or json"));
}

absl::StatusOr<Level> ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("log level '", std::string(text),
                   "': expected debug, info, warn or error"));
}

ScopedContext::ScopedContext(Context context)
    : context_(std::move(context)), previous_(current) {
  current = &context_;
}

ScopedContext::~ScopedContext() { current = previous_; }

const Context* CurrentContext() { return current; }

void SetRelease(const std::string& release) {
  if (current != nullptr) current->release = release;
}

void AddGlobalSecret(const std::string& value) {
  Output& output = TheOutput();
  absl::MutexLock lock(&output.mu);
  output.global_secrets.push_back(value);
}

std::string NewRequestId() {
  unsigned char bytes[8] = {};
  if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
    static std::atomic<uint64_t> counter{0};
    uint64_t n = counter.fetch_add(1) ^ static_cast<uint64_t>(getpid()) << 32;
    for (int i = 0; i < 8; ++i)
      bytes[i] = static_cast<unsigned char>(n >> (8 * i));
  }
  std::string id;
  for (unsigned char b : bytes)
    absl::StrAppend(&id, absl::Hex(b, absl::kZeroPad2));
  return id;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

void Configure(Format format, Level level) {
  Output& output = TheOutput();
  absl::MutexLock lock(&output.mu);
  output.format = format;
  min_level.store(static_cast<int>(level));
}

void SetSink(std::function<void(std::string_view line)> sink) {
  Output& output = TheOutput();
  absl::MutexLock lock(&output.mu);
  output.sink = std::move(sink);
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

bool SecretKey(std::string_view key) {
  std::string lower = absl::AsciiStrToLower(std::string(key));
  for (const char* word : {"password", "secret", "token", "private_key"}) {
    if (absl::StrContains(lower, word)) return true;
  }
  return false;
}

std::string FormatLine(Format format, absl::Time time, Level level,
                       std::string_view message, const Context* context,
                       const Fields& fields,
                       const std::vector<std::string>& secrets) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.emplace_back("ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time,
                                            absl::UTCTimeZone()));
  pairs.emplace_back("level", LevelName(level));
  pairs.emplace_back("msg", Scrub(message, secrets));
  if (context != nullptr) {
    if (!context->request_id.empty()) {
      pairs.emplace_back("request_id", context->request_id);
    }
    if (!context->verb.empty()) pairs.emplace_back("verb", context->verb);
    if (!context->cluster_uuid.empty()) {
      pairs.emplace_back("cluster_uuid", context->cluster_uuid);
    }
    if (!context->release.empty()) {
      pairs.emplace_back("release", context->release);
    }
  }
  for (const Field& field : fields) {
    pairs.emplace_back(field.key, SecretKey(field.key)
                                      ? std::string(kRedacted)
                                      : Scrub(field.value, secrets));
  }
  if (format == Format::kJson) {
    nlohmann::ordered_json line = nlohmann::ordered_json::object();
    for (auto& [key, value] : pairs) line[key] = value;
    return line.dump(-1, ' ', false,
                     nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string out;
  for (const auto& [key, value] : pairs) AppendLogfmt(&out, key, value);
  return out;
}

void Log(Level level, std::string_view message, const Fields& fields) {
  if (!Enabled(level)) return;
  Output& output = TheOutput();
  absl::Time now = absl::Now();
  absl::MutexLock lock(&output.mu);
  std::vector<std::string> secrets = output.global_secrets;
  if (current != nullptr) {
    secrets.insert(secrets.end(), current->secrets.begin(),
                   current->secrets.end());
  }
  std::string line =
      FormatLine(output.format, now, level, message, current, fields, secrets);
  if (output.sink) {
    output.sink(line);
    return;
  }
  line.push_back('\n');
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

}  // namespace capi_bridge::log
