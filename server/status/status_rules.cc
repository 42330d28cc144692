#include "server/status/status_rules.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/render/naming.h"

namespace capi_bridge::status {
namespace {

enum class State { kNotPresent, kPending, kReady, kFailed };

struct GroupView {
  State state = State::kPending;
  std::string reason;
  int ready = 0;
  int desired = 0;
  bool present = false;
  std::vector<std::string> addresses;
};

enum class Operation { kCreate, kUpdate, kDelete, kOther };

Operation OperationOf(v1::Status status) {
  switch (status) {
    case v1::CREATE_IN_PROGRESS:
    case v1::CREATE_FAILED:
    case v1::CREATE_COMPLETE:
      return Operation::kCreate;
    case v1::UPDATE_IN_PROGRESS:
    case v1::UPDATE_FAILED:
    case v1::UPDATE_COMPLETE:
      return Operation::kUpdate;
    case v1::DELETE_IN_PROGRESS:
    case v1::DELETE_FAILED:
    case v1::DELETE_COMPLETE:
      return Operation::kDelete;
    default:
      return Operation::kOther;
  }
}

Operation OperationOf(const std::string& magnum_status) {
  if (absl::StartsWith(magnum_status, "CREATE_")) return Operation::kCreate;
  if (absl::StartsWith(magnum_status, "UPDATE_")) return Operation::kUpdate;
  if (absl::StartsWith(magnum_status, "DELETE_")) return Operation::kDelete;
  return Operation::kOther;
}

v1::Status Of(Operation op, State state) {
  if (op == Operation::kCreate) {
    return state == State::kReady    ? v1::CREATE_COMPLETE
           : state == State::kFailed ? v1::CREATE_FAILED
                                     : v1::CREATE_IN_PROGRESS;
  }
  return state == State::kReady    ? v1::UPDATE_COMPLETE
         : state == State::kFailed ? v1::UPDATE_FAILED
                                   : v1::UPDATE_IN_PROGRESS;
}

const char* Verb(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "create";
    case Operation::kUpdate:
      return "update";
    case Operation::kDelete:
      return "delete";
    default:
      return "operation";
  }
}

std::string Explain(const Condition& c) {
  std::string out = c.type;
  if (!c.reason().empty()) absl::StrAppend(&out, ": ", c.reason());
  if (!c.message().empty()) absl::StrAppend(&out, ": ", c.message());
  return out;
}

std::string Failure(const std::string& reason, const std::string& message) {
  if (reason.empty()) return message;
  if (message.empty()) return reason;
  return absl::StrCat(reason, ": ", message);
}

// The first condition reporting an error, or nullptr.
const Condition* ErrorCondition(const std::vector<Condition>& conditions) {
  for (const Condition& c : conditions) {
    if (!c.is_true && !NegativePolarity(c.type) && c.severity() == "Error") {
      return &c;
    }
  }
  return nullptr;
}

// The first condition of a record reporting an error: among its
// conditions, else (v1beta2) among the v1beta1 ones CAPI keeps beside them.
template <typename Record>
const Condition* RecordError(const Record& r) {
  const Condition* c = ErrorCondition(r.conditions);
  return c != nullptr ? c : ErrorCondition(r.v1beta1_errors);
}

// The first of `types` present, or nullptr.
const Condition* AnyOf(const std::vector<Condition>& conditions,
                       std::initializer_list<const char*> types) {
  for (const char* type : types) {
    if (const Condition* c = FindCondition(conditions, type)) return c;
  }
  return nullptr;
}

// Why a machine failed, or "".
std::string MachineFailure(const MachineRecord& m) {
  std::string failure = Failure(m.failure_reason, m.failure_message);
  if (failure.empty() && m.phase == "Failed") failure = "phase Failed";
  if (failure.empty()) {
    if (const Condition* c = RecordError(m)) {
      failure = Explain(*c);
    }
  }
  return failure.empty() ? ""
                         : absl::StrCat("machine ", m.meta.name, ": ", failure);
}

// Exactly `want` Machines, all Running. Machines are watched apart from
// their owners, so an owner's counts can run ahead of what the Machines
// show (a new one without its node yet, a surplus one not yet gone).
bool AllRunning(const std::vector<const MachineRecord*>& machines, int want) {
  if (static_cast<int>(machines.size()) != want) return false;
  for (const MachineRecord* m : machines) {
    if (m->phase != "Running") return false;
  }
  return true;
}

GroupView ControlPlaneView(const ControlPlaneRecord* kcp,
                           const std::vector<const MachineRecord*>& machines) {
  GroupView view;
  for (const MachineRecord* m : machines) {
    if (!m->addresses.empty()) view.addresses.push_back(m->addresses[0]);
  }
  if (kcp == nullptr) {
    view.state = State::kNotPresent;
    view.reason = "control plane not created yet";
    return view;
  }
  view.present = true;
  view.ready = kcp->ready;
  view.desired = kcp->desired;
  if (const Condition* c = RecordError(*kcp)) {
    view.state = State::kFailed;
    view.reason =
        absl::StrCat("control plane ", kcp->meta.name, ": ", Explain(*c));
    return view;
  }
  for (const MachineRecord* m : machines) {
    std::string failure = MachineFailure(*m);
    if (!failure.empty()) {
      view.state = State::kFailed;
      view.reason = absl::StrCat("control plane: ", failure);
      return view;
    }
  }
  const Condition* ready = AnyOf(kcp->conditions, {"Ready", "Available"});
  bool counts = kcp->desired == kcp->replicas &&
                kcp->replicas == kcp->updated && kcp->updated == kcp->ready;
  bool version =
      kcp->desired_version.empty() || kcp->version == kcp->desired_version;
  const bool machines_agree = AllRunning(machines, kcp->desired);
  if (counts && version && machines_agree &&
      (ready == nullptr || ready->is_true)) {
    view.state = State::kReady;
    return view;
  }
  view.state = State::kPending;
  view.reason = absl::StrCat("control plane: ", kcp->ready, "/", kcp->desired,
                             " machines ready");
  if (kcp->updated < kcp->desired) {
    absl::StrAppend(&view.reason, ", ", kcp->updated, " at ",
                    kcp->desired_version);
  }
  return view;
}

GroupView WorkerView(const v1::NodeGroup& group,
                     const MachineDeploymentRecord* md,
                     const std::vector<const MachineRecord*>& machines) {
  GroupView view;
  view.desired = group.node_count();
  for (const MachineRecord* m : machines) {
    if (!m->addresses.empty()) view.addresses.push_back(m->addresses[0]);
  }
  const bool deleting = absl::StartsWith(group.status(), "DELETE_");
  if (md == nullptr) {
    view.desired = 0;
    if (deleting && !machines.empty()) {
      view.state = State::kPending;
      view.reason = absl::StrCat(machines.size(), " machines left to delete");
    } else {
      view.state = State::kNotPresent;
      view.reason = "MachineDeployment not present";
    }
    return view;
  }
  view.present = true;
  view.ready = md->ready;
  // An autoscaled group's size is the autoscaler's: the count it asked for
  // (spec.replicas, which CAPI defaults to the minimum, 0 included), else
  // the count running.
  if (md->autoscaled) view.desired = md->desired.value_or(md->replicas);
  if (md->meta.deleting) {
    view.state = State::kPending;
    view.reason =
        absl::StrCat("being deleted, ", machines.size(), " machines left");
    return view;
  }
  const std::string& name = md->meta.name;
  if (md->phase == "Failed" || md->phase == "Unknown") {
    view.state = State::kFailed;
    const Condition* c = RecordError(*md);
    view.reason =
        absl::StrCat("MachineDeployment ", name, ": phase ", md->phase,
                     c != nullptr ? ": " + Explain(*c) : "");
    return view;
  }
  if (const Condition* c = RecordError(*md)) {
    view.state = State::kFailed;
    view.reason = absl::StrCat("MachineDeployment ", name, ": ", Explain(*c));
    return view;
  }
  for (const MachineRecord* m : machines) {
    std::string failure = MachineFailure(*m);
    if (!failure.empty()) {
      view.state = State::kFailed;
      view.reason = failure;
      return view;
    }
  }
  // The requested count must have reached the MachineDeployment (unless an
  // autoscaler owns it) and run there.
  int want = md->desired.value_or(md->replicas);
  bool requested = md->autoscaled || !md->desired.has_value() ||
                   *md->desired == group.node_count();
  const bool machines_agree = AllRunning(machines, want);
  if (md->phase == "Running" && requested && md->ready == want &&
      md->replicas == want && md->updated >= want && machines_agree) {
    view.state = State::kReady;
    return view;
  }
  view.state = State::kPending;
  view.reason = absl::StrCat(md->ready, "/", requested ? want : view.desired,
                             " machines ready",
                             md->phase.empty() ? "" : ", phase " + md->phase);
  if (md->ready == want && !machines_agree) {
    absl::StrAppend(&view.reason, ", ", machines.size(),
                    " Machines seen, not all Running");
  }
  return view;
}

// Health of one component: "Ready" or why not.
std::string ConditionsHealth(const std::vector<Condition>& conditions) {
  std::vector<std::string> waiting;
  for (const Condition& c : conditions) {
    if (!c.is_true && !NegativePolarity(c.type)) waiting.push_back(c.type);
  }
  if (waiting.empty()) return "Ready";
  return absl::StrCat("Waiting on [", absl::StrJoin(waiting, ", "), "]");
}

void Health(const v1::ClusterSpec& spec, const ClusterObjects& objects,
            const ControlPlaneRecord* kcp, v1::ClusterStatus* out) {
  auto& reasons = *out->mutable_health_status_reason();
  reasons["cluster"] = objects.cluster
                           ? ConditionsHealth(objects.cluster->conditions)
                           : "Cluster resource not found.";
  if (!objects.infrastructure) {
    reasons["infrastructure"] = "OpenStackCluster resource not found.";
  } else if (!objects.infrastructure->failure_reason.empty() ||
             !objects.infrastructure->failure_message.empty()) {
    reasons["infrastructure"] =
        Failure(objects.infrastructure->failure_reason,
                objects.infrastructure->failure_message);
  } else if (!objects.infrastructure->ready) {
    std::string why = ConditionsHealth(objects.infrastructure->conditions);
    reasons["infrastructure"] = why == "Ready" ? "Not ready" : why;
  } else {
    reasons["infrastructure"] = "Ready";
  }
  // Conditions can all be true while machines are still missing (a KCP
  // is Ready before its last replica): the counts have the last word.
  auto with_counts = [](std::string why, int32_t ready, int32_t desired) {
    if (why == "Ready" && ready < desired) {
      return absl::StrCat(ready, "/", desired, " machines ready");
    }
    return why;
  };
  reasons["controlplane"] = kcp ? with_counts(ConditionsHealth(kcp->conditions),
                                              kcp->ready, kcp->desired)
                                : "Control plane resource not found.";
  std::vector<std::string> groups;
  const std::string& release = spec.cluster().stack_id();
  for (const v1::NodeGroup& group : spec.node_groups()) {
    if (group.role() == "master") continue;
    std::string name =
        absl::StrCat(release, "-", render::SanitizedName(group.name()));
    const MachineDeploymentRecord* md = nullptr;
    for (const auto& d : objects.deployments) {
      if (d.meta.name == name) md = &d;
    }
    if (md == nullptr) {
      groups.push_back(absl::StrCat(group.name(), ": not found"));
      continue;
    }
    std::string health = ConditionsHealth(md->conditions);
    if (md->desired.has_value()) {
      health = with_counts(std::move(health), md->ready, *md->desired);
    }
    if (health != "Ready") {
      groups.push_back(absl::StrCat(group.name(), ": ", health));
    }
  }
  reasons["nodegroup"] = groups.empty() ? "Ready" : absl::StrJoin(groups, ",");
  bool healthy = true;
  for (const auto& [key, value] : reasons) healthy &= value == "Ready";
  out->set_health_status(healthy ? v1::HEALTHY : v1::UNHEALTHY);
}

}  // namespace

