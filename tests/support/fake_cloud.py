"""A fake OpenStack cloud on loopback, spoken to over HTTP by the real
client libraries (keystoneauth, python-*client, openstacksdk).

It serves what the Magnum driver needs, with the paths, bodies and status
codes of the real APIs: Keystone v3 (tokens with a service catalog,
domain-scoped ones, application credentials, regions), Glance v2 (images
with custom properties, the image schema), Nova v2.1 (flavors,
os-server-groups), Cinder v3 (volume types, types/default), Neutron v2.0
(networks, subnets), and each service's version document. State lives in
`FakeCloud`; tests read and change it.

    cloud = FakeCloud().start()
    cloud.auth_url            # http://127.0.0.1:<port>/identity/v3
    ...
    cloud.stop()

Beside a real Keystone, `FakeCloud(keystone_url=...)` stands in for
Glance, Nova, Cinder and Neutron: a token it did not issue is checked
with that Keystone (`GET /v3/auth/tokens`, the token validating itself,
as a service's auth_token middleware would), and `services()` gives what
to register in Keystone's catalog (Cinder's URL with Keystone's
`$(project_id)s`).
"""

import http.server
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

PROJECT = "6f1e0c2ab8d94c7e9a51d3b0c4e2f7a1"
USER = "c0ffee00c0ffee00c0ffee00c0ffee00"
OTHER_USER = "beef0000beef0000beef0000beef0000"
ADMIN = "ad000000ad000000ad000000ad000000"
TRUSTEE_DOMAIN_ADMIN = "d0a00000d0a00000d0a00000d0a00000"
PASSWORDS = {"demo": (USER, "demo-secret"), "other": (OTHER_USER,
                                                      "other-secret"),
             "admin": (ADMIN, "admin-secret"),
             # Magnum's [trust] trustee_domain_admin: its domain-scoped
             # token tells Magnum the trustee domain's id.
             "trustee_domain_admin": (TRUSTEE_DOMAIN_ADMIN,
                                      "trustee-secret")}
TRUSTEE_DOMAIN = "magnum-trustee-domain"
REGION = "RegionOne"

IMAGE_ID = "7a0b5b9e-1f57-4c2e-9a41-d5c1f4f0a001"
IMAGE_V2_ID = "7a0b5b9e-1f57-4c2e-9a41-d5c1f4f0a002"
EXTERNAL_NET_ID = "0f0e4a3a-7a1e-4b8f-9c55-0d7f6a1b2c01"

IMAGE_SCHEMA = {
    "name": "image",
    "properties": {
        "id": {"type": "string"}, "name": {"type": ["null", "string"]},
        "status": {"type": "string"}, "visibility": {"type": "string"},
        "os_distro": {"type": "string"}, "tags": {"type": "array"},
        "self": {"type": "string"}, "file": {"type": "string"},
        "schema": {"type": "string"},
    },
    "additionalProperties": {"type": "string"},
    "links": [],
}


def user_token(user_id):
    """The token a request of `user_id` carries (valid in every cloud)."""
    return "token-of-" + user_id


