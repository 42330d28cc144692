"""Shared set-up of the integration tests: the simulator with the stand-in
chart in a local chart repository, the real helm binary, and the bridge
server configured against them.

CAPI_BRIDGE_KUBE chooses the management cluster: `sim` (the default) is the
simulator; `real-v1beta1` a real kube-apiserver with Cluster API v1.10's
CRDs (and CAPO's, the addon provider's), CAPI's status played by the test
(tests/support/kube_real/); `real-v1beta2` the same with Cluster API
v1.13's CRDs (v1beta2 stored, v1beta1 served), converted by CAPI's own
managers. Tests that need what only the simulator has
(fault injection, its request counters) are marked `simulator_only`."""

import base64
import copy
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
HELM = os.environ.get("CAPI_BRIDGE_HELM",
                      os.path.join(ROOT, ".tools", "bin", "helm"))
SERVER = os.path.join(BUILD, "server", "capi-bridge-server")
CLI = os.path.join(BUILD, "client", "capi-bridge")
STAND_IN_CHART = os.path.join(ROOT, "tests", "support", "charts",
                              "openstack-cluster")
EXAMPLE_SPEC = os.path.join(ROOT, "client", "examples", "cluster.yaml")
# Test-only CAs (tests/unit/rules/testdata/).
TESTDATA = os.path.join(ROOT, "tests", "unit", "rules", "testdata")

sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(ROOT, "driver_shim"))
sys.path.insert(0, ROOT)

import grpc  # noqa: E402
from magnum_capi_bridge.pb import cluster_spec_pb2  # noqa: E402,F401
from magnum_capi_bridge.pb import driver_pb2  # noqa: E402
from magnum_capi_bridge.pb import driver_pb2_grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from tests.support.kube_sim import Simulator  # noqa: E402
from tests.support.kube_sim import resources  # noqa: E402

KUBE = os.environ.get("CAPI_BRIDGE_KUBE", "sim")
REAL_GENERATIONS = {"real-v1beta1": "v1beta1", "real-v1beta2": "v1beta2"}
if KUBE != "sim" and KUBE not in REAL_GENERATIONS:
    raise RuntimeError("CAPI_BRIDGE_KUBE=%s: expected sim or one of %s" % (
        KUBE, ", ".join(sorted(REAL_GENERATIONS))))
REAL = KUBE in REAL_GENERATIONS
if REAL:
    from tests.support.kube_real import apiserver as kube_real_api  # noqa
    from tests.support.kube_real.management import Management  # noqa
    _MISSING = kube_real_api.tools_missing(REAL_GENERATIONS[KUBE])
    if _MISSING:
        raise RuntimeError("CAPI_BRIDGE_KUBE=%s: %s" % (KUBE, _MISSING))


def simulator_only(reason):
    """Skips a test (or a class) on the real API server: `reason` says
    what of the simulator's it needs."""
    return unittest.skipIf(REAL, "simulator only (%s): %s" % (KUBE, reason))


def package_charts(directory, versions):
    """Packages the stand-in chart at each version and indexes the repo."""
    for version in versions:
        subprocess.run([HELM, "package", STAND_IN_CHART, "--version", version,
                        "-d", directory], check=True, capture_output=True)
    subprocess.run([HELM, "repo", "index", directory], check=True,
                   capture_output=True)


def example_spec(**changes):
    """The example ClusterSpec as a proto, with a fresh identity."""
    with open(EXAMPLE_SPEC) as f:
        doc = yaml.safe_load(f)
    doc["cluster"]["stack_id"] = ""
    for path, value in changes.items():
        target = doc
        keys = path.split(".")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    spec = cluster_spec_pb2.ClusterSpec()
    json_format.ParseDict(_stringify_labels(doc), spec)
    return spec


def _stringify_labels(doc):
    doc = copy.deepcopy(doc)
    for holder in (doc.get("cluster", {}), doc.get("template", {})):
        if "labels" in holder:
            holder["labels"] = {k: str(v).lower() if isinstance(v, bool)
                                else str(v)
                                for k, v in holder["labels"].items()}
    for ng in doc.get("node_groups", []):
        for key in ("flavor_id",):
            if key in ng:
                ng[key] = str(ng[key])
    for flavor in doc.get("facts", {}).get("flavors", {}).values():
        flavor["id"] = str(flavor["id"])
    return doc


def credential(number=1):
    return cluster_spec_pb2.CredentialMaterial(
        application_credential_id="ac-%04d" % number,
        application_credential_secret="app-cred-secret-%04d-Zx9" % number,
        ca_bundle="-----BEGIN CERTIFICATE-----\nMIIB\n"
                  "-----END CERTIFICATE-----\n")


