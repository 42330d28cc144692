"""A read-only OCI registry serving the chart archives of a directory the
way `helm push` stores them (OCI distribution API v2: /v2/, manifests by
tag or digest, blobs, tags/list; HEAD and GET), so `helm pull oci://...`
works offline. Charts are served as <registry>/charts/<name>:<version>."""

import hashlib
import http.server
import json
import os
import re
import tarfile
import threading
import urllib.parse

import yaml

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.cncf.helm.config.v1+json"
LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """The artifacts of each archive in `directory`, built on demand."""

    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.blobs = {}       # digest -> (media type, bytes)
        self.downloads = {}   # request path -> count

    def tags(self, chart):
        out = []
        for name in sorted(os.listdir(self.directory)):
            match = re.match(r"^%s-(\d.*)\.tgz$" % re.escape(chart), name)
            if match:
                out.append(match.group(1).replace("+", "_"))
        return out

    def manifest(self, chart, tag):
        path = os.path.join(self.directory, "%s-%s.tgz" % (
            chart, tag.replace("_", "+")))
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            layer = f.read()
        with tarfile.open(path, "r:gz") as archive:
            metadata = yaml.safe_load(archive.extractfile(
                "%s/Chart.yaml" % chart).read())
        config = json.dumps(metadata, sort_keys=True).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": CONFIG, "digest": _digest(config),
                       "size": len(config)},
            "layers": [{"mediaType": LAYER, "digest": _digest(layer),
                        "size": len(layer)}],
            "annotations": {"org.opencontainers.image.title": chart,
                            "org.opencontainers.image.version":
                                metadata.get("version", "")}},
            sort_keys=True).encode()
        with self.lock:
            self.blobs[_digest(config)] = (CONFIG, config)
            self.blobs[_digest(layer)] = (LAYER, layer)
            self.blobs[_digest(manifest)] = (MANIFEST, manifest)
        return manifest


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _send(self, code, body, media, head, digest=None):
        self.send_response(code)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_found(self, head, what):
        body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN",
                                       "message": what}]}).encode()
        self._send(404, body, "application/json", head)

    def _serve(self, head):
        registry = self.server.registry
        path = urllib.parse.urlsplit(self.path).path
        with registry.lock:
            registry.downloads[path] = registry.downloads.get(path, 0) + 1
        if path.rstrip("/") == "/v2":
            return self._send(200, b"{}", "application/json", head)
        match = re.match(r"^/v2/(.+)/(manifests|blobs|tags)/([^/]+)$", path)
        if not match:
            return self._not_found(head, "unknown path " + path)
        repository, kind, ref = match.groups()
        chart = repository.rsplit("/", 1)[-1]
        if kind == "tags":
            body = json.dumps({"name": repository,
                               "tags": registry.tags(chart)}).encode()
            return self._send(200, body, "application/json", head)
        if kind == "manifests" and not ref.startswith("sha256:"):
            manifest = registry.manifest(chart, ref)
            if manifest is None:
                return self._not_found(head, "%s:%s not found" % (
                    repository, ref))
            return self._send(200, manifest, MANIFEST, head,
                              _digest(manifest))
        with registry.lock:
            found = registry.blobs.get(ref)
        if found is None:
            return self._not_found(head, "%s not found" % ref)
        media, data = found
        if kind == "blobs":
            media = "application/octet-stream"
        return self._send(200, data, media, head, ref)


def serve(directory):
    """Starts the registry on 127.0.0.1, plain HTTP (helm talks plain HTTP
    to registries on loopback addresses); returns the server (its
    `registry` holds the download counts)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.registry = Registry(directory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
