"""CAPI's status as Cluster API v1.13's controllers write it (v1beta2).

The simulator's controllers (tests/support/kube_sim/controllers.py) decide
each step of a cluster's life and describe it in v1beta1 terms: phase,
the v1beta1 replica counts, v1beta1 conditions (with severity). On a
management cluster that runs CAPI v1.11 or later those controllers write
v1beta2 instead, and this module says what they write for the same step,
kind by kind, following CAPI v1.13.6's sources:

- the condition types and reasons of api/core/v1beta2 (cluster_types.go,
  machinedeployment_types.go, machine_types.go, condition_consts.go) and
  api/controlplane/kubeadm/v1beta2 (KubeadmControlPlane), set the way
  internal/controllers/cluster/cluster_controller_status.go and
  controlplane/kubeadm/internal/controllers/status.go set them: positive
  conditions True when all is well (a summary with no machines is True,
  reason NoReplicas), negative-polarity ones (RollingOut, ScalingUp,
  ScalingDown, Remediating, Deleting, Paused) False;
- the v1beta2 replica fields (readyReplicas, availableReplicas,
  upToDateReplicas), `initialization`, a Machine's `nodeRef` by name only;
- the v1beta1 conditions, failureReason / failureMessage and the v1beta1
  replica counts under status.deprecated.v1beta1, where CAPI v1.11 to
  v1.15 keep them.

Each function takes the v1beta1 status the simulator's controllers chose
(and, for the Cluster, what its MachineDeployments say) and returns the
v1beta2 status, without lastTransitionTime (the caller keeps the stored
times of unchanged conditions). This is not a conversion: CAPI's own
webhooks convert; this is what CAPI's controllers would have written.
"""


def _c(kind, ok, reason, message=""):
    # metav1.Condition: message is required, empty when there is nothing
    # to say.
    return {"type": kind, "status": "True" if ok else "False",
            "reason": reason, "message": message}


def _unknown(kind, reason, message=""):
    c = _c(kind, False, reason, message)
    c["status"] = "Unknown"
    return c


def _negative(deleting=False, deleting_reason="", scaling_up="",
              scaling_down="", rolling_out=""):
    """The negative-polarity conditions CAPI sets on every reconcile."""
    return [
        _c("RollingOut", bool(rolling_out),
           "RollingOut" if rolling_out else "NotRollingOut", rolling_out),
        _c("ScalingUp", bool(scaling_up),
           "ScalingUp" if scaling_up else "NotScalingUp", scaling_up),
        _c("ScalingDown", bool(scaling_down),
           "ScalingDown" if scaling_down else "NotScalingDown",
           scaling_down),
        _c("Remediating", False, "NotRemediating"),
        _c("Deleting", deleting,
           deleting_reason if deleting else "NotDeleting"),
        _c("Paused", False, "NotPaused"),
    ]


def _v1beta1_condition(status, kind):
    for c in status.get("conditions") or []:
        if c.get("type") == kind:
            return c
    return None


def _true(status, kind):
    c = _v1beta1_condition(status, kind)
    return c is not None and c.get("status") == "True"


def _message(status, kind):
    c = _v1beta1_condition(status, kind) or {}
    return c.get("message", "")


def _deprecated(status, keys, counts=()):
    """status.deprecated.v1beta1: the v1beta1 conditions, `keys` where
    set, and the v1beta1 replica `counts` (always written by CAPI)."""
    old = {"conditions": list(status.get("conditions") or [])}
    for key in keys:
        if key in status:
            old[key] = status[key]
    for key in counts:
        old[key] = int(status.get(key, 0))
    return {"v1beta1": old}


def _scaling(want, have):
    if want > have:
        return "Scaling up from %d to %d replicas" % (have, want), ""
    if want < have:
        return "", "Scaling down from %d to %d replicas" % (have, want)
    return "", ""


