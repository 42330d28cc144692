"""The gRPC client of the bridge, as the driver uses it.

One channel per process and endpoint configuration (Magnum creates a new
Driver object for every call, so the channel cannot live on the driver; a
forked worker makes its own). Every call is made through `green`, which
lets any number of calls run at once inside eventlet's conductor and
without it, and has a deadline. Calls carry the bearer token (when
`token_file` is set) and the request id of Magnum's request context as
`x-request-id`, so the bridge's log lines of a verb share the conductor's
request id. A failed
call raises an exception whose text names the verb, the gRPC code and the
bridge's message: Magnum copies it into status_reason. A refusal
(INVALID_ARGUMENT, FAILED_PRECONDITION, ABORTED) is raised as an exception
of Magnum's own module (InvalidParameterValue, Conflict), so that
magnum-api answers the operator with its 4xx status and the text; anything
else raises `BridgeError`, which leaves the driver's verbs as Magnum's
MagnumException (see errors.py).
"""

import os
import threading

import grpc
from magnum.common import exception
from oslo_context import context as oslo_context

from magnum_capi_bridge import errors
from magnum_capi_bridge import green
from magnum_capi_bridge.pb import driver_pb2_grpc


class BridgeError(exception.MagnumException):
    """A bridge call failed; str() is the reason shown to the user."""

    message = "%(reason)s"

    def __init__(self, reason, code=None):
        # Not `code`: Magnum copies that into the exception's kwargs, which
        # oslo.messaging sends back to magnum-api as JSON; a grpc.StatusCode
        # there loses the reply and the operator sees only a timeout.
        self.grpc_code = code
        super().__init__(reason=reason)


class ConfigError(BridgeError):
    """The [capi_bridge] options are incomplete or point at missing files."""


_lock = threading.Lock()
_stubs = {}     # _channel_key → (channel, its ClusterDriver stub)


def _read(path, option):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ConfigError(errors.headline(
            "[capi_bridge] %s: cannot read the file it names" % option,
            "%r: %s" % (path, e.strerror)))


def _channel_key(opts):
    return (os.getpid(), opts.endpoint, opts.insecure, opts.tls_ca_file,
            opts.tls_cert_file, opts.tls_key_file, opts.tls_server_name)


def _make_channel(opts):
    if not opts.endpoint:
        raise ConfigError(
            "[capi_bridge] endpoint is not set: give the bridge's gRPC "
            "address as host:port or unix:/path")
    options = [("grpc.keepalive_time_ms", 30000),
               ("grpc.keepalive_timeout_ms", 10000)]
    if opts.insecure:
        return grpc.insecure_channel(opts.endpoint, options=options)
    roots = _read(opts.tls_ca_file, "tls_ca_file")
    cert = key = None
    if opts.tls_cert_file and os.path.exists(opts.tls_cert_file):
        cert = _read(opts.tls_cert_file, "tls_cert_file")
        key = _read(opts.tls_key_file, "tls_key_file")
    if opts.tls_server_name:
        options.append(("grpc.ssl_target_name_override",
                        opts.tls_server_name))
    credentials = grpc.ssl_channel_credentials(
        root_certificates=roots, private_key=key, certificate_chain=cert)
    return grpc.secure_channel(opts.endpoint, credentials, options=options)


def stub(opts):
    """The ClusterDriver stub for the [capi_bridge] options `opts` (made
    once per channel: a stub builds a callable per method)."""
    key = _channel_key(opts)
    made = _stubs.get(key)
    if made is None:
        with _lock:
            made = _stubs.get(key)
            if made is None:
                channel = _make_channel(opts)
                made = (channel, driver_pb2_grpc.ClusterDriverStub(channel))
                _stubs[key] = made
    return made[1]


def reset():
    """Closes every cached channel (tests, option reloads)."""
    with _lock:
        for channel, _ in _stubs.values():
            channel.close()
        _stubs.clear()


def _metadata(opts, request_id):
    metadata = []
    if opts.token_file:
        token = _read(opts.token_file, "token_file").decode().strip()
        if not token:
            raise ConfigError(errors.headline(
                "[capi_bridge] token_file: the file holds no token",
                repr(opts.token_file)))
        metadata.append(("authorization", "Bearer " + token))
    if not request_id:
        current = oslo_context.get_current()
        request_id = getattr(current, "request_id", None)
    if request_id:
        metadata.append(("x-request-id", request_id))
    return metadata


def call(opts, verb, request, timeout, request_id=None):
    """Calls ClusterDriver.<verb>(request) with a deadline of `timeout` s.
    `request_id` (default: that of the thread's current request context)
    is sent as x-request-id."""
    method = getattr(stub(opts), verb)
    metadata = _metadata(opts, request_id)
    try:
        return green.call(method, request, timeout, metadata)
    except grpc.RpcError as e:
        raise _error(opts, verb, timeout, e.code(), e.details()) from None
    except green.DeadlinePassed:
        raise _error(opts, verb, timeout, grpc.StatusCode.DEADLINE_EXCEEDED,
                     "") from None


# The calls that change nothing, whatever their answer.
_READS = frozenset(("GetClusterStatus", "WatchClusterStatus", "RenderValues",
                    "DiffCluster"))

# A refusal: Magnum's exception class (HTTP 400 / 409) and what the code
# means, in words without a full stop: magnum-api gives the operator's
# CLI the text up to its first full stop only (the `title` of its error
# reply), so that part must stand on its own; the bridge's message (its
# versions, file names and sentences have full stops) follows it.
_REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT: (
        "InvalidParameterValue", "the cluster's spec is invalid"),
    grpc.StatusCode.FAILED_PRECONDITION: (
        "Conflict", "not possible in the cluster's present state"),
    grpc.StatusCode.ABORTED: (
        "Conflict", "another operation on the cluster is running, "
        "retry later"),
}


def applied_nothing(error):
    """True when `error` is the bridge's refusal of a call: the call
    applied nothing. Any other failure (a lost reply, a deadline passed,
    the bridge unreachable mid-call) leaves its outcome unknown."""
    return getattr(error, "grpc_code", None) in _REFUSALS


def _refusal(verb, code, details):
    """The exception a refused call raises: Magnum's own class (told by its
    shape; MagnumException where this Magnum lacks it)."""
    class_name, meaning = _REFUSALS[code]
    if verb not in _READS:
        meaning += "; nothing was applied"
    return errors.magnum_error(class_name, errors.headline(
        "capi-bridge refused %s (%s: %s)" % (verb, code.name, meaning),
        details), grpc_code=code)


def _error(opts, verb, timeout, code, details):
    if code in _REFUSALS:
        return _refusal(verb, code, details)
    # The first sentence without a full stop (an endpoint has them).
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        summary = "no answer within %d s" % timeout
        details = "The bridge at %s did not answer in time" % opts.endpoint
    elif code == grpc.StatusCode.UNAVAILABLE:
        summary = "the bridge or its management cluster is unavailable"
        details = "Bridge at %s: %s" % (opts.endpoint, details)
    else:
        summary = "the bridge's error"
    name = code.name if code is not None else "UNKNOWN"
    return BridgeError(errors.headline(
        "capi-bridge %s failed (%s: %s)" % (verb, name, summary), details),
        code=code)
