// StatusRules, row by row: the rules of magnum-capi-helm (the Python driver)
// and each failure rule the bridge adds. Objects are written as the
// Kubernetes JSON CAPI serves and go through the record projections, as the
// watch cache does.
#include "server/status/status_rules.h"

#include <functional>
#include <string>

#include "catch2/catch.hpp"

namespace capi_bridge::status {
namespace {

using json = nlohmann::json;
constexpr const char* kRelease = "shop-k3vq7x2mzp4a";
constexpr const char* kNs = "magnum-p1";
const absl::Time kNow = absl::FromUnixSeconds(1800000000);

json Cond(const std::string& type, bool ok, const std::string& reason = "",
          const std::string& severity = "", const std::string& message = "") {
  json c = {{"type", type}, {"status", ok ? "True" : "False"}};
  if (!ok) {
    c["reason"] = reason;
    c["severity"] = severity.empty() ? "Info" : severity;
    if (!message.empty()) c["message"] = message;
  }
  return c;
}

json Meta(const std::string& name, json labels = json::object()) {
  labels["cluster.x-k8s.io/cluster-name"] = kRelease;
  return {{"name", name},
          {"namespace", kNs},
          {"labels", labels},
          {"creationTimestamp", "2027-01-15T08:00:00Z"}};
}

// A healthy cluster: 1 control-plane machine, default-worker x2, 2 addons.
struct World {
  json cluster = {
      {"kind", "Cluster"},
      {"metadata", Meta(kRelease)},
      {"spec",
       {{"controlPlaneEndpoint", {{"host", "203.0.113.9"}, {"port", 6443}}}}},
      {"status",
       {{"phase", "Provisioned"},
        {"conditions",
         {Cond("Ready", true), Cond("ControlPlaneReady", true),
          Cond("InfrastructureReady", true)}}}}};
  json osc = {
      {"kind", "OpenStackCluster"},
      {"metadata", Meta(kRelease)},
      {"status", {{"ready", true}, {"conditions", {Cond("Ready", true)}}}}};
  json kcp = {
      {"kind", "KubeadmControlPlane"},
      {"metadata", Meta(std::string(kRelease) + "-control-plane")},
      {"spec", {{"replicas", 1}, {"version", "v1.34.3"}}},
      {"status",
       {{"replicas", 1},
        {"readyReplicas", 1},
        {"updatedReplicas", 1},
        {"version", "v1.34.3"},
        {"conditions", {Cond("Ready", true), Cond("MachinesReady", true)}}}}};
  json md = {{"kind", "MachineDeployment"},
             {"metadata", Meta(std::string(kRelease) + "-default-worker")},
             {"spec", {{"clusterName", kRelease}, {"replicas", 2}}},
             {"status",
              {{"replicas", 2},
               {"readyReplicas", 2},
               {"updatedReplicas", 2},
               {"phase", "Running"},
               {"conditions", {Cond("Ready", true)}}}}};
  std::vector<json> machines = {Machine("cp-a", true, "10.0.0.5"),
                                Machine("worker-a", false, "10.0.0.6"),
                                Machine("worker-b", false, "10.0.0.7")};
  std::vector<json> addons = {Addon("HelmRelease", "cni", "Deployed"),
                              Addon("Manifests", "ccm", "Deployed")};

  static json Machine(const std::string& name, bool cp, const std::string& ip) {
    json labels = json::object();
    if (cp) {
      labels["cluster.x-k8s.io/control-plane"] = "";
    } else {
      labels["cluster.x-k8s.io/deployment-name"] =
          std::string(kRelease) + "-default-worker";
    }
    return {{"kind", "Machine"},
            {"metadata", Meta(std::string(kRelease) + "-" + name, labels)},
            {"spec", {{"clusterName", kRelease}}},
            {"status",
             {{"phase", "Running"},
              {"addresses", {{{"type", "InternalIP"}, {"address", ip}}}},
              {"conditions", {Cond("Ready", true)}}}}};
  }
  static json Addon(const std::string& kind, const std::string& name,
                    const std::string& phase) {
    json meta = Meta(std::string(kRelease) + "-" + name,
                     {{"addons.stackhpc.com/cluster", kRelease}});
    json addon = {{"kind", kind}, {"metadata", meta}};
    if (!phase.empty()) addon["status"] = {{"phase", phase}};
    return addon;
  }

