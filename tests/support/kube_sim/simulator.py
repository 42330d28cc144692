"""The management-cluster simulator: store + controllers + HTTPS server,
plus an optional plain-HTTP chart repository. Usable in-process (tests)
or as a program (`python3 -m tests.support.kube_sim`)."""

import base64
import http.server
import os
import ssl
import subprocess
import tempfile
import threading
import urllib.parse

from . import oci_registry
from . import resources
from .controllers import Controllers
from .server import Faults, Handler, Stats, ThreadingServer
from .store import Store


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1/localhost (openssl)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True,
                       capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=kube-sim-ca", "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-sim",
        "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey",
        "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext",
        "-out", "server.crt")
    return (os.path.join(directory, "ca.crt"),
            os.path.join(directory, "server.crt"),
            os.path.join(directory, "server.key"))


class _ChartHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        with self.server.lock:
            self.server.downloads[path] = self.server.downloads.get(path,
                                                                    0) + 1
        super().do_GET()


class Simulator:
    """A running simulator. `kubeconfig` is written on start()."""

    def __init__(self, workdir=None, token="sim-token", step_seconds=0.5,
                 chart_dir=None, bookmark_seconds=1.0, verbose=False,
                 event_retention=5000, teardown_steps=2):
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="kube-sim-")
            workdir = self._tmp.name
        self.workdir = workdir
        self.token = token
        self.verbose = verbose
        self.bookmark_seconds = bookmark_seconds
        self.watch_generation = 0
        self.store = Store(event_retention)
        self.faults = Faults()
        self.stats = Stats()
        self.controllers = Controllers(self.store, step_seconds,
                                       teardown_steps)
        self.version_info = {"major": "1", "minor": "31",
                             "gitVersion": "v1.31.4", "platform":
                             "linux/amd64", "goVersion": "go1.23.4",
                             "compiler": "gc", "buildDate":
                             "2026-01-01T00:00:00Z", "gitCommit": "sim",
                             "gitTreeState": "clean"}
        self.chart_dir = chart_dir
        self.port = 0
        self.chart_url = ""
        self.oci_url = ""
        self.kubeconfig = os.path.join(workdir, "kubeconfig")
        self.ca_file = None
        self._servers = []

    def start(self):
        self.ca_file, cert, key = make_certificates(self.workdir)
        server = ThreadingServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.sim = self
        self.port = server.server_address[1]
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        if self.chart_dir:
            directory = self.chart_dir

            def handler(*args, **kwargs):
                return _ChartHandler(*args, directory=directory, **kwargs)
            charts = ThreadingServer(("127.0.0.1", 0), handler)
            charts.lock = threading.Lock()
            charts.downloads = {}
            self._chart_server = charts
            self.chart_url = "http://127.0.0.1:%d" % charts.server_address[1]
            self._servers.append(charts)
            threading.Thread(target=charts.serve_forever, daemon=True).start()
            registry = oci_registry.serve(directory)
            self._registry = registry
            self.oci_url = "oci://127.0.0.1:%d/charts" % \
                registry.server_address[1]
            self._servers.append(registry)
        self.controllers.start()
        self.write_kubeconfig(self.kubeconfig)
        return self

    def chart_downloads(self):
        if not self.chart_dir:
            return {}
        with self._chart_server.lock:
            return dict(self._chart_server.downloads)

    def registry_downloads(self):
        """Requests the OCI registry served, by path."""
        if not self.chart_dir:
            return {}
        with self._registry.registry.lock:
            return dict(self._registry.registry.downloads)

    def autoscale(self, namespace, name, replicas):
        """What the cluster-autoscaler does to a MachineDeployment it owns:
        sets spec.replicas (it writes the scale subresource; the object
        changes the same way)."""
        md = resources.BY_KIND[("cluster.x-k8s.io", "MachineDeployment")]
        return self.store.patch(md, namespace, name,
                                "application/merge-patch+json",
                                {"spec": {"replicas": replicas}})

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def write_kubeconfig(self, path, token=None, inline_ca=True):
        with open(self.ca_file, "rb") as f:
            ca_data = base64.b64encode(f.read()).decode()
        ca_line = ("    certificate-authority-data: %s\n" % ca_data
                   if inline_ca else
                   "    certificate-authority: %s\n" % self.ca_file)
        text = ("apiVersion: v1\nkind: Config\nclusters:\n"
                "- name: sim\n  cluster:\n    server: %s\n%s"
                "contexts:\n- name: sim\n  context:\n    cluster: sim\n"
                "    user: sim\ncurrent-context: sim\nusers:\n"
                "- name: sim\n  user:\n    token: %s\n" % (
                    self.url, ca_line, token or self.token))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def stop(self):
        self.controllers.stop()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self._tmp:
            self._tmp.cleanup()