class Environment:
    """Simulator + chart repository + bridge server, started together."""

    def __init__(self, step_seconds=0.2, chart_versions=("0.27.0",),
                 extra_config="", oci=False, helm=HELM, helm_timeout=60,
                 kill_grace=30, management_config=""):
        """`oci`: the bridge takes the chart from the simulator's OCI
        registry instead of its HTTP chart repository. `helm`: the helm
        binary the bridge runs; `helm_timeout` and `kill_grace` its
        helm.timeout_seconds and helm.kill_grace_seconds;
        `management_config`: more lines of the management section."""
        self.tmp = tempfile.TemporaryDirectory(prefix="bridge-it-")
        self.dir = self.tmp.name
        charts = os.path.join(self.dir, "charts")
        os.makedirs(charts)
        package_charts(charts, chart_versions)
        if REAL:
            # `sim` is then the real management cluster in the simulator's
            # shape (tests/support/kube_real/management.py).
            self.sim = Management(self.dir, REAL_GENERATIONS[KUBE],
                                  step_seconds=step_seconds,
                                  chart_dir=charts, teardown_steps=2,
                                  helm=HELM).start()
        else:
            self.sim = Simulator(os.path.join(self.dir),
                                 step_seconds=step_seconds,
                                 chart_dir=charts, teardown_steps=2).start()
        try:
            self.config_path = os.path.join(self.dir, "bridge.yaml")
            with open(self.config_path, "w") as f:
                f.write("listen: 127.0.0.1:0\ninsecure: true\n"
                        "chart:\n%s"
                        "management:\n  kubeconfig: %s\n"
                        "  deletion_poll_seconds: 1\n"
                        "  max_attempts: 4\n%s"
                        "helm:\n  binary: %s\n  cache_dir: %s\n  "
                        "timeout_seconds: %d\n  kill_grace_seconds: %d\n%s" % (
                            ("  repo: \"\"\n  name: %s/openstack-cluster\n" %
                             self.sim.oci_url) if oci else
                            "  repo: %s\n" % self.sim.chart_url,
                            self.sim.kubeconfig, management_config, helm,
                            os.path.join(self.dir, "cache"), helm_timeout,
                            kill_grace, extra_config))
            # The server's log goes to a file: a pipe nobody drains would block
            # it once full, and tests read the log lines.
            self.log_path = os.path.join(self.dir, "server.log")
            open(self.log_path, "w").close()
            self.ops_url = ""
            self.replicas = []
            self.start_server(ops="ops_listen:" in extra_config)
        except BaseException:
            self.sim.stop()
            raise

    def start_server(self, ops=False):
        """Starts (or starts again) the bridge on the same config; its log
        lines are appended to the same file."""
        with open(self.log_path, "a") as log:
            self.server = subprocess.Popen(
                [SERVER, "--config", self.config_path],
                stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.server.stdout.readline()
        match = re.search(r"listening on (\S+)", line)
        if not match:
            self.server.kill()
            raise RuntimeError("bridge did not start: %r %s" % (
                line, self.log()))
        self.address = match.group(1)
        if ops:
            found = re.search(r"ops endpoint on (\S+)",
                              self.server.stdout.readline())
            self.ops_url = "http://" + found.group(1) if found else ""
        self.channel = grpc.insecure_channel(self.address)
        self.stub = driver_pb2_grpc.ClusterDriverStub(self.channel)

    def replica(self, *sets):
        """Another bridge on the same config and management cluster (a
        second replica), with `sets` as --set overrides; returns its stub.
        Stopped by close()."""
        argv = [SERVER, "--config", self.config_path]
        for override in sets:
            argv += ["--set", override]
        with open(self.log_path, "a") as log:
            process = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                       stderr=log, text=True)
        match = re.search(r"listening on (\S+)", process.stdout.readline())
        if not match:
            process.kill()
            raise RuntimeError("replica did not start: %s" % self.log())
        channel = grpc.insecure_channel(match.group(1))
        self.replicas.append((process, channel))
        return driver_pb2_grpc.ClusterDriverStub(channel)

    def create_cluster(self, uuid, name):
        """A cluster created the normal way: (spec with its stack_id set,
        the reply)."""
        spec = example_spec(**{"cluster.uuid": uuid, "cluster.name": name})
        created = self.stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=spec, credential=credential(1)), timeout=120)
        spec.cluster.stack_id = created.release_name
        return spec, created

    def install_as_another_driver(self, release, namespace, values_json,
                                  version="0.27.0"):
        """What magnum-capi-helm does to create a cluster: apply the
        namespace, then `helm upgrade --install` with the values as JSON on
        stdin (helm describes the revision "Install complete")."""
        self.sim.store.apply(
            resources.BY_KIND[("", "Namespace")], "", namespace,
            {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": namespace}}, "magnum", True)
        home = os.path.join(self.dir, "other-driver-helm")
        subprocess.run(
            [HELM, "upgrade", release, "openstack-cluster",
             "--history-max", "10", "--install", "--output", "json",
             "--timeout", "5m", "--values", "-", "--namespace", namespace,
             "--repo", self.sim.chart_url, "--version", version,
             "--kubeconfig", self.sim.kubeconfig],
            input=values_json, text=True, check=True, capture_output=True,
            env=dict(os.environ, HELM_CACHE_HOME=home, HELM_CONFIG_HOME=home,
                     HELM_DATA_HOME=home))

    def kill_server(self):
        """kill -9 of the bridge, as a node failure or OOM kill does."""
        self.channel.close()
        self.server.kill()
        self.server.wait()
        self.server.stdout.close()

    def close(self):
        for process, channel in self.replicas:
            channel.close()
            process.terminate()
            process.wait(timeout=20)
            process.stdout.close()
        self.channel.close()
        self.server.terminate()
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.server.kill()
        self.server.stdout.close()
        self.stderr = self.log()
        self.sim.stop()
        self.tmp.cleanup()

    def log(self):
        """Everything the server has logged so far."""
        with open(self.log_path) as log:
            return log.read()

    # -- management-cluster views
    def objects(self, kind, namespace, selector=""):
        group = {"Cluster": "cluster.x-k8s.io",
                 "MachineDeployment": "cluster.x-k8s.io",
                 "Machine": "cluster.x-k8s.io",
                 "KubeadmControlPlane": "controlplane.cluster.x-k8s.io",
                 "HelmRelease": "addons.stackhpc.com",
                 "Secret": "", "Namespace": ""}[kind]
        resource = resources.BY_KIND[(group, kind)]
        return self.sim.store.list(resource, namespace, selector)["items"]

    def names(self, kind, namespace, selector=""):
        return sorted(o["metadata"]["name"]
                      for o in self.objects(kind, namespace, selector))

    def release_record(self, release, namespace):
        """Helm's record of the release's latest revision (the JSON it
        keeps, gzipped, in its release Secret)."""
        secrets = self.objects("Secret", namespace,
                               "owner=helm,name=%s" % release)
        latest = max(secrets, key=lambda s: int(
            s["metadata"]["labels"]["version"]))
        return json.loads(gzip.decompress(base64.b64decode(
            base64.b64decode(latest["data"]["release"]))))

    def applied_values(self, release, namespace):
        """The values helm applied in the release's latest revision."""
        return self.release_record(release, namespace).get("config") or {}

    def helm_revision(self, release, namespace):
        secrets = self.objects("Secret", namespace,
                               "owner=helm,name=%s" % release)
        return max([int(s["metadata"]["labels"]["version"])
                    for s in secrets] or [0])

    def wait_for(self, predicate, timeout=120, what="condition"):
        """Waits until `predicate()` holds; `timeout` only stops a hang
        (a loaded 2-core CI machine may take far longer than here)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s" % what)

    def cluster_ready(self, release, namespace):
        for c in self.objects("Cluster", namespace):
            if c["metadata"]["name"] == release:
                return any(x["type"] == "Ready" and x["status"] == "True"
                           for x in c.get("status", {}).get("conditions", []))
        return False

    def requests_seen(self):
        """Requests the simulator has served so far (all kinds)."""
        if REAL:
            raise unittest.SkipTest("simulator only: counts its requests")
        return self.sim.stats.snapshot()["total"]

    def fault(self, **spec):
        """Faults by name (tests/support/kube_sim/server.py). On the real
        API server only the played controllers' (`capi`) exist: a test
        asking the API itself to misbehave is skipped there."""
        if REAL:
            api_faults = sorted(k for k in spec if k not in ("capi", "clear"))
            if api_faults:
                raise unittest.SkipTest(
                    "simulator only: the API server's faults (%s)" %
                    ", ".join(api_faults))
            for name, value in spec.get("capi", {}).items():
                self.sim.controllers.inject(name, value)
            return
        import json
        import ssl
        import urllib.request
        context = ssl.create_default_context(cafile=self.sim.ca_file)
        request = urllib.request.Request(
            self.sim.url + "/sim/faults", data=json.dumps(spec).encode(),
            headers={"Authorization": "Bearer " + self.sim.token,
                     "Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, context=context).read()


__all__ = ["driver_pb2", "grpc", "json_format", "resources", "Environment",
           "example_spec", "credential", "simulator_only", "REAL", "KUBE",
           "CLI", "HELM", "TESTDATA"]
