"""gRPC inside magnum-conductor: any number of calls at once, with or
without eventlet, never blocking the conductor.

Magnum up to 2026.1 monkey-patches the whole process with eventlet before
it loads any driver; Magnum master has no eventlet and uses real threads.
grpcio is a C core plus a Python layer that guards each call with
`threading` locks and condition variables and drives completions from its
own OS threads. Imported after eventlet patched `threading`, that Python
layer would get green locks, which cannot be waited on from grpc's OS
threads: two overlapping calls then wait for ever. And a plain blocking
call would stop the conductor's hub (every green thread) for its whole
duration, because grpc blocks in native code.

The mechanism, in two parts:

1. `load_grpc()` imports grpc (and protobuf and our stubs) with the
   original, unpatched thread, time, socket and queue modules in
   `sys.modules`, so grpc's own locks and threads are real ones. Under
   eventlet this is done once, before anything else of the shim touches
   grpc; without eventlet it is a plain import.
2. `call()` starts each RPC with grpc's non-blocking `future()` API and
   waits for it in the caller's own way: a green thread parks on an
   `eventlet.event.Event` that grpc's completion thread fires through a
   self-pipe watched by the hub (`_Waker`), so no OS thread is held while
   a call is in flight and eventlet's thread pool (`tpool`, 20 threads by
   default) is never used. Without eventlet the caller's real thread simply
   blocks on the call. In both cases grpc enforces the call's deadline
   itself; a call that grpc has not finished a few seconds past its
   deadline is cancelled here, so a dead bridge never hangs a caller.

CPU-heavy work that releases the GIL (decrypting the cluster CA keys)
goes through `offload()`: eventlet's thread pool under eventlet, so the
hub keeps running; a plain call otherwise.

If grpc was already imported with eventlet's green locks before the shim
loaded (some other module of the process imported it first), part 1
cannot be undone: calls are then made one at a time by one dedicated OS
thread, each with what is left of its deadline, and a warning says so.
"""

import collections
import contextlib
import importlib
import logging
import os
import sys
import time

LOG = logging.getLogger(__name__)

# Modules eventlet replaces; grpc and protobuf import them by these names.
_PATCHED_MODULES = ("threading", "_thread", "thread", "time", "socket",
                    "select", "selectors", "queue")
# grpc's modules that its package imports lazily inside functions.
_GRPC_MODULES = ("grpc", "grpc._common", "grpc._utilities",
                 "grpc._channel", "grpc._interceptor", "grpc._auth",
                 "grpc._plugin_wrapping", "grpc._simple_stubs")
# Seconds past a call's own deadline before the shim cancels it.
DEADLINE_GRACE = 5.0


def eventlet_active():
    """True when eventlet has monkey-patched the thread module."""
    if "eventlet" not in sys.modules:
        return False
    try:
        from eventlet import patcher
    except ImportError:
        return False
    return patcher.is_monkey_patched("thread")


@contextlib.contextmanager
def _original_modules():
    """sys.modules holds eventlet's originals of the patched modules for
    the duration (imports made inside bind to the real ones)."""
    from eventlet import patcher
    saved = {}
    for name in _PATCHED_MODULES:
        if name in sys.modules:
            saved[name] = sys.modules[name]
            sys.modules[name] = patcher.original(name)
    try:
        yield
    finally:
        sys.modules.update(saved)


_serialized = False     # grpc carries green locks: one call at a time
_loaded = False


def load_grpc(*extra):
    """Imports grpc, its lazily loaded parts and the modules named in
    `extra` so that they use real threads; returns the grpc module."""
    global _loaded, _serialized
    names = _GRPC_MODULES + ("google.protobuf.message",) + extra
    if not eventlet_active() or "grpc" in sys.modules:
        # Nothing to choose, or too late to choose: grpc's package is
        # bound already, and its lazy parts must bind like it did.
        for name in names:
            importlib.import_module(name)
    else:
        with _original_modules():
            for name in names:
                importlib.import_module(name)
    if eventlet_active() and not _loaded:
        _loaded = True
        _serialized = not _grpc_threads_are_real()
        if _serialized:
            LOG.warning(
                "grpc was imported with eventlet's green locks before the "
                "capi-bridge driver loaded; bridge calls will run one at a "
                "time. Load magnum_capi_bridge before other users of grpc.")
    return sys.modules["grpc"]


