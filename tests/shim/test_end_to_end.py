"""The shim inside Debian's real Magnum, end to end: Magnum's conductor
handlers and periodic status sync → the shim → the real bridge server →
the real helm → the management-cluster simulator."""

import base64
import io
import json
import time
import unittest

from tests.shim import magnum_env  # configures Magnum first
from tests.support import fake_cloud
from tests.integration import harness

import yaml

from magnum.conductor.handlers.common import cert_manager
from magnum_capi_bridge import diff_tool
from magnum.drivers.common import driver as magnum_driver

NAMESPACE = "magnum-" + magnum_env.PROJECT


def secret_text(secret, key):
    if key in secret.get("stringData", {}):
        return secret["stringData"][key]
    return base64.b64decode(secret["data"][key]).decode()


class EndToEndCase(unittest.TestCase):
    """Magnum, the shim, the real bridge and helm, and a simulator whose
    CAPI steps take STEP seconds."""

    STEP = 0.1

    @classmethod
    def setUpClass(cls):
        cls.env = harness.Environment(step_seconds=cls.STEP)

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def setUp(self):
        magnum_env.configure_bridge(self.env.address)
        for p in magnum_env.patch_openstack():
            self.addCleanup(p.stop)
        self.magnum = magnum_env.Magnum()


class EndToEndTest(EndToEndCase):

    def secret(self, name):
        for s in self.env.objects("Secret", NAMESPACE):
            if s["metadata"]["name"] == name:
                return s
        return None

    def machine_deployments(self, release):
        return {md["metadata"]["name"][len(release) + 1:]:
                md["spec"].get("replicas")
                for md in self.env.objects("MachineDeployment", NAMESPACE)
                if md["metadata"]["name"].startswith(release + "-")}

    def test_magnum_drives_a_cluster_through_the_bridge(self):
        m = self.magnum
        template = m.create_template()
        cluster = m.create_cluster(template, name="shop", workers=2)
        self.assertEqual("CREATE_IN_PROGRESS", cluster.status,
                         cluster.status_reason)
        release = cluster.stack_id

        # What the reference driver would have written: namespace, the
        # credential Secret with Keystone's new credential, Magnum's CAs.
        clouds = yaml.safe_load(secret_text(
            self.secret(release + "-cloud-credentials"), "clouds.yaml"))
        auth = clouds["clouds"]["openstack"]["auth"]
        cred = magnum_env.CLOUD.app_creds[
            auth["application_credential_id"]]
        self.assertEqual(cred["secret"],
                         auth["application_credential_secret"])
        self.assertRegex(cred["name"], "^magnum-%s-" % cluster.uuid)
        ca = cert_manager.get_cluster_ca_certificate(cluster, m.context)
        self.assertEqual(ca.get_certificate().decode()
                         if isinstance(ca.get_certificate(), bytes)
                         else ca.get_certificate(),
                         secret_text(self.secret(release + "-ca"), "tls.crt"))

        self.assertEqual("CREATE_COMPLETE", m.sync_until(
            cluster, {"CREATE_COMPLETE", "CREATE_FAILED"}),
            m.reload(cluster).status_reason)
        cluster = m.reload(cluster)
        self.assertTrue(cluster.api_address.startswith("https://"))
        self.assertEqual("v1.33.4", cluster.coe_version)
        self.assertEqual(2, len(m.group(cluster, "default-worker")
                                .node_addresses))
        m.sync_health()
        self.assertEqual("HEALTHY", m.reload(cluster).health_status)

        # Resize through Magnum's handler.
        m.clusters.cluster_resize(m.context, cluster, 3, [],
                                  m.group(cluster, "default-worker"))
        self.assertEqual(3, self.machine_deployments(release)[
            "default-worker"])
        self.assertEqual("UPDATE_COMPLETE", m.sync_until(
            cluster, {"UPDATE_COMPLETE", "UPDATE_FAILED"}))
        self.assertEqual(3, len(m.group(cluster, "default-worker")
                                .node_addresses))

        # A node group comes and goes.
        cluster = m.reload(cluster)
        m.nodegroups.nodegroup_create(m.context, cluster,
                                      m.new_group(cluster, "gpu", count=1))
        self.assertEqual(1, self.machine_deployments(release)["gpu"])
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertEqual("CREATE_COMPLETE", m.group(cluster, "gpu").status)
        m.nodegroups.nodegroup_delete(m.context, m.reload(cluster),
                                      m.group(cluster, "gpu"))
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertNotIn("gpu", self.machine_deployments(release))
        self.assertNotIn("gpu", m.groups(cluster))

        # Upgrade one minor version with a new template and image.
        new_template = m.create_template(
            name="k8s-1.34", image=fake_cloud.IMAGE_V2_ID,
            labels={"kube_tag": "v1.34.3",
                    "capi_helm_chart_version": "0.27.0"})
        cluster = m.reload(cluster)
        m.clusters.cluster_upgrade(m.context, cluster, new_template, 1,
                                   cluster.default_ng_worker)
        self.assertEqual("UPDATE_COMPLETE", m.sync_until(
            cluster, {"UPDATE_COMPLETE", "UPDATE_FAILED"}),
            m.reload(cluster).status_reason)
        self.assertEqual("v1.34.3", m.reload(cluster).coe_version)

        # Credential rotation: the Secret carries the new credential and
        # the old one is gone from Keystone.
        old = auth["application_credential_id"]
        other = m.as_user(magnum_env.OTHER_USER)
        cluster = other.reload(cluster)
        magnum_driver.Driver.get_driver_for_cluster(
            other.context, cluster).rotate_credential(other.context, cluster)
        clouds = yaml.safe_load(secret_text(
            self.secret(release + "-cloud-credentials"), "clouds.yaml"))
        new = clouds["clouds"]["openstack"]["auth"][
            "application_credential_id"]
        self.assertNotEqual(old, new)
        self.assertEqual(magnum_env.OTHER_USER, magnum_env.CLOUD
                         .app_creds[new]["user_id"])
        self.assertIn(old, magnum_env.CLOUD.deleted_app_creds)
        self.assertEqual("UPDATE_COMPLETE", m.reload(cluster).status)

        # Delete: Magnum's rows go only after the management cluster
        # finished, and the Secrets and the credential with them.
        m.clusters.cluster_delete(m.context, cluster.uuid)
        self.assertEqual("DELETE_COMPLETE", m.sync_until(
            cluster, {"DELETE_COMPLETE", "DELETE_FAILED"}))
        self.assertEqual([], self.env.objects(
            "Secret", NAMESPACE,
            "magnum.openstack.org/cluster-uuid=" + cluster.uuid))
        # Nothing left in the cloud: no credential, no server group.
        self.assertEqual({}, magnum_env.CLOUD.app_creds)
        self.assertEqual({}, magnum_env.CLOUD.server_groups)

    def test_bridge_refusal_reaches_the_user(self):
        m = self.magnum
        template = m.create_template(
            name="bad", labels={"kube_tag": "v1.33.4",
                                "capi_helm_chart_version": "0.27.0",
                                "boot_volume_size": "lots"})
        cluster = m.create_cluster(template, name="bad")
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertIn("capi-bridge refused CreateCluster (INVALID_ARGUMENT",
                      cluster.status_reason)
        self.assertIn("boot_volume_size", cluster.status_reason)
        self.assertIn("lots", cluster.status_reason)


