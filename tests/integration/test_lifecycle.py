"""The lifecycle verbs end to end: bridge server + real helm + simulator.

Each test drives the gRPC API (as the shim does) and checks what a user
would see: the objects in the management cluster, the helm history, the
Secrets, and the errors' codes and messages.
"""

import base64
import concurrent.futures
import os
import subprocess
import unittest

from tests.integration.harness import (CLI, Environment, credential,
                                       driver_pb2, example_spec, grpc,
                                       simulator_only)


class LifecycleTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(chart_versions=("0.23.0", "0.27.0"))

    @classmethod
    def tearDownClass(cls):
        cls.env.close()
        # No application-credential secret in anything the server logged.
        for number in range(1, 10):
            secret = credential(number).application_credential_secret
            assert secret not in cls.env.stderr, "secret leaked into logs"

    def create(self, spec, number=1):
        return self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=spec, credential=credential(number)), timeout=120)

    def assert_refused_untouched(self, call, release, ns, *words):
        """`call` is refused FAILED_PRECONDITION naming each of `words`,
        and no helm revision is added."""
        revision = self.env.helm_revision(release, ns)
        with self.assertRaises(grpc.RpcError) as refused:
            call()
        self.assertEqual(refused.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        for word in words:
            self.assertIn(word, refused.exception.details())
        self.assertEqual(self.env.helm_revision(release, ns), revision)

    def test_full_lifecycle(self):
        env = self.env
        spec = example_spec(**{"cluster.uuid": "11111111-aaaa-4bbb-8ccc-"
                                               "000000000001",
                               "cluster.name": "Web Prod"})
        created = self.create(spec)
        release, ns = created.release_name, created.namespace
        self.assertRegex(release, r"^web-prod-[a-z2-7]{12}$")
        self.assertFalse(created.unchanged)
        self.assertEqual(env.helm_revision(release, ns), 1)
        # Secrets with the reference names, labels and clouds.yaml.
        secret = [s for s in env.objects("Secret", ns)
                  if s["metadata"]["name"] == release + "-cloud-credentials"]
        self.assertEqual(len(secret), 1)
        labels = secret[0]["metadata"]["labels"]
        self.assertEqual(labels["magnum.openstack.org/cluster-uuid"],
                         spec.cluster.uuid)
        self.assertEqual(labels["cluster.x-k8s.io/cluster-name"], release)
        clouds = base64.b64decode(secret[0]["data"]["clouds.yaml"]).decode()
        self.assertIn("application_credential_id: ac-0001", clouds)
        self.assertIn("openstack:", clouds)
        env.wait_for(lambda: env.cluster_ready(release, ns), what="Ready")
        workers_of = ("capi.stackhpc.com/cluster=%s,"
                      "capi.stackhpc.com/node-group=default-worker" % release)
        env.wait_for(lambda: len(env.names("Machine", ns, workers_of)) == 2,
                     what="two worker machines")

        # A create whose reply was lost: same release, nothing re-applied.
        again = self.create(spec)
        self.assertEqual(again.release_name, release)
        self.assertTrue(again.unchanged)
        self.assertEqual(env.helm_revision(release, ns), 1)

        spec.cluster.stack_id = release
        # Resize 2 → 1 removing a named machine: that one goes.
        workers = env.names("Machine", ns, workers_of)
        spec.node_groups[1].node_count = 1
        with self.assertRaises(grpc.RpcError) as bad:
            env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
                spec=spec, node_group="default-worker",
                nodes_to_remove=["no-such-node"]), timeout=60)
        self.assertEqual(bad.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("no-such-node", bad.exception.details())
        self.assertEqual(env.helm_revision(release, ns), 1)
        env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
            spec=spec, node_group="default-worker",
            nodes_to_remove=[workers[1]]), timeout=60)
        env.wait_for(lambda: env.names("Machine", ns, workers_of) ==
                     [workers[0]], what="the named machine to go")

        # Node group create and delete.
        group = spec.node_groups.add(name="gpu-pool", role="worker",
                                     flavor_id="m1.large", node_count=1,
                                     min_node_count=1)
        env.stub.CreateNodeGroup(driver_pb2.NodeGroupRequest(
            spec=spec, node_group=group.name), timeout=60)
        self.assertIn(release + "-gpu-pool",
                      env.names("MachineDeployment", ns))
        env.stub.DeleteNodeGroup(driver_pb2.NodeGroupRequest(
            spec=spec, node_group="gpu-pool"), timeout=60)
        self.assertNotIn(release + "-gpu-pool",
                         env.names("MachineDeployment", ns))
        del spec.node_groups[2]

        # Upgrades: a downgrade and a two-minor jump are refused untouched.
        upgrade = (lambda: env.stub.UpgradeCluster(
            driver_pb2.UpgradeClusterRequest(spec=spec), timeout=60))
        for version, words in (("v1.33.9", "downgrade"),
                               ("v1.36.0", "skips a minor")):
            spec.facts.image.kube_version = version
            self.assert_refused_untouched(upgrade, release, ns, words)
        # A template whose pod network differs cannot be applied to the
        # running cluster (immutable after create, docs/labels.md).
        spec.facts.image.kube_version = "v1.35.1"
        spec.template.labels["calico_ipv4pool"] = "10.200.0.0/16"
        self.assert_refused_untouched(upgrade, release, ns,
                                      "calico_ipv4pool", "10.200.0.0/16")
        del spec.template.labels["calico_ipv4pool"]
        # Nor an older chart than the deployed one.
        spec.template.labels["capi_helm_chart_version"] = "0.23.0"
        self.assert_refused_untouched(
            lambda: env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
                spec=spec), timeout=60),
            release, ns, "never downgraded")
        del spec.template.labels["capi_helm_chart_version"]
        env.stub.UpgradeCluster(driver_pb2.UpgradeClusterRequest(spec=spec),
                                timeout=60)
        env.wait_for(lambda: all(
            m["spec"]["version"] == "v1.35.1"
            for m in env.objects("Machine", ns, "cluster.x-k8s.io/"
                                 "cluster-name=" + release)),
            what="machines upgraded")

        # Credential rotation returns the old id and rewrites the Secret.
        rotated = env.stub.RotateCredential(
            driver_pb2.RotateCredentialRequest(spec=spec,
                                               credential=credential(2)),
            timeout=60)
        self.assertEqual(rotated.replaced_credential_id, "ac-0001")

        # Delete: helm uninstall; the Secrets go once the Cluster is gone.
        deleted = env.stub.DeleteCluster(driver_pb2.DeleteClusterRequest(
            spec=spec), timeout=60)
        self.assertFalse(deleted.unchanged)
        env.wait_for(lambda: release not in env.names("Cluster", ns),
                     what="Cluster torn down")
        env.wait_for(lambda: not env.names(
            "Secret", ns, "magnum.openstack.org/cluster-uuid=" +
            spec.cluster.uuid), what="Secrets removed")
        again = env.stub.DeleteCluster(driver_pb2.DeleteClusterRequest(
            spec=spec), timeout=60)
        self.assertTrue(again.unchanged)

    def test_bad_spec_touches_nothing(self):
        spec = example_spec(**{"cluster.uuid": "22222222-aaaa-4bbb-8ccc-"
                                               "000000000002",
                               "cluster.project_id": "badbadbad"})
        spec.cluster.labels["auto_scaling_enabled"] = "maybe"
        with self.assertRaises(grpc.RpcError) as bad:
            self.create(spec)
        self.assertEqual(bad.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("auto_scaling_enabled", bad.exception.details())
        self.assertNotIn("magnum-badbadbad",
                         self.env.names("Namespace", ""))

    def test_adopts_a_release_installed_by_the_reference_driver(self):
        env = self.env
        spec = example_spec(**{"cluster.uuid": "33333333-aaaa-4bbb-8ccc-"
                                               "000000000003",
                               "cluster.stack_id": "legacy-k3vq7x2mzp4a"})
        rendered = env.stub.RenderValues(driver_pb2.RenderValuesRequest(
            spec=spec), timeout=30)
        ns = rendered.namespace
        env.install_as_another_driver("legacy-k3vq7x2mzp4a", ns,
                                      rendered.values_json)
        self.assertEqual(env.helm_revision("legacy-k3vq7x2mzp4a", ns), 1)
        same = env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=spec), timeout=60)
        self.assertTrue(same.unchanged)
        spec.node_groups[1].node_count = 3
        changed = env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=spec), timeout=60)
        self.assertFalse(changed.unchanged)
        # helm history continues in the same release.
        self.assertEqual(env.helm_revision("legacy-k3vq7x2mzp4a", ns), 2)

    def test_one_verb_per_cluster_many_clusters_in_parallel(self):
        specs = [example_spec(**{"cluster.uuid": "44444444-aaaa-4bbb-8ccc-"
                                                 "00000000000%d" % i,
                                 "cluster.name": "par%d" % i})
                 for i in range(3)]
        same = specs[0]
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(self.create, s) for s in specs]
            futures += [pool.submit(self.create, same)]
            outcomes = []
            for f in futures:
                try:
                    outcomes.append(f.result().release_name)
                except grpc.RpcError as err:
                    outcomes.append(err.code())
        self.assertEqual(outcomes.count(grpc.StatusCode.ABORTED), 1,
                         outcomes)
        releases = [o for o in outcomes if isinstance(o, str)]
        self.assertEqual(len(set(releases)), 3)

    def test_etcd_key_written_once(self):
        env = self.env
        spec = example_spec(**{"cluster.uuid": "55555555-aaaa-4bbb-8ccc-"
                                               "000000000005",
                               "cluster.name": "sealed"})
        spec.cluster.labels["etcd_encryption_enabled"] = "true"
        created = self.create(spec)
        ns, release = created.namespace, created.release_name

        def key():
            return [base64.b64decode(s["data"]["key"])
                    for s in env.objects("Secret", ns)
                    if s["metadata"]["name"] == release + "-etcd-key"]
        first = key()
        self.assertEqual(len(first), 1)
        self.assertEqual(len(base64.b64decode(first[0])), 32)
        spec.cluster.stack_id = release
        spec.node_groups[1].node_count = 3
        env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(spec=spec),
                               timeout=60)
        self.assertEqual(key(), first)

    def test_chart_fetched_once_per_version(self):
        env = self.env
        before = env.sim.chart_downloads()
        for i, version in enumerate(("0.23.0", "0.23.0", "0.27.0")):
            spec = example_spec(**{"cluster.uuid": "66666666-aaaa-4bbb-8ccc-"
                                                   "00000000000%d" % i,
                                   "cluster.name": "cache%d" % i})
            spec.template.labels["capi_helm_chart_version"] = version
            self.create(spec)
        after = env.sim.chart_downloads()

        def pulled(version):
            path = "/openstack-cluster-%s.tgz" % version
            return after.get(path, 0) - before.get(path, 0)
        # 0.23.0 is new here: pulled once for two clusters; 0.27.0 at most
        # once (earlier tests may have cached it already).
        self.assertEqual(pulled("0.23.0"), 1)
        self.assertLessEqual(pulled("0.27.0"), 1)

    def cli_files(self, number, name):
        """A spec file and a credential file for the CLI."""
        env = self.env
        spec_path = os.path.join(env.dir, "cli-spec-%d.json" % number)
        cred_path = os.path.join(env.dir, "cred-%d.yaml" % number)
        from google.protobuf import json_format
        spec = example_spec(**{"cluster.uuid": "77777777-aaaa-4bbb-8ccc-"
                                               "00000000000%d" % number,
                               "cluster.name": name})
        with open(spec_path, "w") as f:
            f.write(json_format.MessageToJson(
                spec, preserving_proto_field_name=True))
        with open(cred_path, "w") as f:
            f.write("application_credential_id: ac-0009\n"
                    "application_credential_secret: cli-secret-0009\n")
        return spec_path, cred_path

    def test_cli_create_prints_the_release(self):
        env = self.env
        spec_path, cred_path = self.cli_files(7, "from-cli")
        result = subprocess.run(
            [CLI, "--insecure", "--address", env.address, "create", "-s",
             spec_path, "--credential", cred_path],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout,
                         r"created: release from-cli-[a-z2-7]{12} in "
                         r"namespace magnum-")
        self.assertIn("ca_certificates", result.stderr)  # the CA warning

    @simulator_only("makes the management cluster answer 503")
    def test_cli_says_the_management_cluster_is_down(self):
        env = self.env
        spec_path, cred_path = self.cli_files(8, "cli-down")
        # The bridge answers, the management cluster does not: the CLI
        # says what failed and exits 4 (retry later), not 3 (unreachable).
        env.fault(errors=[{"code": 503, "count": 1000}])
        try:
            down = subprocess.run(
                [CLI, "--insecure", "--address", env.address, "create", "-s",
                 spec_path, "--credential", cred_path],
                capture_output=True, text=True, timeout=120)
        finally:
            env.fault(clear=True)
        self.assertEqual(down.returncode, 4, down.stderr)
        self.assertIn("capi-bridge: UNAVAILABLE: management cluster",
                      down.stderr)
        self.assertNotIn("is the bridge running", down.stderr)


