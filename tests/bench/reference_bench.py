"""One Magnum status tick over the same seeded clusters with three drivers:
ours (the shim and the bridge), magnum-capi-helm and vexxhost's
magnum-cluster-api, in one magnum-conductor process, against one real
kube-apiserver.

    <2026.2-reference venv>/bin/python tests/bench/reference_bench.py
        [--clusters 1000] [--rounds 1] [--sample 100]

`make bench-reference` (tests/bench/reference_drivers.mk) makes the venv
(Magnum 2026.2 with both public drivers, pinned by 2026.2's constraints)
and passes the tools of the real API server (tests/support/kube_real).

The management cluster is the real kube-apiserver of the tests (CAPI
v1.10 / CAPO v0.13 CRDs, v1beta1) with the bridge in front of it
(tests/integration/harness, `real-v1beta1`: the bridge by its chart's
ServiceAccount). It holds N clusters as CAPI leaves them once ready, in
the shape each driver's status path reads:

- ours and magnum-capi-helm share one naming (the bridge keeps the
  reference driver's): per project namespace `magnum-<project>`, Cluster
  and OpenStackCluster `<stack_id>`, KubeadmControlPlane
  `<stack_id>-control-plane`, MachineDeployment `<stack_id>-default-worker`,
  3 Machines and 4 addons labelled `addons.stackhpc.com/cluster`
  (tests/bench/status_bench.populate). magnum-capi-helm GETs the Cluster,
  the control plane and each worker group's MachineDeployment and LISTs
  the addons (HelmRelease, Manifests, and CAAPH's HelmChartProxy, which is
  not installed: a 404 it accepts); the bridge answers from its watch
  cache.
- magnum-cluster-api keeps everything in `magnum-system`, with its own
  names (`stack_id` `kube-NNNNN`): a ClusterClass-topology Cluster (its
  worker variables `imageUUID` and `flavor`), the KubeadmControlPlane and
  MachineDeployment found by the labels `cluster.x-k8s.io/cluster-name`
  and `topology.cluster.x-k8s.io/deployment-name`, and the
  OpenStackMachines of each group, whose image and flavor it compares with
  the topology's. Each status call also takes and releases a Lease
  (`cluster-<uuid>` in `magnum-system`, sherlock's KubernetesLock).

Magnum's rows (one template per driver, naming it in the template's
`driver` field; every cluster with a control-plane group of 1 and a
default worker group of 2) are in a sqlite file, OpenStack is the fake
cloud (tests/support/fake_cloud): no driver's status path calls it.

Per driver, after a first sync to CREATE_COMPLETE (each row back to
CREATE_IN_PROGRESS first, as for every pass below):
- one call at a time, for the first `--sample` clusters: Magnum's status
  job (`ClusterUpdateJob.update_status`: Magnum's driver lookup, the
  driver's `update_cluster_status`, Magnum's notification), timed (p50,
  p95);
- K ticks of Magnum's own periodic task (`sync_cluster_status`: 2026.2
  starts one looping call, an OS thread, per cluster, all at once), timed
  until the last job is done (every row must then be CREATE_COMPLETE),
  and the API requests the API server served meanwhile (its
  `apiserver_request_total`, watches excepted) per call;
- the conductor's RSS: what importing the driver's module added (before
  any work; the bench itself has loaded grpc and the shim's client
  already), and what the process grew by during the driver's measured
  passes, after every driver had synced once (the drivers run one after
  the other in the same process: ours first).
Requests that no status call makes show in every driver's count, a few
per thousand calls: the API server's own identity Lease, and the bridge's
deletion reaper, which LISTs Secrets once per `deletion_poll_seconds` (1 s
in the tests' configuration, 10 s by default) whichever driver is busy.
Prints a table and one JSON line.
"""

import argparse
import json
import os
import re
import ssl
import statistics
import sys
import threading
import time
import urllib.request
from importlib import metadata

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)

# The real API server (CAPI v1beta1) under the bridge, before the harness
# is imported.
os.environ.setdefault("CAPI_BRIDGE_KUBE", "real-v1beta1")

from tests.bench import status_bench  # noqa: E402
from tests.integration import harness  # noqa: E402
from tests.shim import magnum_env  # noqa: E402  (configures Magnum)