class DiffToolTest(EndToEndCase):
    """magnum-capi-bridge-diff: the spec the driver would send now,
    compared with the deployed release, with nothing applied."""

    def test_the_tool_shows_what_the_next_verb_changes(self):
        m = self.magnum
        template = m.create_template()
        cluster = m.create_cluster(template, name="diffed", workers=2)
        self.assertEqual("CREATE_COMPLETE", m.sync_until(
            cluster, {"CREATE_COMPLETE", "CREATE_FAILED"}))
        out = io.StringIO()
        self.assertEqual(0, diff_tool.run(m.context, [cluster.uuid],
                                          out=out), out.getvalue())
        self.assertIn("no changes", out.getvalue())

        # Magnum's rows change (as a PATCH would make them): the tool
        # shows the value and the object before any verb runs.
        group = m.group(cluster, "default-worker")
        group.node_count = 3
        group.save()
        out = io.StringIO()
        self.assertEqual(1, diff_tool.run(m.context, ["diffed"], out=out))
        self.assertRegex(out.getvalue(),
                         r"value nodeGroups\[\d\]\.machineCount: 2 -> 3")
        self.assertIn("update MachineDeployment %s-default-worker"
                      % cluster.stack_id, out.getvalue())
        replicas = [md["spec"].get("replicas") for md in self.env.objects(
            "MachineDeployment", NAMESPACE)
            if md["metadata"]["name"] == cluster.stack_id + "-default-worker"]
        self.assertEqual([2], replicas)

        out = io.StringIO()
        self.assertEqual(5, diff_tool.run(
            m.context, [cluster.uuid, "no-such-cluster"], output="json",
            out=out))
        reports = json.loads(out.getvalue())
        self.assertTrue(reports[0]["diff"]["changed"])
        self.assertIn("no-such-cluster", reports[1]["cluster"])
        self.assertIn("error", reports[1])

        m.clusters.cluster_delete(m.context, cluster.uuid)
        self.assertEqual("DELETE_COMPLETE", m.sync_until(
            cluster, {"DELETE_COMPLETE", "DELETE_FAILED"}))