def cluster(status, deleting, workers, cp_machines, worker_machines):
    """A Cluster's status. `workers`: the Available state (True/False) of
    each of its MachineDeployments; `cp_machines`, `worker_machines`: the
    count of its Machines of each kind."""
    infra = bool(status.get("infrastructureReady"))
    cp = bool(status.get("controlPlaneReady"))
    conditions = [
        _c("RemoteConnectionProbe", cp,
           "ProbeSucceeded" if cp else "ProbeFailed",
           "" if cp else "Remote connection not established yet"),
        _c("InfrastructureReady", infra, "Ready" if infra else "NotReady",
           "" if infra else (_message(status, "InfrastructureReady") or
                             "OpenStackCluster status.initialization."
                             "provisioned is false")),
        _c("ControlPlaneAvailable", cp,
           "Available" if cp else "NotAvailable",
           "" if cp else "KubeadmControlPlane status.initialization."
                         "controlPlaneInitialized is false"),
        _c("ControlPlaneInitialized", cp,
           "Initialized" if cp else "NotInitialized",
           "" if cp else "Control plane not yet initialized"),
    ]
    if not workers:
        conditions.append(_c("WorkersAvailable", True, "NoWorkers"))
    else:
        available = all(workers)
        conditions.append(_c(
            "WorkersAvailable", available,
            "Available" if available else "NotAvailable",
            "" if available else "* MachineDeployments: not available"))
    for kind, count in (("ControlPlaneMachinesReady", cp_machines),
                        ("WorkerMachinesReady", worker_machines)):
        conditions.append(_c(kind, True, "Ready" if count else "NoReplicas"))
    for kind, count in (("ControlPlaneMachinesUpToDate", cp_machines),
                        ("WorkerMachinesUpToDate", worker_machines)):
        conditions.append(_c(kind, True,
                             "UpToDate" if count else "NoReplicas"))
    conditions += _negative(deleting=deleting,
                            deleting_reason="WaitingForWorkersDeletion")
    summary = [c for c in conditions if c["type"] in (
        "RemoteConnectionProbe", "InfrastructureReady",
        "ControlPlaneAvailable", "WorkersAvailable")]
    problems = ["* %s: %s" % (c["type"], c.get("message") or c["reason"])
                for c in summary if c["status"] != "True"]
    if deleting:
        problems.insert(0, "* Deleting: Cluster is being deleted")
    conditions.insert(0, _c("Available", not problems,
                            "Available" if not problems else
                            "NotAvailable", "\n".join(problems)))
    out = {"conditions": conditions,
           "initialization": {"infrastructureProvisioned": infra,
                              "controlPlaneInitialized": cp},
           "deprecated": _deprecated(status, (
               "failureReason", "failureMessage"))}
    for key in ("phase", "observedGeneration"):
        if key in status:
            out[key] = status[key]
    return out


def kubeadm_control_plane(status, want):
    """A KubeadmControlPlane's status; `want`: spec.replicas."""
    replicas = int(status.get("replicas", 0))
    machines = replicas
    ready = int(status.get("readyReplicas", 0))
    updated = int(status.get("updatedReplicas", 0))
    initialized = bool(status.get("initialized"))
    up, down = _scaling(want, replicas)
    rolling = "" if updated >= replicas else \
        "Rolling out %d not up-to-date replicas" % (replicas - updated)
    health = "Healthy" if initialized else "HealthUnknown"
    conditions = [
        _c("Available", initialized and ready > 0,
           "Available" if initialized and ready > 0 else "NotAvailable",
           "" if initialized and ready > 0 else
           "Control plane not yet initialized"),
        _c("Initialized", initialized,
           "Initialized" if initialized else "NotInitialized",
           "" if initialized else "Control plane not yet initialized"),
        _c("CertificatesAvailable", True, "Available"),
        (_c("EtcdClusterHealthy", True, health) if initialized else
         _unknown("EtcdClusterHealthy", health,
                  "Waiting for Cluster control plane to be initialized")),
        (_c("ControlPlaneComponentsHealthy", True, health) if initialized
         else _unknown("ControlPlaneComponentsHealthy", health,
                       "Waiting for Cluster control plane to be "
                       "initialized")),
        _c("MachinesReady", True, "Ready" if machines else "NoReplicas"),
        _c("MachinesUpToDate", not rolling,
           ("UpToDate" if machines else "NoReplicas") if not rolling else
           "NotUpToDate", rolling),
    ] + _negative(scaling_up=up, scaling_down=down, rolling_out=rolling)
    out = {"conditions": conditions,
           "initialization": {"controlPlaneInitialized": initialized},
           "replicas": replicas, "readyReplicas": ready,
           "availableReplicas": ready, "upToDateReplicas": updated,
           "deprecated": _deprecated(
               status, ("failureReason", "failureMessage"),
               ("updatedReplicas", "readyReplicas", "unavailableReplicas"))}
    for key in ("version", "observedGeneration"):
        if key in status:
            out[key] = status[key]
    return out


