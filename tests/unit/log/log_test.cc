#include "server/log/log.h"

#include <string>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "nlohmann/json.hpp"
#include "server/shared/utf8.h"

namespace capi_bridge::log {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1700000000123);

Context VerbContext() {
  Context context;
  context.request_id = "req-42";
  context.verb = "CreateCluster";
  context.cluster_uuid = "0b1c";
  context.release = "demo-x7k2p";
  return context;
}

TEST_CASE("logfmt lines carry the verb context and quote what needs it",
          "[log]") {
  Context context = VerbContext();
  std::string line =
      FormatLine(Format::kLogfmt, kTime, Level::kInfo, "release applied",
                 &context, {{"revision", 3}, {"stderr", "a \"b\"\nc=d"}}, {});
  CHECK(line ==
        "ts=2023-11-14T22:13:20.123Z level=info msg=\"release applied\" "
        "request_id=req-42 verb=CreateCluster cluster_uuid=0b1c "
        "release=demo-x7k2p revision=3 stderr=\"a \\\"b\\\"\\nc=d\"");
}

TEST_CASE("log lines stay valid UTF-8 whatever the values hold", "[log]") {
  std::string line = FormatLine(Format::kLogfmt, kTime, Level::kWarn, "bad",
                                nullptr, {{"name", "gr\xc3\xbcn\xff"}}, {});
  CHECK(line.find("name=\"gr\xc3\xbcn\\xff\"") != std::string::npos);
  CHECK(util::IsValidUtf8(line));
  line = FormatLine(Format::kJson, kTime, Level::kWarn, "bad", nullptr,
                    {{"name", "\xc3"}}, {});
  CHECK(util::IsValidUtf8(line));
  CHECK_NOTHROW(nlohmann::json::parse(line));
}

TEST_CASE("JSON lines parse back to the same fields", "[log]") {
  Context context = VerbContext();
  std::string line =
      FormatLine(Format::kJson, kTime, Level::kWarn, "helm finished", &context,
                 {{"exit_code", 1}, {"stderr", "bad\tthing \xff"}}, {});
  auto parsed = nlohmann::json::parse(line);
  CHECK(parsed["level"] == "warn");
  CHECK(parsed["msg"] == "helm finished");
  CHECK(parsed["request_id"] == "req-42");
  CHECK(parsed["cluster_uuid"] == "0b1c");
  CHECK(parsed["release"] == "demo-x7k2p");
  CHECK(parsed["exit_code"] == "1");
  // Invalid UTF-8 is replaced rather than breaking the line.
  CHECK(parsed["stderr"].get<std::string>().rfind("bad\tthing ", 0) == 0);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("secrets are cut out of messages and values; secret keys hidden",
          "[log]") {
  const std::string secret = "s3cr3t-app-cred";
  std::string line =
      FormatLine(Format::kLogfmt, kTime, Level::kError,
                 "helm said: password " + secret + " rejected", nullptr,
                 {{"stderr", "values: " + secret},
                  {"application_credential_secret", "x"},
                  {"token", "abc"},
                  {"credential_id", "id-1"}},
                 {secret});
  INFO(line);
  CHECK(line.find(secret) == std::string::npos);
  CHECK(line.find("msg=\"helm said: password [redacted] rejected\"") !=
        std::string::npos);
  CHECK(line.find("application_credential_secret=[redacted]") !=
        std::string::npos);
  CHECK(line.find("token=[redacted]") != std::string::npos);
  CHECK(line.find("credential_id=id-1") != std::string::npos);
}

TEST_CASE("the context is per thread, nested scopes restore, secrets apply",
          "[log]") {
  std::vector<std::string> lines;
  SetSink([&lines](std::string_view line) { lines.emplace_back(line); });
  Configure(Format::kLogfmt, Level::kInfo);
  Debug("not shown at info");
  {
    Context context = VerbContext();
    context.secrets = {"key-material-123", "abc"};
    ScopedContext scope(std::move(context));
    SetRelease("renamed-rel");
    Info("with key-material-123 inside, abc too short to cut");
    std::thread other([] { Info("other thread"); });
    other.join();
    {
      Context inner;
      inner.request_id = "inner";
      ScopedContext nested(std::move(inner));
      Info("nested");
    }
    Info("restored");
  }
  Info("outside");
  SetSink(nullptr);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].find("release=renamed-rel") != std::string::npos);
  CHECK(lines[0].find("key-material-123") == std::string::npos);
  CHECK(lines[0].find("abc too short") != std::string::npos);
  CHECK(lines[1].find("request_id") == std::string::npos);
  CHECK(lines[2].find("request_id=inner") != std::string::npos);
  CHECK(lines[3].find("request_id=req-42") != std::string::npos);
  CHECK(lines[4].find("request_id") == std::string::npos);
}

TEST_CASE("format, level and request ids are checked", "[log]") {
  CHECK(ParseFormat("json").ok());
  CHECK(ParseFormat("logfmt").ok());
  CHECK(std::string(ParseFormat("xml").status().message()) ==
        "log format 'xml': expected logfmt or json");
  CHECK(*ParseLevel("warn") == Level::kWarn);
  CHECK_FALSE(ParseLevel("verbose").ok());
  std::string id = NewRequestId();
  CHECK(id.size() == 16);
  CHECK(ValidRequestId(id));
  CHECK(NewRequestId() != id);
  CHECK(ValidRequestId("req-0b1c2d3e-aaaa-bbbb-cccc-0123456789ab"));
  CHECK_FALSE(ValidRequestId(""));
  CHECK_FALSE(ValidRequestId("id with spaces"));
  CHECK_FALSE(ValidRequestId("x\ninjected=1"));
  CHECK_FALSE(ValidRequestId(std::string(65, 'a')));
}

}  // namespace
}  // namespace capi_bridge::log