class ScaleFromZeroTest(EndToEndCase):
    """An autoscaled group with min_node_count 0 (chart >= 0.26.0), with
    CAPI steps of 1 s so that the scale-up is seen while it runs."""

    STEP = 1.0

    def md(self, name):
        for md in self.env.objects("MachineDeployment", NAMESPACE):
            if md["metadata"]["name"] == name:
                return md
        return None

    def sync_group_until(self, cluster, name, done):
        """Runs the driver's status sync until `done(group)`; returns the
        group and every status reason it showed meanwhile (the caller
        checks the group: a bound of SETTLE only stops a hang)."""
        m = self.magnum
        deadline = time.monotonic() + magnum_env.SETTLE
        seen = set()
        while True:
            magnum_driver.Driver.get_driver_for_cluster(
                m.context, m.reload(cluster)).update_cluster_status(
                    m.context, m.reload(cluster))
            group = m.group(cluster, name)
            seen.add(group.status_reason or "")
            if done(group) or time.monotonic() > deadline:
                return group, seen
            time.sleep(0.1)

    def test_a_group_scales_from_zero(self):
        # A burst pool that costs nothing while idle: min 0, max 6, chart
        # 0.27.0 (>= 0.26.0), autoscaling on.
        m = self.magnum
        labels = {"kube_tag": "v1.33.4", "capi_helm_chart_version": "0.27.0",
                  "auto_scaling_enabled": "true"}
        template = m.create_template(name="auto", labels=labels)
        cluster = m.create_cluster(template, name="burst", workers=1)
        self.assertEqual("CREATE_COMPLETE", m.sync_until(
            cluster, {"CREATE_COMPLETE", "CREATE_FAILED"}),
            m.reload(cluster).status_reason)
        release = m.reload(cluster).stack_id
        # Magnum's stored minimum of the default group keeps its rule.
        default = self.md(release + "-default-worker")
        self.assertEqual(1, default["spec"]["replicas"])

        cluster = m.reload(cluster)
        m.nodegroups.nodegroup_create(m.context, cluster, m.new_group(
            cluster, "gpu", count=0, min_count=0, max_count=6))
        # CAPI defaults spec.replicas at admission; where its webhook does
        # not run (the real API server's tests) the player does it on its
        # next tick.
        self.env.wait_for(lambda: "replicas" in self.md(
            release + "-gpu")["spec"], what="CAPI defaulting the replicas")
        gpu = self.md(release + "-gpu")
        annotations = gpu["metadata"]["annotations"]
        self.assertEqual("0", annotations[
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"])
        self.assertEqual("6", annotations[
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"])
        self.assertEqual(0, gpu["spec"]["replicas"])  # CAPI's default

        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        group = m.group(cluster, "gpu")
        self.assertEqual("CREATE_COMPLETE", group.status, group.status_reason)
        self.assertEqual(0, group.node_count)
        self.assertEqual(0, group.min_node_count)

        # The autoscaler asks for 2: Magnum shows 2 and why it waits, then
        # the machines.
        self.env.sim.autoscale(NAMESPACE, release + "-gpu", 2)
        self.env.wait_for(lambda: self.md(release + "-gpu")["status"].get(
            "phase") == "ScalingUp" or self.md(release + "-gpu")["status"]
            .get("readyReplicas") == 2, what="the group scaling up")
        group, seen = self.sync_group_until(
            cluster, "gpu", lambda g: g.node_count == 2 and
            not g.status_reason and len(g.node_addresses or []) == 2)
        self.assertEqual(2, group.node_count)
        self.assertEqual("CREATE_COMPLETE", group.status)
        self.assertTrue(any("/2 machines ready" in r for r in seen), seen)

        # Back to zero: complete with 0 machines.
        self.env.sim.autoscale(NAMESPACE, release + "-gpu", 0)
        group, _ = self.sync_group_until(
            cluster, "gpu",
            lambda g: g.node_count == 0 and not g.status_reason)
        self.assertEqual(0, group.node_count)
        self.assertEqual([], [
            x for x in self.env.objects("Machine", NAMESPACE)
            if x["metadata"]["labels"].get(
                "cluster.x-k8s.io/deployment-name") == release + "-gpu"])


if __name__ == "__main__":
    unittest.main()
