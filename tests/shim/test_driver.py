"""The shim inside Debian's real Magnum, against an in-process fake bridge.

Magnum selects the driver through its entry point; Magnum's own conductor
handlers and periodic status sync drive clusters through every verb. Fast,
and the place for the error paths.
"""

import glob
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
import zipfile

from tests.shim import magnum_env  # noqa: F401  (configures Magnum first)
from tests.shim import fake_bridge
from tests.support import fake_cloud

import grpc
import pkg_resources

from magnum.common import exception
from magnum.drivers.common import driver as magnum_driver
from magnum import objects

from magnum_capi_bridge import driver as shim_driver


class ShimTestCase(unittest.TestCase):

    def setUp(self):
        self.bridge = fake_bridge.FakeBridge()
        self.addCleanup(self.bridge.stop)
        magnum_env.configure_bridge(self.bridge.address)
        for p in magnum_env.patch_openstack():
            self.addCleanup(p.stop)
        self.magnum = magnum_env.Magnum()
        self.template = self.magnum.create_template()

    def driver_for(self, cluster):
        return magnum_driver.Driver.get_driver_for_cluster(
            self.magnum.context, cluster)

    def override(self, name, value, group="capi_bridge"):
        """Sets a magnum.conf option for this test only."""
        magnum_env.CONF.set_override(name, value, group=group)
        self.addCleanup(magnum_env.CONF.clear_override, name, group=group)


class RegistrationTest(ShimTestCase):

    def test_magnum_selects_the_driver_through_its_entry_point(self):
        for os_distro in ("ubuntu", "flatcar"):
            chosen = magnum_driver.Driver.get_driver("vm", os_distro,
                                                     "kubernetes")
            self.assertIsInstance(chosen, shim_driver.Driver)
        entry = magnum_driver.Driver.get_drivers()[
            ("vm", "ubuntu", "kubernetes")]
        self.assertEqual("k8s_capi_bridge_v1", entry["entry_point_name"])
        self.assertIs(shim_driver.Driver, entry["class"])

    def test_disabled_drivers_removes_it(self):
        self.override("disabled_drivers",
                      magnum_env.CONF.drivers.disabled_drivers +
                      ["k8s_capi_bridge_v1"], group="drivers")
        magnum_driver.Driver.definitions = None
        with self.assertRaises(exception.ClusterTypeNotSupported):
            magnum_driver.Driver.get_driver("vm", "ubuntu", "kubernetes")
        magnum_driver.Driver.definitions = None

    def test_options_are_listed_for_the_config_generator(self):
        points = {ep.name: ep for ep in
                  pkg_resources.iter_entry_points("oslo.config.opts")}
        groups = points["capi_bridge"].resolve()()
        group, opts = groups[0]
        self.assertEqual("capi_bridge", group.name)
        names = {o.name for o in opts}
        self.assertTrue({"endpoint", "tls_ca_file", "tls_cert_file",
                         "tls_key_file", "call_timeout", "sync_call_timeout",
                         "status_timeout"} <= names, names)

    def test_the_wheel_alone_registers_the_driver(self):
        # Unpacked as pip would into site-packages, without the source
        # tree: Magnum finds the driver and its stubs import.
        wheels = glob.glob(os.path.join(magnum_env.BUILD, "dist", "*.whl"))
        self.assertEqual(1, len(wheels), wheels)
        with tempfile.TemporaryDirectory() as site, \
                tempfile.TemporaryDirectory() as cache:
            with zipfile.ZipFile(wheels[0]) as wheel:
                wheel.extractall(site)
            probe = (
                "from magnum.drivers.common import driver as d\n"
                "import magnum_capi_bridge.pb.driver_pb2 as pb\n"
                "c = d.Driver.get_driver('vm', 'ubuntu', 'kubernetes')\n"
                "print(type(c).__module__, pb.DESCRIPTOR.name)\n")
            out = subprocess.run(
                [sys.executable, "-c", probe], cwd=site,
                env=dict(os.environ, PYTHONPATH=site, XDG_CACHE_HOME=cache),
                capture_output=True, text=True, timeout=120)
        self.assertEqual(0, out.returncode, out.stderr[-2000:])
        self.assertEqual("magnum_capi_bridge.driver "
                         "magnum/capi/bridge/v1/driver.proto",
                         out.stdout.strip())

    def test_driver_construction_dials_nothing(self):
        magnum_env.configure_bridge("192.0.2.1:1")  # unroutable
        shim_driver.Driver().provides  # noqa: B018
        self.assertEqual([], self.bridge.verbs())


