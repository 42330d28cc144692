#include "server/render/value_syntax.h"

#include "catch2/catch.hpp"

namespace capi_bridge::render {
namespace {

TEST_CASE("booleans: the oslo set and nothing else", "[syntax]") {
  for (const char* t : {"true", "TRUE", "yes", "On", "1", "t", "Y"}) {
    CHECK(ParseBool(t) == std::optional<bool>(true));
  }
  for (const char* f : {"false", "No", "off", "0", "F", "n"}) {
    CHECK(ParseBool(f) == std::optional<bool>(false));
  }
  for (const char* bad : {"", "maybe", "2", " true", "enabled"}) {
    CHECK_FALSE(ParseBool(bad).has_value());
  }
}

TEST_CASE("integers: decimal within bounds", "[syntax]") {
  CHECK(ParseInt("40", 0, 100) == std::optional<int64_t>(40));
  CHECK(ParseInt("-3", -5, 5) == std::optional<int64_t>(-3));
  for (const char* bad : {"", "+4", "4.0", "1e3", "0x10", "101", " 4"}) {
    CHECK_FALSE(ParseInt(bad, 0, 100).has_value());
  }
}

TEST_CASE("CIDRs: IPv4, zero host bits, optional bare addresses", "[syntax]") {
  CHECK(ParseCidr("10.0.0.0/24")->ToString() == "10.0.0.0/24");
  CHECK(ParseCidr("0.0.0.0/0")->ToString() == "0.0.0.0/0");
  CHECK_FALSE(ParseCidr("10.0.0.1/24"));
  CHECK_FALSE(ParseCidr("10.0.0.0/33"));
  CHECK_FALSE(ParseCidr("10.0.0/24"));
  CHECK_FALSE(ParseCidr("010.0.0.0/24"));
  CHECK_FALSE(ParseCidr("203.0.113.5"));
  CHECK(ParseCidr("203.0.113.5", true)->ToString() == "203.0.113.5/32");
  Ipv4Cidr big = *ParseCidr("10.0.0.0/8");
  CHECK(big.Contains(*ParseCidr("10.1.0.0/16")));
  CHECK_FALSE(ParseCidr("10.1.0.0/16")->Contains(big));
  CHECK(big.Overlaps(*ParseCidr("10.200.0.0/16")));
  CHECK_FALSE(big.Overlaps(*ParseCidr("172.16.0.0/13")));
}

TEST_CASE("names, URLs, DNS names, UUIDs and Kubernetes labels", "[syntax]") {
  CHECK(IsOpenStackName("nova"));
  CHECK(IsOpenStackName("fast ssd"));
  CHECK_FALSE(IsOpenStackName(""));
  CHECK_FALSE(IsOpenStackName("a,b"));
  CHECK_FALSE(IsOpenStackName(" a"));
  CHECK(IsDnsName("api.example.com"));
  CHECK_FALSE(IsDnsName("-a.example.com"));
  CHECK(IsHttpsUrl("https://auth.example.com/realms/x"));
  CHECK_FALSE(IsHttpsUrl("http://auth.example.com"));
  CHECK_FALSE(IsHttpsUrl("https://"));
  CHECK(IsUuid("3c5e9a70-1f2b-4d8e-9a61-7b0c2d4e6f81"));
  CHECK(IsUuid("3c5e9a701f2b4d8e9a617b0c2d4e6f81"));
  CHECK_FALSE(IsUuid("3c5e9a70-1f2b-4d8e-9a61"));
  CHECK(IsK8sLabelKey("example.com/gpu"));
  CHECK(IsK8sLabelKey("tier"));
  CHECK_FALSE(IsK8sLabelKey("bad key"));
  CHECK(IsK8sLabelValue(""));
  CHECK_FALSE(IsK8sLabelValue("-x"));
}

TEST_CASE("Kubernetes versions", "[syntax]") {
  CHECK(ParseKubeVersion("v1.34.3")->ToString() == "1.34.3");
  CHECK(ParseKubeVersion("1.27.4")->ToString() == "1.27.4");
  CHECK_FALSE(ParseKubeVersion("1.34"));
  CHECK_FALSE(ParseKubeVersion("v1.34.3-rc.0"));
}

TEST_CASE("comma lists trim spaces and drop empty items", "[syntax]") {
  CHECK(SplitCsv(" a, b ,,c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(SplitCsv("").empty());
}

}  // namespace
}  // namespace capi_bridge::render
