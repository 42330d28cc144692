// StatusRules, row by row: the rules of magnum-capi-helm (the Python driver)
// and each failure rule the bridge adds, for both Cluster API versions.
// Objects are written as the Kubernetes JSON CAPI serves (v1beta1 as CAPI
// v1.10 writes it; v1beta2 as v1.11-v1.13 write it: conditions without
// severity, negative-polarity conditions, upToDateReplicas, the old
// conditions and failures under status.deprecated.v1beta1) and go through
// the record projections, as the watch cache does. Every row runs on both;
// the Magnum results must agree.
#include "server/status/status_rules.h"

#include <functional>
#include <string>

#include "catch2/catch.hpp"
#include "google/protobuf/util/message_differencer.h"

namespace capi_bridge::status {
namespace {

using json = nlohmann::json;
constexpr const char* kRelease = "shop-k3vq7x2mzp4a";
constexpr const char* kNs = "magnum-p1";
const absl::Time kNow = absl::FromUnixSeconds(1800000000);

enum class Api { kV1Beta1, kV1Beta2 };
const char* Name(Api api) {
  return api == Api::kV1Beta1 ? "v1beta1" : "v1beta2";
}
constexpr Api kBoth[] = {Api::kV1Beta1, Api::kV1Beta2};

// A v1beta1 condition (clusterv1beta1.Condition: severity when not True).
json Cond(const std::string& type, bool ok, const std::string& reason = "",
          const std::string& severity = "", const std::string& message = "") {
  json c = {{"type", type},
            {"status", ok ? "True" : "False"},
            {"lastTransitionTime", "2027-01-15T08:05:00Z"}};
  if (!ok) {
    c["reason"] = reason;
    c["severity"] = severity.empty() ? "Info" : severity;
    if (!message.empty()) c["message"] = message;
  }
  return c;
}

// A v1beta2 condition (metav1.Condition: reason always, no severity).
json Cond2(const std::string& type, const std::string& status,
           const std::string& reason, const std::string& message = "") {
  json c = {{"type", type},
            {"status", status},
            {"reason", reason},
            {"observedGeneration", 1},
            {"lastTransitionTime", "2027-01-15T08:05:00Z"}};
  if (!message.empty()) c["message"] = message;
  return c;
}

// The negative-polarity conditions of a healthy, settled v1beta2 object.
json Settled(json conditions, std::initializer_list<const char*> types) {
  for (const char* type : types) {
    conditions.push_back(Cond2(type, "False", std::string("Not") + type));
  }
  return conditions;
}

json Meta(const std::string& name, json labels = json::object()) {
  labels["cluster.x-k8s.io/cluster-name"] = kRelease;
  return {{"name", name},
          {"namespace", kNs},
          {"labels", labels},
          {"creationTimestamp", "2027-01-15T08:00:00Z"}};
}

// Replaces the condition of c's type in `list`, or appends it.
void PutCondition(json* list, json c) {
  if (!list->is_array()) *list = json::array();
  for (json& held : *list) {
    if (held["type"] == c["type"]) {
      held = std::move(c);
      return;
    }
  }
  list->push_back(std::move(c));
}

void DropCondition(json* list, const std::string& type) {
  if (!list->is_array()) return;
  for (size_t i = 0; i < list->size(); ++i) {
    if ((*list)[i]["type"] == type) {
      list->erase(i);
      return;
    }
  }
}

// A healthy cluster: 1 control-plane machine, default-worker x2, 2 addons,
// in the objects of `api`.
struct World {
  explicit World(Api api = Api::kV1Beta1) : api(api) {
    if (api == Api::kV1Beta1) {
      V1Beta1();
    } else {
      V1Beta2();
    }
  }
  Api api;
  json cluster, osc, kcp, md;
  std::vector<json> machines;
  std::vector<json> addons = {Addon("HelmRelease", "cni", "Deployed"),
                              Addon("Manifests", "ccm", "Deployed")};

  bool v1beta2() const { return api == Api::kV1Beta2; }

