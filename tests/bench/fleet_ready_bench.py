"""The bridge's time to ready with a fleet of clusters on a real API server.

    /usr/bin/python3 tests/bench/fleet_ready_bench.py [--clusters 1000,10000]
        [--runs 1] [--page-size 500]
        [--floors sequential,concurrent,unpaged,cached]

For each N: starts the real kube-apiserver of the management-cluster tests
(tests/support/kube_real/apiserver.py; etcd from Debian, CAPI v1.10 and
CAPO v0.13 CRDs, see below), seeds N converged clusters, then

- the floor: the API server's own time to list the kinds the bridge
  watches with a plain client that reads the pages and parses nothing but
  the continue token: consistent lists (from etcd) page by page, the kinds
  one after another and all at once, unpaged, and answered from the API
  server's watch cache (resourceVersion=0, as the bridge's first list);
- the bridge: `capi-bridge-server` started on that API server, timed from
  its start until its ops endpoint's /readyz answers 200 (every kind
  listed into the watch cache), with its RSS peak (VmHWM) and steady RSS
  (5 s after ready), and the CPU seconds the bridge, the API server and
  etcd spent meanwhile (where the time goes).

Seeding: one cluster's 23 objects (Cluster, OpenStackCluster,
KubeadmControlPlane, a MachineDeployment, 3 Machines, 11 HelmReleases and
5 Manifests: openstack-cluster 0.27's default addons plus monitoring and
GPU operators as Magnum's labels turn them on) are written through the API
as the chart and the controllers write them (a create by helm's field
manager, finalizers and owner references by the controllers' field
manager, then the status subresource), so they carry the server's own
managedFields and defaults. Their stored bytes are read back from etcd
and copied for the other N-1 clusters (names, namespace and uid changed)
straight into etcd, 115 keys (five clusters) a transaction, several at once:
the API server's watch cache takes them from etcd's watch as it takes
any write. Seeding 230,000 objects through the API would take longer
than the measurement. Nothing is kept between runs: every run has its own
etcd data directory.

CAPI v1.10 (v1beta1 stored and served) rather than v1.13 (v1beta2
stored): with v1.13 the bridge reads v1beta2, the storage version, so no
conversion webhook is in its path either; v1.10 needs none of CAPI's
three managers running beside the API server, which on a small machine
would take CPU from what is measured.

Prints figures; never fails on a number.
"""

import argparse
import base64
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)

from tests.support.kube_real import apiserver as kube_real  # noqa: E402

BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
SERVER = os.path.join(BUILD, "server", "capi-bridge-server")
NAMESPACES = 10
TEMPLATE = "bench-00000"
TEMPLATE_NS = "magnum-proj00"
CAPI = "cluster.x-k8s.io"
INFRA = "infrastructure.cluster.x-k8s.io"
KCP = "controlplane.cluster.x-k8s.io"
BOOTSTRAP = "bootstrap.cluster.x-k8s.io"
ADDONS = "addons.stackhpc.com"
# The kinds the bridge watches (server/status/object_store.cc
# WatchedTypes), as (group, version, plural); the last one, CAAPH's
# HelmChartProxy, is not installed here (the bridge finds it absent).
WATCHED = [
    (CAPI, "v1beta1", "clusters"),
    (INFRA, "v1beta1", "openstackclusters"),
    (KCP, "v1beta1", "kubeadmcontrolplanes"),
    (CAPI, "v1beta1", "machinedeployments"),
    (CAPI, "v1beta1", "machines"),
    (ADDONS, "v1alpha1", "helmreleases"),
    (ADDONS, "v1alpha1", "manifests"),
]
HELM_RELEASES = [
    ("cni-calico", "tigera-operator", "https://docs.tigera.io/calico/charts",
     "v3.30.2"),
    ("ccm-openstack", "openstack-cloud-controller-manager",
     "https://kubernetes.github.io/cloud-provider-openstack", "2.34.1"),
    ("csi-cinder", "openstack-cinder-csi",
     "https://kubernetes.github.io/cloud-provider-openstack", "2.34.1"),
    ("metrics-server", "metrics-server",
     "https://kubernetes-sigs.github.io/metrics-server", "3.13.0"),
    ("node-feature-discovery", "node-feature-discovery",
     "https://kubernetes-sigs.github.io/node-feature-discovery/charts",
     "0.17.3"),
    ("nvidia-gpu-operator", "gpu-operator",
     "https://helm.ngc.nvidia.com/nvidia", "v25.3.2"),
    ("mellanox-network-operator", "network-operator",
     "https://helm.ngc.nvidia.com/nvidia", "25.4.0"),
    ("kube-prometheus-stack", "kube-prometheus-stack",
     "https://prometheus-community.github.io/helm-charts", "75.15.1"),
    ("loki-stack", "loki-stack", "https://grafana.github.io/helm-charts",
     "2.10.2"),
    ("kubernetes-dashboard", "kubernetes-dashboard",
     "https://kubernetes.github.io/dashboard", "7.13.0"),
    ("ingress-nginx", "ingress-nginx",
     "https://kubernetes.github.io/ingress-nginx", "4.13.0"),
]
MANIFESTS = ["cloud-config", "csi-cinder-storageclass",
             "kube-prometheus-stack-dashboards", "loki-stack-dashboards",
             "kube-prometheus-stack-client"]
