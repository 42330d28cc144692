"""What the bridge sets up for a cluster's cluster-autoscaler, against a
real kube-apiserver with real RBAC (the bridge runs with its own chart's
rights, tests/support/kube_real/management.py):

- the Role and RoleBinding that let `<release>-autoscaler` read the
  OpenStackMachineTemplates of its namespace (asked of the API server's
  own authorizer, a SubjectAccessReview), only while autoscaling is on,
  and gone when the cluster is deleted;
- the capacity annotations on an autoscaled group's MachineDeployment,
  kept through a later helm upgrade and dropped when the group no longer
  autoscales, while the chart's own annotations stay.

Run with CAPI_BRIDGE_KUBE=real-v1beta1 or real-v1beta2
(tests/support/autoscaler/autoscaler.cmake)."""

import unittest

from tests.integration import harness
from tests.integration.harness import driver_pb2

CAPACITY = "capacity.cluster-autoscaler.kubernetes.io/"
SIZE_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
UUID = "a5ca1e00-0000-4000-8000-000000000026"


def autoscaled_spec(autoscale=True):
    spec = harness.example_spec(**{"cluster.uuid": UUID,
                                   "cluster.name": "burst"})
    spec.cluster.labels["auto_scaling_enabled"] = (
        "true" if autoscale else "false")
    gpu = spec.node_groups.add(name="gpu-pool", role="worker",
                               flavor_id="g1.large", node_count=0,
                               min_node_count=0, max_node_count=3)
    gpu.node_labels["accelerator"] = "nvidia"
    gpu.node_taints.add(key="dedicated", value="gpu", effect="NoSchedule")
    flavor = spec.facts.flavors["g1.large"]
    flavor.id, flavor.name = "9", "g1.large"
    flavor.ram_mb, flavor.vcpus, flavor.gpu_count = 65536, 8, 1
    return spec


@unittest.skipUnless(harness.REAL, "needs the real API server's RBAC")
class AutoscalerSetupTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = harness.Environment()

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def store(self):
        return self.env.sim.store

    def may_read_templates(self, namespace, account_namespace, account):
        review = self.store().raw(
            "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SubjectAccessReview",
                "spec": {
                    "user": "system:serviceaccount:%s:%s" % (
                        account_namespace, account),
                    "groups": ["system:serviceaccounts",
                               "system:serviceaccounts:" + account_namespace],
                    "resourceAttributes": {
                        "namespace": namespace, "verb": "list",
                        "group": "infrastructure.cluster.x-k8s.io",
                        "resource": "openstackmachinetemplates"}}})
        return review["status"].get("allowed", False)

    def machine_deployment(self, namespace, name):
        for md in self.env.objects("MachineDeployment", namespace):
            if md["metadata"]["name"] == name:
                return md
        raise AssertionError("no MachineDeployment %s" % name)

    def annotations(self, namespace, name):
        return self.machine_deployment(namespace, name)["metadata"].get(
            "annotations", {})

    def test_autoscaler_setup_follows_the_cluster(self):
        stub = self.env.stub
        spec = autoscaled_spec()
        created = stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=spec, credential=harness.credential(1)), timeout=120)
        self.assertEqual([], [w.message for w in created.warnings
                              if w.field == "autoscaling"])
        release, ns = created.release_name, created.namespace
        spec.cluster.stack_id = release
        account = release + "-autoscaler"
        md_name = release + "-gpu-pool"

        # The autoscaler may read its namespace's templates, and no other's.
        self.assertTrue(self.may_read_templates(ns, ns, account))
        self.assertFalse(self.may_read_templates("default", ns, account))
        self.assertFalse(self.may_read_templates(ns, ns, "someone-else"))

        # The group's new node, as the autoscaler will imagine it.
        wanted = {
            CAPACITY + "labels":
                "accelerator=nvidia,capi.stackhpc.com/node-group=gpu-pool",
            CAPACITY + "taints": "dedicated=gpu:NoSchedule",
            CAPACITY + "cpu": "8",
            CAPACITY + "memory": "65536Mi",
            CAPACITY + "gpu-count": "1",
            CAPACITY + "gpu-type": "nvidia.com/gpu",
        }
        got = self.annotations(ns, md_name)
        self.assertEqual(wanted, {k: v for k, v in got.items()
                                  if k.startswith(CAPACITY)})
        self.assertIn(SIZE_ANNOTATION, got)  # the chart's own

        # A later helm upgrade (another group resized) keeps them.
        spec.node_groups[1].node_count = 3
        updated = stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=spec), timeout=120)
        self.assertFalse(updated.unchanged)
        got = self.annotations(ns, md_name)
        self.assertEqual(wanted, {k: v for k, v in got.items()
                                  if k.startswith(CAPACITY)})

        # Autoscaling off: no more reading rights, no capacity annotations.
        spec.cluster.labels["auto_scaling_enabled"] = "false"
        stub.UpdateCluster(driver_pb2.UpdateClusterRequest(spec=spec),
                           timeout=120)
        self.assertFalse(self.may_read_templates(ns, ns, account))
        got = self.annotations(ns, md_name)
        self.assertEqual({}, {k: v for k, v in got.items()
                              if k.startswith(CAPACITY)})

        # On again, then the cluster is deleted: the rights go with it.
        spec.cluster.labels["auto_scaling_enabled"] = "true"
        stub.UpdateCluster(driver_pb2.UpdateClusterRequest(spec=spec),
                           timeout=120)
        self.assertTrue(self.may_read_templates(ns, ns, account))
        stub.DeleteCluster(driver_pb2.DeleteClusterRequest(spec=spec),
                           timeout=120)
        self.assertFalse(self.may_read_templates(ns, ns, account))


if __name__ == "__main__":
    unittest.main()
