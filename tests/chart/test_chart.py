"""The bridge's Helm chart (charts/capi-bridge) with the real helm binary:
lint, the default and a full-featured install rendered, bad values
refused by the schema, the config it writes accepted by the bridge, and
RBAC that covers every object the openstack-cluster chart makes helm
create.

Kinds come from three places: the stand-in openstack-cluster chart of the
tests rendered with values from the bridge, the list of kinds the real
chart 0.27.0 renders (its templates, written out below), and, when
CAPI_BRIDGE_OPENSTACK_CLUSTER_CHART names a checkout of the real chart
directory, that chart rendered too.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import yaml

from tests.python.test_end_to_end import (CLI, EXAMPLE_SPEC, ROOT, SERVER,
                                          start_server)
from tests.python.test_tls import make_ca, make_cert

BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
HELM = os.environ.get("CAPI_BRIDGE_HELM",
                      os.path.join(ROOT, ".tools", "bin", "helm"))
CHART = os.path.join(ROOT, "charts", "capi-bridge")
FULL_VALUES = os.path.join(ROOT, "tests", "chart", "values-full.yaml")
STAND_IN = os.path.join(ROOT, "tests", "support", "charts",
                        "openstack-cluster")

# (apiVersion, kind) -> (API group, resource) of every object
# openstack-cluster 0.27.0 (with its cluster-addons subchart) renders into
# the management cluster: charts/openstack-cluster/templates/**,
# charts/cluster-addons/templates/** at tag 0.27.0.
CHART_KINDS = {
    ("v1", "Secret"): ("", "secrets"),
    ("v1", "ServiceAccount"): ("", "serviceaccounts"),
    ("apps/v1", "Deployment"): ("apps", "deployments"),
    ("rbac.authorization.k8s.io/v1", "Role"):
        ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"):
        ("rbac.authorization.k8s.io", "rolebindings"),
    ("cluster.x-k8s.io/v1beta1", "Cluster"): ("cluster.x-k8s.io", "clusters"),
    ("cluster.x-k8s.io/v1beta1", "MachineDeployment"):
        ("cluster.x-k8s.io", "machinedeployments"),
    ("cluster.x-k8s.io/v1beta1", "MachineHealthCheck"):
        ("cluster.x-k8s.io", "machinehealthchecks"),
    ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane"):
        ("controlplane.cluster.x-k8s.io", "kubeadmcontrolplanes"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfigTemplate"):
        ("bootstrap.cluster.x-k8s.io", "kubeadmconfigtemplates"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "OpenStackCluster"):
        ("infrastructure.cluster.x-k8s.io", "openstackclusters"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "OpenStackMachineTemplate"):
        ("infrastructure.cluster.x-k8s.io", "openstackmachinetemplates"),
    ("addons.stackhpc.com/v1alpha1", "HelmRelease"):
        ("addons.stackhpc.com", "helmreleases"),
    ("addons.stackhpc.com/v1alpha1", "Manifests"):
        ("addons.stackhpc.com", "manifests"),
    ("source.toolkit.fluxcd.io/v1", "GitRepository"):
        ("source.toolkit.fluxcd.io", "gitrepositories"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"):
        ("kustomize.toolkit.fluxcd.io", "kustomizations"),
}
# What helm does with a release's objects: install, upgrade (3-way patch),
# uninstall, and reading them back.
HELM_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete"}
# The autoscaler Role the chart creates (templates/autoscaler/role.yaml):
# RBAC lets the bridge create it only if the bridge holds these rights.
AUTOSCALER_RULES = [
    ("cluster.x-k8s.io", ["machinedeployments", "machines", "machinesets",
                          "machinepools"], ["get", "list", "update",
                                            "watch"]),
    ("cluster.x-k8s.io", ["machinedeployments/scale"],
     ["get", "patch", "update"]),
]
# What the status cache lists and watches across namespaces.
WATCHED = [("cluster.x-k8s.io", "clusters"),
           ("cluster.x-k8s.io", "machinedeployments"),
           ("cluster.x-k8s.io", "machines"),
           ("controlplane.cluster.x-k8s.io", "kubeadmcontrolplanes"),
           ("infrastructure.cluster.x-k8s.io", "openstackclusters"),
           ("addons.stackhpc.com", "helmreleases"),
           ("addons.stackhpc.com", "manifests"),
           ("addons.cluster.x-k8s.io", "helmchartproxies")]


def helm(*args):
    return subprocess.run([HELM, *args], capture_output=True, text=True,
                          timeout=120)


def render(*args):
    result = helm("template", "bridge", CHART, "--namespace", "openstack",
                  *args)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and
             (name is None or d["metadata"]["name"] == name)]
    return found


def allows(rules, group, resource, verbs):
    """True when `rules` grant every verb in `verbs` on group/resource."""
    granted = set()
    for rule in rules:
        if (group in rule.get("apiGroups", []) and
                resource in rule.get("resources", [])):
            granted |= set(rule.get("verbs", []))
    return "*" in granted or set(verbs) <= granted


def kinds_of(manifest_text):
    return {(d["apiVersion"], d["kind"])
            for d in yaml.safe_load_all(manifest_text) if d}


class ChartTest(unittest.TestCase):

    def test_lint_default_and_full_values(self):
        for args in ([], ["--values", FULL_VALUES]):
            result = helm("lint", "--strict", CHART, *args)
            self.assertEqual(result.returncode, 0, result.stdout +
                             result.stderr)

    def test_default_install(self):
        docs = render()
        self.assertEqual(
            sorted(d["kind"] for d in docs),
            ["ClusterRole", "ClusterRole", "ClusterRoleBinding",
             "ClusterRoleBinding", "ConfigMap", "Deployment",
             "PodDisruptionBudget", "Service", "Service", "ServiceAccount"])
        # Two replicas (the per-cluster Lease makes them safe), one of
        # which a node drain may take at a time.
        self.assertEqual(find(docs, "Deployment")[0]["spec"]["replicas"], 2)
        self.assertEqual(
            find(docs, "PodDisruptionBudget")[0]["spec"]["maxUnavailable"], 1)
        pod = find(docs, "Deployment")[0]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(pod["securityContext"]["runAsUser"], 0)
        self.assertTrue(container["securityContext"]["readOnlyRootFilesystem"])
        self.assertFalse(
            container["securityContext"]["allowPrivilegeEscalation"])
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"],
                         "/healthz")
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"],
                         "/readyz")
        self.assertIn("memory", container["resources"]["limits"])
        # The bridge gets its grace period; the pod a little more.
        config = yaml.safe_load(
            find(docs, "ConfigMap")[0]["data"]["bridge.yaml"])
        self.assertEqual(pod["terminationGracePeriodSeconds"],
                         config["shutdown_grace_seconds"] + 15)
        self.assertEqual(config["listen"], "0.0.0.0:50051")
        self.assertNotIn("insecure", config)
        # Writable only where the bridge writes: chart cache and /tmp.
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        writable = {p for p, m in mounts.items() if not m.get("readOnly")}
        self.assertEqual(writable, {"/var/cache/capi-bridge", "/tmp"})
        self.assertEqual(config["helm"]["cache_dir"],
                         "/var/cache/capi-bridge")

    def test_full_featured_install(self):
        docs = render("--values", FULL_VALUES, "--api-versions",
                      "monitoring.coreos.com/v1/ServiceMonitor")
        kinds = sorted({d["kind"] for d in docs})
        self.assertEqual(kinds, [
            "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment",
            "NetworkPolicy", "PodDisruptionBudget", "RoleBinding", "Service",
            "ServiceAccount", "ServiceMonitor"])
        # Project rights only in the listed namespaces; nothing else
        # cluster-wide but the watch role.
        bindings = find(docs, "RoleBinding")
        self.assertEqual(sorted(b["metadata"]["namespace"] for b in bindings),
                         ["magnum-3f2a9c", "magnum-77b0e1"])
        self.assertEqual([b["roleRef"]["name"] for b in
                          find(docs, "ClusterRoleBinding")],
                         ["bridge-capi-bridge-watch"])
        pod = find(docs, "Deployment")[0]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertEqual(volumes["client-ca"]["secret"]["secretName"],
                         "magnum-conductor-ca")
        self.assertEqual(volumes["token"]["secret"]["secretName"],
                         "bridge-token")
        self.assertEqual(pod["containers"][0]["image"],
                         "registry.example.com/magnum/capi-bridge:0.1.0-rc1")
        config = yaml.safe_load(
            find(docs, "ConfigMap")[0]["data"]["bridge.yaml"])
        self.assertEqual(config["tls"]["client_ca_file"],
                         "/etc/capi-bridge/client-ca/ca.crt")
        self.assertEqual(config["auth"]["token_file"],
                         "/etc/capi-bridge/token/token")
        self.assertEqual(config["helm"]["max_concurrent"], 8)
        self.assertEqual(config["log"], {"format": "logfmt",
                                         "level": "debug"})
        self.assertEqual(find(docs, "PodDisruptionBudget")[0]["spec"]
                         ["maxUnavailable"], 1)
        monitor = find(docs, "ServiceMonitor")[0]
        self.assertEqual(monitor["spec"]["endpoints"][0]["port"], "ops")
        # It selects the ops Service, the one that has that port.
        ops = [svc for svc in find(docs, "Service")
               if all(svc["metadata"]["labels"].get(k) == v for k, v in
                      monitor["spec"]["selector"]["matchLabels"].items())]
        self.assertEqual([p["name"] for svc in ops
                          for p in svc["spec"]["ports"]], ["ops"])
        self.assertEqual(monitor["metadata"]["labels"]["release"],
                         "prometheus")
        policy = find(docs, "NetworkPolicy")[0]["spec"]
        self.assertEqual(policy["policyTypes"], ["Ingress", "Egress"])
        self.assertEqual(policy["ingress"][0]["from"],
                         [{"ipBlock": {"cidr": "10.20.0.0/16"}}])
        # A config change rolls the pods.
        other = render("--values", FULL_VALUES, "--set",
                       "config.helm.max_concurrent=2")
        annotation = "checksum/config"
        self.assertNotEqual(
            find(docs, "Deployment")[0]["spec"]["template"]["metadata"]
            ["annotations"][annotation],
            find(other, "Deployment")[0]["spec"]["template"]["metadata"]
            ["annotations"][annotation])

    def test_a_service_monitor_only_where_its_api_is_served(self):
        # Without the Prometheus Operator the install must not fail on an
        # unknown kind: the ServiceMonitor is skipped (NOTES.txt says so).
        docs = render("--values", FULL_VALUES)
        self.assertEqual(find(docs, "ServiceMonitor"), [])
        # Where it is served, it is rendered.
        self.assertEqual(len(find(render(
            "--values", FULL_VALUES, "--api-versions",
            "monitoring.coreos.com/v1/ServiceMonitor"), "ServiceMonitor")), 1)

    def test_a_load_balancer_publishes_grpc_only(self):
        docs = render("--set", "service.type=LoadBalancer")
        ports = {svc["spec"]["type"]: [p["name"] for p in svc["spec"]
                                       ["ports"]]
                 for svc in find(docs, "Service")}
        self.assertEqual(ports, {"LoadBalancer": ["grpc"],
                                 "ClusterIP": ["ops"]})

    def test_alerts_and_dashboard_query_what_the_bridge_exports(self):
        served = ("--api-versions", "monitoring.coreos.com/v1/PrometheusRule")
        on = ("--set", "prometheusRule.enabled=true",
              "--set", "grafanaDashboard.enabled=true")
        docs = render(*(on + served))
        rule = find(docs, "PrometheusRule")
        self.assertEqual(len(rule), 1)
        alerts = {r["alert"]: r for g in rule[0]["spec"]["groups"]
                  for r in g["rules"]}
        self.assertEqual(sorted(alerts), [
            "CapiBridgeHelmFailing", "CapiBridgeReleaseRecovered",
            "CapiBridgeStatusStale", "CapiBridgeVerbsFailing",
            "CapiBridgeVerbsStuck", "CapiBridgeWatchNotSynced"])
        self.assertIn("> 60", alerts["CapiBridgeStatusStale"]["expr"])
        board = find(docs, "ConfigMap")
        board = [c for c in board if c["metadata"]["name"].endswith(
            "-dashboard")][0]
        self.assertEqual(board["metadata"]["labels"]["grafana_dashboard"],
                         "1")
        dashboard = json.loads(board["data"]["capi-bridge.json"])
        exprs = [t["expr"] for panel in dashboard["panels"]
                 for t in panel["targets"]]
        exprs += [a["expr"] for a in alerts.values()]
        # Every series queried is one the bridge exports (histograms add
        # _bucket, _count and _sum).
        with open(os.path.join(ROOT, "server", "ops", "metrics.cc")) as f:
            exported = set(re.findall(r'"(capi_bridge_[a-z_]+)', f.read()))
        queried = set()
        for expr in exprs:
            queried.update(re.findall(r"capi_bridge_[a-z_]+", expr))
        unknown = {q for q in queried
                   if q not in exported and
                   re.sub(r"_(bucket|count|sum)$", "", q) not in exported}
        self.assertEqual(unknown, set())
        self.assertGreaterEqual(len(queried), 15)
        # Without the Prometheus Operator: no PrometheusRule (the install
        # would fail on an unknown kind); the dashboard ConfigMap needs
        # nothing.
        docs = render(*on)
        self.assertEqual(find(docs, "PrometheusRule"), [])
        self.assertEqual(len([c for c in find(docs, "ConfigMap")
                              if c["metadata"]["name"].endswith(
                                  "-dashboard")]), 1)

    def test_bad_values_are_refused_naming_the_field(self):
        cases = [
            (["--set", "log.format=xml"], "log.format"),
            (["--set", "service.type=ExternalName"], "service.type"),
            (["--set", "grpc.port=70000"], "grpc.port"),
            (["--set", "rbac.projectAccess=namespaces"],
             "rbac.projectNamespaces"),
            (["--set", "rbac.projectNamespaces[0]=Magnum_Bad"],
             "rbac.projectNamespaces.0"),
            (["--set", "config.listen=0.0.0.0:1"], 'config: Property name '
                                                   'of "listen"'),
            (["--set", "replica=2"], "Additional property replica"),
            (["--set", "tls.secretName="], "tls.secretName"),
            (["--set", "shutdownGraceSeconds=-5"], "shutdownGraceSeconds"),
        ]
        for args, named in cases:
            with self.subTest(args=args):
                result = helm("template", "bridge", CHART, *args)
                self.assertNotEqual(result.returncode, 0, result.stdout)
                self.assertIn(named, result.stderr)

    def test_the_bridge_accepts_the_config_the_chart_writes(self):
        workdir = tempfile.mkdtemp(prefix="chart-config-")
        self.addCleanup(shutil.rmtree, workdir)
        make_ca("ca", workdir)
        make_cert("server", "ca", "subjectAltName=DNS:bridge", workdir)
        with open(os.path.join(workdir, "token"), "w") as f:
            f.write("0123456789abcdef0123456789abcdef\n")
        for args in ([], ["--values", FULL_VALUES]):
            docs = render(*args)
            path = os.path.join(workdir, "bridge.yaml")
            with open(path, "w") as f:
                f.write(find(docs, "ConfigMap")[0]["data"]["bridge.yaml"])
            # The mounted files, moved to where this test made them.
            moved = ["tls.cert_file=server.crt", "tls.key_file=server.key"]
            with open(path) as f:
                config = yaml.safe_load(f)
            if "client_ca_file" in config["tls"]:
                moved.append("tls.client_ca_file=ca.crt")
            if "auth" in config:
                moved.append("auth.token_file=token")
            command = [SERVER, "--config", path, "--check-config"]
            for m in moved:
                command += ["--set", m]
            result = subprocess.run(command, capture_output=True, text=True,
                                    timeout=30, cwd=workdir)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("config is valid", result.stdout)


class RbacCoverageTest(unittest.TestCase):
    """The project role lets helm create, upgrade and uninstall every
    object of an openstack-cluster release; the watch role lets the status
    cache read across namespaces."""

    @classmethod
    def setUpClass(cls):
        docs = render()
        cls.project = find(docs, "ClusterRole",
                           "bridge-capi-bridge-project")[0]["rules"]
        cls.watch = find(docs, "ClusterRole",
                         "bridge-capi-bridge-watch")[0]["rules"]

    def assert_covered(self, kinds):
        for api_version, kind in sorted(kinds):
            self.assertIn((api_version, kind), CHART_KINDS,
                          "%s %s is rendered but unknown to this test" % (
                              api_version, kind))
            group, resource = CHART_KINDS[(api_version, kind)]
            self.assertTrue(allows(self.project, group, resource, HELM_VERBS),
                            "%s/%s not fully granted" % (group, resource))

    def test_every_kind_of_chart_0_27_0(self):
        self.assert_covered(CHART_KINDS.keys())

    @classmethod
    def bridge_values(cls):
        """Values the bridge renders for the example spec, plain and with
        the optional addons switched on."""
        if hasattr(cls, "_values"):
            return cls._values
        with open(EXAMPLE_SPEC) as f:
            plain = yaml.safe_load(f)
        rich = yaml.safe_load(yaml.safe_dump(plain))
        rich["template"]["labels"].update({
            "monitoring_enabled": "true", "auto_healing_enabled": "true",
            "ingress_enabled": "true", "ingress_controller": "traefik",
            "keystone_auth_enabled": "true"})
        server, address = start_server()
        cls._values = []
        try:
            for spec in (plain, rich):
                result = subprocess.run(
                    [CLI, "--insecure", "--address", address, "render",
                     "--spec", "-"], input=yaml.safe_dump(spec),
                    capture_output=True, text=True, timeout=60)
                if result.returncode != 0:
                    raise AssertionError(result.stderr)
                cls._values.append(result.stdout)
        finally:
            server.terminate()
            server.wait(timeout=20)
            server.stdout.close()
        return cls._values

    def template(self, chart):
        kinds = set()
        for values in self.bridge_values():
            result = subprocess.run(
                [HELM, "template", "demo", chart, "--values", "-"],
                input=values, capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            kinds |= kinds_of(result.stdout)
        return kinds

    def test_every_kind_the_stand_in_chart_renders(self):
        kinds = self.template(STAND_IN)
        self.assertGreaterEqual(len(kinds), 8)
        self.assert_covered(kinds)

    @unittest.skipUnless(
        os.environ.get("CAPI_BRIDGE_OPENSTACK_CLUSTER_CHART"),
        "set CAPI_BRIDGE_OPENSTACK_CLUSTER_CHART to a checkout of "
        "charts/openstack-cluster to check the real chart")
    def test_every_kind_the_real_chart_renders(self):
        kinds = self.template(
            os.environ["CAPI_BRIDGE_OPENSTACK_CLUSTER_CHART"])
        self.assertGreaterEqual(len(kinds), 12)
        self.assert_covered(kinds)

    def test_the_autoscaler_role_can_be_created(self):
        for group, resources, verbs in AUTOSCALER_RULES:
            for resource in resources:
                self.assertTrue(allows(self.project, group, resource, verbs),
                                "%s/%s %s" % (group, resource, verbs))

    def test_the_bridges_own_requests(self):
        self.assertTrue(allows(self.project, "", "secrets",
                               ["get", "list", "create", "patch", "delete",
                                "deletecollection"]))
        self.assertTrue(allows(self.watch, "", "namespaces",
                               ["get", "create", "patch"]))
        # The per-cluster Lease: taken, renewed and released by PUT.
        self.assertTrue(allows(self.project, "coordination.k8s.io", "leases",
                               ["get", "create", "update"]))
        # The operation-started annotation: a PUT of the Cluster.
        self.assertTrue(allows(self.project, "cluster.x-k8s.io", "clusters",
                               ["get", "update"]))
        for group, resource in WATCHED:
            self.assertTrue(allows(self.watch, group, resource,
                                   ["get", "list", "watch"]))
        # Cluster-wide the bridge only reads (namespaces aside).
        for rule in self.watch:
            if rule["resources"] != ["namespaces"]:
                self.assertEqual(rule["verbs"], ["get", "list", "watch"],
                                 json.dumps(rule))


if __name__ == "__main__":
    unittest.main()
