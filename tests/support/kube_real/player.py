"""Plays Cluster API, CAPO and the addon provider over a real API server.

The simulator's controllers (tests/support/kube_sim/controllers.py) step
the CAPI objects' status the way the real controllers write it; this
player runs those same steps through the real API (RealStore), so the
objects pass the real CRDs' schema validation and their status goes
through the status subresource. What the simulator does at admission,
CAPI's defaulting webhooks (not running here), the player does on its
first tick after the object appears: the `cluster.x-k8s.io/cluster-name`
label on MachineDeployments, MachineSets and MachineHealthChecks (and in a
MachineDeployment's template), and a MachineDeployment's spec.replicas
when the chart leaves it out. Machines it creates carry what the real
Machine CRD requires (an infrastructureRef to their OpenStackMachine,
which, like the simulator, it does not create). On a CAPI v1.13
management cluster (`v1beta2`, which may be switched on while playing, as
when CAPI is upgraded) it writes CAPI's status as v1.13's controllers do:
see _RealShaping and capi_v1beta2.py.
"""

import copy
import uuid

from tests.support.kube_sim import controllers
from tests.support.kube_sim import resources
from tests.support.kube_sim.store import ApiError, now_rfc3339

from . import capi_v1beta2

R = resources.BY_KIND
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
AUTOSCALER_MIN_SIZE = \
    "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
DEFAULTED = [R[("cluster.x-k8s.io", kind)] for kind in (
    "MachineDeployment", "MachineHealthCheck")]


# The kinds whose status CAPI v1.11+ writes in v1beta2, and where.
V1BETA2_PATHS = {
    "Cluster": "/apis/cluster.x-k8s.io/v1beta2",
    "MachineDeployment": "/apis/cluster.x-k8s.io/v1beta2",
    "Machine": "/apis/cluster.x-k8s.io/v1beta2",
    "KubeadmControlPlane": "/apis/controlplane.cluster.x-k8s.io/v1beta2",
}
V1BETA2_PLURALS = {"Cluster": "clusters",
                   "MachineDeployment": "machinedeployments",
                   "Machine": "machines",
                   "KubeadmControlPlane": "kubeadmcontrolplanes"}


class _RealShaping:
    """The store as the controllers see it, with what the real CRDs require
    of what they write: a Machine's infrastructureRef, the id of an
    OpenStackCluster's API server load balancer.

    With `v1beta2` (CAPI v1.13), the status of Clusters,
    KubeadmControlPlanes, MachineDeployments and Machines is written as
    CAPI v1.13's controllers write it (capi_v1beta2.py), through the
    v1beta2 API, by write_v1beta2() at the end of each tick: what the
    controllers decide is kept as their intent, not written in v1beta1
    (a v1beta1 status write would drop the v1beta2 conditions). An object
    the controllers leave alone (already converged, e.g. written before
    CAPI was upgraded) gets the status CAPI v1.13 would give it from what
    it says now, as the upgraded controllers do on their first
    reconcile. `v1beta2` may be switched on while playing."""

    def __init__(self, store, v1beta2=False):
        self._store = store
        self.v1beta2 = v1beta2
        self._intent = {}    # (kind, namespace, name) -> (uid, status)
        self._seen = {}      # the same, from the objects the tick read
        self._written = {}   # (kind, namespace, name) -> (uid, inputs)
        store.listeners.append(self._on_seen)

    def __getattr__(self, name):
        return getattr(self._store, name)

    def _on_seen(self, kind, resource, obj):
        if not self.v1beta2 or resource.kind not in V1BETA2_PATHS:
            return
        meta = obj["metadata"]
        status = dict(obj.get("status") or {})
        status.pop("v1beta2", None)
        self._seen[(resource.kind, meta.get("namespace", ""),
                    meta["name"])] = (meta.get("uid"), status)

    def create(self, resource, namespace, obj):
        if resource.kind == "Machine":
            obj = copy.deepcopy(obj)
            obj["spec"].setdefault("infrastructureRef", {
                "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
                "kind": "OpenStackMachine",
                "name": obj["metadata"]["name"],
                "namespace": namespace})
        return self._store.create(resource, namespace, obj)

    def update(self, resource, namespace, name, obj, subresource=None):
        if self.v1beta2 and subresource == "status" and \
                resource.kind in V1BETA2_PATHS:
            self._intent[(resource.kind, namespace, name)] = (
                obj["metadata"].get("uid"), copy.deepcopy(obj["status"]))
            return obj
        balancer = (obj.get("status") or {}).get("apiServerLoadBalancer")
        if resource.kind == "OpenStackCluster" and balancer and \
                "id" not in balancer:
            obj = copy.deepcopy(obj)
            obj["status"]["apiServerLoadBalancer"]["id"] = str(uuid.uuid5(
                uuid.NAMESPACE_URL, balancer.get("name", name)))
        return self._store.update(resource, namespace, name, obj,
                                  subresource)

    # -- CAPI v1.13's status writes
    def _list_v1beta2(self, kind):
        return self._store.raw("GET", "%s/%s" % (
            V1BETA2_PATHS[kind], V1BETA2_PLURALS[kind]))["items"]

    def _source(self, kind, obj):
        """The v1beta1 status the controllers want for `obj`: what they
        last wrote, else what the object said when the tick read it."""
        meta = obj["metadata"]
        key = (kind, meta["namespace"], meta["name"])
        for known in (self._intent, self._seen):
            uid, status = known.get(key, (None, None))
            if uid == meta["uid"]:
                return status
        return None

    def write_v1beta2(self):
        objects = {kind: self._list_v1beta2(kind) for kind in (
            "MachineDeployment", "Machine", "KubeadmControlPlane",
            "Cluster")}
        live = set()
        workers = {}         # (namespace, cluster) -> [Available...]
        for md in objects["MachineDeployment"]:
            status = self._source("MachineDeployment", md)
            if status is None:
                continue
            want = int((md.get("spec") or {}).get("replicas", 1))
            new = capi_v1beta2.machine_deployment(status, want)
            self._write("MachineDeployment", md, new, (status, want), live)
            meta = md["metadata"]
            workers.setdefault(
                (meta["namespace"], md["spec"].get("clusterName")), []
            ).append(any(c["type"] == "Available" and
                         c["status"] == "True" for c in new["conditions"]))
        machines = {}        # (namespace, cluster) -> [cp, workers]
        for m in objects["Machine"]:
            meta = m["metadata"]
            counts = machines.setdefault(
                (meta["namespace"], m["spec"].get("clusterName")), [0, 0])
            counts["cluster.x-k8s.io/control-plane" not in (
                meta.get("labels") or {})] += 1
            status = self._source("Machine", m)
            if status is not None:
                self._write("Machine", m, capi_v1beta2.machine(status),
                            status, live)
        for kcp in objects["KubeadmControlPlane"]:
            status = self._source("KubeadmControlPlane", kcp)
            if status is None:
                continue
            want = int((kcp.get("spec") or {}).get("replicas", 1))
            self._write("KubeadmControlPlane", kcp,
                        capi_v1beta2.kubeadm_control_plane(status, want),
                        (status, want), live)
        for cluster in objects["Cluster"]:
            status = self._source("Cluster", cluster)
            if status is None:
                continue
            meta = cluster["metadata"]
            where = (meta["namespace"], meta["name"])
            inputs = (status, bool(meta.get("deletionTimestamp")),
                      workers.get(where, []), machines.get(where, [0, 0]))
            self._write("Cluster", cluster, capi_v1beta2.cluster(
                status, inputs[1], inputs[2], *inputs[3]), inputs, live)
        for known in (self._intent, self._seen, self._written):
            for key in [k for k in known if k not in live]:
                del known[key]

    def _write(self, kind, obj, status, inputs, live):
        meta = obj["metadata"]
        key = (kind, meta["namespace"], meta["name"])
        live.add(key)
        if self._written.get(key) == (meta["uid"], inputs):
            return
        status = capi_v1beta2.keep_transition_times(
            obj.get("status") or {}, status, now_rfc3339())
        if status != obj.get("status"):
            updated = dict(obj, status=status)
            try:
                self._store.raw("PUT", "%s/namespaces/%s/%s/%s/status" % (
                    V1BETA2_PATHS[kind], meta["namespace"],
                    V1BETA2_PLURALS[kind], meta["name"]), updated)
            except ApiError as exc:
                if exc.code in (404, 409):
                    return  # gone or changed meanwhile: the next tick
                raise
        self._written[key] = (meta["uid"], inputs)


