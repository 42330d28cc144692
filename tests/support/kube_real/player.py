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
which, like the simulator, it does not create).
"""

import copy
import uuid

from tests.support.kube_sim import controllers
from tests.support.kube_sim import resources
from tests.support.kube_sim.store import ApiError

R = resources.BY_KIND
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
AUTOSCALER_MIN_SIZE = \
    "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
DEFAULTED = [R[("cluster.x-k8s.io", kind)] for kind in (
    "MachineDeployment", "MachineHealthCheck")]


class _RealShaping:
    """The store as the controllers see it, with what the real CRDs require
    of what they write: a Machine's infrastructureRef, the id of an
    OpenStackCluster's API server load balancer. With `v1beta2` (CAPI
    v1.13 stores v1beta2), a Machine's status.phase is written in v1beta2,
    as CAPI's Machine controller does: CAPI's conversion keeps the stored
    phase whatever a v1beta1 client writes there."""

    def __init__(self, store, v1beta2=False):
        self._store = store
        self._v1beta2 = v1beta2

    def __getattr__(self, name):
        return getattr(self._store, name)

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
        balancer = (obj.get("status") or {}).get("apiServerLoadBalancer")
        if resource.kind == "OpenStackCluster" and balancer and \
                "id" not in balancer:
            obj = copy.deepcopy(obj)
            obj["status"]["apiServerLoadBalancer"]["id"] = str(uuid.uuid5(
                uuid.NAMESPACE_URL, balancer.get("name", name)))
        updated = self._store.update(resource, namespace, name, obj,
                                     subresource)
        phase = (obj.get("status") or {}).get("phase")
        if self._v1beta2 and resource.kind == "Machine" and \
                subresource == "status" and phase and \
                (updated.get("status") or {}).get("phase") != phase:
            updated = self._store.raw(
                "PATCH", "/apis/cluster.x-k8s.io/v1beta2/namespaces/%s/"
                "machines/%s/status" % (namespace, name),
                {"status": {"phase": phase}},
                "application/merge-patch+json")
        return updated


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

    def tick(self):
        for resource in DEFAULTED:
            for obj in self._items(resource):
                self._default(resource, obj)
        super().tick()

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