from magnum import objects  # noqa: E402
from magnum.service import periodic  # noqa: E402

SYSTEM_NAMESPACE = "magnum-system"
IMAGE = "11111111-2222-4333-8444-555555555555"
FLAVOR = "f-medium"

DRIVERS = (
    # (label, entry point, stack_id format)
    ("ours (shim + bridge)", "k8s_capi_bridge_v1", "bench-%05d"),
    ("magnum-capi-helm", "k8s_capi_helm_v1", "bench-%05d"),
    ("magnum-cluster-api", "k8s_cluster_api_ubuntu", "kube-%05d"),
)


# ---- the management cluster ----------------------------------------------

def _path(api_version, plural, namespace, name="", subresource=""):
    path = "/apis/%s/namespaces/%s/%s" % (api_version, namespace, plural)
    if name:
        path += "/" + name
    if subresource:
        path += "/" + subresource
    return path


def _put(store, api_version, kind, plural, namespace, obj, status):
    obj = dict(obj, apiVersion=api_version, kind=kind)
    obj["metadata"] = dict(obj["metadata"], namespace=namespace)
    created = store.raw("POST", _path(api_version, plural, namespace), obj)
    if status:
        created["status"] = status
        store.raw("PUT", _path(api_version, plural, namespace,
                               created["metadata"]["name"], "status"),
                  created)


def _true(kind):
    return {"type": kind, "status": "True",
            "lastTransitionTime": "2026-12-05T04:00:00Z"}


CAPI = "cluster.x-k8s.io/v1beta1"
INFRA = "infrastructure.cluster.x-k8s.io/v1beta1"
KCP = "controlplane.cluster.x-k8s.io/v1beta1"
ADDONS = "addons.stackhpc.com/v1alpha1"


def _ref(api_version, kind, name):
    return {"apiVersion": api_version, "kind": kind, "name": name}


def _machine_template(cluster, name, labels):
    return {
        "metadata": {"labels": labels},
        "spec": {"clusterName": cluster, "version": "v1.34.3",
                 "bootstrap": {"dataSecretName": name},
                 "infrastructureRef": _ref(
                     INFRA, "OpenStackMachineTemplate", name)}}