v1::Status InferCurrent(const ClusterObjects& objects) {
  if (!objects.cluster) return v1::CREATE_IN_PROGRESS;
  if (objects.cluster->meta.deleting) return v1::DELETE_IN_PROGRESS;
  const std::string& verb = objects.cluster->operation;
  if (verb == "CreateCluster") return v1::CREATE_IN_PROGRESS;
  if (!verb.empty()) return v1::UPDATE_IN_PROGRESS;
  // Marked by a bridge that did not name the verb: the create's mark
  // started before helm made the Cluster.
  const absl::Time started = objects.cluster->operation_started;
  if (started == absl::InfinitePast() ||
      started <= objects.cluster->meta.created) {
    return v1::CREATE_IN_PROGRESS;
  }
  return v1::UPDATE_IN_PROGRESS;
}

bool IsTerminal(v1::Status status) {
  switch (status) {
    case v1::CREATE_COMPLETE:
    case v1::CREATE_FAILED:
    case v1::UPDATE_COMPLETE:
    case v1::UPDATE_FAILED:
    case v1::DELETE_COMPLETE:
    case v1::DELETE_FAILED:
      return true;
    default:
      return false;
  }
}

v1::ClusterStatus EvaluateStatus(const StatusInput& input) {
  const v1::ClusterSpec& spec = *input.spec;
  const ClusterObjects& objects = *input.objects;
  const std::string& release = spec.cluster().stack_id();
  v1::ClusterStatus out;
  out.set_status(input.current);

  // The control plane: the chart's "<release>-control-plane", else any.
  const ControlPlaneRecord* kcp = nullptr;
  for (const auto& cp : objects.control_planes) {
    if (kcp == nullptr || cp.meta.name == release + "-control-plane") {
      kcp = &cp;
    }
  }
  if (objects.cluster && !objects.cluster->endpoint_host.empty()) {
    out.set_api_address(absl::StrCat("https://", objects.cluster->endpoint_host,
                                     ":", objects.cluster->endpoint_port));
  }
  if (kcp != nullptr) {
    out.set_coe_version(kcp->version.empty() ? kcp->desired_version
                                             : kcp->version);
  }

  // Machines by owner, sorted by name for stable address lists.
  std::vector<const MachineRecord*> machines;
  for (const auto& m : objects.machines) machines.push_back(&m);
  std::sort(machines.begin(), machines.end(),
            [](const MachineRecord* a, const MachineRecord* b) {
              return a->meta.name < b->meta.name;
            });
  std::vector<const MachineRecord*> cp_machines;
  for (const MachineRecord* m : machines) {
    if (m->control_plane) cp_machines.push_back(m);
  }

  const Operation op = OperationOf(input.current);
  std::vector<std::string> failures, pending;
  for (const v1::NodeGroup& group : spec.node_groups()) {
    GroupView view;
    if (group.role() == "master") {
      view = ControlPlaneView(kcp, cp_machines);
      for (const std::string& a : view.addresses) out.add_master_addresses(a);
    } else {
      std::string name =
          absl::StrCat(release, "-", render::SanitizedName(group.name()));
      const MachineDeploymentRecord* md = nullptr;
      for (const auto& d : objects.deployments) {
        if (d.meta.name == name) md = &d;
      }
      std::vector<const MachineRecord*> mine;
      for (const MachineRecord* m : machines) {
        if (m->deployment == name) mine.push_back(m);
      }
      view = WorkerView(group, md, mine);
      for (const std::string& a : view.addresses) out.add_node_addresses(a);
    }
    v1::NodeGroupStatus* ng = out.add_node_groups();
    ng->set_name(group.name());
    ng->set_ready_nodes(view.ready);
    ng->set_desired_nodes(view.desired);
    ng->set_present(view.present);
    for (const std::string& a : view.addresses) ng->add_node_addresses(a);
    // The group's own Magnum status decides which verb it is in; without
    // one (a caller other than Magnum), the cluster's.
    std::string group_status = group.status();
    if (group_status.empty()) group_status = v1::Status_Name(input.current);
    v1::Status parsed = v1::STATUS_UNSPECIFIED;
    v1::Status_Parse(group_status, &parsed);
    ng->set_status(parsed);
    Operation group_op = OperationOf(group_status);
    if (group_op == Operation::kDelete) {
      if (view.state == State::kNotPresent) {
        ng->set_status(v1::DELETE_COMPLETE);
      } else {
        ng->set_status(v1::DELETE_IN_PROGRESS);
        ng->set_status_reason(view.reason);
        pending.push_back(
            absl::StrCat("node group ", group.name(), ": ", view.reason));
      }
      continue;
    }
    if (group_op == Operation::kCreate || group_op == Operation::kUpdate) {
      if (view.state == State::kReady || view.state == State::kFailed) {
        ng->set_status(Of(group_op, view.state));
      }
    }
    if (view.state != State::kReady) ng->set_status_reason(view.reason);
    if (view.state == State::kFailed) {
      failures.push_back(
          absl::StrCat("node group ", group.name(), ": ", view.reason));
    } else if (view.state != State::kReady) {
      pending.push_back(
          absl::StrCat("node group ", group.name(), ": ", view.reason));
    }
  }
  Health(spec, objects, kcp, &out);

  const bool in_progress = input.current == v1::CREATE_IN_PROGRESS ||
                           input.current == v1::UPDATE_IN_PROGRESS ||
                           input.current == v1::DELETE_IN_PROGRESS;
  if (!in_progress) return out;

  const bool timed_out = input.operation_started != absl::InfinitePast() &&
                         input.now - input.operation_started > input.timeout;
  const std::string minutes =
      absl::StrCat(absl::ToInt64Minutes(input.timeout), " minutes");

  // Infrastructure failures matter to every operation.
  std::vector<std::string> infra_failures;
  if (objects.infrastructure) {
    const auto& osc = *objects.infrastructure;
    std::string failure = Failure(osc.failure_reason, osc.failure_message);
    if (failure.empty()) {
      if (const Condition* c = ErrorCondition(osc.conditions)) {
        failure = Explain(*c);
      }
    }
    if (!failure.empty()) {
      infra_failures.push_back(absl::StrCat("infrastructure (OpenStackCluster ",
                                            osc.meta.name, "): ", failure));
    }
  }
  if (objects.cluster) {
    std::string failure = Failure(objects.cluster->failure_reason,
                                  objects.cluster->failure_message);
    if (!failure.empty()) {
      infra_failures.push_back(
          absl::StrCat("Cluster ", release, ": ", failure));
    }
  }

  if (op == Operation::kDelete) {
    if (!objects.cluster) {
      out.set_status(v1::DELETE_COMPLETE);
      out.set_status_reason("the Cluster API cluster is gone");
      return out;
    }
    std::string left =
        absl::StrCat("deleting: ", objects.machines.size(), " machines left");
    if (!infra_failures.empty()) {
      absl::StrAppend(&left, "; ", absl::StrJoin(infra_failures, "; "));
    }
    if (timed_out) {
      out.set_status(v1::DELETE_FAILED);
      out.set_status_reason(
          absl::StrCat("delete did not complete within ", minutes, ": ", left));
    } else {
      out.set_status_reason(left);
    }
    return out;
  }

  failures.insert(failures.begin(), infra_failures.begin(),
                  infra_failures.end());
  std::vector<std::string> addons_waiting;
  int addons_deployed = 0;
  for (const AddonRecord& addon : objects.addons) {
    if (addon.kind == "HelmChartProxy") {
      const Condition* ready = FindCondition(addon.conditions, "Ready");
      if (ready != nullptr && ready->is_true) {
        ++addons_deployed;
      } else if (ready != nullptr && ready->severity() == "Error") {
        failures.push_back(
            absl::StrCat("addon ", addon.meta.name, ": ", Explain(*ready)));
      } else {
        addons_waiting.push_back(addon.meta.name);
      }
      continue;
    }
    if (addon.phase == "Deployed") {
      ++addons_deployed;
    } else if (addon.phase == "Failed" || addon.phase == "Unknown") {
      failures.push_back(
          absl::StrCat("addon ", addon.meta.name, ": phase ", addon.phase,
                       addon.message.empty() ? "" : ": " + addon.message));
    } else {
      addons_waiting.push_back(addon.meta.name);
    }
  }
  if (!failures.empty()) {
    out.set_status(Of(op, State::kFailed));
    out.set_status_reason(absl::StrJoin(failures, "; "));
    return out;
  }

  std::vector<std::string> waiting;
  if (!objects.cluster) {
    waiting.push_back("Cluster " + release + " not created yet");
  } else {
    const auto& conditions = objects.cluster->conditions;
    for (auto types : {std::vector<const char*>{"InfrastructureReady"},
                       std::vector<const char*>{"ControlPlaneReady",
                                                "ControlPlaneAvailable"},
                       std::vector<const char*>{"Ready", "Available"}}) {
      const Condition* c = nullptr;
      for (const char* type : types) {
        if (c == nullptr) c = FindCondition(conditions, type);
      }
      if (c == nullptr) {
        waiting.push_back(absl::StrCat("cluster condition ", types[0]));
      } else if (!c->is_true) {
        waiting.push_back(absl::StrCat("cluster condition ", Explain(*c)));
      }
    }
  }
  waiting.insert(waiting.end(), pending.begin(), pending.end());
  if (!addons_waiting.empty()) {
    waiting.push_back(absl::StrCat(
        "addons: ", addons_deployed, "/", objects.addons.size(),
        " deployed, waiting for ", absl::StrJoin(addons_waiting, ", ")));
  }
  if (waiting.empty()) {
    out.set_status(Of(op, State::kReady));
    out.set_status_reason("");
    return out;
  }
  if (timed_out) {
    out.set_status(Of(op, State::kFailed));
    out.set_status_reason(
        absl::StrCat(Verb(op), " did not complete within ", minutes,
                     "; still waiting for: ", absl::StrJoin(waiting, "; ")));
    return out;
  }
  out.set_status(Of(op, State::kPending));
  out.set_status_reason(absl::StrJoin(waiting, "; "));
  return out;
}

}  // namespace capi_bridge::status