  ClusterObjects Objects() const {
    ClusterObjects o;
    if (!cluster.is_null()) o.cluster = ProjectCluster(cluster);
    if (!osc.is_null()) o.infrastructure = ProjectInfrastructure(osc);
    if (!kcp.is_null()) o.control_planes.push_back(*ProjectControlPlane(kcp));
    if (!md.is_null()) o.deployments.push_back(*ProjectMachineDeployment(md));
    for (const json& m : machines) o.machines.push_back(*ProjectMachine(m));
    for (const json& a : addons) o.addons.push_back(*ProjectAddon(a));
    return o;
  }
};

v1::ClusterSpec Spec(const std::string& group_status = "") {
  v1::ClusterSpec spec;
  spec.mutable_cluster()->set_stack_id(kRelease);
  auto* master = spec.add_node_groups();
  master->set_name("default-master");
  master->set_role("master");
  master->set_node_count(1);
  master->set_status(group_status);
  auto* worker = spec.add_node_groups();
  worker->set_name("default-worker");
  worker->set_role("worker");
  worker->set_node_count(2);
  worker->set_status(group_status);
  return spec;
}

struct Row {
  const char* what;
  v1::Status current;
  std::function<void(World*, v1::ClusterSpec*)> change;
  v1::Status want;
  const char* reason;  // expected in status_reason ("" = empty reason)
  absl::Duration running_for = absl::Minutes(5);
};

v1::ClusterStatus Evaluate(const World& world, const v1::ClusterSpec& spec,
                           v1::Status current,
                           absl::Duration running_for = absl::Minutes(5)) {
  ClusterObjects objects = world.Objects();
  StatusInput input;
  input.spec = &spec;
  input.current = current;
  input.objects = &objects;
  input.now = kNow;
  input.operation_started = kNow - running_for;
  input.timeout = absl::Minutes(60);
  return EvaluateStatus(input);
}

TEST_CASE("StatusRules: cluster status, row by row") {
  auto none = [](World*, v1::ClusterSpec*) {};
  const Row rows[] = {
      // Reference rules.
      {"all ready", v1::CREATE_IN_PROGRESS, none, v1::CREATE_COMPLETE, ""},
      {"update all ready", v1::UPDATE_IN_PROGRESS, none, v1::UPDATE_COMPLETE,
       ""},
      {"Cluster absent", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) { w->cluster = nullptr; },
       v1::CREATE_IN_PROGRESS, "Cluster shop-k3vq7x2mzp4a not created yet"},
      {"Ready condition false", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->cluster["status"]["conditions"][0] =
             Cond("Ready", false, "WaitingForControlPlane");
       },
       v1::CREATE_IN_PROGRESS,
       "cluster condition Ready: WaitingForControlPlane"},
      {"InfrastructureReady missing", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->cluster["status"]["conditions"].erase(2);
       },
       v1::CREATE_IN_PROGRESS, "cluster condition InfrastructureReady"},
      {"control plane scaling", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) { w->kcp["spec"]["replicas"] = 3; },
       v1::CREATE_IN_PROGRESS,
       "node group default-master: control plane: 1/3 machines ready"},
      {"worker group not Running", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->md["status"]["phase"] = "ScalingUp";
         w->md["status"]["readyReplicas"] = 1;
       },
       v1::CREATE_IN_PROGRESS,
       "node group default-worker: 1/2 machines ready, phase ScalingUp"},
      {"worker group absent", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) { w->md = nullptr; },
       v1::CREATE_IN_PROGRESS,
       "node group default-worker: MachineDeployment not present"},
      {"addon without phase waits", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->addons.push_back(World::Addon("HelmRelease", "csi", ""));
       },
       v1::CREATE_IN_PROGRESS,
       "addons: 2/3 deployed, waiting for shop-k3vq7x2mzp4a-csi"},
      {"no addons at all", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) { w->addons.clear(); },
       v1::CREATE_COMPLETE, ""},
      {"addon Failed", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->addons[0]["status"] = {{"phase", "Failed"},
                                   {"failureMessage", "chart not found"}};
       },
       v1::CREATE_FAILED,
       "addon shop-k3vq7x2mzp4a-cni: phase Failed: chart not found"},
      {"addon Unknown on update", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->addons[1]["status"]["phase"] = "Unknown";
       },
       v1::UPDATE_FAILED, "addon shop-k3vq7x2mzp4a-ccm: phase Unknown"},
      {"not in progress: status kept", v1::CREATE_COMPLETE,
       [](World* w, v1::ClusterSpec*) { w->md["status"]["phase"] = "Failed"; },
       v1::CREATE_COMPLETE, ""},
      // Failures the reference never notices.
      {"OpenStackCluster failure", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->osc["status"] = {{"ready", false},
                             {"failureReason", "CreateError"},
                             {"failureMessage", "Quota exceeded for ports"}};
         w->cluster["status"]["conditions"][2] =
             Cond("InfrastructureReady", false, "WaitingForInfrastructure");
       },
       v1::CREATE_FAILED,
       "infrastructure (OpenStackCluster shop-k3vq7x2mzp4a): CreateError: "
       "Quota exceeded for ports"},
      {"OpenStackCluster Error condition", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->osc["status"]["conditions"] = {
             Cond("NetworkReady", false, "NetworkReconcileFailed", "Error",
                  "subnet 10.0.0.0/24 overlaps")};
       },
       v1::CREATE_FAILED,
       "NetworkReady: NetworkReconcileFailed: subnet 10.0.0.0/24 overlaps"},
      {"Cluster failure", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->cluster["status"]["failureReason"] = "InvalidConfiguration";
       },
       v1::UPDATE_FAILED, "Cluster shop-k3vq7x2mzp4a: InvalidConfiguration"},
      {"MachineDeployment Failed", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->md["status"]["phase"] = "Failed";
         w->md["status"]["conditions"] = {
             Cond("Ready", false, "MachineProvisioningFailed", "Error",
                  "No valid host was found")};
       },
       v1::CREATE_FAILED,
       "node group default-worker: MachineDeployment "
       "shop-k3vq7x2mzp4a-default-worker: phase Failed: Ready: "
       "MachineProvisioningFailed: No valid host was found"},
      {"worker Machine failure", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->machines[2]["status"]["failureReason"] = "CreateError";
         w->machines[2]["status"]["failureMessage"] = "flavor not found";
       },
       v1::UPDATE_FAILED,
       "machine shop-k3vq7x2mzp4a-worker-b: CreateError: flavor not found"},
      {"control plane Error condition", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->kcp["status"]["conditions"][1] =
             Cond("MachinesReady", false, "MachineProvisioningFailed", "Error",
                  "1 of 3 machines failed");
       },
       v1::CREATE_FAILED,
       "control plane shop-k3vq7x2mzp4a-control-plane: MachinesReady"},
      {"control-plane Machine failure", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->machines[0]["status"]["phase"] = "Failed";
       },
       v1::CREATE_FAILED,
       "control plane: machine shop-k3vq7x2mzp4a-cp-a: phase Failed"},
      {"create timeout", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->md["status"]["phase"] = "ScalingUp";
         w->md["status"]["readyReplicas"] = 0;
       },
       v1::CREATE_FAILED,
       "create did not complete within 60 minutes; still waiting for: node "
       "group default-worker: 0/2 machines ready",
       absl::Minutes(61)},
      {"update timeout", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->addons.push_back(World::Addon("HelmRelease", "csi", "Installing"));
       },
       v1::UPDATE_FAILED, "update did not complete within 60 minutes",
       absl::Minutes(90)},
      {"scale-down: a surplus Machine still exists", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec* spec) {
         spec->mutable_node_groups(1)->set_node_count(1);
         w->md["spec"]["replicas"] = 1;
         for (const char* key :
              {"replicas", "readyReplicas", "updatedReplicas"}) {
           w->md["status"][key] = 1;
         }
       },
       v1::UPDATE_IN_PROGRESS,
       "node group default-worker: 1/1 machines ready, phase Running, 2 "
       "Machines seen, not all Running"},
      {"a new Machine not Running yet", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->machines[2]["status"] = {{"phase", "Provisioning"}};
       },
       v1::CREATE_IN_PROGRESS, "2 Machines seen, not all Running"},
      {"requested count not yet applied", v1::UPDATE_IN_PROGRESS,
       [](World*, v1::ClusterSpec* spec) {
         spec->mutable_node_groups(1)->set_node_count(3);
       },
       v1::UPDATE_IN_PROGRESS, "node group default-worker: 2/3 machines"},
      {"HelmChartProxy Ready", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         json hcp = World::Addon("HelmChartProxy", "extra", "");
         hcp["status"] = {{"conditions", {Cond("Ready", true)}}};
         w->addons.push_back(hcp);
       },
       v1::CREATE_COMPLETE, ""},
      {"HelmChartProxy not ready", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         json hcp = World::Addon("HelmChartProxy", "extra", "");
         hcp["status"] = {
             {"conditions", {Cond("Ready", false, "HelmReleaseProxiesReady")}}};
         w->addons.push_back(hcp);
       },
       v1::CREATE_IN_PROGRESS, "waiting for shop-k3vq7x2mzp4a-extra"},
      {"v1beta2 condition names", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->cluster["status"]["conditions"] = {
             Cond("Available", true), Cond("ControlPlaneAvailable", true),
             Cond("InfrastructureReady", true),
             Cond("RollingOut", false, "NotRollingOut")};
         w->kcp["status"]["conditions"] = {Cond("Available", true)};
       },
       v1::CREATE_COMPLETE, ""},
      // Deletion.
      {"deleting, Cluster still there", v1::DELETE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->cluster["metadata"]["deletionTimestamp"] = "2027-01-15T09:00:00Z";
       },
       v1::DELETE_IN_PROGRESS, "deleting: 3 machines left"},
      {"deleted: Cluster gone", v1::DELETE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->cluster = nullptr;
         w->machines.clear();
       },
       v1::DELETE_COMPLETE, "the Cluster API cluster is gone"},
      {"delete blocked past its timeout", v1::DELETE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->machines.clear();
         w->osc["status"]["failureReason"] = "DeleteError";
         w->osc["status"]["failureMessage"] =
             "Conflict: port 2f1 is still in use";
       },
       v1::DELETE_FAILED,
       "delete did not complete within 60 minutes: deleting: 0 machines "
       "left; infrastructure (OpenStackCluster shop-k3vq7x2mzp4a): "
       "DeleteError: Conflict: port 2f1 is still in use",
       absl::Minutes(75)},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    World world;
    v1::ClusterSpec spec = Spec();
    row.change(&world, &spec);
    v1::ClusterStatus status =
        Evaluate(world, spec, row.current, row.running_for);
    CHECK(v1::Status_Name(status.status()) == v1::Status_Name(row.want));
    if (std::string(row.reason).empty()) {
      CHECK(status.status_reason().empty());
    } else {
      CHECK_THAT(status.status_reason(), Catch::Contains(row.reason));
    }
  }
}