def _namespace(store, name):
    store.raw("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def populate_capi_helm(store, count):
    """The objects of clusters bench-00000... as the chart and CAPI leave
    them once ready (tests/bench/status_bench.populate's shape, with what
    the real CRDs require besides), in the ten project namespaces."""
    for p in range(status_bench.NAMESPACES):
        _namespace(store, "magnum-proj%02d" % p)
    for i in range(count):
        ns = "magnum-proj%02d" % (i % status_bench.NAMESPACES)
        r = "bench-%05d" % i
        labels = {"cluster.x-k8s.io/cluster-name": r,
                  "capi.stackhpc.com/cluster": r}
        spec = {"controlPlaneEndpoint": {
                    "host": "203.0.113.%d" % (i % 250 + 1), "port": 6443},
                "controlPlaneRef": _ref(KCP, "KubeadmControlPlane",
                                        r + "-control-plane"),
                "infrastructureRef": _ref(INFRA, "OpenStackCluster", r)}
        status = {"phase": "Provisioned", "infrastructureReady": True,
                  "controlPlaneReady": True,
                  "conditions": [_true("Ready"), _true("ControlPlaneReady"),
                                 _true("InfrastructureReady")]}
        _put(store, CAPI, "Cluster", "clusters", ns,
             {"metadata": {"name": r, "labels": labels}, "spec": spec},
             status)
        spec = {"identityRef": {"cloudName": "openstack",
                                "name": r + "-cloud-credentials"}}
        _put(store, INFRA, "OpenStackCluster", "openstackclusters", ns,
             {"metadata": {"name": r, "labels": labels}, "spec": spec},
             {"ready": True, "conditions": [_true("Ready")]})
        spec = {"replicas": 1, "version": "v1.34.3", "kubeadmConfigSpec": {},
                "machineTemplate": {"infrastructureRef": _ref(
                    INFRA, "OpenStackMachineTemplate", r + "-control-plane")}}
        status = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1,
                  "unavailableReplicas": 0, "version": "v1.34.3",
                  "ready": True, "initialized": True,
                  "conditions": [_true(c) for c in (
                      "Available", "MachinesReady", "Ready",
                      "EtcdClusterHealthy", "ControlPlaneComponentsHealthy")]}
        _put(store, KCP, "KubeadmControlPlane", "kubeadmcontrolplanes", ns,
             {"metadata": {"name": r + "-control-plane", "labels": labels},
              "spec": spec}, status)
        md = r + "-default-worker"
        group = dict(labels, **{"cluster.x-k8s.io/deployment-name": md})
        spec = {"clusterName": r, "replicas": 2,
                "selector": {"matchLabels": group},
                "template": _machine_template(r, md, group)}
        status = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
                  "availableReplicas": 2, "phase": "Running",
                  "conditions": [_true("Ready"), _true("Available")]}
        _put(store, CAPI, "MachineDeployment", "machinedeployments", ns,
             {"metadata": {"name": md, "labels": labels}, "spec": spec},
             status)
        for m, cp in (("cp-0", True), ("w-0", False), ("w-1", False)):
            name = "%s-%s" % (r, m)
            mlabels = dict(labels)
            if cp:
                mlabels["cluster.x-k8s.io/control-plane"] = ""
                mlabels["cluster.x-k8s.io/control-plane-name"] = \
                    r + "-control-plane"
            else:
                mlabels["cluster.x-k8s.io/deployment-name"] = md
            spec = {"clusterName": r, "version": "v1.34.3",
                    "bootstrap": {"dataSecretName": name},
                    "infrastructureRef": _ref(INFRA, "OpenStackMachine",
                                              name),
                    "providerID": "openstack:///%08d-%s" % (i, m)}
            address = "10.%d.%d.%d" % (i // 250 % 250, i % 250,
                                       len(m) + (0 if cp else int(m[-1])))
            status = {"phase": "Running", "bootstrapReady": True,
                      "infrastructureReady": True,
                      "nodeRef": {"kind": "Node", "name": name},
                      "addresses": [{"type": "InternalIP",
                                     "address": address}],
                      "conditions": [_true("Ready")]}
            _put(store, CAPI, "Machine", "machines", ns,
                 {"metadata": {"name": name, "labels": mlabels},
                  "spec": spec}, status)
        for kind, plural, addon in (
                ("HelmRelease", "helmreleases", "cni-calico"),
                ("HelmRelease", "helmreleases", "csi-cinder"),
                ("HelmRelease", "helmreleases", "ccm-openstack"),
                ("Manifests", "manifests", "cloud-config")):
            spec = {"clusterName": r, "targetNamespace": "kube-system"}
            if kind == "HelmRelease":
                spec["chart"] = {"repo": "https://charts.example.invalid",
                                 "name": addon, "version": "1.0.0"}
            _put(store, ADDONS, kind, plural, ns,
                 {"metadata": {"name": "%s-%s" % (r, addon),
                               "labels": {"addons.stackhpc.com/cluster": r}},
                  "spec": spec},
                 {"phase": "Deployed", "revision": 1})