STAMP = "2026-11-21T08:00:00Z"


def _true(kind, reason=""):
    c = {"type": kind, "status": "True", "lastTransitionTime": STAMP}
    if reason:
        c["reason"] = reason
    return c


def _ref(group, kind, name, version="v1beta1"):
    return {"apiVersion": "%s/%s" % (group, version), "kind": kind,
            "name": name, "namespace": TEMPLATE_NS}


def _chart_meta(r, extra=None):
    """What openstack-cluster's templates and helm put on every object."""
    labels = {"app.kubernetes.io/managed-by": "Helm",
              "helm.sh/chart": "openstack-cluster-0.27.0",
              "capi.stackhpc.com/cluster": r,
              "capi.stackhpc.com/managed-by": "Helm",
              "capi.stackhpc.com/infrastructure-provider": "openstack"}
    labels.update(extra or {})
    return {"labels": labels,
            "annotations": {"meta.helm.sh/release-name": r,
                            "meta.helm.sh/release-namespace": TEMPLATE_NS}}


def template_objects(r):
    """The 23 objects of one converged cluster: (group, version, plural,
    kind, body as helm creates it, what the controllers add to metadata,
    status)."""
    out = []
    cluster_owner = [{"apiVersion": "cluster.x-k8s.io/v1beta1",
                      "kind": "Cluster", "name": r,
                      "uid": str(uuid.uuid4()), "controller": False,
                      "blockOwnerDeletion": True}]
    name_label = {"cluster.x-k8s.io/cluster-name": r}

    meta = _chart_meta(r, {"capi.stackhpc.com/component": "cluster"})
    meta["name"] = r
    spec = {"clusterNetwork": {"pods": {"cidrBlocks": ["172.16.0.0/13"]},
                               "services": {"cidrBlocks": ["172.24.0.0/13"]},
                               "serviceDomain": "cluster.local"},
            "controlPlaneEndpoint": {"host": "203.0.113.10", "port": 6443},
            "controlPlaneRef": _ref(KCP, "KubeadmControlPlane",
                                    r + "-control-plane"),
            "infrastructureRef": _ref(INFRA, "OpenStackCluster", r)}
    status = {"phase": "Provisioned", "infrastructureReady": True,
              "controlPlaneReady": True, "observedGeneration": 2,
              "conditions": [_true(c) for c in (
                  "Ready", "ControlPlaneInitialized", "ControlPlaneReady",
                  "InfrastructureReady")],
              "v1beta2": {"conditions": [
                  {"type": t, "status": "True", "reason": t, "message": "",
                   "lastTransitionTime": STAMP, "observedGeneration": 2}
                  for t in ("Available", "ControlPlaneAvailable",
                            "ControlPlaneInitialized", "InfrastructureReady",
                            "RemoteConnectionProbe", "WorkersAvailable",
                            "MachinesReady", "MachinesUpToDate")],
                  "controlPlane": {"desiredReplicas": 1, "replicas": 1,
                                   "readyReplicas": 1,
                                   "availableReplicas": 1,
                                   "upToDateReplicas": 1},
                  "workers": {"desiredReplicas": 2, "replicas": 2,
                              "readyReplicas": 2, "availableReplicas": 2,
                              "upToDateReplicas": 2}}}
    out.append((CAPI, "v1beta1", "clusters", "Cluster", meta, spec,
                {"finalizers": ["cluster.cluster.x-k8s.io"],
                 "labels": name_label}, status))

    meta = _chart_meta(r, {"capi.stackhpc.com/component": "cluster"})
    meta["name"] = r
    spec = {"apiServerLoadBalancer": {"enabled": True},
            "externalNetwork": {"id": "7a1d3b0e-2f1c-4a53-9c1e-2d9a3f3c0b11"},
            "identityRef": {"cloudName": "openstack",
                            "name": r + "-cloud-credentials"},
            "managedSecurityGroups": {"allNodesSecurityGroupRules": [
                {"description": "Calico BGP", "direction": "ingress",
                 "etherType": "IPv4", "name": "BGP (calico)",
                 "portRangeMax": 179, "portRangeMin": 179,
                 "protocol": "tcp", "remoteManagedGroups":
                     ["controlplane", "worker"]}]},
            "managedSubnets": [{"cidr": "192.168.3.0/24",
                                "dnsNameservers": ["8.8.8.8"]}]}
    status = {"ready": True,
              "conditions": [_true("Ready"), _true("APIServerIngressReady"),
                             _true("NetworkReady"),
                             _true("SecurityGroupsReady")],
              "network": {"id": str(uuid.uuid4()), "name": "k8s-clusterapi-"
                          "cluster-" + TEMPLATE_NS + "-" + r,
                          "subnets": [{"cidr": "192.168.3.0/24",
                                       "id": str(uuid.uuid4()),
                                       "name": "k8s-clusterapi-cluster-" +
                                       TEMPLATE_NS + "-" + r}]},
              "externalNetwork": {"id": "7a1d3b0e-2f1c-4a53-9c1e-2d9a3f3c0b11",
                                  "name": "public"},
              "router": {"id": str(uuid.uuid4()), "name": "k8s-clusterapi-"
                         "cluster-" + TEMPLATE_NS + "-" + r,
                         "ips": ["198.51.100.20"]},
              "apiServerLoadBalancer": {
                  "id": str(uuid.uuid4()), "name": "k8s-clusterapi-cluster-" +
                  TEMPLATE_NS + "-" + r + "-kubeapi",
                  "ip": "203.0.113.10", "internalIP": "192.168.3.77"},
              "controlPlaneSecurityGroup": {
                  "id": str(uuid.uuid4()),
                  "name": "k8s-cluster-%s-%s-secgroup-controlplane" % (
                      TEMPLATE_NS, r)},
              "workerSecurityGroup": {
                  "id": str(uuid.uuid4()),
                  "name": "k8s-cluster-%s-%s-secgroup-worker" % (
                      TEMPLATE_NS, r)},
              "failureDomains": {"nova": {"controlPlane": True}}}
    out.append((INFRA, "v1beta1", "openstackclusters", "OpenStackCluster",
                meta, spec, {"finalizers": ["openstackcluster.infrastructure."
                                            "cluster.x-k8s.io"],
                             "labels": name_label,
                             "ownerReferences": cluster_owner}, status))

    meta = _chart_meta(r, {"capi.stackhpc.com/component": "control-plane"})
    meta["name"] = r + "-control-plane"
    spec = {"replicas": 1, "version": "v1.34.3",
            "machineTemplate": {"infrastructureRef": _ref(
                INFRA, "OpenStackMachineTemplate",
                r + "-control-plane-8f2d7c41")},
            "kubeadmConfigSpec": {
                "clusterConfiguration": {
                    "apiServer": {"extraArgs": {
                        "cloud-provider": "external",
                        "profiling": "false"}},
                    "controllerManager": {"extraArgs": {
                        "cloud-provider": "external",
                        "bind-address": "0.0.0.0"}},
                    "etcd": {"local": {"extraArgs": {
                        "listen-metrics-urls": "http://0.0.0.0:2381"}}},
                    "scheduler": {"extraArgs": {
                        "bind-address": "0.0.0.0"}}},
                "initConfiguration": {"nodeRegistration": {
                    "kubeletExtraArgs": {"cloud-provider": "external"},
                    "name": "{{ local_hostname }}"}},
                "joinConfiguration": {"nodeRegistration": {
                    "kubeletExtraArgs": {"cloud-provider": "external"},
                    "name": "{{ local_hostname }}"}},
                "preKubeadmCommands": ["mkdir -p /etc/kubernetes/pki"],
                "files": [{"path": "/etc/kubernetes/admission/config.yaml",
                           "owner": "root:root", "permissions": "0644",
                           "content": "apiVersion: apiserver.config.k8s.io/"
                           "v1\nkind: AdmissionConfiguration\nplugins: []\n"}
                          ]},
            "rolloutStrategy": {"type": "RollingUpdate",
                                "rollingUpdate": {"maxSurge": 1}}}
    status = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1,
              "unavailableReplicas": 0, "version": "v1.34.3",
              "ready": True, "initialized": True, "observedGeneration": 1,
              "selector": "cluster.x-k8s.io/cluster-name=%s,cluster.x-k8s.io/"
                          "control-plane" % r,
              "conditions": [_true(c) for c in (
                  "Ready", "Available", "CertificatesAvailable",
                  "ControlPlaneComponentsHealthy", "EtcdClusterHealthy",
                  "MachinesCreated", "MachinesReady", "Resized")]}
    out.append((KCP, "v1beta1", "kubeadmcontrolplanes", "KubeadmControlPlane",
                meta, spec, {"finalizers": ["kubeadm.controlplane.cluster."
                                            "x-k8s.io"],
                             "labels": name_label,
                             "ownerReferences": cluster_owner}, status))

    md = r + "-default-worker"
    group = {"cluster.x-k8s.io/cluster-name": r,
             "capi.stackhpc.com/cluster": r,
             "capi.stackhpc.com/component": "worker",
             "capi.stackhpc.com/node-group": "default-worker"}
    meta = _chart_meta(r, {"capi.stackhpc.com/component": "worker",
                           "capi.stackhpc.com/node-group": "default-worker"})
    meta["name"] = md
    spec = {"clusterName": r, "replicas": 2,
            "selector": {"matchLabels": group},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                "maxSurge": 0, "maxUnavailable": 1, "deletePolicy": "Random"}},
            "template": {"metadata": {"labels": group}, "spec": {
                "clusterName": r, "version": "v1.34.3",
                "failureDomain": "nova",
                "bootstrap": {"configRef": {
                    "apiVersion": BOOTSTRAP + "/v1beta1",
                    "kind": "KubeadmConfigTemplate",
                    "name": md + "-5c1e9a02"}},
                "infrastructureRef": _ref(INFRA, "OpenStackMachineTemplate",
                                          md + "-0b7d3e55"),
                "nodeDrainTimeout": "5m0s"}}}
    status = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
              "availableReplicas": 2, "unavailableReplicas": 0,
              "phase": "Running", "observedGeneration": 1,
              "selector": ",".join("%s=%s" % kv
                                   for kv in sorted(group.items())),
              "conditions": [_true("Ready"), _true("Available"),
                             _true("MachineSetReady")]}
    out.append((CAPI, "v1beta1", "machinedeployments", "MachineDeployment",
                meta, spec, {"labels": name_label,
                             "ownerReferences": cluster_owner}, status))

    for m, cp in (("control-plane-7x2kq", True),
                  ("default-worker-4bq9z-7kd2w", False),
                  ("default-worker-4bq9z-p8m3n", False)):
        name = "%s-%s" % (r, m)
        labels = {"cluster.x-k8s.io/cluster-name": r}
        if cp:
            labels.update({"cluster.x-k8s.io/control-plane": "",
                           "cluster.x-k8s.io/control-plane-name":
                               r + "-control-plane"})
        else:
            labels.update(group)
            labels.update({"cluster.x-k8s.io/deployment-name": md,
                           "cluster.x-k8s.io/set-name":
                               md + "-4bq9z",
                           "machine-template-hash": "1830417744"})
        spec = {"clusterName": r, "version": "v1.34.3",
                "failureDomain": "nova",
                "bootstrap": {"configRef": {
                    "apiVersion": BOOTSTRAP + "/v1beta1",
                    "kind": "KubeadmConfig", "name": name,
                    "namespace": TEMPLATE_NS, "uid": str(uuid.uuid4())},
                    "dataSecretName": name},
                "infrastructureRef": _ref(INFRA, "OpenStackMachine", name),
                "providerID": "openstack:///" + str(uuid.uuid4()),
                "nodeDeletionTimeout": "10s"}
        status = {"phase": "Running", "bootstrapReady": True,
                  "infrastructureReady": True, "observedGeneration": 3,
                  "lastUpdated": STAMP, "certificatesExpiryDate": STAMP,
                  "nodeRef": {"apiVersion": "v1", "kind": "Node",
                              "name": name, "uid": str(uuid.uuid4())},
                  "addresses": [{"type": "InternalIP",
                                 "address": "192.168.3.%d" % (
                                     11 + len(out))},
                                {"type": "Hostname", "address": name}],
                  "nodeInfo": {
                      "architecture": "amd64",
                      "bootID": str(uuid.uuid4()),
                      "containerRuntimeVersion": "containerd://1.7.27",
                      "kernelVersion": "6.8.0-60-generic",
                      "kubeProxyVersion": "", "kubeletVersion": "v1.34.3",
                      "machineID": uuid.uuid4().hex,
                      "operatingSystem": "linux",
                      "osImage": "Ubuntu 24.04.2 LTS",
                      "systemUUID": str(uuid.uuid4())},
                  "conditions": [_true(c) for c in (
                      "Ready", "BootstrapReady", "InfrastructureReady",
                      "NodeHealthy")]}
        owner = [{"apiVersion": ("controlplane.cluster.x-k8s.io/v1beta1"
                                 if cp else "cluster.x-k8s.io/v1beta1"),
                  "kind": "KubeadmControlPlane" if cp else "MachineSet",
                  "name": r + "-control-plane" if cp else md + "-4bq9z",
                  "uid": str(uuid.uuid4()), "controller": True,
                  "blockOwnerDeletion": True}]
        # Machines are the controllers' own: no helm metadata.
        out.append((CAPI, "v1beta1", "machines", "Machine",
                    {"name": name, "labels": labels,
                     "annotations": ({"controlplane.cluster.x-k8s.io/"
                                      "kubeadm-cluster-configuration":
                                      json.dumps(spec)[:400]} if cp else {})},
                    spec, {"finalizers": ["machine.cluster.x-k8s.io"],
                           "ownerReferences": owner}, status))

    resources = [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "name": "addon-%d" % k, "namespace": "kube-system"}
                 for k in range(3)] + [
                 {"apiVersion": "v1", "kind": "ServiceAccount",
                  "name": "addon-%d" % k, "namespace": "kube-system"}
                 for k in range(4)] + [
                 {"apiVersion": "rbac.authorization.k8s.io/v1",
                  "kind": "ClusterRole", "name": "addon-%d" % k}
                 for k in range(4)]
    for addon, chart, repo, version in HELM_RELEASES:
        meta = _chart_meta(r, {"capi.stackhpc.com/component": addon})
        meta["name"] = "%s-%s" % (r, addon)
        spec = {"clusterName": r, "bootstrap": addon in (
                    "cni-calico", "ccm-openstack"),
                "chart": {"repo": repo, "name": chart, "version": version},
                "releaseName": addon, "targetNamespace": addon,
                "valuesSources": [{"secret": {
                    "name": "%s-%s-config" % (r, addon),
                    "key": "defaults"}}, {"secret": {
                        "name": "%s-%s-config" % (r, addon),
                        "key": "overrides"}}]}
        status = {"phase": "Deployed", "revision": 1,
                  "notes": "%s has been installed. Check its status by "
                           "running:\n  kubectl --namespace %s get pods\n" % (
                               chart, addon),
                  "resources": resources,
                  "conditions": [_true("Ready"), _true("ClusterReady")]}
        out.append((ADDONS, "v1alpha1", "helmreleases", "HelmRelease",
                    meta, spec, {"finalizers": ["addons.stackhpc.com/"
                                                "finalizer"],
                                 "labels": {"addons.stackhpc.com/cluster": r,
                                            "addons.stackhpc.com/release-name":
                                                addon,
                                            "addons.stackhpc.com/"
                                            "release-namespace": addon},
                                 "ownerReferences": cluster_owner}, status))
    for addon in MANIFESTS:
        meta = _chart_meta(r, {"capi.stackhpc.com/component": addon})
        meta["name"] = "%s-%s" % (r, addon)
        spec = {"clusterName": r, "bootstrap": addon == "cloud-config",
                "releaseName": addon, "targetNamespace": "kube-system",
                "manifestSources": [{"template": "apiVersion: v1\nkind: "
                                     "Secret\nmetadata:\n  name: %s\n" % addon
                                     }]}
        status = {"phase": "Deployed", "revision": 1,
                  "resources": resources[:3],
                  "conditions": [_true("Ready"), _true("ClusterReady")]}
        out.append((ADDONS, "v1alpha1", "manifests", "Manifests",
                    meta, spec, {"finalizers": ["addons.stackhpc.com/"
                                                "finalizer"],
                                 "labels": {"addons.stackhpc.com/cluster": r},
                                 "ownerReferences": cluster_owner}, status))
    return out