class LifecycleTest(ShimTestCase):
    """create → complete → resize → node groups → upgrade → rotate →
    delete, through Magnum's handlers and periodic sync."""

    def test_full_lifecycle(self):
        m = self.magnum
        cluster = m.create_cluster(self.template, name="Web_Prod", workers=2)
        self.assertEqual("CREATE_IN_PROGRESS", cluster.status,
                         cluster.status_reason)
        # The release was named once, as the reference names it, and
        # Magnum copied it to the node groups.
        self.assertRegex(cluster.stack_id, r"^web-prod-[a-z0-9]{12}$")
        for ng in m.groups(cluster).values():
            self.assertEqual(cluster.stack_id, ng.stack_id)
        create = self.bridge.last("CreateCluster")
        spec = create.spec
        self.assertEqual(cluster.uuid, spec.cluster.uuid)
        self.assertEqual(cluster.stack_id, spec.cluster.stack_id)
        self.assertEqual(60, spec.cluster.create_timeout_minutes)
        self.assertEqual(["default-master", "default-worker"],
                         [g.name for g in spec.node_groups])
        self.assertEqual("v1.33.4", spec.facts.image.kube_version)
        self.assertEqual("ubuntu", spec.facts.image.os_distro)
        self.assertEqual(fake_cloud.EXTERNAL_NET_ID,
                         spec.facts.external_network_id)
        self.assertEqual(4096, spec.facts.flavors["f-medium"].ram_mb)
        self.assertEqual({"standard", "fast"}, set(spec.facts.volume_types))
        # Cinder's default, though not the first type listed; not chosen
        # by the operator, so a taken-over release keeps its own default.
        self.assertEqual("fast", spec.facts.default_volume_type)
        self.assertFalse(spec.facts.default_volume_type_configured)
        self.assertEqual(magnum_env.CLOUD.auth_url,
                         spec.facts.keystone.auth_url.rstrip("/"))
        self.assertEqual("RegionOne", spec.facts.keystone.region_name)
        # A credential made for the requesting user with the reference's
        # name, and Magnum's own CAs (decrypted).
        cred = magnum_env.CLOUD.app_creds[
            create.credential.application_credential_id]
        self.assertEqual(magnum_env.USER, cred["user_id"])
        self.assertRegex(cred["name"],
                         r"^magnum-%s-[0-9a-f]{8}$" % cluster.uuid)
        self.assertEqual(cred["secret"],
                         create.credential.application_credential_secret)
        for pair in (create.ca_certificates.ca, create.ca_certificates.etcd,
                     create.ca_certificates.front_proxy,
                     create.ca_certificates.service_account):
            self.assertIn("BEGIN CERTIFICATE", pair.certificate_pem)
            self.assertIn("PRIVATE KEY", pair.private_key_pem)
            self.assertNotIn("ENCRYPTED", pair.private_key_pem)

        # Magnum's periodic sync moves it to CREATE_COMPLETE.
        self.assertEqual("CREATE_COMPLETE",
                         m.sync_until(cluster, {"CREATE_COMPLETE"}))
        cluster = m.reload(cluster)
        self.assertEqual("https://203.0.113.10:6443", cluster.api_address)
        self.assertEqual("v1.33.4", cluster.coe_version)
        groups = m.groups(cluster)
        self.assertEqual("CREATE_COMPLETE", groups["default-worker"].status)
        self.assertEqual(["10.0.1.10", "10.0.1.11"],
                         groups["default-worker"].node_addresses)
        sync = self.bridge.last("GetClusterStatus")
        self.assertEqual("CREATE_IN_PROGRESS", sync.current_status)
        self.assertFalse(sync.spec.HasField("facts"),
                         "status calls must not query OpenStack")

        # Health polling through get_monitor.
        m.sync_health()
        cluster = m.reload(cluster)
        self.assertEqual("HEALTHY", cluster.health_status)
        self.assertEqual("Ready", cluster.health_status_reason["nodegroup"])

        # PATCH node_count: the default worker goes in progress too.
        m.clusters.cluster_update(m.context, cluster, 3, None, None)
        cluster = m.reload(cluster)
        self.assertEqual("UPDATE_IN_PROGRESS", cluster.status)
        self.assertEqual("UPDATE_IN_PROGRESS",
                         m.group(cluster, "default-worker").status)
        self.assertEqual(3, [g.node_count for g in
                             self.bridge.last("UpdateCluster").spec.node_groups
                             if g.name == "default-worker"][0])
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE",
                         m.group(cluster, "default-worker").status)

        # Resize.
        cluster = m.reload(cluster)
        m.clusters.cluster_resize(m.context, cluster, 4, ["node-a"],
                                  m.group(cluster, "default-worker"))
        resize = self.bridge.last("ResizeCluster")
        self.assertEqual("default-worker", resize.node_group)
        self.assertEqual(["node-a"], list(resize.nodes_to_remove))
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertEqual(4, m.group(cluster, "default-worker").node_count)

        # Node group create, update, delete.
        cluster = m.reload(cluster)
        gpu = m.new_group(cluster, "gpu", count=1, flavor="f-large")
        m.nodegroups.nodegroup_create(m.context, cluster, gpu)
        request = self.bridge.last("CreateNodeGroup")
        self.assertEqual("gpu", request.node_group)
        self.assertIn("gpu", [g.name for g in request.spec.node_groups])
        self.assertEqual(8192, request.spec.facts.flavors["f-large"].ram_mb)
        self.assertEqual("CREATE_IN_PROGRESS", m.group(cluster, "gpu").status)
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertEqual("CREATE_COMPLETE", m.group(cluster, "gpu").status)

        gpu = m.group(cluster, "gpu")
        gpu.node_count = 2
        m.nodegroups.nodegroup_update(m.context, m.reload(cluster), gpu)
        self.assertEqual("gpu", self.bridge.last("UpdateNodeGroup").node_group)
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", m.group(cluster, "gpu").status)

        m.nodegroups.nodegroup_delete(m.context, m.reload(cluster),
                                      m.group(cluster, "gpu"))
        request = self.bridge.last("DeleteNodeGroup")
        self.assertEqual("DELETE_IN_PROGRESS", [
            g.status for g in request.spec.node_groups if g.name == "gpu"][0])
        m.sync_until(cluster, {"UPDATE_COMPLETE"})
        self.assertNotIn("gpu", m.groups(cluster),
                         "a node group deleted alone must be destroyed")

        # Upgrade to a template with a newer image.
        new_template = m.create_template(
            name="k8s-1.34", image=fake_cloud.IMAGE_V2_ID,
            labels={"kube_tag": "v1.34.3",
                    "capi_helm_chart_version": "0.27.0"})
        cluster = m.reload(cluster)
        m.clusters.cluster_upgrade(m.context, cluster, new_template, 1,
                                   cluster.default_ng_worker)
        upgrade = self.bridge.last("UpgradeCluster")
        self.assertEqual("", upgrade.node_group)
        self.assertEqual("v1.34.3", upgrade.spec.facts.image.kube_version)
        self.assertEqual(new_template.uuid, m.reload(cluster)
                         .cluster_template_id)
        m.sync_until(cluster, {"UPDATE_COMPLETE"})

        # Credential rotation by another member of the project.
        first_cred = create.credential.application_credential_id
        other = m.as_user(magnum_env.OTHER_USER)
        cluster = other.reload(cluster)
        self.driver_for(cluster).rotate_credential(other.context, cluster)
        rotate = self.bridge.last("RotateCredential")
        new_cred = rotate.credential.application_credential_id
        self.assertNotEqual(first_cred, new_cred)
        self.assertEqual(magnum_env.OTHER_USER, rotate.spec.cluster.user_id)
        cluster = m.reload(cluster)
        self.assertEqual(magnum_env.OTHER_USER, cluster.user_id)
        self.assertEqual("UPDATE_COMPLETE", cluster.status)
        self.assertIn(first_cred, magnum_env.CLOUD.deleted_app_creds)

        # Delete: every group in progress first, then DELETE_COMPLETE; the
        # credential and (Magnum 15) trust go with it.
        m.clusters.cluster_delete(m.context, cluster.uuid)
        self.assertEqual("DELETE_IN_PROGRESS", m.reload(cluster).status)
        self.assertEqual({"DELETE_IN_PROGRESS"},
                         {g.status for g in m.groups(cluster).values()})
        self.assertEqual("DELETE_COMPLETE",
                         m.sync_until(cluster, {"DELETE_COMPLETE"}))
        self.assertFalse(m.exists(cluster))
        self.assertIn(new_cred, magnum_env.CLOUD.deleted_app_creds)
        self.assertEqual({}, {k: v for k, v in
                              magnum_env.CLOUD.app_creds.items()
                              if v["name"].startswith(
                                  "magnum-" + cluster.uuid)})
        if not magnum_env.TRUSTS:
            # As from 2026.2 on: no trust_manager, so no trust to delete
            # (the driver looks for the module, never for a version).
            self.assertNotIn("trust-of-" + cluster.uuid[:8],
                             magnum_env.TRUSTS_DELETED)
        else:
            self.assertIn("trust-of-" + cluster.uuid[:8],
                          magnum_env.TRUSTS_DELETED)
        self.assertEqual({}, magnum_env.CLOUD.server_groups)
        self.assertEqual(
            ["CreateCluster", "UpdateCluster", "ResizeCluster",
             "CreateNodeGroup", "UpdateNodeGroup", "DeleteNodeGroup",
             "UpgradeCluster", "RotateCredential", "DeleteCluster"],
            [v for v in self.bridge.verbs() if v != "GetClusterStatus"])

    def test_server_groups_follow_the_label(self):
        m = self.magnum
        labels = dict(self.template.labels,
                      server_group_policies="anti-affinity")
        cluster = m.create_cluster(self.template, labels=labels)
        ids = self.bridge.last("CreateCluster").spec.facts.server_group_ids
        self.assertEqual({"control-plane", "default-worker"}, set(ids))
        names = sorted(g["name"] for g in
                       magnum_env.CLOUD.server_groups.values())
        self.assertEqual(["magnum-%s-control-plane" % cluster.uuid,
                          "magnum-%s-default-worker" % cluster.uuid], names)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        m.clusters.cluster_delete(m.context, cluster.uuid)
        m.sync_until(cluster, {"DELETE_COMPLETE"})
        self.assertEqual({}, magnum_env.CLOUD.server_groups)