def populate_cluster_api(store, count):
    """The objects magnum-cluster-api's status path reads, for clusters
    kube-00000... in magnum-system, as CAPI (with ClusterClass topology)
    and CAPO leave them once ready."""
    _namespace(store, SYSTEM_NAMESPACE)
    ns = SYSTEM_NAMESPACE
    for i in range(count):
        name = "kube-%05d" % i
        labels = {"cluster.x-k8s.io/cluster-name": name}
        worker = {"class": "default-worker", "name": "default-worker",
                  "replicas": 2, "metadata": {},
                  "variables": {"overrides": [
                      {"name": "imageUUID", "value": IMAGE},
                      {"name": "flavor", "value": FLAVOR}]}}
        spec = {"controlPlaneEndpoint": {
                    "host": "203.0.113.%d" % (i % 250 + 1), "port": 6443},
                "topology": {"class": "magnum-v0.38.2", "version": "v1.34.3",
                             "controlPlane": {"replicas": 1},
                             "workers": {"machineDeployments": [worker]}}}
        status = {"phase": "Provisioned", "infrastructureReady": True,
                  "controlPlaneReady": True,
                  "conditions": [_true("Ready"), _true("ControlPlaneReady"),
                                 _true("InfrastructureReady")]}
        _put(store, CAPI, "Cluster", "clusters", ns,
             {"metadata": {"name": name, "labels": labels}, "spec": spec},
             status)
        spec = {"replicas": 1, "version": "v1.34.3", "kubeadmConfigSpec": {},
                "machineTemplate": {"infrastructureRef": _ref(
                    INFRA, "OpenStackMachineTemplate", name + "-cp")}}
        status = {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                  "unavailableReplicas": 0, "ready": True,
                  "initialized": True, "observedGeneration": 1,
                  "version": "v1.34.3", "conditions": [_true("Ready")]}
        _put(store, KCP, "KubeadmControlPlane", "kubeadmcontrolplanes", ns,
             {"metadata": {"name": name + "-cp", "labels": labels},
              "spec": spec}, status)
        group = dict(labels, **{
            "topology.cluster.x-k8s.io/deployment-name": "default-worker"})
        spec = {"clusterName": name, "replicas": 2,
                "selector": {"matchLabels": group},
                "template": _machine_template(name, name + "-w", group)}
        status = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
                  "availableReplicas": 2, "phase": "Running",
                  "observedGeneration": 1, "conditions": [_true("Ready")]}
        _put(store, CAPI, "MachineDeployment", "machinedeployments", ns,
             {"metadata": {"name": name + "-default-worker",
                           "labels": group}, "spec": spec}, status)
        for m in range(2):
            _put(store, INFRA, "OpenStackMachine", "openstackmachines", ns,
                 {"metadata": {"name": "%s-w-%d" % (name, m),
                               "labels": group},
                  "spec": {"flavor": FLAVOR, "image": {"id": IMAGE}}},
                 None)


class ApiRequests:
    """The API server's own count of the requests it served
    (apiserver_request_total), watches excepted, by verb and resource."""

    def __init__(self, api):
        self.url = api.url + "/metrics"
        self.context = ssl.create_default_context(cafile=api.ca_file)
        self.context.load_cert_chain(os.path.join(api.pki, "admin.crt"),
                                     os.path.join(api.pki, "admin.key"))

    def read(self):
        with urllib.request.urlopen(self.url, context=self.context,
                                    timeout=60) as reply:
            text = reply.read().decode()
        counts = {}
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"',
                                     line[:line.rindex("}")]))
            if not labels.get("resource") or labels.get("verb") == "WATCH":
                continue
            key = "%s %s" % (labels["verb"], labels["resource"])
            counts[key] = counts.get(key, 0) + float(line.rsplit(" ", 1)[1])
        return counts

    @staticmethod
    def since(before, after):
        out = {}
        for key, value in after.items():
            if value - before.get(key, 0) > 0:
                out[key] = value - before.get(key, 0)
        return out


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


# ---- Magnum ----------------------------------------------------------------

class Jobs:
    """Magnum's status jobs in flight (ClusterUpdateJob.update_status
    wrapped): a tick is over when its last job is."""

    lock = threading.Lock()
    running = 0

    @classmethod
    def install(cls):
        original = periodic.ClusterUpdateJob.update_status

        def counted(job):
            with cls.lock:
                cls.running += 1
            try:
                return original(job)
            finally:
                with cls.lock:
                    cls.running -= 1
        periodic.ClusterUpdateJob.update_status = counted


def seed_rows(m, template, stack_format, count):
    """Magnum's rows of `count` clusters the management cluster holds,
    in ten projects (projNN, as status_bench.populate's namespaces)."""
    clusters = []
    for i in range(count):
        project = "proj%02d" % (i % status_bench.NAMESPACES)
        cluster = objects.Cluster(
            m.context, name="%s-%05d" % (template.name, i),
            cluster_template_id=template.uuid, project_id=project,
            user_id=magnum_env.USER, keypair="ops-key",
            stack_id=stack_format % i, status="CREATE_IN_PROGRESS",
            labels=dict(template.labels), master_flavor_id=FLAVOR,
            flavor_id=FLAVOR, create_timeout=60, master_lb_enabled=True,
            floating_ip_enabled=True)
        cluster.create()
        for name, role, nodes in (("default-master", "master", 1),
                                  ("default-worker", "worker", 2)):
            objects.NodeGroup(
                m.context, name=name, cluster_id=cluster.uuid,
                project_id=project, role=role, node_count=nodes,
                min_node_count=1, flavor_id=FLAVOR, image_id=IMAGE,
                labels=dict(template.labels), is_default=True,
                status="CREATE_IN_PROGRESS").create()
        clusters.append(cluster)
    return clusters