def machine_deployment(status, want):
    """A MachineDeployment's status; `want`: spec.replicas."""
    replicas = int(status.get("replicas", 0))
    ready = int(status.get("readyReplicas", 0))
    available = int(status.get("availableReplicas", ready))
    updated = int(status.get("updatedReplicas", 0))
    up, down = _scaling(want, replicas)
    ok = _true(status, "Available") and available >= want
    failed = status.get("phase") == "Failed"
    message = _message(status, "Ready") if failed else ""
    rolling = "" if updated >= replicas else \
        "Rolling out %d not up-to-date replicas" % (replicas - updated)
    conditions = [
        _c("Available", ok, "Available" if ok else "NotAvailable",
           "" if ok else "%d available replicas, at least %d required"
           % (available, want)),
        _c("MachinesReady", not failed,
           ("Ready" if replicas else "NoReplicas") if not failed else
           "NotReady", message),
        _c("MachinesUpToDate", not rolling,
           ("UpToDate" if replicas else "NoReplicas") if not rolling else
           "NotUpToDate", rolling),
    ] + _negative(scaling_up=up, scaling_down=down, rolling_out=rolling)
    out = {"conditions": conditions, "replicas": replicas,
           "readyReplicas": ready, "availableReplicas": available,
           "upToDateReplicas": updated,
           "deprecated": _deprecated(status, (), (
               "updatedReplicas", "readyReplicas", "availableReplicas",
               "unavailableReplicas"))}
    for key in ("phase", "observedGeneration"):
        if key in status:
            out[key] = status[key]
    return out


def machine(status):
    """A Machine's status."""
    running = status.get("phase") == "Running"
    conditions = [_c(kind, running, reason if running else "Not" + reason)
                  for kind, reason in (
                      ("Available", "Available"), ("Ready", "Ready"),
                      ("UpToDate", "UpToDate"),
                      ("BootstrapConfigReady", "Ready"),
                      ("InfrastructureReady", "Ready"),
                      ("NodeReady", "NodeReady"),
                      ("NodeHealthy", "NodeHealthy"))]
    conditions += [_c("Deleting", False, "NotDeleting"),
                   _c("Paused", False, "NotPaused")]
    out = {"conditions": conditions,
           "initialization": {
               "bootstrapDataSecretCreated":
                   bool(status.get("bootstrapReady")),
               "infrastructureProvisioned":
                   bool(status.get("infrastructureReady"))},
           "deprecated": _deprecated(status, (
               "failureReason", "failureMessage"))}
    if (status.get("nodeRef") or {}).get("name"):
        out["nodeRef"] = {"name": status["nodeRef"]["name"]}
    for key in ("phase", "addresses", "observedGeneration"):
        if key in status:
            out[key] = status[key]
    return out


def keep_transition_times(old, new, now):
    """lastTransitionTime of each v1beta2 condition: the stored one while
    its status is unchanged, else `now`."""
    before = {c["type"]: c for c in old.get("conditions") or []}
    for c in new.get("conditions") or []:
        previous = before.get(c["type"])
        if previous and previous.get("status") == c["status"]:
            c["lastTransitionTime"] = previous["lastTransitionTime"]
        else:
            c["lastTransitionTime"] = now
    return new
