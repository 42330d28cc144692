"""A management cluster's Cluster API upgraded under a running bridge.

On the real API server only (CAPI_BRIDGE_KUBE=real-v1beta1): a cluster is
created while the management cluster runs Cluster API v1.10 (v1beta1
CRDs, objects stored as v1beta1). Then CAPI is upgraded to v1.13: its
CRDs replace v1.10's (v1beta2 stored, v1beta1 still served, converted by
CAPI's own managers' webhooks), its controllers write status as v1.13 does
(v1beta2 conditions, the old ones under status.deprecated.v1beta1), and
the stored objects are migrated the way kube-storage-version-migrator
does (every object rewritten, then status.storedVersions set to v1beta2
alone). Through all of it the bridge must report the cluster as before:
its Magnum status, node counts, addresses and health; without a restart
(still reading v1beta1, now converted by CAPI from v1beta2 storage), when
v1beta1 stops being served (moving to v1beta2 by itself), after a restart
(reading v1beta2), and for a following resize.
"""

import re
import time
import unittest

from tests.integration.harness import (KUBE, REAL, Environment, credential,
                                       driver_pb2, example_spec, grpc)

KINDS = ("cluster.x-k8s.io/%s/clusters",
         "cluster.x-k8s.io/%s/machinedeployments",
         "cluster.x-k8s.io/%s/machines",
         "controlplane.cluster.x-k8s.io/%s/kubeadmcontrolplanes")
V1BETA1_LISTS = {kind % "v1beta1" for kind in KINDS}
V1BETA2_LISTS = {kind % "v1beta2" for kind in KINDS}


def status_name(value):
    return driver_pb2.Status.Name(value)


def summary(status):
    """What Magnum takes from a status answer."""
    return {
        "status": status_name(status.status),
        "reason": status.status_reason,
        "api_address": status.api_address,
        "coe_version": status.coe_version,
        "master_addresses": sorted(status.master_addresses),
        "node_addresses": sorted(status.node_addresses),
        "groups": {g.name: (g.ready_nodes, g.desired_nodes, g.present)
                   for g in status.node_groups},
        "health": driver_pb2.HealthStatus.Name(status.health_status),
        "health_reasons": dict(status.health_status_reason),
    }


@unittest.skipUnless(REAL and KUBE == "real-v1beta1",
                     "upgrades a real API server from CAPI v1.10's CRDs "
                     "(CAPI_BRIDGE_KUBE=real-v1beta1)")
