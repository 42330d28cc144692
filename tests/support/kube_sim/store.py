"""The simulator's object store: API-server semantics without HTTP.

Objects are plain dicts keyed by (group, plural, namespace, name). Every
write bumps one global resourceVersion and appends a watch event; events
older than the retention window are compacted, and a watch or list from a
resourceVersion before the window gets 410 Gone, as etcd compaction does.
"""

import base64
import copy
import datetime
import json
import re
import threading
import uuid

from . import resources

DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
# Paginated lists served at once (the oldest is forgotten: its continue
# token then gets 410, as after etcd compaction).
MAX_LIST_SNAPSHOTS = 64
AUTOSCALER_MIN_SIZE = \
    "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX_SIZE = \
    "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"


class ApiError(Exception):
    """An error the API server answers with a Status body."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self):
        return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": self.message,
                "reason": self.reason, "details": self.details,
                "code": self.code}


def not_found(resource, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (
        _qualified(resource), name), {"name": name, "kind": resource.plural})


def _qualified(resource):
    return resource.plural if not resource.group else \
        "%s.%s" % (resource.plural, resource.group)


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- selectors

_REQUIREMENT = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|"
    r"\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def parse_label_selector(text):
    """Returns a predicate over a labels dict; raises ApiError on bad text."""
    if not text:
        return lambda labels: True
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    checks = []
    for part in parts:
        m = _REQUIREMENT.match(part)
        if not m:
            raise ApiError(400, "BadRequest",
                           "unable to parse requirement: %r" % part)
        negate, key, op, value, set_op, set_values = m.groups()
        if negate and (op or set_op):
            raise ApiError(400, "BadRequest",
                           "unable to parse requirement: %r" % part)
        if op in ("=", "=="):
            checks.append(lambda ls, k=key, v=value: ls.get(k) == v)
        elif op == "!=":
            checks.append(lambda ls, k=key, v=value: ls.get(k) != v)
        elif set_op:
            values = {v.strip() for v in set_values.split(",") if v.strip()}
            if set_op == "in":
                checks.append(lambda ls, k=key, vs=values: ls.get(k) in vs)
            else:
                checks.append(lambda ls, k=key, vs=values: ls.get(k) not in vs)
        elif negate:
            checks.append(lambda ls, k=key: k not in ls)
        else:
            checks.append(lambda ls, k=key: k in ls)
    return lambda labels: all(c(labels) for c in checks)


def parse_field_selector(text):
    if not text:
        return lambda obj: True
    checks = []
    for part in text.split(","):
        m = re.match(r"^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m or m.group(1) not in ("metadata.name", "metadata.namespace"):
            raise ApiError(400, "BadRequest",
                           '"%s" is not a known field selector: only '
                           '"metadata.name", "metadata.namespace"' % part)
        field = m.group(1).split(".")[1]
        if m.group(2) == "!=":
            checks.append(lambda o, f=field, v=m.group(3):
                          o["metadata"].get(f, "") != v)
        else:
            checks.append(lambda o, f=field, v=m.group(3):
                          o["metadata"].get(f, "") == v)
    return lambda obj: all(c(obj) for c in checks)


# ----------------------------------------------------------------- patches

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# Strategic-merge keys of the lists helm patches in the built-in kinds.
_MERGE_KEYS = {"containers": "name", "initContainers": "name",
               "env": "name", "volumes": "name", "volumeMounts": "mountPath",
               "ports": "containerPort", "imagePullSecrets": "name"}


def strategic_merge_patch(target, patch):
    """Strategic merge patch as kubectl/helm send it for built-in kinds:
    maps merge, lists with a known merge key merge by it, other lists are
    replaced; $patch/$retainKeys/$setElementOrder directives honoured."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or \
                key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name, []) if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in _MERGE_KEYS and \
                isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, _MERGE_KEYS[key])
        else:
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(current, patch, key):
    out = [copy.deepcopy(item) for item in current]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            out.append(copy.deepcopy(item))
            continue
        index = next((i for i, o in enumerate(out)
                      if isinstance(o, dict) and o.get(key) == item[key]),
                     None)
        if item.get("$patch") == "delete":
            if index is not None:
                out.pop(index)
        elif index is None:
            out.append({k: v for k, v in item.items() if k != "$patch"})
        else:
            out[index] = strategic_merge_patch(out[index], item)
    return out


