"""Status benchmark against the simulator holding many converged clusters.

    /usr/bin/python3 tests/bench/status_bench.py [--clusters 1000]
        [--memory-clusters 10000]

Fills the Kubernetes simulator (its store, directly: no CAPI progression)
with N clusters as the chart and the CAPI controllers leave them once
ready: Cluster, OpenStackCluster, KubeadmControlPlane, one
MachineDeployment, 1 control-plane and 2 worker Machines, and 4 addons
(HelmRelease and Manifests), spread over 10 project namespaces. Then runs
build/tests/bench/status_bench: the latency run (bridge from its watch
cache vs a client following the reference driver's request pattern), and
the memory run (RSS with all clusters cached).
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", ".."))

from tests.integration import harness  # noqa: E402
from tests.support.kube_sim import resources  # noqa: E402

NAMESPACES = 10


def cond(kind):
    return {"type": kind, "status": "True",
            "lastTransitionTime": "2026-11-21T08:00:00Z"}


def put(store, group, kind, ns, obj, status):
    resource = resources.BY_KIND[(group, kind)]
    created = store.create(resource, ns, obj)
    store.update(resource, ns, created["metadata"]["name"],
                 {"metadata": {"name": created["metadata"]["name"]},
                  "status": status}, subresource="status")


def populate(store, count):
    core_ns = resources.BY_KIND[("", "Namespace")]
    for p in range(NAMESPACES):
        store.create(core_ns, "", {"metadata": {
            "name": "magnum-proj%02d" % p}})
    for i in range(count):
        ns = "magnum-proj%02d" % (i % NAMESPACES)
        r = "bench-%05d" % i
        labels = {"cluster.x-k8s.io/cluster-name": r,
                  "capi.stackhpc.com/cluster": r}
        put(store, "cluster.x-k8s.io", "Cluster", ns, {
            "metadata": {"name": r, "labels": labels},
            "spec": {"controlPlaneEndpoint": {"host": "203.0.113.%d" % (
                i % 250 + 1), "port": 6443},
                "controlPlaneRef": {"name": r + "-control-plane"}}},
            {"phase": "Provisioned", "infrastructureReady": True,
             "conditions": [cond("Ready"), cond("ControlPlaneReady"),
                            cond("InfrastructureReady")]})
        put(store, "infrastructure.cluster.x-k8s.io", "OpenStackCluster", ns,
            {"metadata": {"name": r, "labels": labels}, "spec": {}},
            {"ready": True, "conditions": [cond("Ready")]})
        put(store, "controlplane.cluster.x-k8s.io", "KubeadmControlPlane", ns,
            {"metadata": {"name": r + "-control-plane", "labels": labels},
             "spec": {"replicas": 1, "version": "v1.34.3"}},
            {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1,
             "version": "v1.34.3", "ready": True, "initialized": True,
             "conditions": [cond(c) for c in (
                 "Available", "MachinesReady", "Ready",
                 "EtcdClusterHealthy", "ControlPlaneComponentsHealthy")]})
        md = r + "-default-worker"
        put(store, "cluster.x-k8s.io", "MachineDeployment", ns,
            {"metadata": {"name": md, "labels": labels},
             "spec": {"clusterName": r, "replicas": 2}},
            {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
             "availableReplicas": 2, "phase": "Running",
             "conditions": [cond("Ready"), cond("Available")]})
        for m, cp in (("cp-0", True), ("w-0", False), ("w-1", False)):
            mlabels = dict(labels)
            if cp:
                mlabels["cluster.x-k8s.io/control-plane"] = ""
                mlabels["cluster.x-k8s.io/control-plane-name"] = \
                    r + "-control-plane"
            else:
                mlabels["cluster.x-k8s.io/deployment-name"] = md
            put(store, "cluster.x-k8s.io", "Machine", ns,
                {"metadata": {"name": "%s-%s" % (r, m), "labels": mlabels},
                 "spec": {"clusterName": r, "version": "v1.34.3",
                          "bootstrap": {"dataSecretName": "%s-%s" % (r, m)},
                          "providerID": "openstack:///%08d-%s" % (i, m)}},
                {"phase": "Running", "bootstrapReady": True,
                 "infrastructureReady": True,
                 "nodeRef": {"kind": "Node", "name": "%s-%s" % (r, m)},
                 "addresses": [{"type": "InternalIP",
                                "address": "10.%d.%d.%d" % (
                                    i // 250 % 250, i % 250,
                                    len(m) + (0 if cp else int(m[-1])))}],
                 "conditions": [cond("Ready")]})
        for kind, addon in (("HelmRelease", "cni-calico"),
                            ("HelmRelease", "csi-cinder"),
                            ("HelmRelease", "ccm-openstack"),
                            ("Manifests", "cloud-config")):
            put(store, "addons.stackhpc.com", kind, ns,
                {"metadata": {"name": "%s-%s" % (r, addon), "labels": {
                    "addons.stackhpc.com/cluster": r}},
                 "spec": {"clusterName": r}},
                {"phase": "Deployed", "revision": 1})


def run(mode, count, extra=()):
    with harness.tempfile.TemporaryDirectory(prefix="status-bench-") as work:
        # No CAPI progression: the clusters are written converged.
        sim = harness.Simulator(work, step_seconds=3600,
                                bookmark_seconds=30, event_retention=100)
        sim.controllers.stop_event.set()
        started = time.monotonic()
        populate(sim.store, count)
        print("simulator: %d clusters (%d objects) written in %.1f s" % (
            count, len(sim.store.objects), time.monotonic() - started),
            flush=True)
        sim.start()
        try:
            bench = os.path.join(harness.BUILD, "tests", "bench",
                                 "status_bench")
            return subprocess.run(
                [bench, "--kubeconfig", sim.kubeconfig, "--mode", mode,
                 "--clusters", str(count), "--namespaces", str(NAMESPACES)] +
                list(extra)).returncode
        finally:
            sim.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--memory-clusters", type=int, default=10000)
    args = parser.parse_args()
    rc = run("latency", args.clusters)
    if rc == 0 and args.memory_clusters > 0:
        rc = run("memory", args.memory_clusters)
    return rc


if __name__ == "__main__":
    sys.exit(main())
