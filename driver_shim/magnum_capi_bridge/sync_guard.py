"""One status sync per cluster at a time in this process.

Magnum's periodic `sync_cluster_status` starts a job per cluster every
period, whether or not the previous job for that cluster has finished; a
sync that deletes what a cluster had in OpenStack can take longer than a
period. `claim(uuid)` lets the first job work and tells a second one to
leave the cluster as it is. Works under eventlet (green locks) and with
plain threads alike.
"""

import contextlib
import threading

_LOCK = threading.Lock()
_BUSY = set()


@contextlib.contextmanager
def claim(uuid):
    """Yields True if this caller now syncs `uuid` (released on exit),
    False if another sync of `uuid` is running."""
    with _LOCK:
        if uuid in _BUSY:
            mine = False
        else:
            _BUSY.add(uuid)
            mine = True
    try:
        yield mine
    finally:
        if mine:
            with _LOCK:
                _BUSY.discard(uuid)