  void V1Beta1() {
    cluster = {
        {"apiVersion", "cluster.x-k8s.io/v1beta1"},
        {"kind", "Cluster"},
        {"metadata", Meta(kRelease)},
        {"spec",
         {{"controlPlaneEndpoint", {{"host", "203.0.113.9"}, {"port", 6443}}},
          {"controlPlaneRef",
           {{"apiVersion", "controlplane.cluster.x-k8s.io/v1beta1"},
            {"kind", "KubeadmControlPlane"},
            {"name", std::string(kRelease) + "-control-plane"}}},
          {"infrastructureRef",
           {{"apiVersion", "infrastructure.cluster.x-k8s.io/v1beta1"},
            {"kind", "OpenStackCluster"},
            {"name", kRelease}}}}},
        {"status",
         {{"phase", "Provisioned"},
          {"infrastructureReady", true},
          {"controlPlaneReady", true},
          {"conditions",
           {Cond("Ready", true), Cond("ControlPlaneReady", true),
            Cond("InfrastructureReady", true)}}}}};
    osc = {
        {"apiVersion", "infrastructure.cluster.x-k8s.io/v1beta1"},
        {"kind", "OpenStackCluster"},
        {"metadata", Meta(kRelease)},
        {"status", {{"ready", true}, {"conditions", {Cond("Ready", true)}}}}};
    kcp = {
        {"apiVersion", "controlplane.cluster.x-k8s.io/v1beta1"},
        {"kind", "KubeadmControlPlane"},
        {"metadata", Meta(std::string(kRelease) + "-control-plane")},
        {"spec", {{"replicas", 1}, {"version", "v1.34.3"}}},
        {"status",
         {{"replicas", 1},
          {"readyReplicas", 1},
          {"updatedReplicas", 1},
          {"version", "v1.34.3"},
          {"conditions", {Cond("Ready", true), Cond("MachinesReady", true)}}}}};
    md = {{"apiVersion", "cluster.x-k8s.io/v1beta1"},
          {"kind", "MachineDeployment"},
          {"metadata", Meta(std::string(kRelease) + "-default-worker")},
          {"spec", {{"clusterName", kRelease}, {"replicas", 2}}},
          {"status",
           {{"replicas", 2},
            {"readyReplicas", 2},
            {"updatedReplicas", 2},
            {"availableReplicas", 2},
            {"phase", "Running"},
            {"conditions", {Cond("Ready", true)}}}}};
    machines = {Machine("cp-a", true, "10.0.0.5"),
                Machine("worker-a", false, "10.0.0.6"),
                Machine("worker-b", false, "10.0.0.7")};
  }

  // As CAPI v1.11-v1.13 write them (field names from
  // api/core/v1beta2/*_types.go and api/controlplane/kubeadm/v1beta2), with
  // CAPO v0.14's OpenStackCluster (v1beta1, initialization.provisioned).
  void V1Beta2() {
    cluster = {
        {"apiVersion", "cluster.x-k8s.io/v1beta2"},
        {"kind", "Cluster"},
        {"metadata", Meta(kRelease)},
        {"spec",
         {{"controlPlaneEndpoint", {{"host", "203.0.113.9"}, {"port", 6443}}},
          {"controlPlaneRef",
           {{"apiGroup", "controlplane.cluster.x-k8s.io"},
            {"kind", "KubeadmControlPlane"},
            {"name", std::string(kRelease) + "-control-plane"}}},
          {"infrastructureRef",
           {{"apiGroup", "infrastructure.cluster.x-k8s.io"},
            {"kind", "OpenStackCluster"},
            {"name", kRelease}}}}},
        {"status",
         {{"phase", "Provisioned"},
          {"observedGeneration", 1},
          {"initialization",
           {{"infrastructureProvisioned", true},
            {"controlPlaneInitialized", true}}},
          {"controlPlane",
           {{"desiredReplicas", 1},
            {"replicas", 1},
            {"upToDateReplicas", 1},
            {"readyReplicas", 1},
            {"availableReplicas", 1}}},
          {"workers",
           {{"desiredReplicas", 2},
            {"replicas", 2},
            {"upToDateReplicas", 2},
            {"readyReplicas", 2},
            {"availableReplicas", 2}}},
          {"conditions",
           Settled({Cond2("Available", "True", "Available"),
                    Cond2("InfrastructureReady", "True", "Ready"),
                    Cond2("ControlPlaneInitialized", "True", "Initialized"),
                    Cond2("ControlPlaneAvailable", "True", "Available"),
                    Cond2("WorkersAvailable", "True", "Available"),
                    Cond2("ControlPlaneMachinesReady", "True", "Ready"),
                    Cond2("WorkerMachinesReady", "True", "Ready"),
                    Cond2("ControlPlaneMachinesUpToDate", "True", "UpToDate"),
                    Cond2("WorkerMachinesUpToDate", "True", "UpToDate"),
                    Cond2("RemoteConnectionProbe", "True", "ProbeSucceeded")},
                   {"RollingOut", "ScalingUp", "ScalingDown", "Remediating",
                    "Deleting", "Paused"})},
          {"deprecated",
           {{"v1beta1",
             {{"conditions",
               {Cond("Ready", true), Cond("ControlPlaneInitialized", true),
                Cond("ControlPlaneReady", true),
                Cond("InfrastructureReady", true)}}}}}}}}};
    osc = {{"apiVersion", "infrastructure.cluster.x-k8s.io/v1beta1"},
           {"kind", "OpenStackCluster"},
           {"metadata", Meta(kRelease)},
           {"status",
            {{"ready", true},
             {"initialization", {{"provisioned", true}}},
             {"conditions", {Cond("Ready", true)}}}}};
    kcp = {
        {"apiVersion", "controlplane.cluster.x-k8s.io/v1beta2"},
        {"kind", "KubeadmControlPlane"},
        {"metadata", Meta(std::string(kRelease) + "-control-plane")},
        {"spec", {{"replicas", 1}, {"version", "v1.34.3"}}},
        {"status",
         {{"initialization", {{"controlPlaneInitialized", true}}},
          {"replicas", 1},
          {"readyReplicas", 1},
          {"availableReplicas", 1},
          {"upToDateReplicas", 1},
          {"version", "v1.34.3"},
          {"observedGeneration", 1},
          {"conditions",
           Settled({Cond2("Available", "True", "Available"),
                    Cond2("Initialized", "True", "Initialized"),
                    Cond2("CertificatesAvailable", "True", "Available"),
                    Cond2("EtcdClusterHealthy", "True", "Healthy"),
                    Cond2("ControlPlaneComponentsHealthy", "True", "Healthy"),
                    Cond2("MachinesReady", "True", "Ready"),
                    Cond2("MachinesUpToDate", "True", "UpToDate")},
                   {"RollingOut", "ScalingUp", "ScalingDown", "Remediating",
                    "Deleting", "Paused"})},
          {"deprecated",
           {{"v1beta1",
             {{"conditions",
               {Cond("Ready", true), Cond("Available", true),
                Cond("CertificatesAvailable", true),
                Cond("MachinesReady", true)}},
              {"readyReplicas", 1},
              {"updatedReplicas", 1},
              {"unavailableReplicas", 0}}}}}}}};
    md = {{"apiVersion", "cluster.x-k8s.io/v1beta2"},
          {"kind", "MachineDeployment"},
          {"metadata", Meta(std::string(kRelease) + "-default-worker")},
          {"spec", {{"clusterName", kRelease}, {"replicas", 2}}},
          {"status",
           {{"replicas", 2},
            {"readyReplicas", 2},
            {"availableReplicas", 2},
            {"upToDateReplicas", 2},
            {"phase", "Running"},
            {"observedGeneration", 1},
            {"conditions",
             Settled({Cond2("Available", "True", "Available"),
                      Cond2("MachinesReady", "True", "Ready"),
                      Cond2("MachinesUpToDate", "True", "UpToDate")},
                     {"RollingOut", "ScalingUp", "ScalingDown", "Remediating",
                      "Deleting", "Paused"})},
            {"deprecated",
             {{"v1beta1",
               {{"conditions",
                 {Cond("Ready", true), Cond("Available", true),
                  Cond("MachineSetReady", true)}},
                {"readyReplicas", 2},
                {"availableReplicas", 2},
                {"updatedReplicas", 2},
                {"unavailableReplicas", 0}}}}}}}};
    machines = {Machine("cp-a", true, "10.0.0.5", Api::kV1Beta2),
                Machine("worker-a", false, "10.0.0.6", Api::kV1Beta2),
                Machine("worker-b", false, "10.0.0.7", Api::kV1Beta2)};
  }

