"""Decodes the Kubernetes protobuf encoding of the core kinds helm writes.

client-go's typed clients (helm's release storage) send core objects as
`application/vnd.kubernetes.protobuf`: the magic "k8s\\0", then a
runtime.Unknown message {typeMeta=1 {apiVersion=1, kind=2}, raw=2} whose
`raw` is the object (k8s.io/api/core/v1 generated.proto field numbers).
Only the kinds helm stores releases in are decoded; others are refused.
"""

import base64
import datetime

MAGIC = b"k8s\x00"


def _varint(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(data):
    """Yields (field number, wire type, value) of one message."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        elif wire == 1:
            value = data[pos:pos + 8]
            pos += 8
        elif wire == 5:
            value = data[pos:pos + 4]
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, value


def _map_entry(data):
    key = value = b""
    for number, _, v in fields(data):
        if number == 1:
            key = v
        elif number == 2:
            value = v
    return key.decode(), value


def _time(data):
    seconds = 0
    for number, _, v in fields(data):
        if number == 1:
            seconds = v
    return datetime.datetime.fromtimestamp(
        seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _object_meta(data):
    meta = {}
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid",
               6: "resourceVersion"}
    for number, _, v in fields(data):
        if number in strings:
            meta[strings[number]] = v.decode()
        elif number == 7:
            meta["generation"] = v
        elif number == 8:
            meta["creationTimestamp"] = _time(v)
        elif number == 11:
            k, val = _map_entry(v)
            meta.setdefault("labels", {})[k] = val.decode()
        elif number == 12:
            k, val = _map_entry(v)
            meta.setdefault("annotations", {})[k] = val.decode()
        elif number == 14:
            meta.setdefault("finalizers", []).append(v.decode())
    return {k: v for k, v in meta.items() if v != ""}


def _secret(data):
    obj = {}
    for number, _, v in fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(v)
        elif number == 2:
            k, val = _map_entry(v)
            obj.setdefault("data", {})[k] = base64.b64encode(val).decode()
        elif number == 3:
            obj["type"] = v.decode()
        elif number == 4:
            k, val = _map_entry(v)
            obj.setdefault("stringData", {})[k] = val.decode()
        elif number == 5:
            obj["immutable"] = bool(v)
    return obj


def _config_map(data):
    obj = {}
    for number, _, v in fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(v)
        elif number == 2:
            k, val = _map_entry(v)
            obj.setdefault("data", {})[k] = val.decode()
        elif number == 3:
            k, val = _map_entry(v)
            obj.setdefault("binaryData", {})[k] = base64.b64encode(
                val).decode()
    return obj


def _delete_options(data):
    obj = {}
    for number, _, v in fields(data):
        if number == 1:
            obj["gracePeriodSeconds"] = v
        elif number == 2:
            pre = {}
            for n, _, pv in fields(v):
                pre["uid" if n == 1 else "resourceVersion"] = pv.decode()
            obj["preconditions"] = pre
        elif number == 4:
            obj["propagationPolicy"] = v.decode()
        elif number == 5:
            obj.setdefault("dryRun", []).append(v.decode())
    return obj


DECODERS = {("v1", "Secret"): _secret, ("v1", "ConfigMap"): _config_map,
            ("v1", "DeleteOptions"): _delete_options,
            ("meta.k8s.io/v1", "DeleteOptions"): _delete_options}


def decode(body):
    """The JSON form of a protobuf-encoded object; ValueError if it is not
    one of the kinds decoded here."""
    if not body.startswith(MAGIC):
        raise ValueError("missing the k8s protobuf magic prefix")
    api_version = kind = ""
    raw = b""
    for number, _, v in fields(body[len(MAGIC):]):
        if number == 1:
            for n, _, tv in fields(v):
                if n == 1:
                    api_version = tv.decode()
                elif n == 2:
                    kind = tv.decode()
        elif number == 2:
            raw = v
    decoder = DECODERS.get((api_version, kind))
    if decoder is None:
        raise ValueError("protobuf bodies are decoded for Secret, "
                         "ConfigMap and DeleteOptions only, not %s %s" % (
                             api_version, kind))
    obj = decoder(raw)
    obj["apiVersion"] = api_version
    obj["kind"] = kind
    return obj
