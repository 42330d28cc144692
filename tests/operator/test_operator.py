"""The operator's path, end to end: the `openstack` CLI (python-magnumclient's
`coe` commands) → magnum-api → RabbitMQ → magnum-conductor → the
capi-bridge driver → the bridge → helm → the management cluster.

Every service is a real process of the newest Magnum release (2026.2,
from its venv, tests/support/magnum_releases) on loopback, started and
stopped here (tests/operator/services.py): Keystone with sqlite, Debian's
RabbitMQ as a node of its own, magnum-api and magnum-conductor sharing a
sqlite database. Glance, Nova, Cinder and Neutron are the fake cloud
(tests/support/fake_cloud.py) in Keystone's catalog; the management
cluster is the simulator with CAPI played step by step
(tests/integration/harness.py). The assertions are what the operator sees
in the CLI and what landed on the management cluster. When a test fails,
every service's log is copied to <build>/operator-logs/ and their last
lines printed.

Run with the operator venv's interpreter from the repository root:
    <venv>/bin/python -m unittest -v tests.operator.test_operator
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

from tests.integration import harness
from tests.operator import services
from tests.support import fake_cloud

OPENSTACK = os.path.join(services.BIN, "openstack")
KUBE_V135_IMAGE = "7a0b5b9e-1f57-4c2e-9a41-d5c1f4f0a003"
# Bounds on waits for a state; a healthy run reaches each far sooner
# (Magnum's status sync runs every 10 s).
SETTLE = 300


class OperatorPathTest(unittest.TestCase):

    failed = False

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="operator-")
        cls.logs = os.path.join(cls.dir, "logs")
        os.makedirs(cls.logs)
        cls.running = []
        try:
            cls._start()
        except BaseException:
            cls.failed = True
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        cls.rabbit = services.RabbitMQ(cls.dir, cls.logs)
        cls.running.append(cls.rabbit)
        cls.keystone = services.Keystone(cls.dir, cls.logs)
        cls.running.append(cls.keystone)
        # RabbitMQ boots while Keystone's database is made.
        cls.rabbit.launch()
        booting = services.Background(cls.rabbit.wait)
        try:
            cls.keystone.start()
        finally:
            booting.join()
        cls.env = harness.Environment(step_seconds=0.2)
        cls.running.append(cls.env)
        cls.cloud = fake_cloud.FakeCloud(
            keystone_url=cls.keystone.auth_url).start()
        cls.running.append(cls.cloud)
        # A third image, two minor versions on: the upgrade a skip is.
        cls.cloud.images[KUBE_V135_IMAGE] = {
            "id": KUBE_V135_IMAGE, "name": "ubuntu-2204-kube-v1.35.1",
            "os_distro": "ubuntu", "kube_version": "v1.35.1"}
        cls.keystone.provision(cls.cloud)
        cls.namespace = "magnum-" + cls.keystone.demo_project_id
        cls.magnum = services.Magnum(cls.dir, cls.logs, cls.keystone,
                                     cls.rabbit.transport_url,
                                     cls.env.address)
        cls.running.append(cls.magnum)
        cls.magnum.start()
        home = os.path.join(cls.dir, "home")
        os.makedirs(home)
        base = {k: v for k, v in os.environ.items()
                if not k.startswith("OS_")}
        # SHELL as an operator's terminal has it: `cluster config`
        # chooses its export syntax from it and fails without it (CI
        # runs with no SHELL in the environment).
        base.update(HOME=home, XDG_CONFIG_HOME=home, SHELL="/bin/bash",
                    OS_AUTH_URL=cls.keystone.auth_url,
                    OS_IDENTITY_API_VERSION="3", OS_INTERFACE="public",
                    OS_REGION_NAME=services.REGION,
                    OS_USER_DOMAIN_ID="default",
                    OS_PROJECT_DOMAIN_ID="default")
        cls.user_env = dict(base, OS_USERNAME=services.DEMO_USER,
                            OS_PASSWORD=services.DEMO_PASSWORD,
                            OS_PROJECT_NAME=services.DEMO_PROJECT)
        cls.admin_env = dict(base, OS_USERNAME="admin",
                             OS_PASSWORD=services.ADMIN_PASSWORD,
                             OS_PROJECT_NAME="admin")
        # python-magnumclient as the demo user, for the waits (the CLI
        # takes seconds to start on a loaded machine).
        from keystoneauth1.identity import v3
        from keystoneauth1 import session
        from magnumclient import client as magnum_client
        cls.magnumclient = magnum_client.Client("1", session=session.Session(
            auth=v3.Password(
                auth_url=cls.keystone.auth_url,
                username=services.DEMO_USER,
                password=services.DEMO_PASSWORD,
                project_name=services.DEMO_PROJECT,
                user_domain_id="default", project_domain_id="default")),
            region_name=services.REGION, interface="public",
            api_version="latest")
        # The conductor is up when magnum-api lists it so.
        services.wait_until(cls._conductor_up, "magnum-conductor to be up",
                            SETTLE, cls.magnum.conductor.popen,
                            cls.magnum.conductor.log)

    @classmethod
    def _conductor_up(cls):
        done = cls._openstack(cls.admin_env, "coe", "service", "list",
                              "-f", "json")
        if done.returncode:
            return False
        return any(s["binary"] == "magnum-conductor" and s["state"] == "up"
                   for s in json.loads(done.stdout))

    @classmethod
    def _stop(cls):
        env = getattr(cls, "env", None)
        if env in cls.running:
            with open(os.path.join(cls.logs, "bridge.log"), "w") as f:
                f.write(env.log())
        for service in reversed(cls.running):
            try:
                service.close() if service is env else service.stop()
            except Exception as e:  # the others still stop
                print("stopping %s: %s" % (type(service).__name__, e),
                      file=sys.stderr)
        if cls.failed:
            kept = os.path.join(harness.BUILD, "operator-logs")
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(cls.logs, kept)
            for name in sorted(os.listdir(kept)):
                print(services.tail(os.path.join(kept, name), 60),
                      file=sys.stderr)
            print("the services' logs are kept in %s" % kept,
                  file=sys.stderr)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    def run(self, result=None):
        before = (len(result.failures), len(result.errors)) if result \
            else (0, 0)
        outcome = super().run(result)
        if result is None:
            return outcome
        new = result.failures[before[0]:] + result.errors[before[1]:]
        if new:
            type(self).failed = True
        # The reason now: the services' logs printed when the class ends
        # would push it out of a CI log's excerpt.
        for _, reason in new:
            print("\n%s failed:\n%s" % (self.id(), reason), file=sys.stderr)
        return outcome

    # -- the operator's tools
    @staticmethod
    def _openstack(env, *args):
        return subprocess.run([OPENSTACK] + list(args), env=env,
                              capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=SETTLE)

    def openstack(self, *args, admin=False):
        """Runs `openstack ARGS` as the demo user (or the admin); fails
        the test on a non-zero exit."""
        done = self._openstack(self.admin_env if admin else self.user_env,
                               *args)
        self.assertEqual(0, done.returncode, "openstack %s: %s%s" % (
            " ".join(args), done.stdout, done.stderr))
        return done.stdout

    def refused(self, *args):
        """Runs `openstack ARGS`, which must fail; returns what it said."""
        done = self._openstack(self.user_env, *args)
        self.assertNotEqual(0, done.returncode, "openstack %s: %s" % (
            " ".join(args), done.stdout))
        return done.stdout + done.stderr

    def show(self, cluster):
        return json.loads(self.openstack("coe", "cluster", "show", cluster,
                                         "-f", "json"))

    def cluster(self, name):
        """The cluster as python-magnumclient reads it (None once gone)."""
        from magnumclient import exceptions
        try:
            return self.magnumclient.clusters.get(name).to_dict()
        except exceptions.NotFound:
            return None

    def wait_status(self, cluster, wanted, field="status", also=None,
                    leaving=None):
        """Reads the cluster until `field` is one of `wanted` (and `also`
        holds of it) or the cluster's operation failed (a status other
        than `leaving`, the one the verb starts from); returns the
        cluster as `cluster show` shows it then."""
        deadline = time.monotonic() + SETTLE
        while True:
            shown = self.cluster(cluster)
            if shown[field] in wanted and (also is None or also(shown)):
                return self.show(cluster)
            if shown["status"].endswith("FAILED") and \
                    shown["status"] != leaving:
                return self.show(cluster)
            if time.monotonic() > deadline:
                self.fail("cluster %s stayed %s=%s (%s), wanted %s" % (
                    cluster, field, shown[field], shown["status_reason"],
                    wanted))
            time.sleep(1)

    def wait_gone(self, cluster):
        from magnumclient import exceptions
        deadline = time.monotonic() + SETTLE
        while True:
            try:
                shown = self.cluster(cluster)
            except exceptions.BadRequest as e:
                # Magnum's own status job destroys the node groups, then
                # the cluster: in between its API cannot show the cluster
                # ("Invalid input for field/attribute master_count").
                self.assertIn("master_count", str(e))
                if time.monotonic() > deadline:
                    self.fail("cluster %s: %s" % (cluster, e))
                time.sleep(0.2)
                continue
            if shown is None:
                break
            self.assertNotEqual("DELETE_FAILED", shown["status"],
                                shown["status_reason"])
            if time.monotonic() > deadline:
                self.fail("cluster %s stayed %s" % (cluster,
                                                    shown["status"]))
            time.sleep(1)
        # What the operator is told now.
        done = self._openstack(self.user_env, "coe", "cluster", "show",
                               cluster)
        self.assertNotEqual(0, done.returncode)
        self.assertIn("could not be found", done.stderr)

    # -- the management cluster
    def replicas(self, release):
        return {md["metadata"]["name"][len(release) + 1:]:
                md["spec"].get("replicas")
                for md in self.env.objects("MachineDeployment",
                                           self.namespace)
                if md["metadata"]["name"].startswith(release + "-")}

    def control_plane_versions(self):
        return [p["spec"]["version"] for p in
                self.env.objects("KubeadmControlPlane", self.namespace)]

    def release_of(self, name):
        """The helm release of cluster `name`, named after it (the CLI
        shows no `cluster_id`, which replaced `stack_id` in API 1.13)."""
        releases = [release for release in
                    self.env.names("Cluster", self.namespace)
                    if release.startswith(name + "-")]
        self.assertEqual(1, len(releases), releases)
        return releases[0]

    def release_secrets(self, uuid):
        return self.env.objects(
            "Secret", self.namespace,
            "magnum.openstack.org/cluster-uuid=" + uuid)

    def template(self, name, image, kube_tag):
        # The CLI says "Request to create cluster template ... accepted"
        # before the template itself.
        said = self.openstack(
            "coe", "cluster", "template", "create", name,
            "--coe", "kubernetes", "--image", image,
            "--external-network", "public", "--keypair", "ops-key",
            "--flavor", "m1.medium", "--master-flavor", "m1.medium",
            "--network-driver", "calico", "--master-lb-enabled",
            "--floating-ip-enabled", "--labels",
            "kube_tag=%s,capi_helm_chart_version=0.27.0" % kube_tag,
            "-f", "json")
        self.assertIn("Request to create cluster template %s" % name, said)
        return json.loads(said[said.index("{"):])

    def secret_text(self, name, key):
        for secret in self.env.objects("Secret", self.namespace):
            if secret["metadata"]["name"] == name:
                if key in secret.get("stringData", {}):
                    return secret["stringData"][key]
                return base64.b64decode(secret["data"][key]).decode()
        self.fail("no Secret %s in %s" % (name, self.namespace))

    def keystone_accepts(self, auth):
        """Whether Keystone issues a token for the cluster's application
        credential (what the cluster's cloud provider does with it)."""
        from keystoneauth1.identity import v3
        from keystoneauth1 import session
        plugin = v3.ApplicationCredential(
            auth_url=self.keystone.auth_url,
            application_credential_id=auth["application_credential_id"],
            application_credential_secret=auth[
                "application_credential_secret"])
        try:
            return bool(session.Session(auth=plugin).get_token())
        except Exception:
            return False

    def application_credentials(self):
        """The demo user's application credentials, by name."""
        return sorted(c["Name"] for c in json.loads(self.openstack(
            "application", "credential", "list", "-f", "json")))

    def nodegroup(self, name):
        from magnumclient import exceptions
        try:
            return self.magnumclient.nodegroups.get("shop", name).to_dict()
        except exceptions.NotFound:
            return None

    def wait_nodegroup(self, name, wanted):
        """Reads the node group until its status is in `wanted` (None: the
        group is gone) or failed."""
        deadline = time.monotonic() + SETTLE
        while True:
            group = self.nodegroup(name)
            status = group["status"] if group else None
            if status in wanted or (status or "").endswith("FAILED"):
                return group
            if time.monotonic() > deadline:
                self.fail("node group %s stayed %s" % (name, status))
            time.sleep(1)

    # -- the path
    def test_operator_drives_a_cluster_through_magnum_api(self):
        v133 = self.template("k8s-v1.33", fake_cloud.IMAGE_ID, "v1.33.4")
        self.assertEqual("kubernetes", v133["coe"])
        self.assertEqual("ubuntu", v133["cluster_distro"])

        said = self.openstack("coe", "cluster", "create", "shop",
                              "--cluster-template", "k8s-v1.33",
                              "--master-count", "1", "--node-count", "2",
                              "--timeout", "60")
        self.assertIn("Request to create cluster", said)

        # CREATE_IN_PROGRESS, then what CAPI reports, through Magnum's
        # periodic status sync.
        shown = self.wait_status("shop", {"CREATE_COMPLETE"})
        self.assertEqual("CREATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        uuid, release = shown["uuid"], self.release_of("shop")
        # API 1.13's `cluster_id` (python-magnumclient shows it).
        self.assertEqual(release, self.cluster("shop").get("cluster_id"))
        self.assertEqual(1, shown["master_count"])
        self.assertEqual(2, shown["node_count"])
        self.assertTrue(shown["api_address"].startswith("https://"),
                        shown["api_address"])
        self.assertEqual("v1.33.4", shown["coe_version"])
        # On the management cluster: two workers, the cluster's
        # application credential, which Keystone accepts, and its CA.
        self.assertEqual(2, self.replicas(release)["default-worker"])
        clouds = yaml.safe_load(self.secret_text(
            release + "-cloud-credentials", "clouds.yaml"))
        auth = clouds["clouds"]["openstack"]["auth"]
        self.assertTrue(self.keystone_accepts(auth))
        ca = self.secret_text(release + "-ca", "tls.crt")
        # Health from Magnum's health sync.
        shown = self.wait_status("shop", {"HEALTHY"}, field="health_status")
        self.assertEqual("HEALTHY", shown["health_status"],
                         shown.get("health_status_reason"))
        self.assertEqual(["v1.33.4"], self.control_plane_versions())

        # Resize the default worker group.
        said = self.openstack("coe", "cluster", "resize", "shop", "3")
        self.assertIn("Request to resize cluster", said)
        shown = self.wait_status("shop", {"UPDATE_COMPLETE"},
                                 also=lambda c: c["node_count"] == 3)
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        self.assertEqual(3, shown["node_count"])
        self.assertEqual(3, self.replicas(release)["default-worker"])

        # The older way to scale, `cluster update` (a PATCH of node_count).
        said = self.openstack("coe", "cluster", "update", "shop", "replace",
                              "node_count=4")
        self.assertIn("Request to update cluster shop", said)
        # Magnum's conductor saves the new count a moment before the
        # driver marks the cluster UPDATE_IN_PROGRESS, so it may still
        # read UPDATE_COMPLETE with 4 nodes: wait for the management
        # cluster first.
        self.env.wait_for(
            lambda: self.replicas(release)["default-worker"] == 4,
            timeout=SETTLE, what="4 workers on the management cluster")
        shown = self.wait_status("shop", {"UPDATE_COMPLETE"},
                                 also=lambda c: c["node_count"] == 4)
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])

        # A node group comes and goes.
        said = self.openstack("coe", "nodegroup", "create", "shop", "gpu",
                              "--node-count", "1", "--flavor", "m1.large")
        self.assertIn("Request to create nodegroup", said)
        self.wait_nodegroup("gpu", {"CREATE_COMPLETE"})
        group = json.loads(self.openstack("coe", "nodegroup", "show", "shop",
                                          "gpu", "-f", "json"))
        self.assertEqual("CREATE_COMPLETE", group["status"],
                         group["status_reason"])
        self.assertEqual(1, group["node_count"])
        self.assertEqual("worker", group["role"])
        shown = self.wait_status("shop", {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        self.assertEqual(1, self.replicas(release)["gpu"])

        # A resize of that group alone.
        said = self.openstack("coe", "cluster", "resize", "shop", "2",
                              "--nodegroup", "gpu")
        self.assertIn("Request to resize cluster", said)
        group = self.wait_nodegroup("gpu", {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", group["status"],
                         group["status_reason"])
        self.assertEqual(2, group["node_count"])
        shown = self.wait_status("shop", {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        self.assertEqual({"default-worker": 4, "gpu": 2},
                         self.replicas(release))

        # Node labels and taints (API 1.14, Magnum 2026.2), set with the
        # CLI's JSON patch: the group's new nodes join with them. Magnum's
        # patch takes only text or numbers as values and reads these two
        # as Python literals, so the operator writes them in Python's
        # quotes (JSON's would be parsed by the CLI and refused).
        said = self.openstack(
            "coe", "nodegroup", "update", "shop", "gpu", "replace",
            "node_labels={'accelerator': 'a100'}",
            "node_taints=[{'key': 'dedicated', 'value': 'gpu', "
            "'effect': 'NoSchedule'}]")
        self.assertIn("Request to update nodegroup gpu", said)
        # The group reads UPDATE_COMPLETE from the resize until the
        # conductor takes the update: wait for what helm applied first.

        def applied_gpu():
            return [group for group in self.env.applied_values(
                release, self.namespace)["nodeGroups"]
                if group["name"] == "gpu"][0]
        self.env.wait_for(lambda: "nodeLabels" in applied_gpu(),
                          timeout=SETTLE, what="the labels applied")
        gpu = applied_gpu()
        self.assertEqual({"accelerator": "a100"}, gpu["nodeLabels"])
        self.assertEqual([{"key": "dedicated", "value": "gpu",
                           "effect": "NoSchedule"}],
                         gpu["kubeadmConfigSpec"]["joinConfiguration"][
                             "nodeRegistration"]["taints"])
        group = self.wait_nodegroup("gpu", {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", group["status"],
                         group["status_reason"])
        shown = self.wait_status("shop", {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        listed = json.loads(self.openstack("coe", "nodegroup", "list",
                                           "shop", "-f", "json"))
        self.assertEqual({"default-master", "default-worker", "gpu"},
                         {g["name"] for g in listed})
        said = self.openstack("coe", "nodegroup", "delete", "shop", "gpu")
        self.assertIn("Request to delete nodegroup gpu", said)
        self.assertIsNone(self.wait_nodegroup("gpu", {None}))
        shown = self.wait_status("shop", {"UPDATE_COMPLETE"})
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        self.assertNotIn("gpu", self.replicas(release))

        # An upgrade of one minor version, to a template with its image.
        v134 = self.template("k8s-v1.34", fake_cloud.IMAGE_V2_ID, "v1.34.3")
        said = self.openstack("coe", "cluster", "upgrade", "shop",
                              "k8s-v1.34")
        self.assertIn("Request to upgrade cluster shop", said)
        shown = self.wait_status(
            "shop", {"UPDATE_COMPLETE"},
            also=lambda c: c["coe_version"] == "v1.34.3")
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        self.assertEqual("v1.34.3", shown["coe_version"])
        self.assertEqual(v134["uuid"], shown["cluster_template_id"])
        self.assertEqual(["v1.34.3"], self.control_plane_versions())

        # `cluster config`: a kubeconfig for the API address, trusting
        # the cluster's CA, with a certificate Magnum signed.
        config_dir = os.path.join(self.dir, "kubeconfig")
        os.makedirs(config_dir)
        said = self.openstack("coe", "cluster", "config", "shop",
                              "--dir", config_dir)
        self.assertIn("export KUBECONFIG=", said)
        with open(os.path.join(config_dir, "config")) as f:
            kubeconfig = yaml.safe_load(f)
        cluster = kubeconfig["clusters"][0]["cluster"]
        self.assertEqual(shown["api_address"], cluster["server"])
        self.assertEqual(ca.strip(), base64.b64decode(
            cluster["certificate-authority-data"]).decode().strip())
        user = kubeconfig["users"][0]["user"]
        self.assertIn("client-certificate-data", user)

        # `ca show`: the CA the cluster trusts. `ca rotate` is refused as
        # a bad request that names why, and changes nothing.
        self.assertEqual(ca.strip(), self.openstack(
            "coe", "ca", "show", "shop").strip())
        said = self.refused("coe", "ca", "rotate", "shop")
        self.assertIn("Rotating the CA certificate of cluster %s is not "
                      "supported by the capi-bridge driver" % uuid, said)
        self.assertIn("(HTTP 400)", said)
        self.assertNotIn("Remote error", said)
        self.assertEqual(ca.strip(), self.openstack(
            "coe", "ca", "show", "shop").strip())
        self.assertEqual(ca, self.secret_text(release + "-ca", "tls.crt"))
        shown = self.show("shop")
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])

        # `credential rotate`: the cluster's services get a new
        # application credential; Keystone refuses the old one.
        said = self.openstack("coe", "credential", "rotate", "shop")
        self.assertIn("Request to rotate credentials for cluster %s "
                      "accepted" % uuid, said)
        clouds = yaml.safe_load(self.secret_text(
            release + "-cloud-credentials", "clouds.yaml"))
        rotated = clouds["clouds"]["openstack"]["auth"]
        self.assertNotEqual(auth["application_credential_id"],
                            rotated["application_credential_id"])
        self.assertTrue(self.keystone_accepts(rotated))
        self.assertFalse(self.keystone_accepts(auth))
        shown = self.show("shop")
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        auth = rotated

        # Delete: gone from Magnum once the management cluster is clean;
        # the credential is gone from Keystone.
        said = self.openstack("coe", "cluster", "delete", "shop")
        self.assertIn("Request to delete cluster shop", said)
        self.wait_gone("shop")
        self.assertNotIn(release, self.env.names("Cluster", self.namespace))
        self.assertEqual([], self.release_secrets(uuid))
        self.assertFalse(self.keystone_accepts(auth))
        self.assertEqual({}, self.cloud.server_groups)

    def test_a_bad_label_fails_the_create_and_leaves_nothing(self):
        self.template("bad-v1.33", fake_cloud.IMAGE_ID, "v1.33.4")
        credentials_before = self.application_credentials()
        said = self.openstack("coe", "cluster", "create", "bad",
                              "--cluster-template", "bad-v1.33",
                              "--merge-labels", "--labels",
                              "monitoring_enabled=maybe")
        self.assertIn("Request to create cluster", said)
        # Magnum's API accepts a create before the driver sees it; the
        # conductor records the bridge's refusal, which names the label,
        # the value and what is accepted.
        shown = self.wait_status("bad", {"CREATE_FAILED"})
        self.assertEqual("CREATE_FAILED", shown["status"])
        self.assertIn("capi-bridge refused CreateCluster (INVALID_ARGUMENT",
                      shown["status_reason"])
        self.assertIn("monitoring_enabled", shown["status_reason"])
        self.assertIn("maybe", shown["status_reason"])
        # Nothing applied: no release, no Secret, and the application
        # credential made for it is gone again.
        self.assertEqual([], [name for name in self.env.names(
            "Cluster", self.namespace) if name.startswith("bad-")])
        self.assertEqual([], self.release_secrets(shown["uuid"]))
        self.assertEqual(credentials_before, self.application_credentials())

        self.openstack("coe", "cluster", "delete", "bad")
        self.wait_gone("bad")

    def test_refused_upgrade_tells_the_operator_why(self):
        v133 = self.template("edge-v1.33", fake_cloud.IMAGE_ID, "v1.33.4")
        self.template("edge-v1.35", KUBE_V135_IMAGE, "v1.35.1")
        self.openstack("coe", "cluster", "create", "edge",
                       "--cluster-template", "edge-v1.33",
                       "--master-count", "1", "--node-count", "1")
        shown = self.wait_status("edge", {"CREATE_COMPLETE"})
        self.assertEqual("CREATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        release = self.release_of("edge")
        revision = self.env.helm_revision(release, self.namespace)

        # A skip of a minor version: the CLI says the bridge refused it and
        # applied nothing, as a conflict (409), not a server error (Magnum's
        # API gives the CLI the error's text up to its first full stop);
        # Magnum's conductor marks the cluster UPDATE_FAILED (it does on any
        # driver error but NotSupported) with the whole reason; nothing is
        # applied.
        said = self.refused("coe", "cluster", "upgrade", "edge",
                            "edge-v1.35")
        self.assertIn("capi-bridge refused UpgradeCluster "
                      "(FAILED_PRECONDITION: not possible in the cluster's "
                      "present state; nothing was applied) (HTTP 409)", said)
        self.assertNotIn("Remote error", said)
        shown = self.show("edge")
        self.assertEqual("UPDATE_FAILED", shown["status"])
        self.assertIn("capi-bridge refused UpgradeCluster",
                      shown["status_reason"])
        self.assertIn("skips a minor version", shown["status_reason"])
        self.assertEqual("v1.33.4", shown["coe_version"])
        self.assertEqual(v133["uuid"], shown["cluster_template_id"])
        self.assertEqual(revision,
                         self.env.helm_revision(release, self.namespace))

        # Magnum allows a resize from UPDATE_FAILED, which completes.
        self.openstack("coe", "cluster", "resize", "edge", "2")
        shown = self.wait_status("edge", {"UPDATE_COMPLETE"},
                                 also=lambda c: c["node_count"] == 2,
                                 leaving="UPDATE_FAILED")
        self.assertEqual("UPDATE_COMPLETE", shown["status"],
                         shown["status_reason"])
        self.assertEqual(2, self.replicas(release)["default-worker"])

        self.openstack("coe", "cluster", "delete", "edge")
        self.wait_gone("edge")


if __name__ == "__main__":
    unittest.main()
