"""Running blocking gRPC calls without freezing eventlet's hub.

Magnum up to 22.0 monkey-patches the process with eventlet. grpcio's C core
blocks in native code that eventlet cannot switch out of, so a plain call
would stop every green thread of the conductor (RPC handlers, periodic
tasks) for its whole duration. When eventlet has patched threading, calls
go through eventlet's pool of real OS threads instead; otherwise (Magnum
master, tests without eventlet) they run directly.
"""


def eventlet_active():
    """True when eventlet has monkey-patched the thread module."""
    try:
        from eventlet import patcher
    except ImportError:
        return False
    return patcher.is_monkey_patched("thread")


def run_blocking(fn, *args, **kwargs):
    """Calls fn(*args, **kwargs) in a real OS thread under eventlet."""
    if eventlet_active():
        from eventlet import tpool
        return tpool.execute(fn, *args, **kwargs)
    return fn(*args, **kwargs)
