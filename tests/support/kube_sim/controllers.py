"""Plays the CAPI, CAPO and addon-provider controllers.

Once a Cluster and its objects exist, their status advances one step at a
time (step_seconds): the OpenStackCluster becomes ready and the Cluster
gets its controlPlaneEndpoint, then the KubeadmControlPlane and its
Machines, then the MachineDeployments and theirs, then the addons become
Deployed. Spec changes (replicas, version) converge one step after they
are made; Machines annotated for deletion go first on a scale-down. A
deleted Cluster lingers (finalizer) for `teardown_steps` steps while its
objects are torn down. Faults are injected by name.
"""

import copy
import threading
import time
import uuid

from . import resources
from .store import ApiError, now_rfc3339

R = resources.BY_KIND
CLUSTER = R[("cluster.x-k8s.io", "Cluster")]
MD = R[("cluster.x-k8s.io", "MachineDeployment")]
MACHINE = R[("cluster.x-k8s.io", "Machine")]
MHC = R[("cluster.x-k8s.io", "MachineHealthCheck")]
KCP = R[("controlplane.cluster.x-k8s.io", "KubeadmControlPlane")]
KCT = R[("bootstrap.cluster.x-k8s.io", "KubeadmConfigTemplate")]
OSC = R[("infrastructure.cluster.x-k8s.io", "OpenStackCluster")]
OSMT = R[("infrastructure.cluster.x-k8s.io", "OpenStackMachineTemplate")]
HELMRELEASE = R[("addons.stackhpc.com", "HelmRelease")]
MANIFESTS = R[("addons.stackhpc.com", "Manifests")]

CLUSTER_FINALIZER = "cluster.cluster.x-k8s.io"
DELETE_MACHINE = "cluster.x-k8s.io/delete-machine"
CP_CONDITIONS = ["Available", "CertificatesAvailable", "MachinesReady",
                 "Ready", "EtcdClusterHealthy",
                 "ControlPlaneComponentsHealthy"]


def condition(kind, ok, reason="", message="", severity=""):
    c = {"type": kind, "status": "True" if ok else "False",
         "lastTransitionTime": now_rfc3339()}
    if not ok:
        c.update({"reason": reason or "WaitingFor" + kind,
                  "severity": severity or "Info"})
        if message:
            c["message"] = message
    return c