class CapiUpgradeTest(unittest.TestCase):

    def setUp(self):
        self.env = Environment(
            step_seconds=0.2,
            extra_config="log: {level: debug}\n"
                         "status: {watch_timeout_seconds: 10}\n")
        self.addCleanup(self.env.close)

    def get(self, spec, current):
        return self.env.stub.GetClusterStatus(
            driver_pb2.GetClusterStatusRequest(spec=spec,
                                               current_status=current),
            timeout=10)

    def wait_status(self, spec, current, want, timeout=60):
        """The status once it is `want` (a Magnum status name)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self.get(spec, current)
                if status_name(status.status) == want:
                    return status
                seen = "%s (%s)" % (status_name(status.status),
                                    status.status_reason)
            except grpc.RpcError as error:
                seen = "%s: %s" % (error.code(), error.details())
            if time.monotonic() > deadline:
                self.fail("status stayed %s, wanted %s" % (seen, want))
            time.sleep(0.2)

    def wait_same(self, spec, current, want, what, timeout=60):
        """Waits until the answer is `want` again (the cache may answer
        UNAVAILABLE or not yet synced for a moment while it relists)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = summary(self.get(spec, current))
                if got == want:
                    return
            except grpc.RpcError as error:
                got = "%s: %s" % (error.code(), error.details())
            if time.monotonic() > deadline:
                self.assertEqual(got, want, what)
            time.sleep(0.2)

    def lists(self, since):
        """What the bridge has listed of CAPI's kinds since log offset
        `since`: {"<group>/<version>/<plural>"}. The watch cache lists
        all four kinds; the deletion reaper lists Clusters in v1beta1."""
        text = self.env.log()[since:]
        return set(re.findall(
            r"GET /apis/((?:controlplane\.)?cluster\.x-k8s\.io/v1beta\d/"
            r"(?:clusters|machinedeployments|machines|kubeadmcontrolplanes))"
            r"[?\"]", text))

    def test_created_on_v1beta1_reported_after_the_move_to_v1beta2(self):
        env = self.env
        spec = example_spec(**{
            "cluster.uuid": "55555555-aaaa-4bbb-8ccc-000000000001",
            "cluster.name": "Upgraded"})
        created = env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=spec, credential=credential(1)), timeout=120)
        release, ns = created.release_name, created.namespace
        spec.cluster.stack_id = release
        before = summary(self.wait_status(spec, "CREATE_IN_PROGRESS",
                                          "CREATE_COMPLETE"))
        self.assertEqual(before["groups"]["default-worker"], (2, 2, True))
        self.assertEqual(before["health"], "HEALTHY",
                         before["health_reasons"])
        self.assertEqual(self.lists(0), V1BETA1_LISTS)

        # CAPI v1.10 -> v1.13, the bridge running. Until the objects are
        # migrated they are stored as v1beta1 and served through CAPI's
        # conversion; the bridge keeps reading v1beta1 (converted).
        env.sim.upgrade_capi()
        crd = env.sim.store.raw(
            "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
            "clusters.cluster.x-k8s.io")
        self.assertEqual(crd["status"]["storedVersions"],
                         ["v1beta1", "v1beta2"])
        self.wait_same(spec, "CREATE_COMPLETE", before,
                       "after the CRD upgrade, without a restart")

        # kube-storage-version-migrator's work: every object rewritten,
        # storedVersions the new storage version alone.
        migrated = env.sim.migrate_storage()
        for name in ("clusters.cluster.x-k8s.io",
                     "machinedeployments.cluster.x-k8s.io",
                     "machines.cluster.x-k8s.io",
                     "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io"):
            self.assertGreaterEqual(migrated.get(name, 0), 1, migrated)
            crd = env.sim.store.raw(
                "GET", "/apis/apiextensions.k8s.io/v1/"
                "customresourcedefinitions/" + name)
            self.assertEqual(crd["status"]["storedVersions"], ["v1beta2"])
        # The objects as CAPI v1.13 keeps them: v1beta2 conditions, the
        # v1beta1 ones under deprecated.v1beta1.
        env.wait_for(lambda: self.condition(
            "cluster.x-k8s.io/v1beta2", "clusters", ns, release,
            "Available") == "True", what="v1beta2 Available on the Cluster")
        cluster = env.sim.store.raw(
            "GET", "/apis/cluster.x-k8s.io/v1beta2/namespaces/%s/clusters/%s"
            % (ns, release))
        self.assertIn("Ready", [c["type"] for c in cluster["status"]
                                ["deprecated"]["v1beta1"]["conditions"]])
        self.assertEqual(cluster["spec"]["infrastructureRef"]["apiGroup"],
                         "infrastructure.cluster.x-k8s.io")
        self.wait_same(spec, "CREATE_COMPLETE", before,
                       "after the storage migration, without a restart")

        # v1beta1 no longer served (as from CAPI v1.16), the bridge still
        # running: its v1beta1 watches are refused (404), it asks which
        # version is served and relists in v1beta2, and answers the same.
        capi_groups = ("cluster.x-k8s.io", "controlplane.cluster.x-k8s.io")
        offset = len(env.log())
        env.sim.api.serve(capi_groups, "v1beta1", False)
        env.wait_for(lambda: V1BETA2_LISTS <= self.lists(offset),
                     timeout=120,
                     what="the running bridge listing CAPI in v1beta2")
        self.wait_same(spec, "CREATE_COMPLETE", before,
                       "after v1beta1 stopped being served, without a "
                       "restart")
        # Served again: the bridge still writes its own annotations in
        # v1beta1 (the resize below), which CAPI serves until v1.16.
        env.sim.api.serve(capi_groups, "v1beta1", True)

        # A restart: the bridge reads v1beta2 from the start.
        env.kill_server()
        offset = len(env.log())
        env.start_server()
        self.wait_same(spec, "CREATE_COMPLETE", before, "after a restart")
        # (The deletion reaper still lists Clusters in v1beta1.)
        self.assertEqual(self.lists(offset) - {
            "cluster.x-k8s.io/v1beta1/clusters"}, V1BETA2_LISTS)

        # A following verb applies and is reported.
        spec.node_groups[1].node_count = 3
        env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
            spec=spec, node_group="default-worker"), timeout=120)
        resized = summary(self.wait_status(spec, "UPDATE_IN_PROGRESS",
                                           "UPDATE_COMPLETE"))
        self.assertEqual(resized["groups"]["default-worker"], (3, 3, True))
        self.assertEqual(len(resized["node_addresses"]), 3)
        self.assertEqual(resized["health"], "HEALTHY",
                         resized["health_reasons"])
        md = env.sim.store.raw(
            "GET", "/apis/cluster.x-k8s.io/v1beta2/namespaces/%s/"
            "machinedeployments/%s-default-worker" % (ns, release))
        self.assertEqual(md["status"]["upToDateReplicas"], 3)
        self.assertEqual(md["status"]["availableReplicas"], 3)

    def condition(self, group_version, plural, ns, name, kind):
        obj = self.env.sim.store.raw(
            "GET", "/apis/%s/namespaces/%s/%s/%s" % (
                group_version, ns, plural, name))
        for c in (obj.get("status") or {}).get("conditions") or []:
            if c["type"] == kind:
                return c["status"]
        return None


if __name__ == "__main__":
    unittest.main()