  static json Machine(const std::string& name, bool cp, const std::string& ip,
                      Api api = Api::kV1Beta1) {
    json labels = json::object();
    if (cp) {
      labels["cluster.x-k8s.io/control-plane"] = "";
    } else {
      labels["cluster.x-k8s.io/deployment-name"] =
          std::string(kRelease) + "-default-worker";
    }
    json m = {{"kind", "Machine"},
              {"metadata", Meta(std::string(kRelease) + "-" + name, labels)},
              {"spec", {{"clusterName", kRelease}}},
              {"status",
               {{"phase", "Running"},
                {"addresses", {{{"type", "InternalIP"}, {"address", ip}}}}}}};
    if (api == Api::kV1Beta1) {
      m["apiVersion"] = "cluster.x-k8s.io/v1beta1";
      m["status"]["conditions"] = {Cond("Ready", true)};
      return m;
    }
    m["apiVersion"] = "cluster.x-k8s.io/v1beta2";
    m["status"]["initialization"] = {{"infrastructureProvisioned", true},
                                     {"bootstrapDataSecretCreated", true}};
    m["status"]["nodeRef"] = {{"name", std::string(kRelease) + "-" + name}};
    m["status"]["conditions"] = Settled(
        {Cond2("Available", "True", "Available"),
         Cond2("Ready", "True", "Ready"), Cond2("UpToDate", "True", "UpToDate"),
         Cond2("BootstrapConfigReady", "True", "Ready"),
         Cond2("InfrastructureReady", "True", "Ready"),
         Cond2("NodeReady", "True", "NodeReady"),
         Cond2("NodeHealthy", "True", "NodeHealthy")},
        {"Deleting", "Paused", "Updating"});
    m["status"]["deprecated"] = {
        {"v1beta1",
         {{"conditions",
           {Cond("Ready", true), Cond("BootstrapReady", true),
            Cond("InfrastructureReady", true), Cond("NodeHealthy", true)}}}}};
    return m;
  }
  json NewMachine(const std::string& name, bool cp,
                  const std::string& ip) const {
    return Machine(name, cp, ip, api);
  }
  static json Addon(const std::string& kind, const std::string& name,
                    const std::string& phase) {
    json meta = Meta(std::string(kRelease) + "-" + name,
                     {{"addons.stackhpc.com/cluster", kRelease}});
    json addon = {{"kind", kind}, {"metadata", meta}};
    if (!phase.empty()) addon["status"] = {{"phase", phase}};
    return addon;
  }