class Controllers:

    def __init__(self, store, step_seconds=0.5, teardown_steps=2):
        self.store = store
        self.step = step_seconds
        self.teardown_steps = teardown_steps
        self.lock = threading.Lock()
        self.faults = {}        # name -> value
        self.changed = {}       # object key -> monotonic time of last change
        self.ready_at = {}      # object key -> monotonic time it got ready
        self.addresses = 0
        self.stop_event = threading.Event()
        store.listeners.append(self._on_event)
        self.thread = threading.Thread(target=self._run, daemon=True)

    # -- knobs
    def configure(self, spec):
        with self.lock:
            if "step_seconds" in spec:
                self.step = float(spec["step_seconds"])
            if "teardown_steps" in spec:
                self.teardown_steps = int(spec["teardown_steps"])

    def inject(self, name, value):
        """Faults: openstack_cluster_failure=<cluster>,
        machine_deployment_failed=<md>, addon_failed=<helmrelease>,
        block_deletion=<cluster>, hold_machine_deployment=<md> (its
        machines are neither added nor removed until cleared, as when
        OpenStack is slow to boot them); a null value clears the fault."""
        with self.lock:
            if value is None:
                self.faults.pop(name, None)
            else:
                self.faults.setdefault(name, set()).add(value)

    def _fault(self, name, value):
        with self.lock:
            return value in self.faults.get(name, ())

    # -- bookkeeping
    def _on_event(self, kind, resource, obj):
        key = self.store.key(resource, obj["metadata"].get("namespace", ""),
                             obj["metadata"]["name"])
        if kind == "DELETED":
            self.changed.pop(key, None)
            self.ready_at.pop(key, None)
            return
        generation = obj["metadata"].get("generation", 1)
        previous = self.changed.get(key)
        if previous is None or previous[1] != generation:
            self.changed[key] = (time.monotonic(), generation)

    def _age(self, resource, obj):
        key = self.store.key(resource, obj["metadata"].get("namespace", ""),
                             obj["metadata"]["name"])
        when = self.changed.get(key, (time.monotonic(), 0))[0]
        return time.monotonic() - when

    def _mark_ready(self, resource, obj, ready):
        key = self.store.key(resource, obj["metadata"].get("namespace", ""),
                             obj["metadata"]["name"])
        if ready:
            self.ready_at.setdefault(key, time.monotonic())
        else:
            self.ready_at.pop(key, None)

    def _since_ready(self, resource, namespace, name):
        key = self.store.key(resource, namespace, name)
        when = self.ready_at.get(key)
        return None if when is None else time.monotonic() - when

    def _set_status(self, resource, obj, status):
        if obj.get("status") == status:
            return
        updated = copy.deepcopy(obj)
        updated["status"] = status
        self.store.update(resource, obj["metadata"].get("namespace", ""),
                          obj["metadata"]["name"], updated, "status")

    def _items(self, resource, namespace=""):
        return self.store.list(resource, namespace)["items"]

    def _get(self, resource, namespace, name):
        try:
            return self.store.get(resource, namespace, name)
        except ApiError:
            return None

    # -- loop
    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()

    def _run(self):
        while not self.stop_event.wait(min(0.05, self.step / 4)):
            try:
                with self.store.lock:
                    self.tick()
            except Exception as exc:  # keep playing; report
                print("kube-sim controllers: %r" % exc, flush=True)

    def tick(self):
        for cluster in self._items(CLUSTER):
            self._reconcile_cluster(cluster)
        for md in self._items(MD):
            self._reconcile_machine_deployment(md)
        for addon_kind in (HELMRELEASE, MANIFESTS):
            for addon in self._items(addon_kind):
                self._reconcile_addon(addon_kind, addon)
        self._collect_orphans()

    # -- Cluster, OpenStackCluster, KubeadmControlPlane
    def _reconcile_cluster(self, cluster):
        ns = cluster["metadata"]["namespace"]
        name = cluster["metadata"]["name"]
        meta = cluster["metadata"]
        if meta.get("deletionTimestamp"):
            return self._tear_down(cluster)
        if CLUSTER_FINALIZER not in (meta.get("finalizers") or []):
            updated = copy.deepcopy(cluster)
            updated["metadata"].setdefault("finalizers", []).append(
                CLUSTER_FINALIZER)
            cluster = self.store.update(CLUSTER, ns, name, updated)
        spec = cluster.get("spec", {})
        osc_name = (spec.get("infrastructureRef") or {}).get("name", name)
        kcp_name = (spec.get("controlPlaneRef") or {}).get("name")
        osc = self._get(OSC, ns, osc_name)
        if osc is not None:
            osc = self._ensure_cluster_label(OSC, osc, name)
        infra_ready = False
        infra_condition = condition("InfrastructureReady", False,
                                    "WaitingForInfrastructure")
        if osc is not None:
            infra_ready, infra_condition = self._reconcile_osc(osc, name)
            osc = self._get(OSC, ns, osc_name)
        if infra_ready and not spec.get("controlPlaneEndpoint", {}).get(
                "host"):
            updated = copy.deepcopy(cluster)
            updated["spec"]["controlPlaneEndpoint"] = {
                "host": osc["status"]["apiServerLoadBalancer"]["ip"],
                "port": spec.get("clusterNetwork", {}).get("apiServerPort",
                                                           6443)}
            cluster = self.store.update(CLUSTER, ns, name, updated)
        infra_key = ("infrastructure",) + self.store.key(CLUSTER, ns, name)
        if infra_ready:
            self.ready_at.setdefault(infra_key, time.monotonic())
        else:
            self.ready_at.pop(infra_key, None)
        infra_since = time.monotonic() - self.ready_at.get(
            infra_key, time.monotonic())
        cp_ready = False
        cp_condition = condition("ControlPlaneReady", False,
                                 "WaitingForControlPlane")
        if kcp_name:
            kcp = self._get(KCP, ns, kcp_name)
            if kcp is not None:
                kcp = self._ensure_cluster_label(KCP, kcp, name)
                cp_ready = self._reconcile_kcp(
                    kcp, name, infra_ready and infra_since >= self.step)
                if cp_ready:
                    cp_condition = condition("ControlPlaneReady", True)
        ready = infra_ready and cp_ready
        phase = "Provisioned" if infra_ready else "Provisioning"
        status = {"phase": phase, "infrastructureReady": infra_ready,
                  "controlPlaneReady": cp_ready,
                  "observedGeneration": cluster["metadata"]["generation"],
                  "conditions": [
                      condition("Ready", ready, "WaitingForControlPlane"
                                if infra_ready else infra_condition.get(
                                    "reason", ""),
                                infra_condition.get("message", ""),
                                infra_condition.get("severity", "")),
                      cp_condition, infra_condition]}
        self._keep_transition_times(cluster, status)
        self._set_status(CLUSTER, cluster, status)
        self._mark_ready(CLUSTER, cluster, ready)

    def _ensure_cluster_label(self, resource, obj, cluster_name):
        """What CAPI's Cluster controller does to the infrastructure
        cluster and control plane it references: labels them
        cluster.x-k8s.io/cluster-name (the chart does not), once it first
        reconciles them."""
        labels = obj["metadata"].get("labels") or {}
        if labels.get("cluster.x-k8s.io/cluster-name") == cluster_name:
            return obj
        updated = copy.deepcopy(obj)
        updated["metadata"].setdefault("labels", {})[
            "cluster.x-k8s.io/cluster-name"] = cluster_name
        try:
            return self.store.update(resource, obj["metadata"]["namespace"],
                                     obj["metadata"]["name"], updated)
        except ApiError:
            return obj

    def _reconcile_osc(self, osc, cluster_name):
        name = osc["metadata"]["name"]
        if self._fault("openstack_cluster_failure", cluster_name) or \
                self._fault("openstack_cluster_failure", name):
            message = ("Failed to create router: Quota exceeded for "
                       "resources: ['router'].")
            status = {"ready": False, "failureReason": "CreateError",
                      "failureMessage": message,
                      "conditions": [condition(
                          "Ready", False, "NetworkReconcileFailed", message,
                          "Error")]}
            self._keep_transition_times(osc, status)
            self._set_status(OSC, osc, status)
            return False, condition("InfrastructureReady", False,
                                    "NetworkReconcileFailed", message,
                                    "Error")
        if (osc.get("status") or {}).get("ready"):
            return True, condition("InfrastructureReady", True)
        if self._age(OSC, osc) < self.step:
            return False, condition("InfrastructureReady", False,
                                    "WaitingForInfrastructure")
        self.addresses += 1
        status = {"ready": True,
                  "apiServerLoadBalancer": {
                      "name": "k8s-clusterapi-cluster-%s" % name,
                      "ip": "203.0.113.%d" % (self.addresses % 250 + 1),
                      "internalIP": "10.0.0.%d" % (self.addresses % 250 + 1)},
                  "network": {"id": str(uuid.uuid4()),
                              "name": "k8s-clusterapi-cluster-%s" % name},
                  "conditions": [condition("Ready", True)]}
        self._set_status(OSC, osc, status)
        return True, condition("InfrastructureReady", True)

    def _reconcile_kcp(self, kcp, cluster_name, infra_ready):
        ns = kcp["metadata"]["namespace"]
        name = kcp["metadata"]["name"]
        spec = kcp.get("spec", {})
        want = int(spec.get("replicas", 1))
        version = spec.get("version", "")
        status = copy.deepcopy(kcp.get("status") or {})
        machines = [m for m in self._items(MACHINE, ns)
                    if m["metadata"].get("labels", {}).get(
                        "cluster.x-k8s.io/control-plane-name") == name]
        converged = (status.get("replicas") == want and
                     status.get("version") == version and
                     len(machines) == want and
                     all(m["spec"].get("version") == version
                         for m in machines))
        if infra_ready and not converged and \
                self._age(KCP, kcp) >= self.step:
            labels = {"cluster.x-k8s.io/cluster-name": cluster_name,
                      "cluster.x-k8s.io/control-plane": "",
                      "cluster.x-k8s.io/control-plane-name": name,
                      "capi.stackhpc.com/cluster": cluster_name,
                      "capi.stackhpc.com/component": "control-plane"}
            machines = self._converge_machines(
                ns, name, machines, want, version, labels, cluster_name)
            status = {"replicas": want, "readyReplicas": want,
                      "updatedReplicas": want, "unavailableReplicas": 0,
                      "version": version, "initialized": True,
                      "ready": True,
                      "observedGeneration": kcp["metadata"]["generation"],
                      "conditions": [condition(c, True)
                                     for c in CP_CONDITIONS]}
        elif not converged:
            status.setdefault("replicas", len(machines))
            status.setdefault("readyReplicas", len(machines))
            status["updatedReplicas"] = sum(
                1 for m in machines if m["spec"].get("version") == version)
            status["conditions"] = [
                condition(c, False, "ScalingUp" if infra_ready else
                          "WaitingForInfrastructure")
                if c in ("Ready", "MachinesReady", "Available") else
                condition(c, True) for c in CP_CONDITIONS]
            status["ready"] = bool(status.get("initialized"))
        self._keep_transition_times(kcp, status)
        self._set_status(KCP, kcp, status)
        ready = converged or (status.get("readyReplicas") == want and
                              status.get("version") == version)
        self._mark_ready(KCP, kcp, ready)
        return ready

    # -- MachineDeployment
    def _reconcile_machine_deployment(self, md):
        ns = md["metadata"]["namespace"]
        name = md["metadata"]["name"]
        if md["metadata"].get("deletionTimestamp"):
            return
        spec = md.get("spec", {})
        cluster_name = spec.get("clusterName", "")
        cluster = self._get(CLUSTER, ns, cluster_name)
        # Defaulted by the store (CAPI's webhook); moved by the autoscaler.
        want = int(spec.get("replicas", 1))
        version = spec.get("template", {}).get("spec", {}).get("version", "")
        machines = [m for m in self._items(MACHINE, ns)
                    if m["metadata"].get("labels", {}).get(
                        "cluster.x-k8s.io/deployment-name") == name]
        status = copy.deepcopy(md.get("status") or {})
        if self._fault("machine_deployment_failed", name):
            status.update({"phase": "Failed", "conditions": [
                condition("Ready", False, "MachineProvisioningFailed",
                          "Machine %s-0: instance create failed: No valid "
                          "host was found" % name, "Error"),
                condition("Available", False, "MachineProvisioningFailed",
                          "", "Error")]})
            self._keep_transition_times(md, status)
            return self._set_status(MD, md, status)
        cp_ready = False
        if cluster is not None:
            kcp_name = (cluster.get("spec", {}).get("controlPlaneRef") or
                        {}).get("name", "")
            since = self._since_ready(KCP, ns, kcp_name)
            cp_ready = since is not None and since >= self.step
        converged = (len(machines) == want and status.get("replicas") == want
                     and all(m["spec"].get("version") == version
                             for m in machines)
                     and status.get("phase") == "Running")
        if converged:
            return
        held = self._fault("hold_machine_deployment", name)
        if cp_ready and not held and self._age(MD, md) >= self.step:
            labels = dict(spec.get("template", {}).get("metadata", {}).get(
                "labels") or {})
            labels.update({"cluster.x-k8s.io/cluster-name": cluster_name,
                           "cluster.x-k8s.io/deployment-name": name})
            machines = self._converge_machines(ns, name, machines, want,
                                               version, labels, cluster_name)
            status = {"replicas": want, "readyReplicas": want,
                      "updatedReplicas": want, "availableReplicas": want,
                      "unavailableReplicas": 0, "phase": "Running",
                      "observedGeneration": md["metadata"]["generation"],
                      "conditions": [condition("Ready", True),
                                     condition("Available", True)]}
        else:
            have = len(machines)
            status.update({
                "replicas": have, "readyReplicas": have,
                "phase": "ScalingUp" if want > have else
                ("ScalingDown" if want < have else "Running"),
                "conditions": [condition("Ready", False, "WaitingForScaling"),
                               condition("Available", have >= want,
                                         "WaitingForAvailableMachines")]})
            if have == want and all(m["spec"].get("version") == version
                                    for m in machines) and have:
                status["phase"] = "Running"
            elif have == want:
                status["phase"] = "ScalingUp"
        self._keep_transition_times(md, status)
        self._set_status(MD, md, status)

    def _converge_machines(self, ns, owner, machines, want, version, labels,
                           cluster_name):
        """Deletes outdated or surplus Machines (annotated ones first) and
        creates new ones until `want` run `version`."""
        keep = [m for m in machines if m["spec"].get("version") == version]
        stale = [m for m in machines if m not in keep]
        keep.sort(key=lambda m: DELETE_MACHINE not in (
            m["metadata"].get("annotations") or {}))
        while len(keep) > want:
            stale.append(keep.pop(0))
        for m in stale:
            try:
                self.store.delete(MACHINE, ns, m["metadata"]["name"])
            except ApiError:
                pass
        while len(keep) < want:
            self.addresses += 1
            machine_name = "%s-%s" % (owner, uuid.uuid4().hex[:5])
            machine = self.store.create(MACHINE, ns, {
                "metadata": {"name": machine_name, "labels": labels},
                "spec": {"clusterName": cluster_name, "version": version,
                         "bootstrap": {"dataSecretName": machine_name},
                         "providerID": "openstack:///" + str(uuid.uuid4())}})
            self._set_status(MACHINE, machine, {
                "phase": "Running", "bootstrapReady": True,
                "infrastructureReady": True,
                "nodeRef": {"kind": "Node", "name": machine_name},
                "addresses": [{"type": "InternalIP", "address":
                               "10.0.%d.%d" % (self.addresses // 250 % 250,
                                               self.addresses % 250 + 1)}],
                "conditions": [condition("Ready", True)]})
            keep.append(machine)
        return keep

    # -- addons
    def _reconcile_addon(self, resource, addon):
        ns = addon["metadata"]["namespace"]
        name = addon["metadata"]["name"]
        if addon["metadata"].get("deletionTimestamp"):
            return
        spec = addon.get("spec") or {}
        cluster_name = spec.get("clusterName", "")
        if self._get(CLUSTER, ns, cluster_name) is None:
            return  # the provider waits for the Cluster
        # What the addon provider does first (init_metadata): labels the
        # addon with its cluster, release namespace and release name.
        labels = addon["metadata"].get("labels") or {}
        wanted = {"addons.stackhpc.com/cluster": cluster_name,
                  "addons.stackhpc.com/release-namespace":
                      spec.get("targetNamespace", ""),
                  "addons.stackhpc.com/release-name":
                      spec.get("releaseName") or name}
        if any(labels.get(k) != v for k, v in wanted.items()):
            updated = copy.deepcopy(addon)
            updated["metadata"].setdefault("labels", {}).update(wanted)
            try:
                addon = self.store.update(resource, ns, name, updated)
            except ApiError:
                return
        status = addon.get("status") or {}
        if self._fault("addon_failed", name):
            return self._set_status(resource, addon, {
                "phase": "Failed",
                "failureMessage": "rendered manifests contain a resource "
                                  "that already exists"})
        if status.get("phase") == "Deployed":
            return
        since = self._since_ready(CLUSTER, ns, cluster_name)
        if since is not None and since >= self.step and \
                self._age(resource, addon) >= self.step:
            self._set_status(resource, addon, {"phase": "Deployed",
                                               "revision": 1})
        elif not status:
            self._set_status(resource, addon, {"phase": "Pending"})

    # -- deletion
    def _tear_down(self, cluster):
        ns = cluster["metadata"]["namespace"]
        name = cluster["metadata"]["name"]
        if cluster.get("status", {}).get("phase") != "Deleting":
            status = copy.deepcopy(cluster.get("status") or {})
            status["phase"] = "Deleting"
            self._set_status(CLUSTER, cluster, status)
            return
        if self._fault("block_deletion", name):
            return
        key = self.store.key(CLUSTER, ns, name)
        started = self.ready_at.setdefault(("deleting",) + key,
                                           time.monotonic())
        if time.monotonic() - started < self.teardown_steps * self.step:
            return
        for resource in (MACHINE, MD, MHC, KCP, KCT, OSC, OSMT):
            for obj in self._items(resource, ns):
                meta = obj["metadata"]
                belongs = (meta.get("labels") or {}).get(
                    "cluster.x-k8s.io/cluster-name") == name or \
                    obj.get("spec", {}).get("clusterName") == name or \
                    meta["name"] in (name, name + "-control-plane")
                if belongs:
                    try:
                        self.store.delete(resource, ns, meta["name"])
                    except ApiError:
                        pass
        self.ready_at.pop(("deleting",) + key, None)
        cluster = self.store.get(CLUSTER, ns, name)
        cluster["metadata"]["finalizers"] = [
            f for f in cluster["metadata"].get("finalizers", [])
            if f != CLUSTER_FINALIZER]
        self.store.update(CLUSTER, ns, name, cluster)

    def _collect_orphans(self):
        """Machines whose MachineDeployment or control plane is gone."""
        owners = {}
        for m in self._items(MACHINE):
            labels = m["metadata"].get("labels") or {}
            ns = m["metadata"]["namespace"]
            owner = labels.get("cluster.x-k8s.io/deployment-name")
            kind = MD
            if owner is None:
                owner = labels.get("cluster.x-k8s.io/control-plane-name")
                kind = KCP
            if owner is None:
                continue
            key = (kind.plural, ns, owner)
            if key not in owners:
                owners[key] = self._get(kind, ns, owner) is not None
            if not owners[key]:
                try:
                    self.store.delete(MACHINE, ns, m["metadata"]["name"])
                except ApiError:
                    pass

    @staticmethod
    def _keep_transition_times(obj, status):
        """Conditions keep their lastTransitionTime while their status is
        unchanged, so an unchanged object is not rewritten."""
        old = {c["type"]: c for c in (obj.get("status") or {}).get(
            "conditions", [])}
        for c in status.get("conditions", []):
            previous = old.get(c["type"])
            if previous and previous["status"] == c["status"]:
                c["lastTransitionTime"] = previous["lastTransitionTime"]