def path_of(group, version, plural, ns="", name=""):
    path = "/apis/%s/%s" % (group, version)
    if ns:
        path += "/namespaces/" + ns
    path += "/" + plural
    if name:
        path += "/" + name
    return path


def write_template(store):
    """The template cluster through the API, as helm and the controllers
    write it; returns the etcd keys of its objects."""
    keys = []
    for (group, version, plural, kind, meta, spec, controller,
         status) in template_objects(TEMPLATE):
        body = {"apiVersion": "%s/%s" % (group, version), "kind": kind,
                "metadata": meta, "spec": spec}
        store.raw("POST", path_of(group, version, plural, TEMPLATE_NS),
                  body, query={"fieldManager": "helm"})
        where = path_of(group, version, plural, TEMPLATE_NS, meta["name"])
        store.raw("PATCH", where, {"metadata": controller},
                  "application/merge-patch+json",
                  query={"fieldManager": "manager"})
        store.raw("PATCH", where + "/status", {"status": status},
                  "application/merge-patch+json",
                  query={"fieldManager": "manager"})
        keys.append("/registry/%s/%s/%s/%s" % (group, plural, TEMPLATE_NS,
                                               meta["name"]))
    return keys


class Etcd:
    """etcd's v3 JSON gateway, one connection per thread."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.local = threading.local()

    def call(self, path, body):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port,
                                                    timeout=120)
            self.local.connection = connection
        connection.request("POST", path, body=json.dumps(body),
                           headers={"Content-Type": "application/json"})
        reply = connection.getresponse()
        payload = reply.read()
        if reply.status != 200:
            raise RuntimeError("etcd %s: %s %s" % (path, reply.status,
                                                   payload[:300]))
        return json.loads(payload)

    def get(self, key):
        doc = self.call("/v3/kv/range", {
            "key": base64.b64encode(key.encode()).decode()})
        return base64.b64decode(doc["kvs"][0]["value"])

    def put_many(self, pairs):
        self.call("/v3/kv/txn", {"success": [
            {"requestPut": {"key": base64.b64encode(k).decode(),
                            "value": base64.b64encode(v).decode()}}
            for k, v in pairs]})


UID = re.compile(rb'"uid":"[0-9a-f-]{36}"')


def seed(api, count, workers=4):
    """count clusters: the template through the API, copies into etcd."""
    for p in range(NAMESPACES):
        api.store.raw("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "magnum-proj%02d" % p}})
    keys = write_template(api.store)
    etcd = Etcd(api.etcd_url)
    stored = [(k.encode(), etcd.get(k)) for k in keys]
    per_cluster = sum(len(v) for _, v in stored)

    def copies(i):
        r = ("bench-%05d" % i).encode()
        ns = ("magnum-proj%02d" % (i % NAMESPACES)).encode()
        for key, value in stored:
            key = key.replace(TEMPLATE.encode(), r).replace(
                TEMPLATE_NS.encode(), ns)
            value = value.replace(TEMPLATE.encode(), r).replace(
                TEMPLATE_NS.encode(), ns)
            value = UID.sub(lambda _: b'"uid":"%s"' % str(
                uuid.uuid4()).encode(), value)
            yield key, value

    def batch(start, stop):
        pairs = []
        for i in range(start, stop):
            pairs.extend(copies(i))
            if len(pairs) >= 115:
                etcd.put_many(pairs)
                pairs = []
        if pairs:
            etcd.put_many(pairs)

    step = 50
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(batch, s, min(s + step, count))
                  for s in range(1, count, step)]:
            f.result()
    return per_cluster


def wait_listed(api, count, expected_per_kind):
    """Until etcd holds every copy (a list of one item says how many
    remain) and the API server's watch cache, fed by etcd's watch, holds
    them too (a list at resourceVersion=0 is answered from it)."""
    deadline = time.monotonic() + 900

    def from_etcd(doc):
        return len(doc.get("items", [])) + int(
            doc["metadata"].get("remainingItemCount") or 0)

    def from_cache(doc):
        return len(doc.get("items", []))

    for group, version, plural in WATCHED:
        want = expected_per_kind.get(plural, 0) * count
        for query, listed in (({"limit": "1"}, from_etcd),
                              ({"resourceVersion": "0"}, from_cache)):
            while True:
                have = listed(api.store.raw(
                    "GET", path_of(group, version, plural), query=query))
                if have >= want:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("%s: %d of %d listed" % (
                        plural, have, want))
                time.sleep(0.5)


def seed_listed(api, count):
    """seed() and wait_listed(): count clusters, every object in etcd and
    in the API server's watch cache; returns (objects, stored bytes a
    cluster)."""
    per_cluster = seed(api, count)
    kinds = {}
    for group, version, plural, *_ in template_objects(TEMPLATE):
        kinds[plural] = kinds.get(plural, 0) + 1
    wait_listed(api, count, kinds)
    return count * sum(kinds.values()), per_cluster


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def floor(api, page_size, concurrent_kinds, from_cache=False):
    """The API server's time to serve every page of the watched kinds to a
    client that only reads them (`from_cache`: resourceVersion=0, answered
    from the API server's watch cache, as the bridge's first list asks);
    returns (seconds, bytes)."""
    context = ssl.create_default_context(cafile=api.ca_file)
    context.load_cert_chain(os.path.join(api.pki, "admin.crt"),
                            os.path.join(api.pki, "admin.key"))
    parts = urllib.parse.urlsplit(api.url)
    token = re.compile(rb'"continue":"([^"]*)"')

    def one(kind):
        group, version, plural = kind
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, context=context, timeout=300)
        total = 0
        cont = ""
        while True:
            query = {}
            if page_size:
                query["limit"] = str(page_size)
            if cont:
                query["continue"] = cont
            elif from_cache:
                query["resourceVersion"] = "0"
            path = path_of(group, version, plural)
            if query:
                path += "?" + urllib.parse.urlencode(query)
            connection.request("GET", path,
                               headers={"Accept": "application/json"})
            reply = connection.getresponse()
            body = reply.read()
            total += len(body)
            found = token.search(body[:600]) or token.search(body[-600:])
            cont = found.group(1).decode() if found else ""
            if not cont:
                break
        connection.close()
        return total

    started = time.monotonic()
    if concurrent_kinds:
        with concurrent.futures.ThreadPoolExecutor(len(WATCHED)) as pool:
            total = sum(pool.map(one, WATCHED))
    else:
        total = sum(one(kind) for kind in WATCHED)
    return time.monotonic() - started, total


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cached_clusters(ops):
    """The bridge's capi_bridge_cached_clusters, or -1."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % ops,
                                    timeout=10) as reply:
            text = reply.read().decode()
    except OSError:
        return -1
    found = re.search(r"^capi_bridge_cached_clusters(?:\{[^}]*\})? (\S+)",
                      text, re.M)
    return int(float(found.group(1))) if found else -1