class CapiPlayer(controllers.Controllers):
    """The simulator's controllers, over a RealStore."""

    def __init__(self, store, step_seconds=0.2, teardown_steps=2,
                 v1beta2=False):
        super().__init__(_RealShaping(store, v1beta2), step_seconds,
                         teardown_steps)

    def _run(self):
        # Each tick lists every played kind over HTTP: a tick per half
        # step keeps the steps as the simulator's without busy polling.
        while not self.stop_event.wait(max(0.05, min(0.25, self.step / 2))):
            try:
                with self.store.lock:
                    self.tick()
            except ApiError as exc:
                # A conflict, or an object deleted since it was listed:
                # the next tick sees the new state.
                if exc.code not in (404, 409):
                    print("kube-real player: %r" % exc, flush=True)
            except Exception as exc:  # keep playing; report
                print("kube-real player: %r" % exc, flush=True)

    @property
    def v1beta2(self):
        return self.store.v1beta2

    @v1beta2.setter
    def v1beta2(self, on):
        """Writes CAPI's status as CAPI v1.13 does from the next tick (the
        management cluster's CAPI was upgraded)."""
        with self.store.lock:
            self.store.v1beta2 = on

    def tick(self):
        for resource in DEFAULTED:
            for obj in self._items(resource):
                self._default(resource, obj)
        super().tick()
        if self.store.v1beta2:
            self.store.write_v1beta2()

    def _default(self, resource, obj):
        """CAPI's defaulting webhook, after the fact."""
        spec = obj.get("spec") or {}
        cluster = spec.get("clusterName")
        meta = obj["metadata"]
        if not cluster or meta.get("deletionTimestamp"):
            return
        patch = {}
        if (meta.get("labels") or {}).get(CLUSTER_NAME_LABEL) != cluster:
            patch["metadata"] = {"labels": {CLUSTER_NAME_LABEL: cluster}}
        if resource.kind == "MachineDeployment":
            template = (spec.get("template") or {}).get("metadata") or {}
            if (template.get("labels") or {}).get(CLUSTER_NAME_LABEL) != \
                    cluster:
                patch.setdefault("spec", {})["template"] = {
                    "metadata": {"labels": {CLUSTER_NAME_LABEL: cluster}}}
            if spec.get("replicas") is None:
                annotations = meta.get("annotations") or {}
                patch.setdefault("spec", {})["replicas"] = int(
                    annotations.get(AUTOSCALER_MIN_SIZE, 1))
        if not patch:
            return
        patch["metadata"] = dict(patch.get("metadata", {}),
                                 resourceVersion=meta["resourceVersion"])
        try:
            self.store.patch(resource, meta["namespace"], meta["name"],
                             "application/merge-patch+json", patch)
        except ApiError:
            pass  # changed meanwhile: the next tick sees it again