class FakeCloud:
    """The cloud's state and its HTTP server."""

    def __init__(self, keystone_url=None):
        self.lock = threading.Lock()
        self.keystone_url = keystone_url
        self.images = {
            IMAGE_ID: {"id": IMAGE_ID, "name": "ubuntu-2204-kube-v1.33.4",
                       "os_distro": "ubuntu", "kube_version": "v1.33.4"},
            IMAGE_V2_ID: {"id": IMAGE_V2_ID,
                          "name": "ubuntu-2204-kube-v1.34.3",
                          "os_distro": "ubuntu",
                          "kube_version": "v1.34.3"},
        }
        self.flavors = {
            "f-small": {"name": "m1.small", "ram": 2048, "vcpus": 1},
            "f-medium": {"name": "m1.medium", "ram": 4096, "vcpus": 2},
            "f-large": {"name": "m1.large", "ram": 8192, "vcpus": 4},
        }
        self.volume_types = {"vt-standard": "standard", "vt-fast": "fast"}
        self.default_volume_type = "vt-fast"  # not the first one listed
        self.networks = [{"id": EXTERNAL_NET_ID, "name": "public",
                          "router:external": True}]
        self.subnets = []
        self.server_groups = {}
        self.keypairs = {"ops-key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"
                                    "IOpsKeyOfTheFakeCloud ops@example"}
        self.app_creds = {}        # id -> dict (with "user_id")
        self.deleted_app_creds = []
        # token -> (user id, project id); each user's request token (what
        # Magnum's request context carries) is valid from the start.
        self.tokens = {user_token(user): (user, PROJECT)
                       for user, _ in PASSWORDS.values()}
        self.fail = {}             # (method, path prefix) -> HTTP code
        self.requests = []         # (method, path) served
        self._server = None

    # -- lifecycle
    def start(self):
        cloud = self

        class Handler(_Handler):
            pass
        Handler.cloud = cloud
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever,
                         daemon=True).start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    @property
    def auth_url(self):
        return self.base + "/identity/v3"

    def issue_token(self, user, project=PROJECT):
        token = "tok-" + uuid.uuid4().hex
        with self.lock:
            self.tokens[token] = (user, project)
        return token

    def services(self):
        """(type, name, URL) of Glance, Nova, Cinder and Neutron, to
        register in a real Keystone's catalog."""
        b = self.base
        return [("image", "glance", b + "/image"),
                ("compute", "nova", b + "/compute/v2.1"),
                ("block-storage", "cinder",
                 b + "/volume/v3/$(project_id)s"),
                ("volumev3", "cinderv3", b + "/volume/v3/$(project_id)s"),
                ("network", "neutron", b + "/network")]

    def known_token(self, token):
        """Whether `token` is valid here: one of ours, or (beside a real
        Keystone) one Keystone validates; those are remembered."""
        with self.lock:
            if token in self.tokens:
                return True
        if not token or not self.keystone_url:
            return False
        request = urllib.request.Request(
            self.keystone_url + "/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                body = json.loads(reply.read())["token"]
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            return False
        project = body.get("project", {}).get("id", PROJECT)
        with self.lock:
            self.tokens[token] = (body["user"]["id"], project)
        return True

    def catalog(self):
        def service(kind, name, url):
            return {"type": kind, "name": name, "id": kind + "-id",
                    "endpoints": [
                        {"id": "%s-%s" % (kind, i), "interface": i,
                         "region": REGION, "region_id": REGION, "url": url}
                        for i in ("public", "internal", "admin")]}
        b = self.base
        return [service("identity", "keystone", b + "/identity/v3"),
                service("image", "glance", b + "/image"),
                service("compute", "nova", b + "/compute/v2.1"),
                service("volumev3", "cinderv3",
                        b + "/volume/v3/" + PROJECT),
                service("block-storage", "cinder",
                        b + "/volume/v3/" + PROJECT),
                service("network", "neutron", b + "/network")]


class _Server(http.server.ThreadingHTTPServer):
    # A conductor opens many connections at once (50 creates, each with
    # its own Keystone session); the default backlog of 5 would drop them.
    request_queue_size = 256


def _flavor(cloud, ident):
    f = cloud.flavors[ident]
    return {"id": ident, "name": f["name"], "ram": f["ram"],
            "vcpus": f["vcpus"], "disk": 20, "swap": "",
            "OS-FLV-EXT-DATA:ephemeral": 0, "rxtx_factor": 1.0,
            "os-flavor-access:is_public": True, "links": []}


def _image(cloud, image):
    out = {"status": "active", "visibility": "public", "tags": [],
           "self": "/v2/images/" + image["id"], "file":
           "/v2/images/%s/file" % image["id"], "schema": "/v2/schemas/image"}
    out.update(image)
    return out


def _server_group(group):
    return {"id": group["id"], "name": group["name"],
            "policies": [group["policy"]], "policy": group["policy"],
            "members": [], "metadata": {}, "project_id": PROJECT,
            "user_id": USER, "rules": {}}


def _region():
    return {"id": REGION, "description": "", "parent_region_id": None,
            "links": {"self": "/v3/regions/" + REGION}}


def _app_cred(cred, with_secret=False):
    out = {k: v for k, v in cred.items() if k != "secret"}
    if with_secret:
        out["secret"] = cred["secret"]
    out["links"] = {"self": "/v3/users/%s/application_credentials/%s" % (
        cred["user_id"], cred["id"])}
    return out


class _Handler(http.server.BaseHTTPRequestHandler):
    cloud = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing
    def _send(self, code, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _not_found(self, what):
        self._send(404, {"itemNotFound": {"code": 404, "message": what},
                         "error": {"code": 404, "message": what,
                                   "title": "Not Found"},
                         "NeutronError": {"type": "NotFound",
                                          "message": what}})

    def _dispatch(self, method):
        cloud = self.cloud
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = dict(urllib.parse.parse_qsl(url.query))
        with cloud.lock:
            cloud.requests.append((method, path))
            for (m, prefix), code in cloud.fail.items():
                if m == method and path.startswith(prefix):
                    return self._send(code, {"error": {
                        "code": code, "message": "injected failure",
                        "title": "Service Unavailable"}})
        if not path.endswith("/auth/tokens") and not self._authorized(path):
            return self._send(401, {"error": {
                "code": 401, "message": "The request you have made "
                "requires authentication.", "title": "Unauthorized"}})
        for prefix, handler in (("/identity", self._identity),
                                ("/image", self._image),
                                ("/compute", self._compute),
                                ("/volume", self._volume),
                                ("/network", self._network)):
            if path == prefix or path.startswith(prefix + "/"):
                return handler(method, path[len(prefix):] or "/", query)
        return self._not_found("no such service: " + path)

    def _authorized(self, path):
        if path in ("/identity", "/identity/v3", "/image", "/compute",
                    "/compute/v2.1", "/volume", "/volume/v3", "/network"):
            return True  # version documents are public
        return self.cloud.known_token(self.headers.get("X-Auth-Token", ""))

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("GET")

    # -- Keystone
    def _identity(self, method, path, query):
        cloud = self.cloud
        version = {"id": "v3.14", "status": "stable",
                   "updated": "2020-04-07T00:00:00Z",
                   "links": [{"rel": "self",
                              "href": cloud.base + "/identity/v3/"}],
                   "media-types": [{
                       "base": "application/json",
                       "type": "application/vnd.openstack.identity-v3+json"}]}
        if path == "/":
            return self._send(300, {"versions": {"values": [version]}})
        if path == "/v3":
            return self._send(200, {"version": version})
        if path == "/v3/auth/tokens" and method == "POST":
            return self._issue(self._body())
        if path == "/v3/auth/tokens" and method == "GET":
            subject = self.headers.get("X-Subject-Token", "")
            if subject not in cloud.tokens:
                return self._not_found("token")
            user, project = cloud.tokens[subject]
            return self._send(200, self._token_body(user, project, ["token"]),
                              {"X-Subject-Token": subject})
        if path == "/v3/regions" and method == "GET":
            return self._send(200, {"regions": [_region()], "links": {
                "self": cloud.auth_url + "/regions", "next": None,
                "previous": None}})
        if path == "/v3/regions/" + REGION and method == "GET":
            return self._send(200, {"region": _region()})
        parts = path.split("/")  # ['', 'v3', 'users', U, 'application_...']
        if len(parts) >= 5 and parts[2] == "users" and \
                parts[4] == "application_credentials":
            return self._app_creds(method, parts[3], parts[5:], query)
        return self._not_found("identity: " + path)

    def _token_body(self, user, project, methods):
        return {"token": {
            "methods": methods, "expires_at": "2099-01-01T00:00:00.000000Z",
            "issued_at": "2026-01-01T00:00:00.000000Z", "audit_ids": ["a"],
            "user": {"id": user, "name": user, "domain": {
                "id": "default", "name": "Default"}},
            "project": {"id": project, "name": "demo", "domain": {
                "id": "default", "name": "Default"}},
            "roles": [{"id": "r-member", "name": "member"},
                      {"id": "r-reader", "name": "reader"}] + (
                [{"id": "r-admin", "name": "admin"}]
                if user == ADMIN else []),
            "catalog": self.cloud.catalog()}}

    def _issue(self, body):
        cloud = self.cloud
        identity = body.get("auth", {}).get("identity", {})
        methods = identity.get("methods", [])
        user = None
        if "password" in methods:
            u = identity["password"]["user"]
            known = PASSWORDS.get(u.get("name")) or next(
                (v for v in PASSWORDS.values() if v[0] == u.get("id")), None)
            if known and known[1] == u.get("password"):
                user = known[0]
        elif "token" in methods:
            given = identity["token"]["id"]
            if given in cloud.tokens:
                user = cloud.tokens[given][0]
        elif "application_credential" in methods:
            ac = identity["application_credential"]
            cred = cloud.app_creds.get(ac.get("id"))
            if cred and cred["secret"] == ac.get("secret"):
                user = cred["user_id"]
        if user is None:
            return self._send(401, {"error": {
                "code": 401, "message": "The request you have made requires "
                "authentication.", "title": "Unauthorized"}})
        token = cloud.issue_token(user)
        reply = self._token_body(user, PROJECT, methods)
        domain = body["auth"].get("scope", {}).get("domain")
        if domain:
            # Domain-scoped: the domain instead of the project.
            del reply["token"]["project"]
            reply["token"]["domain"] = {
                "id": domain.get("id") or domain.get("name"),
                "name": domain.get("name") or domain.get("id")}
        return self._send(201, reply, {"X-Subject-Token": token})

    def _app_creds(self, method, user, rest, query):
        cloud = self.cloud
        with cloud.lock:
            if method == "POST" and not rest:
                given = self._body()["application_credential"]
                cred = {"id": uuid.uuid4().hex, "name": given["name"],
                        "description": given.get("description"),
                        "user_id": user, "project_id": PROJECT,
                        "roles": [{"id": "r-member", "name": "member"}],
                        "unrestricted": False, "expires_at": None,
                        "secret": "s3cr3t-" + uuid.uuid4().hex}
                cloud.app_creds[cred["id"]] = cred
                return self._send(201, {
                    "application_credential": _app_cred(cred, True)})
            if method == "GET" and not rest:
                found = [c for c in cloud.app_creds.values()
                         if c["user_id"] == user and
                         query.get("name", c["name"]) == c["name"]]
                return self._send(200, {
                    "application_credentials": [_app_cred(c)
                                                for c in found],
                    "links": {"self": "", "next": None, "previous": None}})
            cred = cloud.app_creds.get(rest[0]) if rest else None
            if cred is None or cred["user_id"] != user:
                return self._send(404, {"error": {
                    "code": 404, "title": "Not Found",
                    "message": "Could not find application credential: %s"
                               % (rest[0] if rest else "")}})
            if method == "GET":
                return self._send(200, {
                    "application_credential": _app_cred(cred)})
            if method == "DELETE":
                del cloud.app_creds[cred["id"]]
                cloud.deleted_app_creds.append(cred["id"])
                return self._send(204)
        return self._not_found("application credentials")

    # -- Glance
    def _image(self, method, path, query):
        cloud = self.cloud
        if path == "/":
            return self._send(300, {"versions": [{
                "id": "v2.9", "status": "CURRENT",
                "links": [{"rel": "self",
                           "href": cloud.base + "/image/v2/"}]}]})
        if path == "/v2/schemas/image":
            return self._send(200, IMAGE_SCHEMA)
        if path == "/v2/images":
            found = [_image(cloud, i) for i in cloud.images.values()
                     if query.get("name", i["name"]) == i["name"] and
                     query.get("id", i["id"]) == i["id"]]
            return self._send(200, {"images": found, "first": "/v2/images",
                                    "schema": "/v2/schemas/images"})
        if path.startswith("/v2/images/"):
            image = cloud.images.get(path.split("/")[3])
            if image is None:
                return self._not_found("No image found with ID %s" %
                                       path.split("/")[3])
            return self._send(200, _image(cloud, image))
        return self._not_found("image: " + path)

    # -- Nova
    def _compute(self, method, path, query):
        cloud = self.cloud
        version = {"id": "v2.1", "status": "CURRENT", "version": "2.90",
                   "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
                   "links": [{"rel": "self",
                              "href": cloud.base + "/compute/v2.1/"}]}
        if path == "/":
            return self._send(200, {"versions": [version]})
        if path == "/v2.1":
            return self._send(200, {"version": version})
        if path in ("/v2.1/flavors", "/v2.1/flavors/detail"):
            return self._send(200, {"flavors": [
                _flavor(cloud, i) for i in sorted(cloud.flavors)]})
        if path.startswith("/v2.1/flavors/"):
            ident = path.split("/")[3]
            if ident not in cloud.flavors:
                return self._not_found("Flavor %s could not be found." %
                                       ident)
            return self._send(200, {"flavor": _flavor(cloud, ident)})
        if path.startswith("/v2.1/os-keypairs/"):
            name = urllib.parse.unquote(path.split("/")[3])
            if name not in cloud.keypairs:
                return self._not_found("Keypair %s not found for user" %
                                       name)
            return self._send(200, {"keypair": {
                "name": name, "public_key": cloud.keypairs[name],
                "fingerprint": "00:11:22:33", "type": "ssh",
                "user_id": USER, "id": 1, "deleted": False}})
        if path == "/v2.1/os-server-groups":
            with cloud.lock:
                if method == "POST":
                    given = self._body()["server_group"]
                    policy = given.get("policy") or given["policies"][0]
                    group = {"id": str(uuid.uuid4()), "name": given["name"],
                             "policy": policy}
                    cloud.server_groups[group["id"]] = group
                    return self._send(200, {
                        "server_group": _server_group(group)})
                return self._send(200, {"server_groups": [
                    _server_group(g) for g in cloud.server_groups.values()]})
        if path.startswith("/v2.1/os-server-groups/"):
            ident = path.split("/")[3]
            with cloud.lock:
                group = cloud.server_groups.get(ident)
                if group is None:
                    return self._not_found("Instance group %s could not be "
                                           "found." % ident)
                if method == "DELETE":
                    del cloud.server_groups[ident]
                    return self._send(204)
                return self._send(200, {"server_group": _server_group(group)})
        return self._not_found("compute: " + path)

    # -- Cinder
    def _volume(self, method, path, query):
        cloud = self.cloud
        version = {"id": "v3.0", "status": "CURRENT", "version": "3.70",
                   "min_version": "3.0", "updated": "2023-08-31T00:00:00Z",
                   "links": [{"rel": "self",
                              "href": cloud.base + "/volume/v3/"}]}
        parts = path.split("/")  # ['', 'v3', project, ...]
        prefix = "/v3/" + (parts[2] if len(parts) > 2 else PROJECT)
        if path == "/":
            return self._send(300, {"versions": [version]})
        if path in ("/v3", prefix):
            return self._send(200, {"version": version})
        if path == prefix + "/types":
            return self._send(200, {"volume_types": [
                _volume_type(i, n) for i, n in
                sorted(cloud.volume_types.items())]})
        if path == prefix + "/types/default":
            ident = cloud.default_volume_type
            if ident not in cloud.volume_types:
                return self._not_found("Default volume type can not be "
                                       "found.")
            return self._send(200, {"volume_type": _volume_type(
                ident, cloud.volume_types[ident])})
        if path.startswith(prefix + "/types/"):
            ident = path.split("/")[-1]
            if ident not in cloud.volume_types:
                return self._not_found("Volume type %s could not be found."
                                       % ident)
            return self._send(200, {"volume_type": _volume_type(
                ident, cloud.volume_types[ident])})
        return self._not_found("volume: " + path)

    # -- Neutron
    def _network(self, method, path, query):
        cloud = self.cloud
        if path == "/":
            return self._send(200, {"versions": [{
                "id": "v2.0", "status": "CURRENT",
                "links": [{"rel": "self",
                           "href": cloud.base + "/network/v2.0/"}]}]})
        for kind, items in (("networks", cloud.networks),
                            ("subnets", cloud.subnets)):
            if path == "/v2.0/" + kind:
                found = [x for x in items if all(
                    str(x.get(k)) == v or
                    (isinstance(x.get(k), bool) and
                     str(x.get(k)).lower() == v.lower())
                    for k, v in query.items() if k not in ("fields",))]
                return self._send(200, {kind: found})
        return self._not_found("network: " + path)


def _volume_type(ident, name):
    return {"id": ident, "name": name, "is_public": True,
            "extra_specs": {}, "description": None,
            "os-volume-type-access:is_public": True, "qos_specs_id": None}
