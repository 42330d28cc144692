#include "server/render/yaml_writer.h"

#include "catch2/catch.hpp"
#include "server/config/yaml_json.h"
#include "server/render/deep_merge.h"
#include "tests/unit/render/spec_builder.h"

namespace capi_bridge::render {
namespace {

using nlohmann::json;

TEST_CASE("strings a YAML reader would retype are quoted", "[yaml]") {
  json doc = {{"version", "1.34.3"},   {"yes", "yes"},
              {"nothing", "null"},     {"hex", "0x1f"},
              {"cidr", "10.0.0.0/24"}, {"colon", "a: b"},
              {"dash", "-"},           {"empty", ""},
              {"lines", "a\nb"},       {"int", 3},
              {"bool", true},          {"null", nullptr},
              {"list", json::array()}, {"map", json::object()}};
  std::string yaml = ToYaml(doc);
  CHECK(yaml.find("version: \"1.34.3\"\n") != std::string::npos);
  CHECK(yaml.find("\"yes\": \"yes\"\n") != std::string::npos);
  CHECK(yaml.find("nothing: \"null\"\n") != std::string::npos);
  CHECK(yaml.find("hex: \"0x1f\"\n") != std::string::npos);
  CHECK(yaml.find("cidr: 10.0.0.0/24\n") != std::string::npos);
  CHECK(yaml.find("colon: \"a: b\"\n") != std::string::npos);
  CHECK(yaml.find("dash: \"-\"\n") != std::string::npos);
  CHECK(yaml.find("empty: \"\"\n") != std::string::npos);
  CHECK(yaml.find("lines: \"a\\nb\"\n") != std::string::npos);
  CHECK(yaml.find("int: 3\n") != std::string::npos);
  CHECK(yaml.find("\"null\": null\n") != std::string::npos);
  CHECK(yaml.find("list: []\n") != std::string::npos);
  CHECK(yaml.find("map: {}\n") != std::string::npos);
}

TEST_CASE("YAML output reads back as the same document", "[yaml]") {
  for (const std::string chart : {"0.10.1", "0.27.0"}) {
    json values =
        testing::Render(testing::FullFeaturedSpec(chart), chart).values;
    REQUIRE(values.is_object());
    json back = config::YamlToJson(YAML::Load(ToYaml(values)));
    CHECK(back == values);
  }
}

TEST_CASE("overrides merge like helm values files", "[yaml]") {
  json base =
      json::parse(R"({"a":{"b":1,"c":[1,2]},"keep":true,"gone":{"x":1}})");
  DeepMerge(json::parse(R"({"a":{"c":[3],"d":"new"},"gone":null})"), &base);
  CHECK(base == json::parse(R"({"a":{"b":1,"c":[3],"d":"new"},"keep":true})"));
}

}  // namespace
}  // namespace capi_bridge::render
