"""Taking over clusters another driver created (magnum-capi-helm), and
`capi-bridge diff`, the check an operator makes before switching.

A release is installed with helm as magnum-capi-helm installs it: its values
send `apiServer.allowedCidrs` (which chart 0.24.0 and later ignore) and make
the first listed Cinder type the default StorageClass. The bridge, told that
Cinder's default is another type, must keep the deployed default
StorageClass, show the allowed-CIDRs change before anything is applied, and
log each changed value path once, on the first verb that applies.
"""

import json
import os
import subprocess
import unittest

from tests.integration.harness import (CLI, HELM, Environment, driver_pb2,
                                       example_spec, json_format, resources)

RELEASE = "legacy-m2h8c4x9qz7w"
CINDER_DEFAULT = "fast-ssd"   # what Cinder now says its default is
FIRST_LISTED = "standard"     # what magnum-capi-helm made the default


def default_storage_class(values):
    return values["addons"]["openstack"]["csiCinder"]["defaultStorageClass"]


class MigrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(extra_config="log: {format: json}\n")
        env = cls.env
        spec = example_spec(**{
            "cluster.uuid": "77777777-aaaa-4bbb-8ccc-000000000007",
            "cluster.stack_id": RELEASE})
        spec.facts.default_volume_type = FIRST_LISTED
        rendered = env.stub.RenderValues(driver_pb2.RenderValuesRequest(
            spec=spec), timeout=30)
        cls.ns = rendered.namespace
        values = json.loads(rendered.values_json)
        # The Python driver's key, silently ignored by chart >= 0.24.0.
        values["apiServer"]["allowedCidrs"] = values["apiServer"].pop(
            "allowedCIDRs")
        cls.cidrs = values["apiServer"]["allowedCidrs"]
        env.install_as_another_driver(RELEASE, cls.ns, json.dumps(values))
        # From now on the shim reports Cinder's default.
        spec.facts.default_volume_type = CINDER_DEFAULT
        cls.spec = spec
        cls.spec_path = os.path.join(env.dir, "migrate-spec.json")
        with open(cls.spec_path, "w") as f:
            f.write(json_format.MessageToJson(spec))

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def diff(self, *args):
        return subprocess.run(
            [CLI, "--insecure", "--address", self.env.address, "diff",
             "-s", self.spec_path] + list(args),
            capture_output=True, text=True, timeout=120)

    def has_lease(self, uuid):
        """Whether the cluster's Lease exists (verbs take it, diffs must
        not)."""
        items = self.env.sim.store.list(
            resources.BY_KIND[("coordination.k8s.io", "Lease")], self.ns,
            "")["items"]
        return "capi-bridge-" + uuid in [i["metadata"]["name"]
                                         for i in items]

    def test_1_diff_shows_the_takeover_before_anything_is_applied(self):
        env = self.env
        before = env.helm_revision(RELEASE, self.ns)
        result = self.diff()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        out = result.stdout
        self.assertIn("deployed revision 1 (chart 0.27.0, written by "
                      "\"Install complete\")", out)
        self.assertIn("apiServer.allowedCIDRs: (absent) -> %s"
                      % json.dumps(self.cidrs, separators=(",", ":")), out)
        self.assertIn("apiServer.allowedCidrs: %s -> (absent)"
                      % json.dumps(self.cidrs, separators=(",", ":")), out)
        # The default StorageClass is kept, and said so.
        self.assertNotIn("defaultStorageClass", out)
        self.assertIn("kept volume type %s as the default StorageClass"
                      % FIRST_LISTED, result.stderr)
        # The object the chart renders from it changes.
        self.assertRegex(out, r"~ update OpenStackCluster %s \(\d+ fields?:"
                              r"[^)]*allowedCIDRs" % RELEASE)
        # A dry run: no revision, no Lease, nothing written.
        self.assertEqual(env.helm_revision(RELEASE, self.ns), before)
        self.assertFalse(self.has_lease(self.spec.cluster.uuid))

        as_json = self.diff("-o", "json")
        self.assertEqual(as_json.returncode, 1)
        doc = json.loads(as_json.stdout)
        self.assertTrue(doc["changed"])
        self.assertEqual(sorted(v["path"] for v in doc["values"]),
                         ["apiServer.allowedCIDRs", "apiServer.allowedCidrs"])
        self.assertEqual(doc["deployed_revision"], 1)

    def test_2_first_verb_keeps_the_storage_class_and_logs_each_change(self):
        env = self.env
        applied = env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=self.spec), timeout=60)
        self.assertFalse(applied.unchanged)
        self.assertTrue(any("kept volume type" in w.message
                            for w in applied.warnings))
        record = env.sim.store.list(
            resources.BY_KIND[("", "Secret")], self.ns,
            "owner=helm,name=%s,version=2" % RELEASE)["items"]
        self.assertEqual(len(record), 1)
        values = json.loads(subprocess.run(
            [HELM, "get", "values", RELEASE, "-n", self.ns, "-o", "json",
             "--kubeconfig", env.sim.kubeconfig], check=True,
            capture_output=True, text=True).stdout)
        self.assertEqual(default_storage_class(values)["volumeType"],
                         FIRST_LISTED)
        log = [json.loads(line) for line in env.log().splitlines()
               if RELEASE in line]
        takeover = [line for line in log if line["msg"].startswith(
            "taking over a release another driver wrote")]
        self.assertEqual(len(takeover), 1)
        self.assertEqual(int(takeover[0]["changes"]), 2)
        self.assertEqual(takeover[0]["deployed_by"], "Install complete")
        paths = sorted(line["path"] for line in log
                       if line["msg"] == "value changed by the takeover")
        self.assertEqual(paths, ["apiServer.allowedCIDRs",
                                 "apiServer.allowedCidrs"])

        # Now the bridge's own release: nothing left to change, and the next
        # verb logs no takeover.
        self.assertEqual(self.diff().returncode, 0)
        self.assertIn("no changes", self.diff().stdout)
        self.spec.node_groups[1].node_count = 3
        env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=self.spec), timeout=60)
        self.assertEqual(env.log().count("taking over a release"), 1)

    def test_3_diff_reports_a_refusal_and_a_cluster_not_yet_created(self):
        spec = driver_pb2.DiffClusterRequest(spec=self.spec).spec
        spec.template.labels["calico_ipv4pool"] = "10.200.0.0/16"
        refused = self.env.stub.DiffCluster(driver_pb2.DiffClusterRequest(
            spec=spec), timeout=60)
        self.assertIn("calico_ipv4pool", refused.refusal)
        self.assertTrue(any(v.path.startswith("kubeNetwork")
                            for v in refused.values), refused.values)

        new = example_spec(**{
            "cluster.uuid": "77777777-aaaa-4bbb-8ccc-000000000008",
            "cluster.name": "not-yet"})
        fresh = self.env.stub.DiffCluster(driver_pb2.DiffClusterRequest(
            spec=new), timeout=60)
        self.assertTrue(fresh.changed)
        self.assertEqual(fresh.deployed_revision, 0)
        self.assertTrue(fresh.objects)
        self.assertTrue(all(o.action == "create" for o in fresh.objects))
        self.assertEqual(self.env.helm_revision(fresh.release_name,
                                                fresh.namespace), 0)
        self.assertFalse(self.has_lease(new.cluster.uuid))

    def test_4_bad_spec_exits_with_the_refusal_code(self):
        path = os.path.join(self.env.dir, "bad-spec.json")
        spec = driver_pb2.DiffClusterRequest(spec=self.spec).spec
        spec.cluster.labels["monitoring_enabled"] = "maybe"
        with open(path, "w") as f:
            f.write(json_format.MessageToJson(spec))
        result = subprocess.run(
            [CLI, "--insecure", "--address", self.env.address, "diff",
             "-s", path], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertIn("labels.monitoring_enabled", result.stderr)


class ChartVersionKeptTest(unittest.TestCase):
    """magnum-capi-helm's templates often name no chart version (it used
    its own default, 0.10.1 unless configured). Taking such a cluster over
    must not move it to the bridge's default chart on a mere resize."""

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(chart_versions=("0.24.0", "0.27.0"))

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def test_a_template_without_a_version_keeps_the_deployed_chart(self):
        env = self.env
        spec = example_spec(**{
            "cluster.uuid": "77777777-aaaa-4bbb-8ccc-000000000009",
            "cluster.stack_id": "old-chart-k2m9x4c8v7qz"})
        spec.template.labels.pop("capi_helm_chart_version", None)
        rendered = env.stub.RenderValues(driver_pb2.RenderValuesRequest(
            spec=spec, chart_version="0.24.0"), timeout=30)
        env.install_as_another_driver(spec.cluster.stack_id,
                                      rendered.namespace,
                                      rendered.values_json, version="0.24.0")
        spec.node_groups[1].node_count = 3
        resized = env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
            spec=spec, node_group=spec.node_groups[1].name), timeout=60)
        self.assertEqual(resized.chart_version, "0.24.0")
        self.assertTrue(any("kept the deployed chart version 0.24.0"
                            in w.message for w in resized.warnings),
                        resized.warnings)
        # Naming a version in the template moves it.
        spec.template.labels["capi_helm_chart_version"] = "0.27.0"
        upgraded = env.stub.UpgradeCluster(driver_pb2.UpgradeClusterRequest(
            spec=spec), timeout=60)
        self.assertEqual(upgraded.chart_version, "0.27.0")


if __name__ == "__main__":
    unittest.main()