def back_in_progress(m, clusters):
    for c in clusters:
        row = m.reload(c)
        row.status = "CREATE_IN_PROGRESS"
        row.save()


def statuses(m, clusters):
    out = {}
    for c in clusters:
        s = m.reload(c).status
        out[s] = out.get(s, 0) + 1
    return out


def periodic_tick(m):
    """Magnum's periodic sync_cluster_status once, until its last job is
    done; seconds."""
    started = time.monotonic()
    calls = m.start_sync()
    m.wait(calls)
    while Jobs.running:
        time.sleep(0.005)
    return time.monotonic() - started


def one_by_one(m, clusters, errors):
    """Each cluster's status job alone; the seconds of each."""
    seconds = []
    for c in clusters:
        row = m.reload(c)
        job = periodic.ClusterUpdateJob(m.context, row)
        started = time.perf_counter()
        try:
            job.update_status()
        except Exception as e:  # LoopingCallDone ends every job
            if type(e).__name__ != "LoopingCallDone":
                errors.append("%s: %s" % (type(e).__name__, e))
        seconds.append(time.perf_counter() - started)
    return seconds


def percentile(values, p):
    ordered = sorted(values)
    index = int(round(p / 100.0 * (len(ordered) - 1)))
    return ordered[min(len(ordered) - 1, index)]


def first_sync(m, label, clusters, bound):
    """Ticks until every cluster is CREATE_COMPLETE (the bridge's cache
    filled, the node groups complete) or `bound` seconds passed; returns
    (seconds, ticks, clusters complete)."""
    started = time.monotonic()
    ticks = 0
    while True:
        periodic_tick(m)
        ticks += 1
        done = statuses(m, clusters).get("CREATE_COMPLETE", 0)
        progress("%s: first sync, tick %d: %d of %d complete" % (
            label, ticks, done, len(clusters)))
        if done == len(clusters) or time.monotonic() - started > bound:
            return time.monotonic() - started, ticks, done
        time.sleep(0.5)


def measure(m, label, clusters, rounds, requests, sample):
    out = {"driver": label}
    # Per-call latency: each of the first `sample` clusters' jobs alone.
    some = clusters[:sample]
    back_in_progress(m, some)
    errors = []
    seconds = one_by_one(m, some, errors)
    out["calls_timed"] = len(some)
    out["call_errors"] = len(errors)
    out["call_p50_ms"] = statistics.median(seconds) * 1000
    out["call_p95_ms"] = percentile(seconds, 95) * 1000
    progress("%s: %d calls one by one, p50 %.1f ms, p95 %.1f ms, %d "
             "errors" % (label, len(some), out["call_p50_ms"],
                         out["call_p95_ms"], len(errors)))

    # The conductor's tick over every cluster; the API server's requests
    # meanwhile. A job that fails leaves its cluster in progress (Magnum
    # syncs it again next period): counted, not fatal.
    ticks = []
    complete = []
    served = {}
    for _ in range(rounds):
        back_in_progress(m, clusters)
        before = requests.read()
        ticks.append(periodic_tick(m))
        for kind, count in ApiRequests.since(before,
                                             requests.read()).items():
            served[kind] = served.get(kind, 0) + count
        complete.append(statuses(m, clusters).get("CREATE_COMPLETE", 0))
        progress("%s: tick %.1f s, %d of %d complete" % (
            label, ticks[-1], complete[-1], len(clusters)))
    calls = len(clusters) * rounds
    out["tick_seconds"] = ticks
    out["tick_complete"] = complete
    out["requests_per_call"] = sum(served.values()) / calls
    out["requests_by_kind_per_call"] = {
        k: round(v / calls, 3) for k, v in sorted(served.items())}
    progress("%s: %.2f requests per call: %s" % (
        label, out["requests_per_call"], out["requests_by_kind_per_call"]))
    out["rss_mib"] = rss_mib()
    return out


