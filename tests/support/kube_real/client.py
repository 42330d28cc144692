"""A small Kubernetes REST client for the tests, shaped like the
simulator's store (tests/support/kube_sim/store.py), so that code written
against the simulator's store (the harness's views, the CAPI player) runs
against a real API server unchanged: list / get / create / update (with
a subresource) / patch / apply / delete, each taking a kube_sim Resource;
errors are kube_sim's ApiError with the server's code and reason."""

import http.client
import json
import ssl
import threading
import urllib.parse

from tests.support.kube_sim.store import ApiError


def resource_path(resource, namespace="", name="", subresource=""):
    base = "/api/v1" if not resource.group else \
        "/apis/%s/%s" % (resource.group, resource.version)
    if resource.namespaced and namespace:
        base += "/namespaces/" + namespace
    base += "/" + resource.plural
    if name:
        base += "/" + name
    if subresource:
        base += "/" + subresource
    return base


def api_version(resource):
    return resource.version if not resource.group else \
        "%s/%s" % (resource.group, resource.version)


class RealStore:
    """The simulator store's interface over a real API server, as the
    admin user (client certificate). Thread-safe: one connection per
    thread."""

    def __init__(self, url, ca_file, cert_file, key_file):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.context = ssl.create_default_context(cafile=ca_file)
        self.context.load_cert_chain(cert_file, key_file)
        self.local = threading.local()
        self.connections = []
        self.guard = threading.Lock()
        # What the simulator's store offers its controllers: a lock they
        # hold around a tick, and listeners told of each object seen.
        self.lock = threading.RLock()
        self.listeners = []

    @staticmethod
    def key(resource, namespace, name):
        return (resource.group, resource.plural,
                namespace if resource.namespaced else "", name)

    def close(self):
        with self.guard:
            for connection in self.connections:
                connection.close()
            self.connections = []

    # -- transport
    def _connection(self):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = http.client.HTTPSConnection(
                self.host, self.port, context=self.context, timeout=60)
            self.local.connection = connection
            with self.guard:
                self.connections.append(connection)
        return connection

    def raw(self, method, path, body=None, content_type="application/json",
            query=None):
        """One request; the decoded JSON reply, or ApiError."""
        if query:
            path += "?" + urllib.parse.urlencode(query)
        data = None if body is None else (
            body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request(method, path, body=data, headers=headers)
                reply = connection.getresponse()
                payload = reply.read()
                break
            except (http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt:
                    raise
        try:
            doc = json.loads(payload) if payload else {}
        except ValueError:
            doc = {"message": payload.decode(errors="replace")}
        if reply.status >= 400:
            raise ApiError(reply.status, doc.get("reason", ""),
                           doc.get("message", ""), doc.get("details"))
        return doc

    def _tell(self, resource, obj, kind="MODIFIED"):
        for listener in self.listeners:
            listener(kind, resource, obj)

    # -- the store's interface
    def list(self, resource, namespace="", label_selector="",
             field_selector=""):
        query = {}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        doc = self.raw("GET", resource_path(resource, namespace),
                       query=query)
        for item in doc.get("items", []):
            item.setdefault("apiVersion", api_version(resource))
            item.setdefault("kind", resource.kind)
            self._tell(resource, item)
        return doc

    def get(self, resource, namespace, name):
        obj = self.raw("GET", resource_path(resource, namespace, name))
        self._tell(resource, obj)
        return obj

    def create(self, resource, namespace, obj):
        obj = dict(obj, apiVersion=api_version(resource), kind=resource.kind)
        created = self.raw("POST", resource_path(resource, namespace), obj)
        self._tell(resource, created, "ADDED")
        return created

    def update(self, resource, namespace, name, obj, subresource=None):
        updated = self.raw("PUT", resource_path(resource, namespace, name,
                                                subresource or ""), obj)
        self._tell(resource, updated)
        return updated

    def patch(self, resource, namespace, name, content_type, body,
              subresource=None, field_manager="", force=False):
        query = {}
        if field_manager:
            query["fieldManager"] = field_manager
        if force:
            query["force"] = "true"
        return self.raw("PATCH", resource_path(resource, namespace, name,
                                               subresource or ""),
                        body, content_type, query)

    def apply(self, resource, namespace, name, body, field_manager, force,
              subresource=None):
        body = dict(body)
        body.setdefault("apiVersion", api_version(resource))
        body.setdefault("kind", resource.kind)
        return self.patch(resource, namespace, name,
                          "application/apply-patch+yaml", body, subresource,
                          field_manager, force)

    def delete(self, resource, namespace, name, precondition_uid=None):
        body = None
        if precondition_uid:
            body = {"kind": "DeleteOptions", "apiVersion": "v1",
                    "preconditions": {"uid": precondition_uid}}
        return self.raw("DELETE", resource_path(resource, namespace, name),
                        body)
