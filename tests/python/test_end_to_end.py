"""End to end: the real capi-bridge-server and capi-bridge binaries.

Starts the server on an ephemeral loopback port with the example config,
then drives it through the CLI and through the generated Python stubs (the
same stubs the driver shim uses).
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
SERVER = os.path.join(BUILD, "server", "capi-bridge-server")
CLI = os.path.join(BUILD, "client", "capi-bridge")
EXAMPLE_SPEC = os.path.join(ROOT, "client", "examples", "cluster.yaml")
EXAMPLE_CONFIG = os.path.join(ROOT, "client", "examples", "bridge.yaml")

sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(ROOT, "driver_shim"))

import grpc  # noqa: E402
from magnum_capi_bridge.pb import driver_pb2  # noqa: E402
from magnum_capi_bridge.pb import driver_pb2_grpc  # noqa: E402


def start_server(*extra):
    proc = subprocess.Popen(
        [SERVER, "--config", EXAMPLE_CONFIG, "--listen", "127.0.0.1:0",
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, KUBECONFIG="", HOME=tempfile.gettempdir() +
                 "/no-such-home"))
    line = proc.stdout.readline()
    match = re.search(r"listening on (\S+)", line)
    if not match:
        proc.kill()
        raise RuntimeError("server did not start: %r" % line)
    return proc, match.group(1)


class EndToEndTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server, cls.address = start_server()
        cls.channel = grpc.insecure_channel(cls.address)
        cls.stub = driver_pb2_grpc.ClusterDriverStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.terminate()
        cls.server.wait(timeout=20)
        cls.server.stdout.close()

    def cli(self, *args, stdin=None):
        return subprocess.run([CLI, "--insecure", "--address", self.address,
                               *args],
                              capture_output=True, text=True, input=stdin,
                              timeout=60)

    def test_render_prints_the_example_values(self):
        result = self.cli("render", "--spec", EXAMPLE_SPEC)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('kubernetesVersion: "1.34.3"\n', result.stdout)
        self.assertIn("cloudCredentialsSecretName: "
                      "shop-prod-m4tq2zk7wd3e-cloud-credentials\n",
                      result.stdout)
        self.assertIn("# release shop-prod-m4tq2zk7wd3e in namespace "
                      "magnum-4b0d7e21c9a84f5f8e6d2a1c3b9f0e77", result.stderr)

    def test_render_json_carries_overrides_and_chart_keys(self):
        result = self.cli("render", "--spec", EXAMPLE_SPEC, "-o", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        values = json.loads(result.stdout)
        self.assertEqual(values["apiServer"]["allowedCIDRs"],
                         ["10.0.0.0/24", "198.51.100.0/24"])
        # From the "all" override set of the example config.
        self.assertEqual(values["apiServer"]["logLevel"], 2)
        # The "gpu" set is not selected by the example template.
        self.assertNotIn("nvidiaGPUOperator", values["addons"])

    def test_render_for_an_older_chart_uses_its_keys(self):
        result = self.cli("render", "--spec", EXAMPLE_SPEC, "-o", "json",
                          "--chart-version", "0.23.0")
        self.assertEqual(result.returncode, 0, result.stderr)
        values = json.loads(result.stdout)
        self.assertIn("allowedCidrs", values["apiServer"])
        self.assertNotIn("allowedCIDRs", values["apiServer"])

    def test_bad_spec_lists_every_problem(self):
        with open(EXAMPLE_SPEC) as f:
            text = f.read()
        text = text.replace(
            "api_master_lb_allowed_cidrs: 10.0.0.0/24,198.51.100.0/24",
            "api_master_lb_allowed_cidrs: 10.0.0.0/33\n"
            "    auto_healing_enabled: maybe")
        result = self.cli("render", "--spec", "-", stdin=text)
        self.assertEqual(result.returncode, 1)
        self.assertIn("INVALID_ARGUMENT: 2 problems in the cluster spec",
                      result.stderr)
        self.assertIn('labels.auto_healing_enabled (cluster label): "maybe"',
                      result.stderr)
        self.assertIn('labels.api_master_lb_allowed_cidrs (cluster label): '
                      '"10.0.0.0/33"', result.stderr)
        self.assertEqual(result.stdout, "")

    def test_malformed_spec_file_is_a_usage_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("cluster:\n  nmae: x\n")
            f.flush()
            result = self.cli("render", "--spec", f.name)
        self.assertEqual(result.returncode, 2)
        self.assertIn('spec.cluster.nmae: "nmae"; accepted: a field of '
                      'Cluster', result.stderr)

    def test_health(self):
        result = self.cli("health")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), self.address + ": SERVING")

    def test_unreachable_bridge_exits_3(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        result = subprocess.run(
            [CLI, "--insecure", "--address", "127.0.0.1:%d" % port,
             "--timeout", "1", "health"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 3)
        self.assertIn("is the bridge running", result.stderr)

    def test_python_stubs_render_and_generate_a_release_name(self):
        from magnum_capi_bridge.pb import cluster_spec_pb2  # noqa: F401
        request = driver_pb2.RenderValuesRequest()
        request.spec.cluster.name = "Web Prod"
        request.spec.cluster.project_id = "p1"
        request.spec.cluster.master_flavor_id = "m1"
        request.spec.node_groups.add(name="default-master", role="master",
                                     flavor_id="m1", node_count=1)
        request.spec.node_groups.add(name="default-worker", role="worker",
                                     flavor_id="m1", node_count=1)
        facts = request.spec.facts
        facts.image.id = "8f2d6b14-5c3a-4e7f-b9d0-1a2c3e4f5a6b"
        facts.image.kube_version = "v1.34.3"
        facts.image.os_distro = "ubuntu"
        facts.flavors["m1"].ram_mb = 4096
        facts.flavors["m1"].vcpus = 2
        reply = self.stub.RenderValues(request, timeout=10)
        self.assertRegex(reply.release_name, r"^web-prod-[a-z2-7]{12}$")
        self.assertEqual(reply.namespace, "magnum-p1")
        self.assertEqual(reply.chart_version, "0.27.0")
        self.assertEqual(list(reply.applied_overrides), ["all"])
        self.assertIn("cluster.stack_id", [w.field for w in reply.warnings])
        values = json.loads(reply.values_json)
        self.assertEqual(values["nodeGroups"][0]["name"], "default-worker")

    def test_invalid_argument_code_reaches_python(self):
        request = driver_pb2.RenderValuesRequest()
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.RenderValues(request, timeout=10)
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("cluster.project_id: (missing)",
                      caught.exception.details())

    def test_lifecycle_verbs_without_a_management_cluster_say_why(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.CreateCluster(driver_pb2.CreateClusterRequest(),
                                    timeout=10)
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("no management cluster is configured",
                      caught.exception.details())
        self.assertIn("management.kubeconfig", caught.exception.details())

    def test_status_without_management_cluster_says_why(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.GetClusterStatus(driver_pb2.GetClusterStatusRequest(),
                                       timeout=10)
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("no management cluster is configured",
                      caught.exception.details())

    def test_reflection_lists_the_services(self):
        # grpc.reflection.v1alpha ServerReflectionRequest{list_services: ""}
        # is field 7 (string) = b"\x3a\x00"; the reply names every service.
        call = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)
        replies = list(call(iter([b"\x3a\x00"]), timeout=10))
        self.assertEqual(len(replies), 1)
        self.assertIn(b"magnum.capi.bridge.v1.ClusterDriver", replies[0])
        self.assertIn(b"grpc.health.v1.Health", replies[0])


class ServerStartupTest(unittest.TestCase):

    def test_bad_config_is_refused_with_the_key_named(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("listen: 127.0.0.1:0\nflavours: {}\n")
            f.flush()
            result = subprocess.run([SERVER, "--config", f.name],
                                    capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn('flavours: "flavours"; accepted: one of the known keys',
                      result.stderr)

    def test_sigterm_stops_the_server(self):
        proc, _ = start_server()
        proc.terminate()
        self.assertEqual(proc.wait(timeout=20), 0)
        proc.stdout.close()


if __name__ == "__main__":
    unittest.main()
