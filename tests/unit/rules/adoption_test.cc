// Adoption: the default StorageClass a deployed release keeps, and whether
// the bridge wrote a release before.
#include "server/rules/adoption.h"

#include "catch2/catch.hpp"

namespace capi_bridge::rules {
namespace {

using nlohmann::json;

json Cinder(const std::string& default_type,
            const std::vector<std::string>& others) {
  json additional = json::array();
  for (const std::string& type : others) {
    additional.push_back({{"name", type}, {"volumeType", type}});
  }
  return {{"addons",
           {{"openstack",
             {{"csiCinder",
               {{"defaultStorageClass",
                 {{"name", default_type}, {"volumeType", default_type}}},
                {"additionalStorageClasses", additional}}}}}}}};
}

TEST_CASE("an unconfigured new default keeps the deployed default class",
          "[adoption]") {
  json deployed = Cinder("standard", {"fast-ssd"});
  json rendered = Cinder("fast-ssd", {"standard"});
  auto warning = KeepDeployedDefaultStorageClass(deployed, false, &rendered);
  REQUIRE(warning.has_value());
  CHECK(warning->field == "addons.openstack.csiCinder.defaultStorageClass");
  CHECK(warning->message.find("kept volume type standard") !=
        std::string::npos);
  CHECK(rendered == Cinder("standard", {"fast-ssd"}));
}

TEST_CASE("a configured default moves the class, with a warning",
          "[adoption]") {
  json deployed = Cinder("standard", {"fast-ssd"});
  json rendered = Cinder("fast-ssd", {"standard"});
  auto warning = KeepDeployedDefaultStorageClass(deployed, true, &rendered);
  REQUIRE(warning.has_value());
  CHECK(warning->message.find("moves from volume type standard to fast-ssd") !=
        std::string::npos);
  CHECK(rendered == Cinder("fast-ssd", {"standard"}));
}

TEST_CASE("nothing to keep: same default, type gone, no Cinder classes",
          "[adoption]") {
  json same = Cinder("standard", {"fast-ssd"});
  json rendered = same;
  CHECK_FALSE(KeepDeployedDefaultStorageClass(same, false, &rendered));
  CHECK(rendered == same);

  json gone = Cinder("fast-ssd", {"archive"});
  CHECK_FALSE(
      KeepDeployedDefaultStorageClass(Cinder("legacy", {}), false, &gone));
  CHECK(gone == Cinder("fast-ssd", {"archive"}));

  json no_cinder = {
      {"addons", {{"openstack", {{"csiCinder", {{"enabled", false}}}}}}}};
  json copy = no_cinder;
  CHECK_FALSE(KeepDeployedDefaultStorageClass(same, false, &copy));
  CHECK(copy == no_cinder);
}

TEST_CASE("a release is the bridge's when any revision says so", "[adoption]") {
  helm::ReleaseRecord theirs, ours, rollback;
  theirs.description = "Install complete";
  ours.description = "capi-bridge UpdateCluster request req-1";
  rollback.description = "Rollback to 2";
  CHECK_FALSE(WrittenByBridge({theirs}));
  CHECK_FALSE(WrittenByBridge({}));
  CHECK(WrittenByBridge({theirs, ours, rollback}));
}

}  // namespace
}  // namespace capi_bridge::rules