  // --- Changes, written as the world's API version writes them. ---

  // A replica count, by its v1beta1 name ("readyReplicas",
  // "updatedReplicas", "replicas"); v1beta2 keeps the v1beta1 count under
  // deprecated.v1beta1 too.
  void Count(json* object, const std::string& key, int n) const {
    json& status = (*object)["status"];
    if (!v1beta2()) {
      status[key] = n;
      return;
    }
    if (key == "updatedReplicas") {
      status["upToDateReplicas"] = n;
    } else {
      status[key] = n;
      if (key == "readyReplicas") status["availableReplicas"] = n;
    }
    if (key != "replicas" && status.contains("deprecated")) {
      status["deprecated"]["v1beta1"][key] = n;
    }
  }

  // failureReason / failureMessage: v1beta2 keeps them under
  // deprecated.v1beta1.
  void Failure(json* object, const std::string& reason,
               const std::string& message = "") const {
    json& status = (*object)["status"];
    json& holder = v1beta2() ? status["deprecated"]["v1beta1"] : status;
    holder["failureReason"] = reason;
    if (!message.empty()) holder["failureMessage"] = message;
  }

  // A v1beta1 condition not True (with its severity); on v1beta2 it goes
  // under deprecated.v1beta1, and the v1beta2 condition `v1beta2_type`
  // turns False with CAPI's reason `v1beta2_reason`.
  void NotTrue(json* object, const std::string& type, const std::string& reason,
               const std::string& severity, const std::string& message,
               const std::string& v1beta2_type,
               const std::string& v1beta2_reason) const {
    json& status = (*object)["status"];
    if (!v1beta2()) {
      PutCondition(&status["conditions"],
                   Cond(type, false, reason, severity, message));
      return;
    }
    PutCondition(&status["deprecated"]["v1beta1"]["conditions"],
                 Cond(type, false, reason, severity, message));
    PutCondition(&status["conditions"],
                 Cond2(v1beta2_type, "False", v1beta2_reason,
                       message.empty() ? "" : "* " + message));
  }

  // The Cluster's condition `type` (v1beta1) / `v1beta2_type`, not True.
  void ClusterNotTrue(const std::string& type, const std::string& reason,
                      const std::string& v1beta2_type,
                      const std::string& v1beta2_reason) {
    NotTrue(&cluster, type, reason, "Info", "", v1beta2_type, v1beta2_reason);
  }

  void DropClusterCondition(const std::string& type) {
    DropCondition(&cluster["status"]["conditions"], type);
    if (v1beta2()) {
      DropCondition(&cluster["status"]["deprecated"]["v1beta1"]["conditions"],
                    type);
    }
  }