class ErrorTest(ShimTestCase):
    """Every failure ends as Magnum's *_FAILED with a reason a user can
    act on, and nothing is left half-done."""

    def test_bridge_rejection_becomes_the_status_reason(self):
        self.bridge.errors["CreateCluster"] = (
            grpc.StatusCode.INVALID_ARGUMENT,
            "label kube_tag: 'v1.33' is not a version; accepted: vX.Y.Z")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertEqual(
            "capi-bridge refused CreateCluster (INVALID_ARGUMENT: the "
            "cluster's spec is invalid; nothing was applied). label "
            "kube_tag: 'v1.33' is not a version; accepted: vX.Y.Z",
            cluster.status_reason)
        # The release name was kept, so a delete cleans up what exists.
        self.assertTrue(cluster.stack_id)

    def test_unreachable_bridge(self):
        magnum_env.configure_bridge("127.0.0.1:1")
        self.override("call_timeout", 2)
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertRegex(cluster.status_reason,
                         r"^capi-bridge CreateCluster failed \((UNAVAILABLE: "
                         r"the bridge or its management cluster is "
                         r"unavailable\)\. Bridge at 127\.0\.0\.1:1: |"
                         r"DEADLINE_EXCEEDED: no answer within 2 s\)\. The "
                         r"bridge at 127\.0\.0\.1:1 did not answer)")

    def test_deadline(self):
        self.override("call_timeout", 1)
        self.bridge.delay["CreateCluster"] = 2.5
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertEqual("capi-bridge CreateCluster failed "
                         "(DEADLINE_EXCEEDED: no answer within 1 s). The "
                         "bridge at %s did not answer in time"
                         % self.bridge.address, cluster.status_reason)

    def test_missing_endpoint_is_named(self):
        magnum_env.configure_bridge("")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertIn("[capi_bridge] endpoint is not set",
                      cluster.status_reason)

    def test_missing_tls_file_is_named(self):
        magnum_env.configure_bridge(self.bridge.address,
                                    tls_ca_file="/nonexistent/ca.crt")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertIn("[capi_bridge] tls_ca_file: cannot read the file it "
                      "names. '/nonexistent/ca.crt'", cluster.status_reason)

    def test_calls_carry_the_token_and_magnums_request_id(self):
        with tempfile.NamedTemporaryFile("w", suffix=".token") as token:
            token.write("  bridge-token-0123456789abcdef\n")
            token.flush()
            magnum_env.configure_bridge(self.bridge.address,
                                        token_file=token.name)
            # Refused, so the cluster rests in CREATE_FAILED.
            self.bridge.errors["CreateCluster"] = (
                grpc.StatusCode.UNAUTHENTICATED, "checked by the test")
            cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        sent = self.bridge.metadata["CreateCluster"]
        self.assertEqual("Bearer bridge-token-0123456789abcdef",
                         sent["authorization"])
        self.assertTrue(self.magnum.context.request_id.startswith("req-"))
        self.assertEqual(self.magnum.context.request_id, sent["x-request-id"])

    def test_missing_token_file_is_named(self):
        magnum_env.configure_bridge(self.bridge.address,
                                    token_file="/nonexistent/token")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertIn("[capi_bridge] token_file: cannot read the file it "
                      "names. '/nonexistent/token'", cluster.status_reason)
        self.assertEqual([], self.bridge.verbs())

    def test_openstack_facts_are_checked_before_the_bridge(self):
        del magnum_env.CLOUD.flavors["f-medium"]
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertEqual("a flavor the cluster names is not in Nova. "
                         "Flavor 'f-medium': not found",
                         cluster.status_reason)
        self.assertNotIn("CreateCluster", self.bridge.verbs())

    def test_a_configured_default_volume_type_is_sent_as_configured(self):
        self.override("csi_cinder_default_volume_type", "standard")
        self.magnum.create_cluster(self.template)
        facts = self.bridge.last("CreateCluster").spec.facts
        self.assertEqual("standard", facts.default_volume_type)
        self.assertTrue(facts.default_volume_type_configured)

    def test_missing_default_volume_type_is_named(self):
        self.override("csi_cinder_default_volume_type", "gold")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual(
            "[capi_bridge] csi_cinder_default_volume_type is not a Cinder "
            "volume type of this project. 'gold'; the project has: fast, "
            "standard",
            cluster.status_reason)

    def test_keystone_refusal(self):
        magnum_env.CLOUD.fail[("POST", "/identity/v3/users")] = 403
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertIn("cannot create the application credential",
                      cluster.status_reason)
        # Each client generation words Keystone's answer its own way.
        self.assertIn("injected failure", cluster.status_reason)
        self.assertIn("403", cluster.status_reason)
        self.assertNotIn("CreateCluster", self.bridge.verbs())

    def test_status_failure_reported_by_the_bridge(self):
        from magnum_capi_bridge.pb import driver_pb2
        cluster = self.magnum.create_cluster(self.template)
        self.bridge.status_override[cluster.uuid] = driver_pb2.ClusterStatus(
            status=driver_pb2.CREATE_FAILED,
            status_reason="OpenStackCluster web: 409 Conflict from Neutron")
        self.magnum.sync_until(cluster, {"CREATE_FAILED"})
        self.assertEqual("OpenStackCluster web: 409 Conflict from Neutron",
                         self.magnum.reload(cluster).status_reason)

    def test_status_call_failure_changes_nothing(self):
        cluster = self.magnum.create_cluster(self.template)
        self.bridge.errors["GetClusterStatus"] = (
            grpc.StatusCode.UNAVAILABLE, "watch cache not ready")
        self.magnum.sync_once()
        cluster = self.magnum.reload(cluster)
        self.assertEqual("CREATE_IN_PROGRESS", cluster.status)
        self.assertIsNone(cluster.status_reason)
        del self.bridge.errors["GetClusterStatus"]
        self.magnum.sync_until(cluster, {"CREATE_COMPLETE"})

    def test_refused_upgrade_changes_nothing(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        self.bridge.errors["UpgradeCluster"] = (
            grpc.StatusCode.FAILED_PRECONDITION,
            "kube_tag v1.36.0: a skip of more than one minor version")
        new_template = m.create_template(name="too-new")
        cluster = m.reload(cluster)
        with self.assertRaises(Exception):
            m.clusters.cluster_upgrade(m.context, cluster, new_template, 1,
                                       cluster.default_ng_worker)
        cluster = m.reload(cluster)
        self.assertEqual("UPDATE_FAILED", cluster.status)
        self.assertIn("a skip of more than one minor version",
                      cluster.status_reason)
        self.assertEqual(self.template.uuid, cluster.cluster_template_id)
        self.assertEqual("CREATE_COMPLETE",
                         m.group(cluster, "default-master").status)

    def test_failed_node_group_create(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        self.bridge.errors["CreateNodeGroup"] = (
            grpc.StatusCode.INVALID_ARGUMENT,
            "node group '9gpu': a chart group name starts with a letter")
        cluster = m.reload(cluster)
        with self.assertRaises(Exception):
            m.nodegroups.nodegroup_create(m.context, cluster,
                                          m.new_group(cluster, "9gpu"))
        self.assertEqual("CREATE_FAILED", m.group(cluster, "9gpu").status)
        self.assertIn("starts with a letter",
                      m.group(cluster, "9gpu").status_reason)
        self.assertEqual("UPDATE_FAILED", m.reload(cluster).status)

    def _failed_rotation(self, code, message):
        """Rotates as another user while the bridge answers `code`;
        returns the cluster and the credential the rotation made."""
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        self.bridge.errors["RotateCredential"] = (code, message)
        other = m.as_user(magnum_env.OTHER_USER)
        cluster = other.reload(cluster)
        with self.assertRaises(exception.MagnumException) as caught:
            self.driver_for(cluster).rotate_credential(other.context,
                                                       cluster)
        self.assertIn(message, str(caught.exception))
        self.assertEqual(magnum_env.USER, cluster.user_id)
        return cluster, self.bridge.last(
            "RotateCredential").credential.application_credential_id

    def test_scaling_reads_in_progress_while_the_bridge_applies(self):
        # Magnum saves the cluster UPDATE_IN_PROGRESS only after the
        # driver returns; the operator's `cluster show` must not read the
        # old UPDATE_COMPLETE beside the new count while helm applies it.
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        saved = []
        for verb in ("ResizeCluster", "UpdateCluster"):
            self.bridge.on_call[verb] = lambda verb=verb: saved.append(verb)
        save = objects.Cluster.save

        def recording_save(obj, *args, **kwargs):
            saved.append(obj.status)
            return save(obj, *args, **kwargs)

        def saved_before(verb):
            before = saved[:saved.index(verb)]
            self.assertTrue(before, saved)
            return before[-1]

        with mock.patch.object(objects.Cluster, "save", recording_save):
            cluster = m.reload(cluster)
            m.clusters.cluster_resize(m.context, cluster, 3, [],
                                      m.group(cluster, "default-worker"))
            self.assertEqual("UPDATE_IN_PROGRESS",
                             saved_before("ResizeCluster"))
            m.sync_until(cluster, {"UPDATE_COMPLETE"})
            saved.clear()
            m.clusters.cluster_update(m.context, m.reload(cluster), 4, None,
                                      None)
            self.assertEqual("UPDATE_IN_PROGRESS",
                             saved_before("UpdateCluster"))
        self.assertEqual("UPDATE_COMPLETE", m.sync_until(
            cluster, {"UPDATE_COMPLETE"}))
        self.assertEqual(4, m.group(cluster, "default-worker").node_count)

    def test_errors_leave_the_driver_as_magnum_classes(self):
        # magnum-api rebuilds only magnum.common.exception's classes from a
        # synchronous verb's reply; the text's first sentence (all the CLI
        # shows) holds no full stop.
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        for code, wanted in ((grpc.StatusCode.UNAVAILABLE,
                              exception.MagnumException),
                             (grpc.StatusCode.FAILED_PRECONDITION,
                              exception.Conflict),
                             (grpc.StatusCode.INVALID_ARGUMENT,
                              exception.InvalidParameterValue)):
            self.bridge.errors["UpgradeCluster"] = (code, "v1.35.0: no.")
            cluster = m.reload(cluster)
            with self.assertRaises(exception.MagnumException) as caught:
                self.driver_for(cluster).upgrade_cluster(
                    m.context, cluster, m.create_template(
                        name="next-%s" % code.name), 1,
                    cluster.default_ng_worker)
            self.assertIs(wanted, type(caught.exception))
            text = str(caught.exception)
            headline = text[:text.index(".")]
            self.assertIn("capi-bridge", headline)
            self.assertIn(code.name, headline)
            self.assertTrue(text.endswith("v1.35.0: no."), text)
            self.assertEqual(code, caught.exception.grpc_code)

    def test_refused_rotation_deletes_its_credential(self):
        _, new_cred = self._failed_rotation(
            grpc.StatusCode.ABORTED, "another verb holds the Lease")
        self.assertIn(new_cred, magnum_env.CLOUD.deleted_app_creds)
        self.assertNotIn(new_cred, magnum_env.CLOUD.app_creds)

    def test_rotation_of_unknown_outcome_keeps_its_credential(self):
        # The bridge may have written the new credential for the cluster's
        # services before the call failed: deleting it could cut them off.
        _, new_cred = self._failed_rotation(
            grpc.StatusCode.UNAVAILABLE, "management cluster unreachable")
        self.assertNotIn(new_cred, magnum_env.CLOUD.deleted_app_creds)
        self.assertIn(new_cred, magnum_env.CLOUD.app_creds)

    def test_refused_create_deletes_its_credential(self):
        self.bridge.errors["CreateCluster"] = (
            grpc.StatusCode.INVALID_ARGUMENT,
            "label monitoring_enabled: 'maybe' is not a boolean")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        self.assertIn("capi-bridge refused CreateCluster",
                      cluster.status_reason)
        made = self.bridge.last(
            "CreateCluster").credential.application_credential_id
        self.assertIn(made, magnum_env.CLOUD.deleted_app_creds)
        self.assertNotIn(made, magnum_env.CLOUD.app_creds)

    def test_create_of_unknown_outcome_keeps_its_credential(self):
        self.bridge.errors["CreateCluster"] = (
            grpc.StatusCode.UNAVAILABLE, "helm: connection reset")
        cluster = self.magnum.create_cluster(self.template)
        self.assertEqual("CREATE_FAILED", cluster.status)
        made = self.bridge.last(
            "CreateCluster").credential.application_credential_id
        self.assertIn(made, magnum_env.CLOUD.app_creds)
        # The cluster's delete removes it (it carries the cluster's name).
        del self.bridge.errors["CreateCluster"]
        self.magnum.clusters.cluster_delete(self.magnum.context,
                                            cluster.uuid)
        self.magnum.sync_until(cluster, {"DELETE_COMPLETE"})
        self.assertIn(made, magnum_env.CLOUD.deleted_app_creds)

    def test_master_size_rule(self):
        d = shim_driver.Driver()
        for good in (1, 3, 5):
            d.validate_master_size(good)
            d.validate_master_resize(good)
        for bad in (0, 2, 4):
            with self.assertRaises(exception.MagnumException):
                d.validate_master_size(bad)

    def test_federation_is_not_offered(self):
        d = shim_driver.Driver()
        for verb in (d.create_federation, d.update_federation,
                     d.delete_federation):
            with self.assertRaises(NotImplementedError):
                verb(self.magnum.context, None)

    def test_delete_of_a_never_applied_cluster(self):
        # A create that failed before the driver named a release: the
        # delete asks the bridge nothing and still completes.
        cluster = objects.Cluster(
            self.magnum.context, name="ghost",
            cluster_template_id=self.template.uuid,
            project_id=magnum_env.PROJECT, user_id=magnum_env.USER,
            status="CREATE_FAILED", stack_id=None)
        cluster.create()
        self.magnum.clusters.cluster_delete(self.magnum.context,
                                            cluster.uuid)
        self.assertEqual("DELETE_COMPLETE", self.magnum.sync_until(
            cluster, {"DELETE_COMPLETE"}))
        self.assertFalse(self.magnum.exists(cluster))
        self.assertEqual([], self.bridge.verbs())

    def test_a_failed_credential_deletion_is_retried_not_dropped(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        m.clusters.cluster_delete(m.context, cluster.uuid)
        # Keystone fails when the management cluster is done: the cluster
        # stays in progress and says what is left.
        magnum_env.CLOUD.fail[("DELETE", "/identity/v3/users")] = 503
        for _ in range(3):
            m.sync_once()
        row = m.reload(cluster)
        self.assertEqual("DELETE_IN_PROGRESS", row.status)
        self.assertIn("not yet deleted in OpenStack, retried at the next "
                      "status sync: application credential not deleted: ",
                      row.status_reason)
        self.assertIn("503", row.status_reason)
        self.assertTrue(any(c["name"].startswith("magnum-" + cluster.uuid)
                            for c in magnum_env.CLOUD.app_creds.values()))
        # Keystone is back: the next sync deletes it and completes.
        magnum_env.CLOUD.fail.clear()
        self.assertEqual("DELETE_COMPLETE",
                         m.sync_until(cluster, {"DELETE_COMPLETE"}))
        self.assertFalse(any(c["name"].startswith("magnum-" + cluster.uuid)
                             for c in magnum_env.CLOUD.app_creds.values()))

    def test_rotation_deletes_the_previous_owners_credential(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        first = self.bridge.last("CreateCluster").credential \
            .application_credential_id
        other = m.as_user(magnum_env.OTHER_USER)
        cluster = other.reload(cluster)
        self.driver_for(cluster).rotate_credential(other.context, cluster)
        # The replaced credential was the first owner's, not the caller's.
        self.assertIn(first, magnum_env.CLOUD.deleted_app_creds)
        self.assertIsNone(m.reload(cluster).status_reason)


class NodeGroupFieldsTest(unittest.TestCase):
    """Fields newer Magnum objects carry (API 1.14 node labels and taints),
    read from objects shaped like master's."""

    def test_a_taint_without_a_value_is_sent_empty(self):
        from types import SimpleNamespace
        from magnum_capi_bridge import spec
        ng = SimpleNamespace(
            uuid="u", name="gpu", role="worker", node_count=0,
            min_node_count=0, max_node_count=4, is_default=False,
            node_labels={"accelerator": "a100"},
            node_taints=[{"key": "gpu", "value": None,
                          "effect": "NoSchedule"},
                         {"key": "tier", "value": "batch",
                          "effect": "NoExecute"}])
        message = spec.node_group_message(ng)
        self.assertEqual([("gpu", "", "NoSchedule"),
                          ("tier", "batch", "NoExecute")],
                         [(t.key, t.value, t.effect)
                          for t in message.node_taints])
        self.assertEqual({"accelerator": "a100"}, dict(message.node_labels))
        self.assertEqual(0, message.min_node_count)
        self.assertEqual(4, message.max_node_count)


if __name__ == "__main__":
    unittest.main()