class OciChartTest(unittest.TestCase):
    """chart.name as an oci:// reference: pulled from the registry once."""

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(oci=True)

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def test_create_from_an_oci_registry(self):
        env = self.env
        for n in (1, 2):
            spec = example_spec(**{"cluster.uuid": "99999999-aaaa-4bbb-8ccc-"
                                                   "00000000000%d" % n,
                                   "cluster.name": "oci%d" % n})
            created = env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
                spec=spec, credential=credential()), timeout=120)
            self.assertEqual(created.chart_version, "0.27.0")
            self.assertEqual(env.helm_revision(created.release_name,
                                               created.namespace), 1)
        self.assertEqual(len(env.names("Cluster", "")), 2)
        pulls = env.sim.registry_downloads()
        self.assertEqual(pulls.get(
            "/v2/charts/openstack-cluster/manifests/0.27.0"), 1, pulls)
        self.assertEqual(env.sim.chart_downloads(), {})


@simulator_only("injects 503s, 429s and dropped connections")
class FaultTest(unittest.TestCase):
    """Faults of the management cluster: retried, or a clear error with
    nothing half-applied."""

    @classmethod
    def setUpClass(cls):
        cls.env = Environment()

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def spec(self, n):
        return example_spec(**{"cluster.uuid": "88888888-aaaa-4bbb-8ccc-"
                                               "00000000000%d" % n,
                               "cluster.name": "fault%d" % n})

    def test_transient_errors_are_retried(self):
        self.env.fault(errors=[{"code": 503, "count": 2,
                                "path_contains": "/secrets"},
                               {"code": 429, "count": 1,
                                "path_contains": "/namespaces/"}],
                       drops=[{"count": 1, "method": "PATCH"}])
        created = self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=self.spec(1), credential=credential()), timeout=120)
        self.assertEqual(self.env.helm_revision(created.release_name,
                                                created.namespace), 1)

    def test_management_cluster_down_is_unavailable_and_nothing_applied(self):
        self.env.fault(errors=[{"code": 503, "count": 50}])
        spec = self.spec(2)
        with self.assertRaises(grpc.RpcError) as down:
            self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
                spec=spec, credential=credential()), timeout=120)
        self.env.fault(clear=True)
        self.assertEqual(down.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertIn("503", down.exception.details())
        self.assertEqual(self.env.names(
            "Secret", "", "magnum.openstack.org/cluster-uuid=" +
            spec.cluster.uuid), [])
        # Once the cluster is back the same create succeeds.
        created = self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=spec, credential=credential()), timeout=120)
        self.assertEqual(self.env.helm_revision(created.release_name,
                                                created.namespace), 1)


if __name__ == "__main__":
    unittest.main()