def json_patch(target, operations):
    """RFC 6902 JSON patch (add, remove, replace, test)."""
    doc = copy.deepcopy(target)
    for op in operations:
        path = [p.replace("~1", "/").replace("~0", "~")
                for p in op.get("path", "").split("/")[1:]]
        parent = doc
        for p in path[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = path[-1] if path else None
        kind = op.get("op")
        try:
            if kind == "test":
                current = parent[int(last)] if isinstance(parent, list) \
                    else parent[last]
                if current != op.get("value"):
                    raise ApiError(422, "Invalid", "test operation failed")
            elif kind == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            elif kind in ("add", "replace"):
                if isinstance(parent, list):
                    if last == "-":
                        parent.append(op["value"])
                    elif kind == "add":
                        parent.insert(int(last), op["value"])
                    else:
                        parent[int(last)] = op["value"]
                else:
                    if kind == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = op["value"]
            else:
                raise ApiError(422, "Invalid",
                               "unsupported JSON patch op %r" % kind)
        except (KeyError, IndexError, ValueError):
            raise ApiError(422, "Invalid",
                           "JSON patch %s failed at %s" % (kind, op["path"]))
    return doc


# --------------------------------------------------------- server-side apply

def _leaf_paths(value, prefix=()):
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaf_paths(v, prefix + (k,))
    else:
        yield prefix


def _get_path(obj, path):
    for p in path:
        if not isinstance(obj, dict) or p not in obj:
            return _MISSING
        obj = obj[p]
    return obj


def _del_path(obj, path):
    parents = []
    for p in path[:-1]:
        if not isinstance(obj, dict) or p not in obj:
            return
        parents.append((obj, p))
        obj = obj[p]
    if isinstance(obj, dict):
        obj.pop(path[-1], None)
    for parent, key in reversed(parents):  # prune emptied maps
        if parent[key] == {}:
            del parent[key]
        else:
            break


_MISSING = object()
_APPLY_IGNORED = {("apiVersion",), ("kind",), ("metadata", "name"),
                  ("metadata", "namespace")}


# ------------------------------------------------------------------ store

class Store:
    """Thread-safe object store with watch events."""

    def __init__(self, event_retention=2000):
        self.lock = threading.Condition()
        self.objects = {}          # (group, plural, ns, name) -> object
        self.apply_owners = {}     # key -> {manager: set(paths)}
        self.revision = 1
        self.events = []           # (revision, type, resource, object)
        self.oldest_revision = 1   # events before this were compacted
        self.retention = event_retention
        self.created = {}          # key -> time.monotonic() of creation
        self.listeners = []        # callables(type, resource, object)
        self.snapshots = {}        # paginated lists being served: id -> items

    # -- helpers
    @staticmethod
    def key(resource, namespace, name):
        return (resource.group, resource.plural,
                namespace if resource.namespaced else "", name)

    def _emit(self, kind, resource, obj):
        self.revision += 1
        obj["metadata"]["resourceVersion"] = str(self.revision)
        self.events.append((self.revision, kind, resource, copy.deepcopy(obj)))
        if len(self.events) > self.retention:
            drop = len(self.events) - self.retention
            self.oldest_revision = self.events[drop][0]
            del self.events[:drop]
        self.lock.notify_all()
        for listener in self.listeners:
            listener(kind, resource, obj)

    def compact(self):
        """Forget all events (a watch from an older revision, or the rest of
        a paginated list, gets 410)."""
        with self.lock:
            self.events = []
            self.oldest_revision = self.revision + 1
            self.snapshots.clear()

    def _check_namespace(self, resource, namespace):
        if not resource.namespaced:
            return
        ns = resources.BY_KIND[("", "Namespace")]
        if Store.key(ns, "", namespace) not in self.objects:
            raise ApiError(404, "NotFound",
                           'namespaces "%s" not found' % namespace,
                           {"name": namespace, "kind": "namespaces"})
        if self.objects[Store.key(ns, "", namespace)]["metadata"].get(
                "deletionTimestamp"):
            raise ApiError(403, "Forbidden",
                           'unable to create new content in namespace %s '
                           'because it is being terminated' % namespace)

    @staticmethod
    def _validate(resource, obj):
        meta = obj.get("metadata") or {}
        name = meta.get("name", "")
        causes = []
        pattern = DNS1123_LABEL if resource.kind == "Namespace" \
            else DNS1123_SUBDOMAIN
        limit = 63 if resource.kind == "Namespace" else 253
        if not name or not pattern.match(name) or len(name) > limit:
            kind = "label" if limit == 63 else "subdomain"
            causes.append("metadata.name: Invalid value: %r: a lowercase RFC "
                          "1123 %s" % (name, kind))
        for k, v in (meta.get("labels") or {}).items():
            if not isinstance(v, str) or len(v) > 63 or \
                    not LABEL_VALUE.match(v):
                causes.append("metadata.labels: Invalid value: %r: a valid "
                              "label must be an empty string or consist of "
                              "alphanumeric characters, '-', '_' or '.', "
                              "at most 63" % (v,))
            name_part = k.split("/")[-1]
            if len(name_part) > 63 or not LABEL_NAME.match(name_part):
                causes.append("metadata.labels: Invalid value: %r: name "
                              "part must be a valid label name" % k)
        for k, v in (meta.get("annotations") or {}).items():
            if not isinstance(v, str):
                causes.append("metadata.annotations.%s: Invalid value: "
                              "annotation values must be strings" % k)
        if resource.kind == "Secret":
            for k, v in (obj.get("data") or {}).items():
                try:
                    base64.b64decode(v, validate=True)
                except Exception:
                    causes.append("data[%s]: Invalid value: not base64" % k)
        if resource.kind == "Lease":
            causes.extend(_lease_problems(obj.get("spec") or {}))
        if causes:
            raise ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (
                resource.kind, name, "; ".join(causes)),
                {"name": name, "kind": resource.kind,
                 "causes": [{"message": c} for c in causes]})

    @staticmethod
    def _normalize(resource, obj):
        if resource.kind == "Secret":
            string_data = obj.pop("stringData", None) or {}
            data = obj.setdefault("data", {}) if string_data or \
                obj.get("data") is not None else obj.get("data")
            for k, v in string_data.items():
                data[k] = base64.b64encode(v.encode()).decode()
            obj.setdefault("type", "Opaque")
        if resource.kind == "Namespace":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj.setdefault("status", {"phase": "Active"})

    @staticmethod
    def _default(resource, obj, old):
        """The defaulting webhooks the simulator plays, as CAPI's do: the
        `cluster.x-k8s.io/cluster-name` label from spec.clusterName on
        MachineDeployments, MachineSets, Machines and MachineHealthChecks
        (and, for a MachineDeployment, in its selector and template); a
        MachineDeployment's spec.replicas (new: the autoscaler's min-size
        when both size annotations are set, else 1; existing: the old
        count brought into the annotations' range). Nothing else gets the
        label at admission: the Cluster controller adds it to the
        infrastructure cluster and control plane later (controllers.py),
        and the chart itself does not set it."""
        if resource.group == "cluster.x-k8s.io" and resource.kind in (
                "MachineDeployment", "MachineSet", "Machine",
                "MachineHealthCheck"):
            cluster = (obj.get("spec") or {}).get("clusterName")
            if cluster:
                obj.setdefault("metadata", {}).setdefault(
                    "labels", {})[CLUSTER_NAME_LABEL] = cluster
                if resource.kind in ("MachineDeployment", "MachineSet"):
                    spec = obj["spec"]
                    spec.setdefault("selector", {}).setdefault(
                        "matchLabels", {})[CLUSTER_NAME_LABEL] = cluster
                    spec.setdefault("template", {}).setdefault(
                        "metadata", {}).setdefault(
                            "labels", {})[CLUSTER_NAME_LABEL] = cluster
        if resource.kind != "MachineDeployment":
            return
        spec = obj.setdefault("spec", {})
        if spec.get("replicas") is not None:
            return
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        low = annotations.get(AUTOSCALER_MIN_SIZE)
        high = annotations.get(AUTOSCALER_MAX_SIZE)
        if low is None or high is None:
            spec["replicas"] = 1
            return
        try:
            low, high = int(low), int(high)
        except ValueError:
            raise ApiError(400, "BadRequest",
                           "failed to calculate MachineDeployment replicas "
                           "value: could not parse the value of the %r or "
                           "%r annotation" % (AUTOSCALER_MIN_SIZE,
                                              AUTOSCALER_MAX_SIZE))
        before = ((old or {}).get("spec") or {}).get("replicas")
        if before is None:
            spec["replicas"] = low
        else:
            spec["replicas"] = min(max(before, low), high)

    @staticmethod
    def _spec_of(obj):
        return {k: v for k, v in obj.items()
                if k not in ("metadata", "status", "apiVersion", "kind")}

    # -- reads
    def get(self, resource, namespace, name):
        with self.lock:
            obj = self.objects.get(Store.key(resource, namespace, name))
            if obj is None:
                raise not_found(resource, name)
            return copy.deepcopy(obj)

    def list(self, resource, namespace, label_selector="", field_selector="",
             limit=0, continue_token=""):
        """A list, paginated as the API server does it: every page of one
        list is the same snapshot, taken when its first page was served,
        and carries that snapshot's resourceVersion (a client that lists
        page by page and then watches from that version misses nothing
        written meanwhile). A continue token whose snapshot is gone (too
        old, or compacted) is 410 Expired."""
        if continue_token:
            try:
                token = json.loads(base64.b64decode(continue_token))
                rv, snapshot_id, offset = (int(token["rv"]), token["id"],
                                           int(token["offset"]))
            except Exception:
                raise ApiError(400, "BadRequest", "continue key is not valid")
            with self.lock:
                snapshot = self.snapshots.get(snapshot_id)
                if snapshot is None or rv < self.oldest_revision:
                    self.snapshots.pop(snapshot_id, None)
                    raise ApiError(410, "Expired",
                                   "The provided continue parameter is too "
                                   "old to display a consistent list result")
                return self._page(resource, snapshot_id, snapshot, rv,
                                  offset, limit)
        labels_ok = parse_label_selector(label_selector)
        fields_ok = parse_field_selector(field_selector)
        with self.lock:
            matched = []
            for key in sorted(k for k in self.objects
                              if (k[0], k[1]) == (resource.group,
                                                  resource.plural)):
                g, plural, ns, name = key
                if namespace and ns != namespace:
                    continue
                obj = self.objects[key]
                if not labels_ok(obj["metadata"].get("labels") or {}):
                    continue
                if not fields_ok(obj):
                    continue
                matched.append(copy.deepcopy(obj))
            snapshot_id = uuid.uuid4().hex
            if limit and len(matched) > limit:
                self.snapshots[snapshot_id] = matched
                while len(self.snapshots) > MAX_LIST_SNAPSHOTS:
                    del self.snapshots[next(iter(self.snapshots))]
            return self._page(resource, snapshot_id, matched, self.revision,
                              0, limit)

    def _page(self, resource, snapshot_id, items, rv, offset, limit):
        """One page of a list snapshot (lock held)."""
        end = offset + limit if limit else len(items)
        result = {"kind": resource.kind + "List",
                  "apiVersion": resources.api_version(resource),
                  "metadata": {"resourceVersion": str(rv)},
                  "items": items[offset:end]}
        if end < len(items):
            result["metadata"]["continue"] = base64.b64encode(json.dumps(
                {"rv": rv, "id": snapshot_id, "offset": end}
            ).encode()).decode()
            result["metadata"]["remainingItemCount"] = len(items) - end
        else:
            self.snapshots.pop(snapshot_id, None)
        return result

    # -- writes
    def create(self, resource, namespace, obj):
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if resource.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise ApiError(400, "BadRequest",
                               "the namespace of the provided object does not "
                               "match the namespace sent on the request")
            meta["namespace"] = namespace
        obj["apiVersion"] = resources.api_version(resource)
        obj["kind"] = resource.kind
        self._normalize(resource, obj)
        self._default(resource, obj, None)
        self._validate(resource, obj)
        with self.lock:
            key = Store.key(resource, namespace, meta["name"])
            if key in self.objects:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists'
                               % (_qualified(resource), meta["name"]),
                               {"name": meta["name"],
                                "kind": resource.plural})
            self._check_namespace(resource, namespace)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            meta["generation"] = 1
            meta.pop("deletionTimestamp", None)
            if resource.status and "status" in obj and \
                    resource.kind != "Namespace":
                obj.pop("status")
            self.objects[key] = obj
            self._emit("ADDED", resource, obj)
            return copy.deepcopy(obj)

    def _replace(self, resource, key, old, new, subresource=None):
        """Stores `new` in place of `old` (lock held) and emits MODIFIED."""
        if subresource == "status":
            merged = copy.deepcopy(old)
            merged["status"] = new.get("status")
            if merged["status"] is None:
                merged.pop("status")
            new = merged
        elif resource.status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        meta = new.setdefault("metadata", {})
        for immutable in ("uid", "creationTimestamp", "deletionTimestamp",
                          "namespace", "name"):
            if immutable in old["metadata"]:
                meta[immutable] = old["metadata"][immutable]
        new["apiVersion"] = old["apiVersion"]
        new["kind"] = old["kind"]
        self._normalize(resource, new)
        self._default(resource, new, old)
        meta["generation"] = old["metadata"].get("generation", 1) + (
            1 if self._spec_of(new) != self._spec_of(old) else 0)
        self._validate(resource, new)
        if new == old:
            return copy.deepcopy(old)  # no-op writes do not bump the version
        if old["metadata"].get("deletionTimestamp") and \
                not meta.get("finalizers"):
            del self.objects[key]
            self.apply_owners.pop(key, None)
            self._emit("DELETED", resource, new)
            return copy.deepcopy(new)
        self.objects[key] = new
        self._emit("MODIFIED", resource, new)
        return copy.deepcopy(new)

    def update(self, resource, namespace, name, obj, subresource=None):
        obj = copy.deepcopy(obj)
        with self.lock:
            key = Store.key(resource, namespace, name)
            old = self.objects.get(key)
            if old is None:
                raise not_found(resource, name)
            given = (obj.get("metadata") or {}).get("resourceVersion")
            if given and given != old["metadata"]["resourceVersion"]:
                raise ApiError(
                    409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has '
                    'been modified; please apply your changes to the latest '
                    'version and try again' % (_qualified(resource), name),
                    {"name": name, "kind": resource.plural})
            if (obj.get("metadata") or {}).get("name", name) != name:
                raise ApiError(400, "BadRequest",
                               "the name of the object does not match the "
                               "name on the URL")
            return self._replace(resource, key, old, obj, subresource)

    def patch(self, resource, namespace, name, content_type, body,
              subresource=None, field_manager="", force=False):
        if content_type == "application/apply-patch+yaml":
            return self.apply(resource, namespace, name, body, field_manager,
                              force, subresource)
        with self.lock:
            key = Store.key(resource, namespace, name)
            old = self.objects.get(key)
            if old is None:
                raise not_found(resource, name)
            if content_type == "application/merge-patch+json":
                new = merge_patch(old, body)
            elif content_type == "application/strategic-merge-patch+json":
                if resource.group not in ("", "apps",
                                          "rbac.authorization.k8s.io"):
                    raise ApiError(
                        415, "UnsupportedMediaType",
                        "strategic merge patch is not supported for %s; use "
                        "a JSON merge patch" % _qualified(resource))
                new = strategic_merge_patch(old, body)
            elif content_type == "application/json-patch+json":
                new = json_patch(old, body)
            else:
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown "
                               "format - accepted media types include: "
                               "application/json-patch+json, "
                               "application/merge-patch+json, "
                               "application/apply-patch+yaml")
            rv = (body.get("metadata") or {}).get("resourceVersion") \
                if isinstance(body, dict) else None
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict",
                               'Operation cannot be fulfilled on %s "%s": the '
                               'object has been modified' % (
                                   _qualified(resource), name))
            return self._replace(resource, key, old, new, subresource)

    def apply(self, resource, namespace, name, body, field_manager, force,
              subresource=None):
        if not field_manager:
            raise ApiError(422, "Invalid",
                           'PatchOptions.meta.k8s.io "" is invalid: '
                           'fieldManager: Required value: is required for '
                           'apply patch')
        if not isinstance(body, dict) or not body.get("apiVersion") or \
                not body.get("kind"):
            raise ApiError(400, "BadRequest",
                           "apply patch must carry apiVersion and kind")
        if body["kind"] != resource.kind or \
                body["apiVersion"] != resources.api_version(resource):
            raise ApiError(400, "BadRequest",
                           "apply patch kind %s %s does not match the URL" %
                           (body["apiVersion"], body["kind"]))
        body_name = (body.get("metadata") or {}).get("name")
        if body_name != name:
            raise ApiError(400, "BadRequest",
                           "the name of the object (%s) does not match the "
                           "name on the URL (%s)" % (body_name, name))
        applied = copy.deepcopy(body)
        self._normalize(resource, applied)
        paths = {p for p in _leaf_paths(applied) if p not in _APPLY_IGNORED}
        with self.lock:
            key = Store.key(resource, namespace, name)
            old = self.objects.get(key)
            if old is None:
                created = self.create(resource, namespace, applied)
                self.apply_owners[key] = {field_manager: paths}
                return created
            owners = self.apply_owners.setdefault(key, {})
            conflicts = []
            for other, owned in owners.items():
                if other == field_manager:
                    continue
                for p in paths & owned:
                    if _get_path(old, p) != _get_path(applied, p):
                        conflicts.append((other, p))
            if conflicts and not force:
                raise ApiError(409, "Conflict", "Apply failed with %d "
                               "conflict(s): %s" % (len(conflicts), "; ".join(
                                   'conflict with "%s": .%s' % (
                                       m, ".".join(p)) for m, p in conflicts)))
            for other, p in conflicts:
                owners[other].discard(p)
            new = copy.deepcopy(old)
            previous = owners.get(field_manager, set())
            for p in previous - paths:
                if not any(p in o for m, o in owners.items()
                           if m != field_manager):
                    _del_path(new, p)
            new = merge_patch(new, _without_nulls(applied))
            owners[field_manager] = paths
            return self._replace(resource, key, old, new, subresource)

    def delete(self, resource, namespace, name, precondition_uid=None):
        with self.lock:
            key = Store.key(resource, namespace, name)
            obj = self.objects.get(key)
            if obj is None:
                raise not_found(resource, name)
            if precondition_uid and obj["metadata"]["uid"] != precondition_uid:
                raise ApiError(409, "Conflict", "Precondition failed: UID "
                               "in precondition does not match")
            if obj["metadata"].get("finalizers"):
                if not obj["metadata"].get("deletionTimestamp"):
                    obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                    self._emit("MODIFIED", resource, obj)
                return copy.deepcopy(obj)
            del self.objects[key]
            self.apply_owners.pop(key, None)
            self._emit("DELETED", resource, obj)
            return copy.deepcopy(obj)

    def delete_collection(self, resource, namespace, label_selector="",
                          field_selector=""):
        listing = self.list(resource, namespace, label_selector,
                            field_selector)
        deleted = []
        for item in listing["items"]:
            try:
                deleted.append(self.delete(
                    resource, item["metadata"].get("namespace", ""),
                    item["metadata"]["name"]))
            except ApiError as err:
                if err.code != 404:
                    raise
        listing["items"] = deleted
        return listing

    # -- watch support
    def events_since(self, revision):
        """Events after `revision` (lock held by caller); raises 410 if the
        revision was compacted away."""
        if revision + 1 < self.oldest_revision:
            raise ApiError(410, "Expired", "too old resource version: %d (%d)"
                           % (revision, self.oldest_revision - 1))
        return [e for e in self.events if e[0] > revision]


# metav1.MicroTime as the API server reads it (RFC 3339, microseconds).
MICRO_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _lease_problems(spec):
    """coordination.k8s.io/v1 Lease validation, as the API server does."""
    causes = []
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and (not isinstance(duration, int) or
                                 duration <= 0):
        causes.append("spec.leaseDurationSeconds: Invalid value: %r: must be "
                      "greater than 0" % (duration,))
    transitions = spec.get("leaseTransitions")
    if transitions is not None and (not isinstance(transitions, int) or
                                    transitions < 0):
        causes.append("spec.leaseTransitions: Invalid value: %r: must be "
                      "greater than or equal to 0" % (transitions,))
    for field in ("acquireTime", "renewTime"):
        value = spec.get(field)
        if value is not None and not (isinstance(value, str) and
                                      MICRO_TIME.match(value)):
            causes.append("spec.%s: Invalid value: %r: not a MicroTime" %
                          (field, value))
    return causes


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items()
                if v is not None}
    return value
