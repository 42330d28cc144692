"""`magnum-capi-bridge-diff` as an operator runs it: the console script
pip installed from the shim's wheel into the Magnum release's
interpreter, reading magnum.conf, Magnum's database and the cloud through
Magnum's own clients (an admin context from [keystone_auth]), asking the
bridge's DiffCluster. The tool's `run()` is tested end to end elsewhere;
this runs the installed command, which is where start-up breaks."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests.shim import magnum_env
from tests.shim import fake_bridge
from tests.support import fake_cloud

from magnum_capi_bridge.pb import driver_pb2

# A child that writes one template and one cluster with its node groups
# into the database file, with Magnum's objects.
SEED = """
import json, os, sys
sys.path.insert(0, %(root)r)
os.environ["CAPI_SHIM_DB"] = %(url)r
from tests.shim import magnum_env
from magnum import objects
m = magnum_env.Magnum()
template = m.create_template()
cluster = objects.Cluster(
    m.context, name="shop", cluster_template_id=template.uuid,
    project_id=magnum_env.PROJECT, user_id=magnum_env.USER,
    keypair="ops-key", labels=dict(template.labels),
    master_flavor_id="f-medium", flavor_id="f-medium",
    status="CREATE_COMPLETE", stack_id="shop-a1b2c3d4e5f6",
    master_lb_enabled=True, floating_ip_enabled=True, create_timeout=60)
cluster.create()
for name, role, count in (("default-master", "master", 1),
                          ("default-worker", "worker", 2)):
    objects.NodeGroup(
        m.context, name=name, cluster_id=cluster.uuid,
        project_id=magnum_env.PROJECT, role=role, node_count=count,
        min_node_count=0, flavor_id="f-medium", labels=dict(cluster.labels),
        image_id=template.image_id, is_default=True,
        status="CREATE_COMPLETE").create()
print(json.dumps({"uuid": cluster.uuid}))
"""


class DiffingBridge(fake_bridge.FakeBridge):
    """Answers DiffCluster with one changed value."""

    def DiffCluster(self, request, context):
        self._enter("DiffCluster", request, context)
        reply = driver_pb2.DiffClusterResponse(
            release_name=request.spec.cluster.stack_id,
            namespace="magnum-" + request.spec.cluster.project_id,
            deployed_revision=3, deployed_chart_version="0.27.0",
            chart_version="0.27.0", changed=True)
        reply.values.add(path="nodeGroups[0].machineCount",
                         deployed_json="2", new_json="3")
        return reply


class DiffCommandTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shim-diff-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.cloud = fake_cloud.FakeCloud().start()
        self.addCleanup(self.cloud.stop)
        self.bridge = DiffingBridge()
        self.addCleanup(self.bridge.stop)

    def install(self):
        # The wheel `make shim-wheel` builds, as operators install it into
        # Magnum's interpreter.
        wheels = glob.glob(os.path.join(magnum_env.BUILD, "dist", "*.whl"))
        self.assertEqual(1, len(wheels), wheels)
        target = os.path.join(self.tmp, "site")
        out = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-index",
             "--no-deps", "--target", target, wheels[0]],
            capture_output=True, text=True, timeout=300)
        self.assertEqual(0, out.returncode, out.stderr[-3000:])
        return target

    def seed(self, url):
        out = subprocess.run(
            [sys.executable, "-c",
             SEED % {"root": magnum_env.ROOT, "url": url}],
            capture_output=True, text=True, timeout=300,
            env=dict(os.environ, CAPI_BRIDGE_BUILD_DIR=magnum_env.BUILD))
        self.assertEqual(0, out.returncode, out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])["uuid"]

    def config(self, url):
        path = os.path.join(self.tmp, "magnum.conf")
        with open(path, "w") as f:
            f.write(textwrap.dedent("""\
                [DEFAULT]
                transport_url = fake:/
                [database]
                connection = %(url)s
                [certificates]
                cert_manager_type = x509keypair
                [keystone_auth]
                auth_type = password
                auth_url = %(auth)s
                username = admin
                password = %(password)s
                project_id = %(project)s
                user_domain_id = default
                [keystone_authtoken]
                www_authenticate_uri = %(auth)s
                auth_url = %(auth)s
                [cinder_client]
                region_name = %(region)s
                [capi_bridge]
                endpoint = %(bridge)s
                insecure = true
                """) % {"url": url, "auth": self.cloud.auth_url,
                        "password": fake_cloud.PASSWORDS["admin"][1],
                        "project": fake_cloud.PROJECT,
                        "region": fake_cloud.REGION,
                        "bridge": self.bridge.address})
        return path

    def test_installed_command_compares_clusters(self):
        target = self.install()
        url = "sqlite:///" + os.path.join(self.tmp, "magnum.db")
        uuid = self.seed(url)
        command = [os.path.join(target, "bin", "magnum-capi-bridge-diff"),
                   "--config-file", self.config(url)]
        env = dict(os.environ, PYTHONPATH=target,
                   XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))

        out = subprocess.run([sys.executable] + command + ["shop"],
                             capture_output=True, text=True, timeout=120,
                             env=env, cwd=self.tmp)
        # 1: the cluster would change.
        self.assertEqual(1, out.returncode, out.stdout + out.stderr[-3000:])
        self.assertIn("cluster shop (%s): release shop-a1b2c3d4e5f6" % uuid,
                      out.stdout)
        self.assertIn("value nodeGroups[0].machineCount: 2 -> 3", out.stdout)
        asked = self.bridge.last("DiffCluster").spec
        self.assertEqual(uuid, asked.cluster.uuid)
        # Facts came from the cloud through Magnum's own clients.
        self.assertEqual("v1.33.4", asked.facts.image.kube_version)
        self.assertEqual(fake_cloud.EXTERNAL_NET_ID,
                         asked.facts.external_network_id)

        out = subprocess.run(
            [sys.executable] + command + ["-o", "json", uuid, "nope"],
            capture_output=True, text=True, timeout=120, env=env,
            cwd=self.tmp)
        # 5: one cluster could not be compared; the other still was.
        self.assertEqual(5, out.returncode, out.stdout + out.stderr[-3000:])
        reports = {r["cluster"]: r for r in json.loads(out.stdout)}
        self.assertTrue(reports[uuid]["diff"]["changed"])
        self.assertIn("nope", reports["nope"]["error"])
        self.assertNotIn("Traceback", out.stderr)


if __name__ == "__main__":
    unittest.main()