TEST_CASE("StatusRules: node-group states follow their own Magnum status") {
  struct GroupRow {
    const char* what;
    const char* group_status;
    std::function<void(World*)> change;
    v1::Status want;
  };
  const GroupRow rows[] = {
      {"create ready", "CREATE_IN_PROGRESS", [](World*) {},
       v1::CREATE_COMPLETE},
      {"update ready", "UPDATE_IN_PROGRESS", [](World*) {},
       v1::UPDATE_COMPLETE},
      {"create pending", "CREATE_IN_PROGRESS",
       [](World* w) { w->md["status"]["phase"] = "Provisioning"; },
       v1::CREATE_IN_PROGRESS},
      {"create failed", "CREATE_IN_PROGRESS",
       [](World* w) { w->md["status"]["phase"] = "Failed"; },
       v1::CREATE_FAILED},
      {"a failed group that recovers", "CREATE_FAILED", [](World*) {},
       v1::CREATE_COMPLETE},
      {"not present stays in progress", "UPDATE_IN_PROGRESS",
       [](World* w) { w->md = nullptr; }, v1::UPDATE_IN_PROGRESS},
      {"deleted", "DELETE_IN_PROGRESS",
       [](World* w) {
         w->md = nullptr;
         w->machines.resize(1);
       },
       v1::DELETE_COMPLETE},
      {"deleting with machines left", "DELETE_IN_PROGRESS",
       [](World* w) { w->md = nullptr; }, v1::DELETE_IN_PROGRESS},
  };
  for (const GroupRow& row : rows) {
    CAPTURE(row.what);
    World world;
    row.change(&world);
    v1::ClusterSpec spec = Spec();
    spec.mutable_node_groups(1)->set_status(row.group_status);
    v1::ClusterStatus status = Evaluate(world, spec, v1::UPDATE_IN_PROGRESS);
    REQUIRE(status.node_groups_size() == 2);
    CHECK(v1::Status_Name(status.node_groups(1).status()) ==
          v1::Status_Name(row.want));
  }
}