class Bridge:
    """capi-bridge-server started on `api` (its gRPC `address` and ops
    endpoint on free ports, helm never run), its log in `work`; stopped on
    leaving the `with`."""

    def __init__(self, api, work):
        self.ops = free_port()
        self.address = "127.0.0.1:%d" % free_port()
        config = os.path.join(work, "bridge.yaml")
        with open(config, "w") as f:
            f.write("listen: %s\ninsecure: true\n"
                    "ops_listen: 127.0.0.1:%d\n"
                    "management:\n  kubeconfig: %s\n"
                    "helm:\n  binary: /bin/false\n  cache_dir: %s\n" % (
                        self.address, self.ops, api.kubeconfig,
                        os.path.join(work, "helm-cache")))
        self.log = open(os.path.join(work, "bridge.log"), "w")
        self.started = time.monotonic()
        self.process = subprocess.Popen([SERVER, "--config", config],
                                        stdout=subprocess.DEVNULL,
                                        stderr=self.log)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def wait_ready(self, bound=900):
        """Seconds from its start until /readyz answered 200 (every
        watched kind listed into its cache), or None past `bound`."""
        url = "http://127.0.0.1:%d/readyz" % self.ops
        while time.monotonic() - self.started < bound:
            if self.process.poll() is not None:
                raise RuntimeError("bridge exited %s; see %s" % (
                    self.process.returncode, self.log.name))
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        return None