def progress(line):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), line))
    sys.stderr.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1,
                        help="ticks per driver")
    parser.add_argument("--sample", type=int, default=100,
                        help="clusters whose job is timed alone")
    parser.add_argument("--bound", type=float, default=300.0,
                        help="seconds the first sync may take per driver")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    env = harness.Environment(step_seconds=3600)
    try:
        # The clusters as CAPI leaves them once ready, written straight
        # into the API server: nothing plays CAPI meanwhile.
        env.sim.controllers.stop_event.set()
        started = time.monotonic()
        populate_capi_helm(env.sim.store, args.clusters)
        populate_cluster_api(env.sim.store, args.clusters)
        seeded = time.monotonic() - started
        progress("seeded %d clusters per shape in %.0f s" % (
            args.clusters, seeded))
        api = env.sim.api
        requests = ApiRequests(api)

        # The reference drivers' kubeconfig: the API server's admin (the
        # bridge uses its chart's ServiceAccount).
        os.environ["KUBECONFIG"] = api.kubeconfig
        # requests lets these override a session's own CA (the reference
        # drivers set the kubeconfig's there): a conductor without them.
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            os.environ.pop(name, None)
        from magnum_capi_helm import conf as capi_helm_conf  # its options
        del capi_helm_conf
        magnum_env.CONF.set_override("kubeconfig_file", api.kubeconfig,
                                     group="capi_helm")
        magnum_env.configure_bridge(env.address)
        magnum_env.patch_openstack()
        Jobs.install()
        m = magnum_env.Magnum()
        from magnum.common import context as magnum_context
        m.context = magnum_context.make_admin_context(all_tenants=True)

        # Each driver's module as Magnum's lookup imports it: the RSS
        # each adds to the conductor.
        rss_start = rss_mib()
        imported = {}
        for label, entry_point, _ in DRIVERS:
            before = rss_mib()
            found, = metadata.entry_points(group="magnum.drivers",
                                           name=entry_point)
            found.load()
            imported[label] = rss_mib() - before
        # Per driver: Magnum's rows, a first sync to CREATE_COMPLETE
        # (bounded), then the measured passes.
        runs = []
        for label, entry_point, stack_format in DRIVERS:
            template = m.create_template(
                name=entry_point.replace("_", "-"), image=IMAGE,
                driver=entry_point)
            rows = seed_rows(m, template, stack_format, args.clusters)
            before = rss_mib()
            seconds, ticks, done = first_sync(m, label, rows, args.bound)
            result = measure(m, label, rows, args.rounds, requests,
                             args.sample)
            result["first_sync"] = {"seconds": seconds, "ticks": ticks,
                                    "complete": done}
            result["rss_import_mib"] = imported[label]
            result["rss_growth_mib"] = result["rss_mib"] - before
            runs.append(result)
            # Its rows out of the next driver's ticks.
            for c in rows:
                row = m.reload(c)
                if row.status.endswith("_IN_PROGRESS"):
                    row.status = "CREATE_FAILED"
                    row.save()
    finally:
        env.close()

    print("\n%d clusters, %d ticks per driver; Magnum 2026.2 (threads), "
          "real kube-apiserver; load %.1f at the start, %.1f at the end; "
          "seeded in %.0f s; conductor RSS %.0f MiB before the drivers "
          "were imported" % (args.clusters, args.rounds, load,
                             os.getloadavg()[0], seeded, rss_start))
    print("%-22s %9s %9s %9s %18s %s" % (
        "driver", "call p50", "call p95", "requests", "tick (complete)",
        "RSS after (import, during its passes)"))
    for r in runs:
        print("%-22s %6.1f ms %6.1f ms %9.2f %18s %4.0f MiB (+%.1f, +%.1f)"
              % (r["driver"], r["call_p50_ms"], r["call_p95_ms"],
                 r["requests_per_call"],
                 ", ".join("%.1f s (%d)" % tc for tc in zip(
                     r["tick_seconds"], r["tick_complete"])),
                 r["rss_mib"], r["rss_import_mib"], r["rss_growth_mib"]))
    for r in runs:
        print("  %s: %s" % (r["driver"], ", ".join(
            "%s %.2f" % kv for kv in r["requests_by_kind_per_call"].items())
            or "no request"))
    print(json.dumps({"clusters": args.clusters, "load_start": load,
                      "load_end": os.getloadavg()[0], "seeded_seconds": seeded,
                      "rss_start_mib": rss_start,
                      "runs": runs}))


if __name__ == "__main__":
    main()
