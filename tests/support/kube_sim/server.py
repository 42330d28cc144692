"""HTTP front of the simulator: a Kubernetes REST API over TLS.

Routes, discovery, bearer-token authentication, watch streams (chunked
JSON lines with bookmarks and 410 Gone) and the fault knobs. Control
requests under /sim/ (same token) set faults and read request counters.
"""

import http.server
import json
import socket
import ssl
import threading
import time
import urllib.parse

import yaml

from . import protobuf, resources
from .store import ApiError, parse_field_selector, parse_label_selector

STATUS_OK = {"kind": "Status", "apiVersion": "v1", "metadata": {},
             "status": "Success"}


class Faults:
    """Mutable fault knobs; every field is read per request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency_ms = 0
        self.errors = []   # [{code, count, method, path_contains}]
        self.drops = []    # [{count, method, path_contains}]
        # [{ms, count, method, path_contains}]: hold matching requests
        # (a slow API server, or a helm to kill mid-apply).
        self.delays = []

    def set(self, spec):
        with self.lock:
            if "latency_ms" in spec:
                self.latency_ms = int(spec["latency_ms"])
            for e in spec.get("errors", []):
                self.errors.append(dict(e))
            for d in spec.get("drops", []):
                self.drops.append(dict(d))
            for d in spec.get("delays", []):
                self.delays.append(dict(d))
            if spec.get("clear"):
                self.latency_ms, self.errors, self.drops = 0, [], []
                self.delays = []

    def _take(self, rules, method, path):
        with self.lock:
            for rule in rules:
                if rule.get("count", 1) <= 0:
                    continue
                if rule.get("method") and rule["method"] != method:
                    continue
                if rule.get("path_contains") and \
                        rule["path_contains"] not in path:
                    continue
                rule["count"] = rule.get("count", 1) - 1
                return rule
        return None

    def error_for(self, method, path):
        return self._take(self.errors, method, path)

    def drop_for(self, method, path):
        return self._take(self.drops, method, path)

    def delay_for(self, method, path):
        rule = self._take(self.delays, method, path)
        return rule.get("ms", 0) / 1000.0 if rule else 0


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}   # "METHOD path-without-query" -> count
        self.total = 0
        # X-Request-Id header -> requests carrying it (the API server
        # ignores the header; proxies and audit pipelines keep it).
        self.request_ids = {}

    def count(self, method, path, request_id=None):
        with self.lock:
            key = "%s %s" % (method, path)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.total += 1
            if request_id:
                self.request_ids[request_id] = (
                    self.request_ids.get(request_id, 0) + 1)

    def snapshot(self):
        with self.lock:
            return {"total": self.total, "requests": dict(self.requests),
                    "request_ids": dict(self.request_ids)}


def _parse_path(path):
    """Splits an API path into (resource, namespace, name, subresource,
    watch); ("unknown", ...) for an unknown resource; None for a path that
    names no resource."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch = False
    if rest[:1] == ["watch"]:
        watch, rest = True, rest[1:]
    namespace = ""
    namespace_object = (group == "" and rest[:1] == ["namespaces"] and
                        (len(rest) <= 2 or rest[2] in ("status",
                                                       "finalize")))
    if rest[:1] == ["namespaces"] and len(rest) >= 3 and \
            not namespace_object:
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    plural = rest[0]
    resource = resources.BY_PATH.get((group, version, plural))
    if resource is None:
        return ("unknown", group, version, plural)
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3 or (sub and sub != "status"):
        return ("unknown", group, version, "/".join(rest))
    if not resource.namespaced and namespace:
        return ("unknown", group, version, plural)
    return (resource, namespace, name, sub, watch)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-sim"
    # Headers and body go out in separate writes; with Nagle's algorithm the
    # body would wait for the client's delayed ACK (~40 ms a request). The
    # real API server (Go) sets TCP_NODELAY too.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet; counters tell the story
        if self.server.sim.verbose:
            super().log_message(fmt, *args)

    # -- plumbing
    def _send_json(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, err, headers=None):
        self._send_json(err.code, err.status(), headers)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        try:
            if ctype == "application/apply-patch+yaml":
                return yaml.safe_load(raw)
            if ctype == "application/vnd.kubernetes.protobuf":
                return protobuf.decode(raw)
            return json.loads(raw)
        except Exception as exc:
            raise ApiError(400, "BadRequest",
                           "the request body is not valid %s: %s" % (
                               ctype or "JSON", exc))

    def _authorized(self):
        sim = self.server.sim
        header = self.headers.get("Authorization", "")
        return not sim.token or header == "Bearer " + sim.token

    # -- dispatch
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        sim = self.server.sim
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query,
                                            keep_blank_values=True))
        path = url.path.rstrip("/") or "/"
        if not self._authorized():
            self._body()
            return self._send_error(ApiError(401, "Unauthorized",
                                             "Unauthorized"))
        if path.startswith("/sim/"):
            return self._control(method, path)
        sim.stats.count(method, path, self.headers.get("X-Request-Id"))
        if sim.faults.latency_ms:
            time.sleep(sim.faults.latency_ms / 1000.0)
        delay = sim.faults.delay_for(method, path)
        if delay:
            time.sleep(delay)
        if sim.faults.drop_for(method, path):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        rule = sim.faults.error_for(method, path)
        if rule:
            self._body()
            code = int(rule.get("code", 500))
            reason = {429: "TooManyRequests", 503: "ServiceUnavailable",
                      504: "Timeout"}.get(code, "InternalError")
            headers = {"Retry-After": "1"} if code == 429 else None
            return self._send_error(ApiError(code, reason,
                                             "injected fault %d" % code),
                                    headers)
        try:
            self._serve(method, path, query)
        except ApiError as err:
            self._send_error(err)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _serve(self, method, path, query):
        sim = self.server.sim
        store = sim.store
        if method == "GET" and path in ("/version", "/version/"):
            return self._send_json(200, sim.version_info)
        if method == "GET" and path == "/api":
            return self._send_json(200, {
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0",
                     "serverAddress": "127.0.0.1:%d" % sim.port}]})
        if method == "GET" and path == "/apis":
            groups = []
            for name, versions in resources.groups().items():
                gvs = [{"groupVersion": "%s/%s" % (name, v), "version": v}
                       for v in versions]
                groups.append({"name": name, "versions": gvs,
                               "preferredVersion": gvs[0]})
            return self._send_json(200, {"kind": "APIGroupList",
                                         "apiVersion": "v1",
                                         "groups": groups})
        parts = [p for p in path.split("/") if p]
        if method == "GET" and (parts == ["api", "v1"] or
                                (len(parts) == 3 and parts[0] == "apis")):
            group, version = ("", "v1") if parts[0] == "api" else \
                (parts[1], parts[2])
            body = resources.resource_list(group, version)
            if body is None:
                raise ApiError(404, "NotFound", "the server could not find "
                               "the requested resource")
            return self._send_json(200, body)
        if method == "GET" and len(parts) == 2 and parts[0] == "apis":
            versions = resources.groups().get(parts[1])
            if versions is None:
                raise ApiError(404, "NotFound", "the server could not find "
                               "the requested resource")
            gvs = [{"groupVersion": "%s/%s" % (parts[1], v), "version": v}
                   for v in versions]
            return self._send_json(200, {"kind": "APIGroup", "apiVersion":
                                         "v1", "name": parts[1],
                                         "versions": gvs,
                                         "preferredVersion": gvs[0]})
        if method == "GET" and parts[:2] == ["openapi", "v3"]:
            return self._openapi_v3(parts[2:])
        route = _parse_path(path)
        if route is None or route[0] == "unknown":
            self._body()
            raise ApiError(404, "NotFound",
                           "the server could not find the requested resource")
        resource, namespace, name, sub, watch = route
        if query.get("watch") in ("1", "true"):
            watch = True
        if watch:
            if method != "GET" or name:
                raise ApiError(405, "MethodNotAllowed",
                               "watch is a GET on a collection")
            return self._watch(resource, namespace, query)
        if resource.namespaced and not namespace and method != "GET":
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource")
        if method == "GET":
            if name:
                obj = store.get(resource, namespace, name)
                return self._send_json(200, obj)
            listed = store.list(
                resource, namespace, query.get("labelSelector", ""),
                query.get("fieldSelector", ""), int(query.get("limit") or 0),
                query.get("continue", ""))
            if "as=PartialObjectMetadataList" in (
                    self.headers.get("Accept") or ""):
                # What the API server sends for a metadata-only list.
                listed = {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": listed["metadata"],
                    "items": [{"kind": "PartialObjectMetadata",
                               "apiVersion": "meta.k8s.io/v1",
                               "metadata": item["metadata"]}
                              for item in listed["items"]]}
            return self._send_json(200, listed)
        if method == "POST":
            if name:
                raise ApiError(405, "MethodNotAllowed",
                               "POST to a named object")
            body = self._body()
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "the request body must be "
                               "an object")
            return self._send_json(201, store.create(resource, namespace,
                                                     body))
        if method == "PUT":
            if not name:
                raise ApiError(405, "MethodNotAllowed", "PUT a collection")
            body = self._body()
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "the request body must be "
                               "an object")
            return self._send_json(200, store.update(resource, namespace,
                                                     name, body, sub or None))
        if method == "PATCH":
            if not name:
                raise ApiError(405, "MethodNotAllowed", "PATCH a collection")
            ctype = (self.headers.get("Content-Type") or "").split(";")[0]
            body = self._body()
            force = query.get("force") in ("true", "1")
            obj = store.patch(resource, namespace, name, ctype, body,
                              sub or None, query.get("fieldManager", ""),
                              force)
            return self._send_json(200, obj)
        if method == "DELETE":
            options = self._body() or {}
            if name:
                obj = store.delete(resource, namespace, name, (
                    options.get("preconditions") or {}).get("uid"))
                if obj["metadata"].get("deletionTimestamp"):
                    return self._send_json(202, obj)
                return self._send_json(200, obj)
            return self._send_json(200, store.delete_collection(
                resource, namespace, query.get("labelSelector", ""),
                query.get("fieldSelector", "")))
        raise ApiError(405, "MethodNotAllowed", "method not allowed")

    # -- OpenAPI v3: the index and, per group version, the PATCH
    # operations with their parameters (clients read them to decide that
    # the server validates fields itself). No schemas are served, so
    # clients do no client-side schema validation either.
    def _openapi_v3(self, rest):
        gvs = [("", "v1")] + [(g, v) for g, vs in resources.groups().items()
                              for v in vs]

        def gv_path(g, v):
            return "api/v1" if not g else "apis/%s/%s" % (g, v)
        if not rest:
            return self._send_json(200, {"paths": {
                gv_path(g, v): {"serverRelativeURL": "/openapi/v3/%s?hash=%s"
                                % (gv_path(g, v), "sim1")} for g, v in gvs}})
        wanted = "/".join(rest)
        for g, v in gvs:
            if gv_path(g, v) != wanted:
                continue
            paths = {}
            for r in resources.RESOURCES:
                if (r.group, r.version) != (g, v):
                    continue
                base = "/" + gv_path(g, v) + (
                    "/namespaces/{namespace}" if r.namespaced else "")
                paths["%s/%s/{name}" % (base, r.plural)] = {"patch": {
                    "x-kubernetes-group-version-kind": {
                        "group": g, "version": v, "kind": r.kind},
                    "parameters": [
                        {"name": name, "in": "query",
                         "schema": {"type": "string"}}
                        for name in ("dryRun", "fieldManager",
                                     "fieldValidation", "force")]}}
            return self._send_json(200, {
                "openapi": "3.0.0",
                "info": {"title": "Kubernetes", "version": "v1.31.4"},
                "paths": paths, "components": {"schemas": {}}})
        raise ApiError(404, "NotFound", "the server could not find the "
                       "requested resource")

    # -- watch
    def _watch(self, resource, namespace, query):
        sim = self.server.sim
        store = sim.store
        labels_ok = parse_label_selector(query.get("labelSelector", ""))
        fields_ok = parse_field_selector(query.get("fieldSelector", ""))
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = float(query.get("timeoutSeconds") or 1800)
        rv = query.get("resourceVersion", "")
        initial = []
        with store.lock:
            if rv in ("", "0"):
                since = store.revision
                listing = store.list(resource, namespace,
                                     query.get("labelSelector", ""),
                                     query.get("fieldSelector", ""))
                initial = [("ADDED", o) for o in listing["items"]]
            else:
                try:
                    since = int(rv)
                except ValueError:
                    raise ApiError(400, "BadRequest",
                                   "invalid resourceVersion %r" % rv)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        generation = sim.watch_generation

        def send(event_type, obj):
            line = json.dumps({"type": event_type, "object": obj}) + "\n"
            data = line.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        try:
            for event_type, obj in initial:
                send(event_type, obj)
            deadline = time.monotonic() + timeout
            last_bookmark = time.monotonic()
            while True:
                with store.lock:
                    try:
                        events = store.events_since(since)
                    except ApiError as err:
                        send("ERROR", err.status())
                        break
                    if not events:
                        store.lock.wait(0.05)
                        events = store.events_since(since) \
                            if since + 1 >= store.oldest_revision else []
                    current = store.revision
                for revision, event_type, res, obj in events:
                    since = revision
                    if res != resource:
                        continue
                    meta = obj["metadata"]
                    if namespace and meta.get("namespace") != namespace:
                        continue
                    if not labels_ok(meta.get("labels") or {}) or \
                            not fields_ok(obj):
                        continue
                    send(event_type, obj)
                if not events:
                    since = max(since, current)
                now = time.monotonic()
                if sim.watch_generation != generation:
                    return  # watch cut: drop the stream without a chunk end
                if now >= deadline:
                    break
                if bookmarks and now - last_bookmark >= sim.bookmark_seconds:
                    last_bookmark = now
                    send("BOOKMARK", {
                        "kind": resource.kind,
                        "apiVersion": resources.api_version(resource),
                        "metadata": {"resourceVersion": str(since)}})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass

    # -- control
    def _control(self, method, path):
        sim = self.server.sim
        body = self._body() or {}
        if path == "/sim/stats" and method == "GET":
            stats = sim.stats.snapshot()
            stats["charts"] = sim.chart_downloads()
            return self._send_json(200, stats)
        if path == "/sim/faults" and method == "POST":
            sim.faults.set(body)
            if body.get("watch_cut"):
                sim.watch_generation += 1
            if body.get("compact"):
                sim.store.compact()
            for name, value in body.get("capi", {}).items():
                sim.controllers.inject(name, value)
            return self._send_json(200, {"ok": True})
        if path == "/sim/progression" and method == "POST":
            sim.controllers.configure(body)
            return self._send_json(200, {"ok": True})
        raise ApiError(404, "NotFound", "unknown control path %s" % path)


class ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