// An autoscaled group as CAPI serves it: the size annotations, spec.replicas
// set by the autoscaler (or defaulted by CAPI to the minimum), and `ready`
// of those machines Running.
void Autoscaled(World* w, int min, int replicas, int ready) {
  w->md["metadata"]["annotations"] = {
      {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size",
       std::to_string(min)},
      {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size", "6"}};
  w->md["spec"]["replicas"] = replicas;
  w->md["status"]["replicas"] = replicas;
  w->md["status"]["readyReplicas"] = ready;
  w->md["status"]["updatedReplicas"] = replicas;
  w->md["status"]["phase"] = ready == replicas ? "Running" : "ScalingUp";
  w->machines.resize(1);  // the control plane's
  for (int i = 0; i < replicas; ++i) {
    json m = World::Machine("worker-" + std::to_string(i), false,
                            "10.0.1." + std::to_string(i + 1));
    if (i >= ready) {
      m["status"]["phase"] = "Provisioning";
      m["status"]["conditions"] = {Cond("Ready", false, "WaitingForInfra")};
    }
    w->machines.push_back(m);
  }
}

TEST_CASE("StatusRules: a group autoscaled from zero") {
  SECTION("at zero machines it is complete and healthy") {
    World world;
    Autoscaled(&world, 0, 0, 0);
    v1::ClusterStatus status =
        Evaluate(world, Spec("CREATE_IN_PROGRESS"), v1::CREATE_IN_PROGRESS);
    CHECK(v1::Status_Name(status.status()) == "CREATE_COMPLETE");
    CHECK(status.status_reason().empty());
    const v1::NodeGroupStatus& worker = status.node_groups(1);
    CHECK(v1::Status_Name(worker.status()) == "CREATE_COMPLETE");
    CHECK(worker.present());
    CHECK(worker.desired_nodes() == 0);  // Magnum's node_count becomes 0
    CHECK(worker.ready_nodes() == 0);
    CHECK(worker.status_reason().empty());
    CHECK(v1::HealthStatus_Name(status.health_status()) == "HEALTHY");
  }
  SECTION("scaling up from zero is in progress until the machines are ready") {
    World world;
    Autoscaled(&world, 0, 2, 0);
    v1::ClusterStatus status =
        Evaluate(world, Spec("CREATE_COMPLETE"), v1::CREATE_COMPLETE);
    const v1::NodeGroupStatus& worker = status.node_groups(1);
    CHECK(worker.desired_nodes() == 2);  // what the autoscaler asked for
    CHECK(worker.ready_nodes() == 0);
    CHECK(worker.status_reason() == "0/2 machines ready, phase ScalingUp");
    // Magnum's own status of a group stays with Magnum's verbs.
    CHECK(v1::Status_Name(worker.status()) == "CREATE_COMPLETE");

    // During a Magnum operation the same group holds the cluster back.
    status =
        Evaluate(world, Spec("UPDATE_IN_PROGRESS"), v1::UPDATE_IN_PROGRESS);
    CHECK(v1::Status_Name(status.status()) == "UPDATE_IN_PROGRESS");
    CHECK(status.status_reason().find(
              "node group default-worker: 0/2 machines ready") !=
          std::string::npos);

    World ready;
    Autoscaled(&ready, 0, 2, 2);
    status =
        Evaluate(ready, Spec("UPDATE_IN_PROGRESS"), v1::UPDATE_IN_PROGRESS);
    CHECK(v1::Status_Name(status.status()) == "UPDATE_COMPLETE");
    CHECK(status.node_groups(1).desired_nodes() == 2);
    CHECK(status.node_groups(1).ready_nodes() == 2);
    CHECK(status.node_groups(1).status_reason().empty());
  }
}

TEST_CASE("StatusRules: addresses, versions, counts") {
  World world;
  world.md["metadata"]["annotations"] = {
      {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size", "1"},
      {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size", "5"}};
  world.md["spec"].erase("replicas");
  world.md["status"]["replicas"] = 4;
  world.md["status"]["readyReplicas"] = 4;
  world.md["status"]["updatedReplicas"] = 4;
  world.machines.push_back(World::Machine("worker-c", false, "10.0.0.8"));
  world.machines.push_back(World::Machine("worker-d", false, "10.0.0.9"));
  world.machines[0]["status"]["addresses"].push_back(
      {{"type", "ExternalIP"}, {"address", "198.51.100.4"}});
  v1::ClusterStatus status =
      Evaluate(world, Spec("CREATE_IN_PROGRESS"), v1::CREATE_IN_PROGRESS);
  CHECK(v1::Status_Name(status.status()) == "CREATE_COMPLETE");
  CHECK(status.api_address() == "https://203.0.113.9:6443");
  CHECK(status.coe_version() == "v1.34.3");
  CHECK(std::vector<std::string>(status.master_addresses().begin(),
                                 status.master_addresses().end()) ==
        std::vector<std::string>{"198.51.100.4"});
  CHECK(
      std::vector<std::string>(status.node_addresses().begin(),
                               status.node_addresses().end()) ==
      std::vector<std::string>{"10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9"});
  const v1::NodeGroupStatus& worker = status.node_groups(1);
  CHECK(worker.present());
  CHECK(worker.ready_nodes() == 4);
  CHECK(worker.desired_nodes() == 4);  // the autoscaler's count, not 2
}

TEST_CASE("StatusRules: health with per-component reasons") {
  World world;
  v1::ClusterStatus healthy = Evaluate(world, Spec(), v1::CREATE_COMPLETE);
  CHECK(healthy.health_status() == v1::HEALTHY);
  CHECK(healthy.health_status_reason().at("cluster") == "Ready");
  CHECK(healthy.health_status_reason().at("nodegroup") == "Ready");

  // v1beta2's RollingOut=False is healthy (the reference 1.3.0 said not).
  world.kcp["status"]["conditions"].push_back(
      Cond("RollingOut", false, "NotRollingOut"));
  CHECK(Evaluate(world, Spec(), v1::CREATE_COMPLETE).health_status() ==
        v1::HEALTHY);

  world.osc["status"]["failureReason"] = "UpdateError";
  world.osc["status"]["failureMessage"] = "load balancer ERROR";
  world.md["status"]["conditions"] = {Cond("Ready", false, "MachinesNotReady")};
  v1::ClusterStatus sick = Evaluate(world, Spec(), v1::CREATE_COMPLETE);
  CHECK(sick.health_status() == v1::UNHEALTHY);
  CHECK(sick.health_status_reason().at("infrastructure") ==
        "UpdateError: load balancer ERROR");
  CHECK(sick.health_status_reason().at("nodegroup") ==
        "default-worker: Waiting on [Ready]");
  CHECK(sick.health_status_reason().at("controlplane") == "Ready");

  world.cluster = nullptr;
  CHECK(Evaluate(world, Spec(), v1::CREATE_COMPLETE)
            .health_status_reason()
            .at("cluster") == "Cluster resource not found.");
}

TEST_CASE("StatusRules: health reasons agree with the machine counts") {
  // Every condition true, but machines missing: not "Ready".
  World world;
  world.kcp["status"]["readyReplicas"] = 0;
  world.md["status"]["readyReplicas"] = 1;
  v1::ClusterStatus s = Evaluate(world, Spec(), v1::CREATE_IN_PROGRESS);
  CHECK(s.health_status_reason().at("controlplane") == "0/1 machines ready");
  CHECK(s.health_status_reason().at("nodegroup") ==
        "default-worker: 1/2 machines ready");
  CHECK(s.health_status() == v1::UNHEALTHY);
}

TEST_CASE("Records keep only what status uses") {
  json machine = World::Machine("m", false, "10.0.0.9");
  machine["spec"]["bootstrap"] = {{"dataSecretName", std::string(4096, 'x')}};
  std::optional<MachineRecord> record = ProjectMachine(machine);
  REQUIRE(record.has_value());
  CHECK(record->meta.cluster == kRelease);
  CHECK(record->deployment == "shop-k3vq7x2mzp4a-default-worker");
  CHECK(record->conditions.empty());  // True conditions are dropped
  CHECK(record->meta.created ==
        absl::FromCivil(absl::CivilSecond(2027, 1, 15, 8, 0, 0),
                        absl::UTCTimeZone()));
  CHECK_FALSE(ProjectMachine(json{{"metadata", {{"name", "x"}}}}).has_value());
}

TEST_CASE("StatusRules: the operation inferred for callers that do not say") {
  World world;
  auto infer = [&] { return InferCurrent(world.Objects()); };
  // Created 08:00; nothing has marked it: the create.
  CHECK(infer() == v1::CREATE_IN_PROGRESS);
  // The create marks it too, from before helm made the Cluster.
  world.cluster["metadata"]["annotations"] = {
      {kOperationStartedAnnotation, "2027-01-15T07:59:58Z"}};
  CHECK(infer() == v1::CREATE_IN_PROGRESS);
  // A later verb (unnamed, from an older bridge): an update.
  world.cluster["metadata"]["annotations"][kOperationStartedAnnotation] =
      "2027-01-16T10:00:00.250000Z";
  CHECK(infer() == v1::UPDATE_IN_PROGRESS);
  // The verb named: whatever the times, even within the Cluster's first
  // second.
  world.cluster["metadata"]["annotations"] = {
      {kOperationStartedAnnotation, "2027-01-15T08:00:00.900000Z"},
      {kOperationAnnotation, "CreateCluster"}};
  CHECK(infer() == v1::CREATE_IN_PROGRESS);
  world.cluster["metadata"]["annotations"][kOperationAnnotation] =
      "ResizeCluster";
  CHECK(infer() == v1::UPDATE_IN_PROGRESS);
  world.cluster["metadata"]["deletionTimestamp"] = "2027-01-17T10:00:00Z";
  CHECK(infer() == v1::DELETE_IN_PROGRESS);
  world.cluster = nullptr;
  CHECK(infer() == v1::CREATE_IN_PROGRESS);
}

}  // namespace
}  // namespace capi_bridge::status