def run_bridge(api, work, steady_seconds=5):
    """The bridge from start to /readyz 200; its figures."""
    others = {"apiserver": api.processes[1].pid,
              "etcd": api.processes[0].pid}
    cpu_before = {k: cpu_seconds(p) for k, p in others.items()}
    with Bridge(api, work) as bridge:
        pid = bridge.process.pid
        figures = {"ready_s": bridge.wait_ready(),
                   "bridge_cpu_s": cpu_seconds(pid),
                   "rss_peak_mib": status_kib(pid, "VmHWM") / 1024,
                   "cached_at_ready": cached_clusters(bridge.ops)}
        for k, p in others.items():
            figures[k + "_cpu_s"] = cpu_seconds(p) - cpu_before[k]
        time.sleep(steady_seconds)
        figures["rss_steady_mib"] = status_kib(pid, "VmRSS") / 1024
        figures["cached_steady"] = cached_clusters(bridge.ops)
        return figures


FLOORS = {
    # name: (label, page size or None for the bench's, all kinds at once,
    # from the API server's cache)
    "sequential": ("one kind after another, limit %d", None, False, False),
    "concurrent": ("all kinds at once, limit %d", None, True, False),
    "unpaged": ("all kinds at once, no limit", 0, True, False),
    "cached": ("all kinds at once, resourceVersion=0", 0, True, True),
}


