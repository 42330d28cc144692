"""A real management-cluster API for the tests: Debian's etcd and a
kube-apiserver built from its Go module (tests/support/kube_real/tools.mk),
on loopback, with the CRDs of Cluster API, CAPO and the addon provider.

    with RealApiServer("v1beta1") as api:
        api.kubeconfig     # a kubeconfig file (client certificate)
        api.store          # a RealStore: the simulator's store interface

Everything lives in a temporary directory: etcd's data, the certificates
(a CA, the serving certificate, an admin client certificate in
system:masters), the service-account key, the logs. start() waits for
each piece by its state (etcd's /health, the apiserver's /readyz, each CRD
Established and in discovery); close() stops both processes whatever
happened (and they die with the test process if it is killed), and keeps
the logs on failure or when asked to (`keep_logs`, or the environment
variable CAPI_BRIDGE_KEEP_KUBE_LOGS=1), naming where they are.

Where the tools are comes from the environment (set by
tests/integration/real_api.cmake from the Makefile's fragment):
CAPI_BRIDGE_KUBE_APISERVER, CAPI_BRIDGE_ETCD, CAPI_BRIDGE_KUBE_CRDS_V1BETA1
and CAPI_BRIDGE_KUBE_CRDS_V1BETA2.
"""

import atexit
import base64
import ctypes
import glob
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import yaml

from .client import RealStore

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON_CRDS = os.path.join(HERE, "crds")
# How long each piece may take to come up before start() gives up (a limit
# on waiting, not something a test measures).
START_LIMIT_SECONDS = 120

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
# CAPI's managers (v1.10 and later) migrate their own CRDs' storage at start
# (controllers/crdmigrator); after an upgrade the tests do it themselves,
# as kube-storage-version-migrator does (RealApiServer.migrate_storage).
SKIP_CAPI_STORAGE_MIGRATION = (
    "--skip-crd-migration-phases=StorageVersionMigration,"
    "CleanupManagedFields")
# Which of CAPI's managers converts each group's objects (v1beta2).
MANAGER_OF_GROUP = {
    "cluster.x-k8s.io": "capi-manager",
    "addons.cluster.x-k8s.io": "capi-manager",
    "ipam.cluster.x-k8s.io": "capi-manager",
    "runtime.cluster.x-k8s.io": "capi-manager",
    "controlplane.cluster.x-k8s.io": "kcp-manager",
    "bootstrap.cluster.x-k8s.io": "cabpk-manager",
}
# CAPI's controllers reconcile only objects labelled with this watch
# filter, which nothing here carries: the managers serve their webhooks
# (conversion) while the test plays the controllers.
WATCH_FILTER = "capi-bridge-tests-nothing"

GENERATIONS = {
    # CAPI v1.10 (+ CAPO v0.13): v1beta1 stored and served.
    "v1beta1": "CAPI_BRIDGE_KUBE_CRDS_V1BETA1",
    # CAPI v1.13 (+ CAPO v0.14): v1beta2 stored, v1beta1 served.
    "v1beta2": "CAPI_BRIDGE_KUBE_CRDS_V1BETA2",
}


def tools_missing(generation="v1beta1"):
    """Why the real API server cannot run here, or "" when it can."""
    variables = ["CAPI_BRIDGE_KUBE_APISERVER", "CAPI_BRIDGE_ETCD",
                 GENERATIONS[generation]]
    if generation == "v1beta2":
        variables.append("CAPI_BRIDGE_CAPI_MANAGERS")
    for variable in variables:
        path = os.environ.get(variable, "")
        if not path:
            return "%s is not set (make kube-tools; see " \
                   "tests/support/kube_real/tools.mk)" % variable
        if not os.path.exists(path):
            return "%s=%s does not exist (make kube-tools)" % (variable, path)
    return ""


_LIVE = set()


@atexit.register
def _close_left_open():
    """A test process that ends without close() leaves no server behind."""
    for server in list(_LIVE):
        server.close(failed=True)