def _grpc_threads_are_real():
    """True when grpc's call objects lock with real locks."""
    from eventlet import patcher
    channel = sys.modules["grpc._channel"]
    return channel.threading.Lock is patcher.original("threading").Lock


class _Waker:
    """Wakes green threads of one eventlet hub from other OS threads.

    `notify(event, value)` may be called from any thread: it queues the
    pair and writes a byte to a pipe; a green thread of the hub that made
    the waker reads the pipe and sends each queued value to its event.
    """

    def __init__(self):
        from eventlet import patcher
        import eventlet
        self._os = patcher.original("os")
        self._pending = collections.deque()
        self._read_fd, self._write_fd = self._os.pipe()
        for fd in (self._read_fd, self._write_fd):
            self._os.set_blocking(fd, False)
        eventlet.spawn_n(self._run)

    def _run(self):
        from eventlet import hubs
        while True:
            hubs.trampoline(self._read_fd, read=True)
            try:
                self._os.read(self._read_fd, 65536)
            except BlockingIOError:
                pass
            while self._pending:
                event, value = self._pending.popleft()
                event.send(value)

    def notify(self, event, value):
        self._pending.append((event, value))
        try:
            self._os.write(self._write_fd, b"\0")
        except BlockingIOError:
            pass  # the pipe is full: a wake-up is pending anyway


_wakers = {}


def _waker():
    """The waker of the calling thread's hub (one per process and hub;
    a forked worker makes its own)."""
    from eventlet import hubs
    key = (os.getpid(), id(hubs.get_hub()))
    waker = _wakers.get(key)
    if waker is None:
        waker = _Waker()
        _wakers[key] = waker
    return waker


class DeadlinePassed(Exception):
    """A call's deadline passed before grpc could finish or start it."""


def _wait_green(future, timeout):
    import eventlet
    from eventlet import event
    done = event.Event()
    waker = _waker()
    future.add_done_callback(lambda f: waker.notify(done, None))
    with eventlet.Timeout(timeout + DEADLINE_GRACE, False):
        done.wait()
    if not future.done():
        future.cancel()
        raise DeadlinePassed()
    return future.result()


class _SerialWorker:
    """The fallback: one real OS thread makes every call, one at a time,
    each with what is left of its deadline when its turn comes. (grpc's
    green locks then live in that one thread's hub; spread over several
    threads, as eventlet's pool would, they wait for ever.)"""

    def __init__(self):
        from eventlet import patcher
        self._queue = patcher.original("queue").Queue()
        patcher.original("threading").Thread(
            target=self._run, name="capi-bridge-grpc", daemon=True).start()

    def _run(self):
        while True:
            fn, waker, done = self._queue.get()
            try:
                outcome = (True, fn())
            except BaseException as e:  # handed to the caller
                outcome = (False, e)
            waker.notify(done, outcome)

    def call(self, fn):
        from eventlet import event
        done = event.Event()
        self._queue.put((fn, _waker(), done))
        ok, value = done.wait()
        if ok:
            return value
        raise value


_serial_worker = None


def _call_serialized(method, request, timeout, metadata):
    global _serial_worker
    if _serial_worker is None or _serial_worker[0] != os.getpid():
        _serial_worker = (os.getpid(), _SerialWorker())
    started = time.monotonic()

    def invoke():
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            raise DeadlinePassed()
        return method(request, timeout=left, metadata=metadata)

    return _serial_worker[1].call(invoke)


def call(method, request, timeout, metadata):
    """Calls the unary gRPC `method` with a deadline of `timeout` s and
    returns its reply. Raises grpc.RpcError when the call fails and
    DeadlinePassed when it could not finish in time by other means."""
    if not eventlet_active():
        return method(request, timeout=timeout, metadata=metadata)
    if _serialized:
        return _call_serialized(method, request, timeout, metadata)
    future = method.future(request, timeout=timeout, metadata=metadata)
    return _wait_green(future, timeout)


def offload(fn, *args):
    """fn(*args) in a real OS thread under eventlet (for CPU work in C
    that releases the GIL); a plain call otherwise."""
    if not eventlet_active():
        return fn(*args)
    from eventlet import tpool
    return tpool.execute(fn, *args)