def print_floor(api, name, page_size):
    """Measures and prints one of FLOORS."""
    label, size, together, cached = FLOORS[name]
    if size is None:
        label, size = label % page_size, page_size
    try:
        seconds, size_bytes = floor(api, size, together, cached)
    except (OSError, http.client.HTTPException) as exc:
        # e.g. one list past the API server's --request-timeout.
        print("  floor (plain client, %s): failed: %r  [load %s]" % (
            label, exc, load()), flush=True)
        return
    print("  floor (plain client, %s): %.2f s, %.0f MiB of JSON  "
          "[load %s]" % (label, seconds, size_bytes / 2 ** 20, load()),
          flush=True)


def one_size(count, runs, page_size, floors):
    with kube_real.RealApiServer("v1beta1") as api:
        started = time.monotonic()
        objects, per_cluster = seed_listed(api, count)
        print("N=%d: %d objects (%d stored bytes a cluster) seeded in %.1f s"
              % (count, objects, per_cluster, time.monotonic() - started),
              flush=True)
        # The cheap floor first, the bridge, then the slow ones.
        for name in [f for f in floors if f == "cached"]:
            print_floor(api, name, page_size)
        for run in range(runs):
            with tempfile.TemporaryDirectory(prefix="fleet-bench-") as work:
                f = run_bridge(api, work)
            print("  bridge run %d: ready %.2f s (%d clusters cached, %d "
                  "after %d s), RSS peak %.0f MiB, steady %.0f MiB; CPU to "
                  "ready: bridge %.1f s, apiserver %.1f s, etcd %.1f s"
                  "  [load %s]" % (
                      run + 1, f["ready_s"] or float("nan"),
                      f["cached_at_ready"], f["cached_steady"], 5,
                      f["rss_peak_mib"], f["rss_steady_mib"],
                      f["bridge_cpu_s"], f["apiserver_cpu_s"], f["etcd_cpu_s"],
                      load()), flush=True)
        for name in [f for f in floors if f != "cached"]:
            print_floor(api, name, page_size)


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def announce():
    """Prints the machine, the time and the bridge measured; False (saying
    why) when the real API server's tools are missing."""
    missing = kube_real.tools_missing("v1beta1")
    if missing:
        print("skipped: " + missing)
        return False
    print("machine: %d CPUs, %s; %s" % (
        os.cpu_count(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        SERVER), flush=True)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", default="1000,10000",
                        help="comma-separated cluster counts")
    parser.add_argument("--runs", type=int, default=1,
                        help="bridge starts per count")
    parser.add_argument("--page-size", type=int, default=500,
                        help="the floor's page size (the bridge's is its own)")
    parser.add_argument("--floors", default=",".join(FLOORS),
                        help="which floors to measure, comma-separated, of "
                        + ", ".join(FLOORS))
    args = parser.parse_args()
    if not announce():
        return 0
    for count in [int(c) for c in args.clusters.split(",")]:
        one_size(count, args.runs, args.page_size,
                 [f for f in args.floors.split(",") if f])
    return 0


if __name__ == "__main__":
    sys.exit(main())