def _die_with_parent():
    """In the child, before exec: killed when the test process dies, even
    by SIGKILL (a ctest timeout), so no etcd or apiserver outlives it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(directory, *args):
    subprocess.run(["openssl", *args], check=True, capture_output=True,
                   cwd=directory)


def make_pki(directory):
    """CA, apiserver serving certificate, admin client certificate and the
    service-account key pair, made with the openssl CLI."""
    _openssl(directory, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-days", "2", "-subj", "/CN=kube-real-ca", "-keyout", "ca.key",
             "-out", "ca.crt")
    with open(os.path.join(directory, "serving.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth\n")
    with open(os.path.join(directory, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, subject, ext in (
            ("serving", "/CN=kube-apiserver", "serving.ext"),
            ("webhook", "/CN=capi-webhooks", "serving.ext"),
            ("admin", "/O=system:masters/CN=kube-real-admin", "client.ext")):
        _openssl(directory, "req", "-newkey", "rsa:2048", "-nodes", "-subj",
                 subject, "-keyout", name + ".key", "-out", name + ".csr")
        _openssl(directory, "x509", "-req", "-in", name + ".csr", "-CA",
                 "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days",
                 "2", "-extfile", ext, "-out", name + ".crt")
    _openssl(directory, "genrsa", "-out", "sa.key", "2048")
    _openssl(directory, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# The kustomization (copied by tools.mk) whose labels each group's CRDs get.
KUSTOMIZATION_OF_GROUP = {
    "cluster.x-k8s.io": "kustomization.capi",
    "addons.cluster.x-k8s.io": "kustomization.capi",
    "ipam.cluster.x-k8s.io": "kustomization.capi",
    "runtime.cluster.x-k8s.io": "kustomization.capi",
    "controlplane.cluster.x-k8s.io": "kustomization.kcp",
    "bootstrap.cluster.x-k8s.io": "kustomization.cabpk",
    "infrastructure.cluster.x-k8s.io": "kustomization.capo",
}


def _provider_labels(directory, group):
    """The labels the provider's kustomization gives its CRDs, as
    clusterctl installs them (CAPI reads the contract labels
    `cluster.x-k8s.io/<contract>: <versions>` to convert references)."""
    path = os.path.join(directory, KUSTOMIZATION_OF_GROUP.get(group, "-"))
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    labels = dict(doc.get("commonLabels") or {})
    for entry in doc.get("labels") or []:
        labels.update(entry.get("pairs") or {})
    return labels


def crd_documents(generation, webhooks=None):
    """The CRDs to install for `generation`, as dicts; `webhooks`: manager
    name -> (its webhook server's URL, the CA bundle), for conversion."""
    directory = os.environ[GENERATIONS[generation]]
    docs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml")) +
                       glob.glob(os.path.join(ADDON_CRDS, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    doc["metadata"].setdefault("labels", {}).update(
                        _provider_labels(directory, doc["spec"]["group"]))
                    docs.append(_adapt(doc, generation, webhooks))
    return docs


def _adapt(crd, generation, webhooks=None):
    """What the test installs is the CRD as shipped, except for versions
    that would need a conversion webhook. In CAPI v1.10 and CAPO v0.13 the
    kinds the chart and the bridge use serve only their storage version
    (v1beta1); the older ones (v1alpha*) are listed, not served, for
    objects stored by old releases (only the IPAM kinds still serve
    v1alpha1), and converting them is the providers' webhook's job.
    Nothing here stores or reads them, so for the v1beta1 generation they
    are dropped with the webhook (a CRD
    whose versions differ in schema needs a converter; one version needs
    none). CAPO's older versions are dropped the same way in both
    generations. For v1beta2, v1beta1 is served beside the stored v1beta2
    and the conversion is CAPI's own: each CRD's conversion webhook points
    at the CAPI manager that owns its group, running here on loopback."""
    spec = crd["spec"]
    manager = MANAGER_OF_GROUP.get(spec["group"])
    if generation == "v1beta1" or manager is None:
        spec["versions"] = [v for v in spec["versions"] if v.get("storage")]
        spec.pop("conversion", None)
    elif webhooks is not None:
        url, ca_bundle = webhooks[manager]
        spec["conversion"] = {"strategy": "Webhook", "webhook": {
            "conversionReviewVersions": ["v1"],
            "clientConfig": {"url": url + "/convert",
                             "caBundle": ca_bundle}}}
    return crd


class RealApiServer:
    """etcd + kube-apiserver + CRDs of one CAPI generation."""

    def __init__(self, generation="v1beta1", keep_logs=None):
        self.generation = generation
        self.keep_logs = keep_logs if keep_logs is not None else \
            os.environ.get("CAPI_BRIDGE_KEEP_KUBE_LOGS") == "1"
        self.tmp = tempfile.mkdtemp(prefix="kube-real-")
        self.pki = os.path.join(self.tmp, "pki")
        os.makedirs(self.pki)
        self.kubeconfig = os.path.join(self.tmp, "kubeconfig")
        self.ca_file = os.path.join(self.pki, "ca.crt")
        self.processes = []
        self.url = ""
        self.store = None
        self.failed = False

    # -- life cycle
    def __enter__(self):
        return self.start()

    def __exit__(self, kind, value, traceback):
        self.close(failed=kind is not None)

    def start(self):
        _LIVE.add(self)
        try:
            make_pki(self.pki)
            self._start_etcd()
            self._start_apiserver()
            self._write_kubeconfig()
            self.store = RealStore(self.url, self.ca_file,
                                   os.path.join(self.pki, "admin.crt"),
                                   os.path.join(self.pki, "admin.key"))
            webhooks = None
            if self.generation == "v1beta2":
                webhooks = self._manager_ports()
            self._install_crds(webhooks)
            if webhooks:
                self._start_managers()
        except BaseException:
            self.close(failed=True)
            raise
        return self

    def close(self, failed=False):
        """Stops everything started; keeps the logs on failure (or when
        asked), else removes the temporary directory."""
        _LIVE.discard(self)
        for process in reversed(self.processes):
            self._stop(process)
        self.processes = []
        if self.store is not None:
            self.store.close()
        if failed or self.failed or self.keep_logs:
            print("kube-real: logs kept in %s" % self.tmp, flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _stop(process):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_path(self, name):
        return os.path.join(self.tmp, name + ".log")

    def _spawn(self, name, argv):
        with open(self.log_path(name), "ab") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL,
                                       preexec_fn=_die_with_parent)
        self.processes.append(process)
        return process

    def _wait(self, what, process, ready):
        """Waits until ready() is true; fails at once if `process` exits."""
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("%s exited with %s; log: %s" % (
                    what, process.returncode, self._tail(what)))
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError("%s not ready; log: %s" % (what, self._tail(what)))

    def _tail(self, name):
        try:
            with open(self.log_path(name), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    # -- etcd
    def _start_etcd(self):
        for _ in range(5):
            client, peer = _free_port(), _free_port()
            client_url = "http://127.0.0.1:%d" % client
            peer_url = "http://127.0.0.1:%d" % peer
            process = self._spawn("etcd", [
                os.environ["CAPI_BRIDGE_ETCD"], "--name", "kube-real",
                "--data-dir", os.path.join(self.tmp, "etcd"),
                "--listen-client-urls", client_url,
                "--advertise-client-urls", client_url,
                "--listen-peer-urls", peer_url,
                "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", "kube-real=" + peer_url,
                "--unsafe-no-fsync", "--log-level", "warn"])
            try:
                self._wait("etcd", process,
                           lambda: self._http_ok(client_url + "/health"))
                self.etcd_url = client_url
                return
            except RuntimeError:
                if process.poll() is None:
                    raise
                self.processes.remove(process)  # port taken meanwhile
        raise RuntimeError("etcd did not start: %s" % self._tail("etcd"))

    @staticmethod
    def _http_ok(url):
        import urllib.request
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.status == 200 and b'"true"' in reply.read()
        except OSError:
            return False

    # -- kube-apiserver
    def _start_apiserver(self):
        pki = self.pki
        for _ in range(5):
            port = _free_port()
            process = self._spawn("kube-apiserver", [
                os.environ["CAPI_BRIDGE_KUBE_APISERVER"],
                "--etcd-servers", self.etcd_url,
                "--bind-address", "127.0.0.1",
                "--advertise-address", "127.0.0.1",
                "--secure-port", str(port),
                "--cert-dir", os.path.join(self.tmp, "certs"),
                "--tls-cert-file", os.path.join(pki, "serving.crt"),
                "--tls-private-key-file", os.path.join(pki, "serving.key"),
                "--client-ca-file", os.path.join(pki, "ca.crt"),
                "--service-account-issuer", "https://kubernetes.default.svc",
                "--service-account-key-file", os.path.join(pki, "sa.pub"),
                "--service-account-signing-key-file",
                os.path.join(pki, "sa.key"),
                "--service-cluster-ip-range", "10.96.0.0/24",
                "--authorization-mode", "RBAC",
                "--endpoint-reconciler-type", "none",
                "--profiling=false",
                "--enable-priority-and-fairness=false",
                "--v", "1"])
            self.url = "https://127.0.0.1:%d" % port
            context = self._context()
            try:
                self._wait("kube-apiserver", process,
                           lambda: self._readyz(context))
                return
            except RuntimeError:
                if process.poll() is None:
                    raise
                if "address already in use" not in self._tail(
                        "kube-apiserver"):
                    raise
                self.processes.remove(process)
        raise RuntimeError("kube-apiserver did not start")

    def _context(self):
        context = ssl.create_default_context(cafile=self.ca_file)
        context.load_cert_chain(os.path.join(self.pki, "admin.crt"),
                                os.path.join(self.pki, "admin.key"))
        return context

    def _readyz(self, context):
        import urllib.request
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=5,
                                        context=context) as reply:
                return reply.status == 200
        except OSError:
            return False

    def _write_kubeconfig(self):
        self.write_kubeconfig(self.kubeconfig)

    def write_kubeconfig(self, path, cert=None, key=None, token=None):
        """A kubeconfig for this API server: the admin's client certificate,
        or the given certificate and key, or a bearer token."""
        def b64(p):
            return base64.b64encode(_read(p)).decode()
        if token:
            user = "    token: %s\n" % token
        else:
            user = ("    client-certificate-data: %s\n"
                    "    client-key-data: %s\n" % (
                        b64(cert or os.path.join(self.pki, "admin.crt")),
                        b64(key or os.path.join(self.pki, "admin.key"))))
        text = ("apiVersion: v1\nkind: Config\nclusters:\n"
                "- name: real\n  cluster:\n    server: %s\n"
                "    certificate-authority-data: %s\n"
                "contexts:\n- name: real\n  context:\n    cluster: real\n"
                "    user: real\ncurrent-context: real\nusers:\n"
                "- name: real\n  user:\n%s" % (
                    self.url, b64(self.ca_file), user))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    # -- CAPI's managers (v1beta2: conversion)
    def _manager_ports(self):
        """A webhook port per manager; name -> (URL, CA bundle)."""
        ca_bundle = base64.b64encode(_read(self.ca_file)).decode()
        self.manager_ports = {}
        webhooks = {}
        for name in sorted(set(MANAGER_OF_GROUP.values())):
            self.manager_ports[name] = (_free_port(), _free_port(),
                                        _free_port())
            webhooks[name] = ("https://127.0.0.1:%d" %
                              self.manager_ports[name][0], ca_bundle)
        return webhooks

    def _start_managers(self, extra_args=()):
        """Cluster API's core, kubeadm control plane and bootstrap managers
        (built from the cluster-api Go module by tools.mk), each serving its
        webhooks on loopback with a certificate of the test CA; waits until
        each says it is ready (its webhook server started)."""
        directory = os.environ["CAPI_BRIDGE_CAPI_MANAGERS"]
        certs = os.path.join(self.tmp, "webhook-certs")
        os.makedirs(certs)
        shutil.copy(os.path.join(self.pki, "webhook.crt"),
                    os.path.join(certs, "tls.crt"))
        shutil.copy(os.path.join(self.pki, "webhook.key"),
                    os.path.join(certs, "tls.key"))
        started = []
        for name, (webhook, health, diagnostics) in sorted(
                self.manager_ports.items()):
            process = self._spawn(name, [
                os.path.join(directory, name),
                "--kubeconfig", self.kubeconfig,
                "--leader-elect=false",
                "--watch-filter", WATCH_FILTER,
                "--webhook-port", str(webhook),
                "--webhook-cert-dir", certs,
                "--health-addr", "127.0.0.1:%d" % health,
                "--diagnostics-address", "127.0.0.1:%d" % diagnostics,
                "--insecure-diagnostics", *extra_args])
            started.append((name, process, health))
        for name, process, health in started:
            self._wait(name, process, lambda: self._plain_ok(
                "http://127.0.0.1:%d/readyz" % health))

    @staticmethod
    def _plain_ok(url):
        import urllib.request
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    # -- a CAPI upgrade under a running management cluster
    def upgrade(self, generation="v1beta2"):
        """What `clusterctl upgrade` does to the API: the CRDs of
        `generation` replace the installed ones (v1beta2 becomes the
        storage version, v1beta1 is still served, converted by CAPI's
        webhooks) and CAPI's managers start serving those webhooks. The
        objects stay stored as they were until migrate_storage()."""
        self.generation = generation
        webhooks = self._manager_ports()
        self._install_crds(webhooks, replace=True)
        self._start_managers((SKIP_CAPI_STORAGE_MIGRATION,))

    def migrate_storage(self):
        """What kube-storage-version-migrator does, for every CRD whose
        objects may be stored in an older version: reads every object in
        the storage version and writes it back unchanged (stored again,
        now in the storage version), then sets status.storedVersions to
        the storage version alone. Returns {CRD name: objects rewritten}."""
        rewritten = {}
        for crd in self.store.raw("GET", CRDS)["items"]:
            spec = crd["spec"]
            storage = [v["name"] for v in spec["versions"]
                       if v.get("storage")][0]
            if crd["status"].get("storedVersions") == [storage]:
                continue
            path = "/apis/%s/%s/%s" % (spec["group"], storage,
                                       spec["names"]["plural"])
            count = 0
            for item in self.store.raw("GET", path)["items"]:
                meta = item["metadata"]
                if meta.get("namespace"):
                    where = "/apis/%s/%s/namespaces/%s/%s/%s" % (
                        spec["group"], storage, meta["namespace"],
                        spec["names"]["plural"], meta["name"])
                else:
                    where = "%s/%s" % (path, meta["name"])
                self._rewrite(where)
                count += 1
            name = crd["metadata"]["name"]
            self.store.raw("PATCH", CRDS + "/" + name + "/status",
                           {"status": {"storedVersions": [storage]}},
                           "application/merge-patch+json")
            rewritten[name] = count
        return rewritten

    def _rewrite(self, path):
        """One object read and written back as it is (on a conflict, read
        again: the migrator's retry); gone meanwhile is fine."""
        from tests.support.kube_sim.store import ApiError
        for _ in range(10):
            try:
                obj = self.store.raw("GET", path)
                self.store.raw("PUT", path, obj)
                return
            except ApiError as exc:
                if exc.code == 404:
                    return
                if exc.code != 409:
                    raise
        raise RuntimeError("%s kept changing while migrated" % path)

    def serve(self, groups, version, served):
        """Sets whether `version` of every CRD of `groups` is served (CAPI
        v1.16 will stop serving v1beta1); waits until discovery says so."""
        for crd in self.store.raw("GET", CRDS)["items"]:
            spec = crd["spec"]
            if spec["group"] not in groups:
                continue
            for v in spec["versions"]:
                if v["name"] == version:
                    v["served"] = served
            self.store.raw("PUT", CRDS + "/" + crd["metadata"]["name"], crd)
        process = self.processes[1]  # etcd, kube-apiserver, managers
        for group in groups:
            path = "/apis/%s/%s" % (group, version)
            self._wait("kube-apiserver", process,
                       lambda: self._served(path) == served)

    def _served(self, path):
        from tests.support.kube_sim.store import ApiError
        try:
            return bool(self.store.raw("GET", path).get("resources"))
        except ApiError:
            return False

    # -- CRDs
    def _install_crds(self, webhooks=None, replace=False):
        """Creates the CRDs of this generation; with `replace`, updates
        those that exist (an upgrade), keeping their stored versions."""
        names = []
        for crd in crd_documents(self.generation, webhooks):
            name = crd["metadata"]["name"]
            existing = None
            if replace:
                try:
                    existing = self.store.raw("GET", CRDS + "/" + name)
                except Exception:
                    existing = None
            if existing is None:
                self.store.raw("POST", CRDS, crd)
            else:
                crd["metadata"]["resourceVersion"] = \
                    existing["metadata"]["resourceVersion"]
                self.store.raw("PUT", CRDS + "/" + name, crd)
            names.append(name)
        process = self.processes[-1]
        for name in names:
            self._wait("kube-apiserver", process,
                       lambda: self._established(name))
        # Discovery lists a CRD's resources a little after Established.
        for crd in crd_documents(self.generation, webhooks):
            group = crd["spec"]["group"]
            plural = crd["spec"]["names"]["plural"]
            for version in crd["spec"]["versions"]:
                path = "/apis/%s/%s" % (group, version["name"])
                self._wait("kube-apiserver", process,
                           lambda: self._discovered(path, plural))

    def _established(self, name):
        crd = self.store.raw("GET", "/apis/apiextensions.k8s.io/v1/"
                             "customresourcedefinitions/" + name)
        # A new CRD's status may hold `conditions: null` for a moment.
        conditions = (crd.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Established" and
                   c.get("status") == "True" for c in conditions)

    def _discovered(self, path, plural):
        try:
            listing = self.store.raw("GET", path)
        except Exception:
            return False
        return any(r["name"] == plural for r in listing.get("resources", []))
