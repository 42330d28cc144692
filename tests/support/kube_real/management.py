"""A real management cluster for the integration tests, in the shape of
the simulator (tests/support/kube_sim/simulator.py) as the tests use it:
`store`, `controllers` (the CAPI player), `kubeconfig`, `chart_url`,
`oci_url`, `chart_downloads()`, `registry_downloads()`, `autoscale()`,
`write_kubeconfig()`, `stop()`. The API is a real kube-apiserver with the
CRDs of one CAPI generation (apiserver.py); the charts are served by the
simulator's chart repository and OCI registry, whose own API is not used.
What only the simulator has (fault injection, request counters) is absent:
tests that need it are skipped on the real server.

`kubeconfig` is the bridge's: the token of the ServiceAccount the bridge's
own chart (charts/capi-bridge) creates, bound by that chart's RBAC, as in
production, so what the bridge and its helm do is authorized by the real
RBAC rules. `admin_kubeconfig` is system:masters (what the tests and "the
other driver" use)."""

import os
import subprocess

import yaml

from tests.support.kube_sim import Simulator
from tests.support.kube_sim import resources

from .apiserver import RealApiServer
from .player import CapiPlayer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BRIDGE_CHART = os.path.join(ROOT, "charts", "capi-bridge")
BRIDGE_NAMESPACE = "capi-system"
# Rights the bridge uses that charts/capi-bridge's RBAC does not grant yet,
# as this real API server finds them (none now: PATCH on Machines, for a
# resize naming the nodes to remove, was one until the chart granted it):
# granted here by a separate ClusterRole so that every other request of
# the bridge and its helm is still checked against the chart's own rules.
# Remove an entry once the chart grants it.
KNOWN_RBAC_GAPS = []
RBAC_KINDS = {"ServiceAccount": "/api/v1/namespaces/%s/serviceaccounts",
              "ClusterRole": "/apis/rbac.authorization.k8s.io/v1/"
                             "clusterroles",
              "ClusterRoleBinding": "/apis/rbac.authorization.k8s.io/v1/"
                                    "clusterrolebindings"}


class Management:

    def __init__(self, workdir, generation="v1beta1", step_seconds=0.5,
                 chart_dir=None, teardown_steps=2, helm="helm"):
        self.workdir = workdir
        self.helm = helm
        self.kubeconfig = os.path.join(workdir, "bridge-kubeconfig")
        self.generation = generation
        self.step_seconds = step_seconds
        self.teardown_steps = teardown_steps
        self.chart_dir = chart_dir
        self.api = None
        self.charts = None
        self.controllers = None

    def start(self):
        try:
            charts_dir = os.path.join(self.workdir, "chart-server")
            os.makedirs(charts_dir, exist_ok=True)
            self.charts = Simulator(charts_dir, chart_dir=self.chart_dir)
            self.charts.start()
            self.api = RealApiServer(self.generation).start()
            self._bridge_identity()
            self.controllers = CapiPlayer(
                self.api.store, self.step_seconds, self.teardown_steps,
                v1beta2=self.generation == "v1beta2")
            self.controllers.start()
        except BaseException:
            self.stop(failed=True)
            raise
        return self

    def upgrade_capi(self):
        """CAPI v1.10 -> v1.13 under the running management cluster
        (RealApiServer.upgrade): CAPI v1.13's CRDs and managers, and the
        player writes CAPI's status as v1.13's controllers do from then on.
        The objects stay stored as v1beta1 until migrate_storage()."""
        self.api.upgrade("v1beta2")
        self.generation = "v1beta2"
        self.controllers.v1beta2 = True

    def migrate_storage(self):
        """kube-storage-version-migrator's work (RealApiServer)."""
        return self.api.migrate_storage()

    @property
    def store(self):
        return self.api.store

    @property
    def admin_kubeconfig(self):
        return self.api.kubeconfig

    def _bridge_identity(self):
        """The ServiceAccount and RBAC of the bridge's chart, rendered by
        helm as a deployer installs it, and a token of that
        ServiceAccount (TokenRequest) in the bridge's kubeconfig."""
        rendered = subprocess.run(
            [self.helm, "template", "capi-bridge", BRIDGE_CHART,
             "--namespace", BRIDGE_NAMESPACE,
             "--show-only", "templates/serviceaccount.yaml",
             "--show-only", "templates/rbac.yaml"],
            check=True, capture_output=True, text=True).stdout
        store = self.api.store
        store.raw("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": BRIDGE_NAMESPACE}})
        account = None
        for doc in yaml.safe_load_all(rendered):
            if not doc:
                continue
            path = RBAC_KINDS[doc["kind"]]
            if "%s" in path:
                path %= BRIDGE_NAMESPACE
            store.raw("POST", path, doc)
            if doc["kind"] == "ServiceAccount":
                account = doc["metadata"]["name"]
        if KNOWN_RBAC_GAPS:
            store.raw("POST", RBAC_KINDS["ClusterRole"], {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "capi-bridge-known-gaps"},
                "rules": KNOWN_RBAC_GAPS})
            store.raw("POST", RBAC_KINDS["ClusterRoleBinding"], {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "capi-bridge-known-gaps"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                            "kind": "ClusterRole",
                            "name": "capi-bridge-known-gaps"},
                "subjects": [{"kind": "ServiceAccount", "name": account,
                              "namespace": BRIDGE_NAMESPACE}]})
        token = store.raw(
            "POST", "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (
                BRIDGE_NAMESPACE, account),
            {"apiVersion": "authentication.k8s.io/v1",
             "kind": "TokenRequest",
             "spec": {"expirationSeconds": 86400}})["status"]["token"]
        self.api.write_kubeconfig(self.kubeconfig, token=token)

    @property
    def chart_url(self):
        return self.charts.chart_url

    @property
    def oci_url(self):
        return self.charts.oci_url

    def chart_downloads(self):
        return self.charts.chart_downloads()

    def registry_downloads(self):
        return self.charts.registry_downloads()

    def write_kubeconfig(self, path, token=None, inline_ca=True):
        return self.api.write_kubeconfig(path, token=token)

    def autoscale(self, namespace, name, replicas):
        """What the cluster-autoscaler does to a MachineDeployment."""
        md = resources.BY_KIND[("cluster.x-k8s.io", "MachineDeployment")]
        return self.store.patch(md, namespace, name,
                                "application/merge-patch+json",
                                {"spec": {"replicas": replicas}})

    def stop(self, failed=False):
        if self.controllers is not None:
            self.controllers.stop()
            if self.controllers.thread.is_alive():
                self.controllers.thread.join(timeout=30)
        if self.api is not None:
            self.api.close(failed=failed)
        if self.charts is not None:
            self.charts.stop()