  // A negative-polarity v1beta2 condition turning True (nothing on
  // v1beta1, which has none).
  void Happening(json* object, const std::string& type) const {
    if (!v1beta2()) return;
    PutCondition(&(*object)["status"]["conditions"], Cond2(type, "True", type));
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
  // Where v1beta2 says it in its own words (a condition v1beta1 does not
  // have): expected in its status_reason instead; the rest of the results
  // (node groups, counts, addresses) must still agree. nullptr: the whole
  // ClusterStatus agrees with v1beta1's.
  const char* v1beta2_reason = nullptr;
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

// Both API versions' worlds after `change`, evaluated.
struct Twins {
  v1::ClusterStatus v1beta1, v1beta2;
};
Twins EvaluateBoth(const std::function<void(World*, v1::ClusterSpec*)>& change,
                   v1::Status current, absl::Duration running_for) {
  Twins out;
  for (Api api : kBoth) {
    World world(api);
    v1::ClusterSpec spec = Spec();
    change(&world, &spec);
    (api == Api::kV1Beta1 ? out.v1beta1 : out.v1beta2) =
        Evaluate(world, spec, current, running_for);
  }
  return out;
}

// What must agree between the versions whatever the words: statuses,
// counts, addresses, versions, health.
void CheckSameResults(const v1::ClusterStatus& a, const v1::ClusterStatus& b) {
  CHECK(v1::Status_Name(a.status()) == v1::Status_Name(b.status()));
  CHECK(a.api_address() == b.api_address());
  CHECK(a.coe_version() == b.coe_version());
  CHECK(a.master_addresses_size() == b.master_addresses_size());
  CHECK(a.node_addresses_size() == b.node_addresses_size());
  CHECK(a.health_status() == b.health_status());
  REQUIRE(a.node_groups_size() == b.node_groups_size());
  for (int i = 0; i < a.node_groups_size(); ++i) {
    const v1::NodeGroupStatus& ga = a.node_groups(i);
    const v1::NodeGroupStatus& gb = b.node_groups(i);
    CAPTURE(ga.name());
    CHECK(v1::Status_Name(ga.status()) == v1::Status_Name(gb.status()));
    CHECK(ga.ready_nodes() == gb.ready_nodes());
    CHECK(ga.desired_nodes() == gb.desired_nodes());
    CHECK(ga.present() == gb.present());
    CHECK(ga.node_addresses_size() == gb.node_addresses_size());
  }
}

TEST_CASE("StatusRules: cluster status, row by row, v1beta1 and v1beta2") {
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
         w->ClusterNotTrue("Ready", "WaitingForControlPlane", "Available",
                           "NotAvailable");
       },
       v1::CREATE_IN_PROGRESS,
       "cluster condition Ready: WaitingForControlPlane", absl::Minutes(5),
       "cluster condition Available: NotAvailable"},
      {"InfrastructureReady missing", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->DropClusterCondition("InfrastructureReady");
       },
       v1::CREATE_IN_PROGRESS, "cluster condition InfrastructureReady"},
      {"ControlPlaneReady / ControlPlaneAvailable false",
       v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->ClusterNotTrue("ControlPlaneReady", "WaitingForControlPlane",
                           "ControlPlaneAvailable", "NotAvailable");
       },
       v1::CREATE_IN_PROGRESS,
       "cluster condition ControlPlaneReady: WaitingForControlPlane",
       absl::Minutes(5),
       "cluster condition ControlPlaneAvailable: NotAvailable"},
      {"control plane scaling", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->kcp["spec"]["replicas"] = 3;
         w->Happening(&w->kcp, "ScalingUp");
       },
       v1::CREATE_IN_PROGRESS,
       "node group default-master: control plane: 1/3 machines ready"},
      {"worker group not Running", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->md["status"]["phase"] = "ScalingUp";
         w->Count(&w->md, "readyReplicas", 1);
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
         w->ClusterNotTrue("InfrastructureReady", "WaitingForInfrastructure",
                           "InfrastructureReady", "NotReady");
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
         w->Failure(&w->cluster, "InvalidConfiguration");
       },
       v1::UPDATE_FAILED, "Cluster shop-k3vq7x2mzp4a: InvalidConfiguration"},
      // CAPI v1.11+ never writes phase Failed on a MachineDeployment: the
      // failure shows in the v1beta1 conditions it keeps.
      {"MachineDeployment failed", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         if (!w->v1beta2()) w->md["status"]["phase"] = "Failed";
         w->NotTrue(&w->md, "Ready", "MachineProvisioningFailed", "Error",
                    "No valid host was found", "Available", "NotAvailable");
       },
       v1::CREATE_FAILED,
       "node group default-worker: MachineDeployment "
       "shop-k3vq7x2mzp4a-default-worker: phase Failed: Ready: "
       "MachineProvisioningFailed: No valid host was found",
       absl::Minutes(5),
       "node group default-worker: MachineDeployment "
       "shop-k3vq7x2mzp4a-default-worker: Ready: "
       "MachineProvisioningFailed: No valid host was found"},
      {"MachineDeployment Error condition, phase Running",
       v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->NotTrue(&w->md, "Ready", "MachineProvisioningFailed", "Error",
                    "No valid host was found", "Available", "NotAvailable");
       },
       v1::UPDATE_FAILED,
       "node group default-worker: MachineDeployment "
       "shop-k3vq7x2mzp4a-default-worker: Ready: "
       "MachineProvisioningFailed: No valid host was found",
       absl::Minutes(5),
       // (The same reason; health names v1beta2's Available.)
       "node group default-worker: MachineDeployment "
       "shop-k3vq7x2mzp4a-default-worker: Ready: "
       "MachineProvisioningFailed: No valid host was found"},
      {"worker Machine failure", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->Failure(&w->machines[2], "CreateError", "flavor not found");
       },
       v1::UPDATE_FAILED,
       "machine shop-k3vq7x2mzp4a-worker-b: CreateError: flavor not found"},
      {"worker Machine Error condition", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->NotTrue(&w->machines[1], "NodeHealthy", "NodeNotFound", "Error", "",
                    "NodeHealthy", "NodeDoesNotExist");
       },
       v1::CREATE_FAILED,
       "machine shop-k3vq7x2mzp4a-worker-a: NodeHealthy: NodeNotFound"},
      {"control plane Error condition", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->NotTrue(&w->kcp, "MachinesReady", "MachineProvisioningFailed",
                    "Error", "1 of 3 machines failed", "MachinesReady",
                    "NotReady");
       },
       v1::CREATE_FAILED,
       "control plane shop-k3vq7x2mzp4a-control-plane: MachinesReady: "
       "MachineProvisioningFailed: 1 of 3 machines failed"},
      {"control-plane Machine failure", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->machines[0]["status"]["phase"] = "Failed";
       },
       v1::CREATE_FAILED,
       "control plane: machine shop-k3vq7x2mzp4a-cp-a: phase Failed"},
      {"a Warning is no failure", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->NotTrue(&w->machines[1], "NodeHealthy", "NodeProvisioning",
                    "Warning", "", "NodeHealthy", "NodeDoesNotExist");
       },
       v1::CREATE_COMPLETE, ""},
      {"create timeout", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->md["status"]["phase"] = "ScalingUp";
         w->Count(&w->md, "readyReplicas", 0);
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
           w->Count(&w->md, key, 1);
         }
         w->Happening(&w->md, "ScalingDown");
       },
       v1::UPDATE_IN_PROGRESS,
       "node group default-worker: 1/1 machines ready, phase Running, 2 "
       "Machines seen, not all Running"},
      {"rolling out: not all up to date", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->Count(&w->md, "updatedReplicas", 1);
         w->Happening(&w->md, "RollingOut");
       },
       v1::UPDATE_IN_PROGRESS,
       "node group default-worker: 2/2 machines ready, phase Running"},
      {"control plane upgrade in progress", v1::UPDATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->kcp["spec"]["version"] = "v1.35.0";
         w->Count(&w->kcp, "updatedReplicas", 0);
         w->Happening(&w->kcp, "RollingOut");
       },
       v1::UPDATE_IN_PROGRESS,
       "node group default-master: control plane: 1/1 machines ready, 0 at "
       "v1.35.0"},
      {"a new Machine not Running yet", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         w->machines[2]["status"]["phase"] = "Provisioning";
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
      {"v1beta2 condition names on a v1beta1 read", v1::CREATE_IN_PROGRESS,
       [](World* w, v1::ClusterSpec*) {
         if (w->v1beta2()) return;
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
         w->Happening(&w->cluster, "Deleting");
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
    Twins twins = EvaluateBoth(row.change, row.current, row.running_for);
    for (Api api : kBoth) {
      CAPTURE(Name(api));
      const v1::ClusterStatus& status =
          api == Api::kV1Beta1 ? twins.v1beta1 : twins.v1beta2;
      const char* reason = api == Api::kV1Beta2 && row.v1beta2_reason
                               ? row.v1beta2_reason
                               : row.reason;
      CHECK(v1::Status_Name(status.status()) == v1::Status_Name(row.want));
      if (std::string(reason).empty()) {
        CHECK(status.status_reason().empty());
      } else {
        CHECK_THAT(status.status_reason(), Catch::Contains(reason));
      }
    }
    CheckSameResults(twins.v1beta1, twins.v1beta2);
    if (row.v1beta2_reason == nullptr) {
      std::string diff;
      google::protobuf::util::MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&diff);
      CHECK(differencer.Compare(twins.v1beta1, twins.v1beta2));
      CAPTURE(diff);
      CHECK(diff.empty());
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
       [](World* w) {
         if (!w->v1beta2()) w->md["status"]["phase"] = "Failed";
         w->NotTrue(&w->md, "Ready", "MachineProvisioningFailed", "Error",
                    "No valid host was found", "Available", "NotAvailable");
       },
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
      {"MachineDeployment being deleted", "DELETE_IN_PROGRESS",
       [](World* w) {
         w->md["metadata"]["deletionTimestamp"] = "2027-01-15T09:00:00Z";
         w->md["status"]["phase"] = "ScalingDown";
         w->Happening(&w->md, "Deleting");
       },
       v1::DELETE_IN_PROGRESS},
  };
  for (const GroupRow& row : rows) {
    CAPTURE(row.what);
    for (Api api : kBoth) {
      CAPTURE(Name(api));
      World world(api);
      row.change(&world);
      v1::ClusterSpec spec = Spec();
      spec.mutable_node_groups(1)->set_status(row.group_status);
      v1::ClusterStatus status = Evaluate(world, spec, v1::UPDATE_IN_PROGRESS);
      REQUIRE(status.node_groups_size() == 2);
      CHECK(v1::Status_Name(status.node_groups(1).status()) ==
            v1::Status_Name(row.want));
    }
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
  w->Count(&w->md, "replicas", replicas);
  w->Count(&w->md, "readyReplicas", ready);
  w->Count(&w->md, "updatedReplicas", replicas);
  w->md["status"]["phase"] = ready == replicas ? "Running" : "ScalingUp";
  if (ready != replicas) w->Happening(&w->md, "ScalingUp");
  w->machines.resize(1);  // the control plane's
  for (int i = 0; i < replicas; ++i) {
    json m = w->NewMachine("worker-" + std::to_string(i), false,
                           "10.0.1." + std::to_string(i + 1));
    if (i >= ready) {
      m["status"]["phase"] = "Provisioning";
      if (w->v1beta2()) {
        PutCondition(&m["status"]["conditions"],
                     Cond2("Ready", "False", "NotReady",
                           "* InfrastructureReady: WaitingForInfra"));
        PutCondition(&m["status"]["deprecated"]["v1beta1"]["conditions"],
                     Cond("Ready", false, "WaitingForInfra"));
      } else {
        m["status"]["conditions"] = {Cond("Ready", false, "WaitingForInfra")};
      }
    }
    w->machines.push_back(m);
  }
}

TEST_CASE("StatusRules: a group autoscaled from zero") {
  for (Api api : kBoth) {
    CAPTURE(Name(api));
    SECTION(std::string("at zero machines it is complete and healthy, ") +
            Name(api)) {
      World world(api);
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
    SECTION(std::string("scaling up from zero is in progress until the "
                        "machines are ready, ") +
            Name(api)) {
      World world(api);
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

      World ready(api);
      Autoscaled(&ready, 0, 2, 2);
      status =
          Evaluate(ready, Spec("UPDATE_IN_PROGRESS"), v1::UPDATE_IN_PROGRESS);
      CHECK(v1::Status_Name(status.status()) == "UPDATE_COMPLETE");
      CHECK(status.node_groups(1).desired_nodes() == 2);
      CHECK(status.node_groups(1).ready_nodes() == 2);
      CHECK(status.node_groups(1).status_reason().empty());
    }
  }
}

TEST_CASE("StatusRules: addresses, versions, counts") {
  for (Api api : kBoth) {
    CAPTURE(Name(api));
    World world(api);
    world.md["metadata"]["annotations"] = {
        {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size", "1"},
        {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size", "5"}};
    world.md["spec"].erase("replicas");
    for (const char* key : {"replicas", "readyReplicas", "updatedReplicas"}) {
      world.Count(&world.md, key, 4);
    }
    world.machines.push_back(world.NewMachine("worker-c", false, "10.0.0.8"));
    world.machines.push_back(world.NewMachine("worker-d", false, "10.0.0.9"));
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
    CHECK(std::vector<std::string>(status.node_addresses().begin(),
                                   status.node_addresses().end()) ==
          std::vector<std::string>{"10.0.0.6", "10.0.0.7", "10.0.0.8",
                                   "10.0.0.9"});
    const v1::NodeGroupStatus& worker = status.node_groups(1);
    CHECK(worker.present());
    CHECK(worker.ready_nodes() == 4);
    CHECK(worker.desired_nodes() == 4);  // the autoscaler's count, not 2
  }
}

TEST_CASE("StatusRules: health with per-component reasons") {
  for (Api api : kBoth) {
    CAPTURE(Name(api));
    World world(api);
    v1::ClusterStatus healthy = Evaluate(world, Spec(), v1::CREATE_COMPLETE);
    CHECK(healthy.health_status() == v1::HEALTHY);
    for (const char* component :
         {"cluster", "infrastructure", "controlplane", "nodegroup"}) {
      CAPTURE(component);
      CHECK(healthy.health_status_reason().at(component) == "Ready");
    }

    // v1beta2's RollingOut=False is healthy (the reference 1.3.0 said not);
    // so is RollingOut=True, a change CAPI is making.
    PutCondition(&world.kcp["status"]["conditions"],
                 api == Api::kV1Beta1
                     ? Cond("RollingOut", false, "NotRollingOut")
                     : Cond2("RollingOut", "True", "RollingOut"));
    CHECK(Evaluate(world, Spec(), v1::CREATE_COMPLETE).health_status() ==
          v1::HEALTHY);

    world.osc["status"]["failureReason"] = "UpdateError";
    world.osc["status"]["failureMessage"] = "load balancer ERROR";
    world.NotTrue(&world.md, "Ready", "MachinesNotReady", "Warning", "",
                  "Available", "NotAvailable");
    v1::ClusterStatus sick = Evaluate(world, Spec(), v1::CREATE_COMPLETE);
    CHECK(sick.health_status() == v1::UNHEALTHY);
    CHECK(sick.health_status_reason().at("infrastructure") ==
          "UpdateError: load balancer ERROR");
    // Each version names its own condition.
    CHECK(sick.health_status_reason().at("nodegroup") ==
          (api == Api::kV1Beta1 ? "default-worker: Waiting on [Ready]"
                                : "default-worker: Waiting on [Available]"));
    CHECK(sick.health_status_reason().at("controlplane") == "Ready");

    world.cluster = nullptr;
    CHECK(Evaluate(world, Spec(), v1::CREATE_COMPLETE)
              .health_status_reason()
              .at("cluster") == "Cluster resource not found.");
  }
}

TEST_CASE("StatusRules: health reasons agree with the machine counts") {
  // Every condition true, but machines missing: not "Ready".
  for (Api api : kBoth) {
    CAPTURE(Name(api));
    World world(api);
    world.Count(&world.kcp, "readyReplicas", 0);
    world.Count(&world.md, "readyReplicas", 1);
    v1::ClusterStatus s = Evaluate(world, Spec(), v1::CREATE_IN_PROGRESS);
    CHECK(s.health_status_reason().at("controlplane") == "0/1 machines ready");
    CHECK(s.health_status_reason().at("nodegroup") ==
          "default-worker: 1/2 machines ready");
    CHECK(s.health_status() == v1::UNHEALTHY);
  }
}

TEST_CASE("StatusRules: a v1beta2 Cluster that is not Available") {
  // As CAPI writes a cluster whose workers are short: Available and
  // WorkersAvailable False, the v1beta1 Ready kept beside them.
  World world(Api::kV1Beta2);
  world.NotTrue(&world.cluster, "Ready", "WaitingForWorkers", "Info", "",
                "Available", "NotAvailable");
  PutCondition(&world.cluster["status"]["conditions"],
               Cond2("WorkersAvailable", "False", "NotAvailable",
                     "* MachineDeployment shop-k3vq7x2mzp4a-default-worker: "
                     "1 available replica, at least 2 required"));
  v1::ClusterStatus s = Evaluate(world, Spec(), v1::CREATE_IN_PROGRESS);
  CHECK(v1::Status_Name(s.status()) == "CREATE_IN_PROGRESS");
  CHECK(s.status_reason() == "cluster condition Available: NotAvailable");
  CHECK(s.health_status_reason().at("cluster") ==
        "Waiting on [Available, WorkersAvailable]");
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

  // v1beta2: settled negative-polarity conditions and True ones are not
  // kept, nor the v1beta1 conditions that report no error.
  std::optional<MachineRecord> v2 =
      ProjectMachine(World::Machine("m", false, "10.0.0.9", Api::kV1Beta2));
  REQUIRE(v2.has_value());
  CHECK(v2->conditions.empty());
  CHECK(v2->v1beta1_errors.empty());
  CHECK(v2->addresses == std::vector<std::string>{"10.0.0.9"});
}

TEST_CASE("Records: v1beta2 fields as CAPI v1.11-v1.13 write them") {
  World world(Api::kV1Beta2);
  SECTION("counts: upToDateReplicas is v1beta1's updatedReplicas") {
    world.Count(&world.md, "updatedReplicas", 1);
    world.md["status"]["updatedReplicas"] = 7;  // not a v1beta2 field
    std::optional<MachineDeploymentRecord> md =
        ProjectMachineDeployment(world.md);
    REQUIRE(md.has_value());
    CHECK(md->updated == 1);
    CHECK(md->ready == 2);
    CHECK(md->available == 2);
    CHECK(md->replicas == 2);
    CHECK(md->phase == "Running");
    std::optional<ControlPlaneRecord> kcp = ProjectControlPlane(world.kcp);
    REQUIRE(kcp.has_value());
    CHECK(kcp->updated == 1);
    CHECK(kcp->ready == 1);
    CHECK(kcp->unavailable == 0);
    CHECK(kcp->version == "v1.34.3");
  }
  SECTION("failures and Error conditions from status.deprecated.v1beta1") {
    world.Failure(&world.machines[1], "CreateError", "flavor not found");
    world.NotTrue(&world.machines[1], "InfrastructureReady",
                  "InstanceCreateFailed", "Error", "quota",
                  "InfrastructureReady", "NotReady");
    std::optional<MachineRecord> m = ProjectMachine(world.machines[1]);
    REQUIRE(m.has_value());
    CHECK(m->failure_reason == "CreateError");
    CHECK(m->failure_message == "flavor not found");
    REQUIRE(m->v1beta1_errors.size() == 1);
    CHECK(m->v1beta1_errors[0].type == "InfrastructureReady");
    CHECK(m->v1beta1_errors[0].reason() == "InstanceCreateFailed");
    REQUIRE(m->conditions.size() == 1);  // the v1beta2 one, no severity
    CHECK(m->conditions[0].severity().empty());
    CHECK(m->conditions[0].reason() == "NotReady");
    // A top-level failureReason is not where v1beta2 keeps it.
    world.cluster["status"]["failureReason"] = "Ignored";
    CHECK(ProjectCluster(world.cluster)->failure_reason.empty());
  }
  SECTION("negative-polarity conditions are kept while True") {
    world.Happening(&world.md, "RollingOut");
    std::optional<MachineDeploymentRecord> md =
        ProjectMachineDeployment(world.md);
    REQUIRE(md.has_value());
    const Condition* rolling = FindCondition(md->conditions, "RollingOut");
    REQUIRE(rolling != nullptr);
    CHECK(rolling->is_true);
    CHECK(FindCondition(md->conditions, "ScalingUp") == nullptr);
    CHECK(FindCondition(md->conditions, "Available") != nullptr);
  }
  SECTION("the version: apiVersion first, else the version read as") {
    CHECK(IsV1Beta2(world.md, ""));
    CHECK(IsV1Beta2(world.md, "v1beta1"));  // the object says v1beta2
    json bare = world.md;
    bare.erase("apiVersion");
    CHECK_FALSE(IsV1Beta2(bare, ""));
    CHECK(IsV1Beta2(bare, "v1beta2"));
    CHECK(ProjectMachineDeployment(bare, "v1beta2")->updated == 2);
    CHECK(ProjectMachineDeployment(bare, "v1beta1")->updated == 0);
    CHECK_FALSE(IsV1Beta2(World(Api::kV1Beta1).md, "v1beta2"));
  }
  SECTION("CAPO's initialization.provisioned counts as ready") {
    world.osc["status"].erase("ready");
    CHECK(ProjectInfrastructure(world.osc)->ready);
    world.osc["status"]["initialization"]["provisioned"] = false;
    CHECK_FALSE(ProjectInfrastructure(world.osc)->ready);
  }
}

TEST_CASE("StatusRules: the operation inferred for callers that do not say") {
  Api api = GENERATE(Api::kV1Beta1, Api::kV1Beta2);
  CAPTURE(Name(api));
  World world(api);
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
