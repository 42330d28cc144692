"""The real management-cluster fixture itself: etcd + kube-apiserver with
the CRDs of each CAPI generation, the bridge's RBAC identity, CAPI's own
conversion (v1beta2), nothing left running after close()."""

import os
import subprocess
import tempfile
import unittest

from tests.support.kube_real import apiserver
from tests.support.kube_real.management import Management
from tests.support.kube_sim.store import ApiError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
HELM = os.environ.get("CAPI_BRIDGE_HELM",
                      os.path.join(ROOT, ".tools", "bin", "helm"))
CLUSTERS_V1BETA1 = "/apis/cluster.x-k8s.io/v1beta1/namespaces/t/clusters"
CLUSTERS_V1BETA2 = "/apis/cluster.x-k8s.io/v1beta2/namespaces/t/clusters"


def cluster_v1beta1(name):
    return {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
            "metadata": {"name": name},
            "spec": {"infrastructureRef": {
                "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
                "kind": "OpenStackCluster", "name": name},
                "controlPlaneRef": {
                    "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
                    "kind": "KubeadmControlPlane",
                    "name": name + "-control-plane"}}}


def running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@unittest.skipIf(apiserver.tools_missing("v1beta1"),
                 apiserver.tools_missing("v1beta1"))
class V1beta1Test(unittest.TestCase):

    def test_crds_validate_and_the_bridge_has_the_charts_rbac(self):
        with tempfile.TemporaryDirectory() as work:
            management = Management(work, "v1beta1", helm=HELM).start()
            pids = [p.pid for p in management.api.processes]
            try:
                store = management.store
                store.raw("POST", "/api/v1/namespaces", {
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "t"}})
                # Only the storage version is installed; its schema holds.
                created = store.raw("POST", CLUSTERS_V1BETA1,
                                    cluster_v1beta1("c1"))
                self.assertEqual(created["spec"]["infrastructureRef"]["kind"],
                                 "OpenStackCluster")
                with self.assertRaises(ApiError) as refused:
                    store.raw("POST", CLUSTERS_V1BETA1, {
                        "apiVersion": "cluster.x-k8s.io/v1beta1",
                        "kind": "Cluster", "metadata": {"name": "c2"},
                        "spec": {"paused": "yes"}})
                self.assertEqual(refused.exception.code, 422)
                # The bridge's kubeconfig (its chart's ServiceAccount, by
                # token) works for helm, which reads release Secrets.
                env = dict(os.environ, KUBECONFIG=management.kubeconfig)
                can = subprocess.run(
                    [HELM, "list", "-n", "t", "--kubeconfig",
                     management.kubeconfig], env=env, capture_output=True,
                    text=True)
                self.assertEqual(can.returncode, 0, can.stderr)
            finally:
                management.stop()
            self.assertFalse([p for p in pids if running(p)])


@unittest.skipIf(apiserver.tools_missing("v1beta2"),
                 apiserver.tools_missing("v1beta2"))
class V1beta2ConversionTest(unittest.TestCase):

    def test_v1beta1_objects_are_stored_as_v1beta2_by_capis_webhook(self):
        with apiserver.RealApiServer("v1beta2") as api:
            pids = [p.pid for p in api.processes]
            store = api.store
            store.raw("POST", "/api/v1/namespaces", {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "t"}})
            created = store.raw("POST", CLUSTERS_V1BETA1,
                                cluster_v1beta1("c1"))
            created["status"] = {
                "phase": "Provisioned", "infrastructureReady": True,
                "conditions": [{"type": "Ready", "status": "True",
                                "lastTransitionTime":
                                    "2026-12-01T00:00:00Z"}]}
            store.raw("PUT", CLUSTERS_V1BETA1 + "/c1/status", created)

            # What CAPI's conversion makes of it: references by apiGroup,
            # the v1beta1 conditions under status.deprecated.v1beta1.
            stored = store.raw("GET", CLUSTERS_V1BETA2 + "/c1")
            self.assertEqual(stored["spec"]["infrastructureRef"], {
                "apiGroup": "infrastructure.cluster.x-k8s.io",
                "kind": "OpenStackCluster", "name": "c1"})
            self.assertEqual(
                stored["status"]["deprecated"]["v1beta1"]["conditions"][0]
                ["type"], "Ready")
            self.assertTrue(stored["status"]["initialization"]
                            ["infrastructureProvisioned"])
            # And back, as a v1beta1 reader sees it.
            served = store.raw("GET", CLUSTERS_V1BETA1 + "/c1")
            self.assertEqual(served["spec"]["infrastructureRef"]
                             ["apiVersion"],
                             "infrastructure.cluster.x-k8s.io/v1beta1")
            self.assertTrue(served["status"]["infrastructureReady"])
            crd = store.raw("GET", "/apis/apiextensions.k8s.io/v1/"
                            "customresourcedefinitions/"
                            "clusters.cluster.x-k8s.io")
            self.assertEqual(crd["status"]["storedVersions"], ["v1beta2"])
        self.assertFalse([p for p in pids if running(p)])


if __name__ == "__main__":
    unittest.main()
