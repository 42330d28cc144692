"""The shim in a conductor under load: Magnum's own periodic status sync and
concurrent verbs over 50 clusters, against the real bridge, real helm and
the management-cluster simulator.

Each case runs `conductor_probe` in a child process, as magnum-conductor
runs on the interpreter's Magnum release (Debian's, or a release's venv:
tests/shim/releases.cmake): monkey-patched by the release's own
`magnum.cmd` with eventlet's default thread pool (20) or a pool of 1 where
its periodic jobs are green threads (up to 2026.1), unpatched with real
threads where they are OS threads (2026.2 on). Every cluster
must reach its status, and calls to a bridge that never answers must all
wait at once (none holds the hub or a thread while it waits) and end at
their deadline. Nothing here is timed: how long the hub is blocked and how
long a tick takes are figures of `make bench` (tests/bench/conductor_bench).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

from tests.shim import magnum_env
from tests.integration import harness

CLUSTERS = 50


class ConductorTest(unittest.TestCase):

    def setUp(self):
        # A management cluster of its own per case: the simulator's work
        # grows with the clusters it holds.
        self.env = harness.Environment(step_seconds=0.1)
        self.addCleanup(self.env.close)
        # A bridge that accepts connections and never answers.
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(1024)
        self.addCleanup(self.silent.close)
        self.silent_address = "127.0.0.1:%d" % self.silent.getsockname()[1]

    def probe(self, mode, *flags, pool=None):
        db = tempfile.TemporaryDirectory(prefix="shim-db-")
        self.addCleanup(db.cleanup)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([
            magnum_env.ROOT, os.path.join(magnum_env.ROOT, "driver_shim"),
            os.path.join(magnum_env.BUILD, "python")]))
        # Real threads need the rows in a file; green threads share one.
        env["CAPI_SHIM_DB"] = ("sqlite:///%s/magnum.db?timeout=120" % db.name
                               if mode == "threads" else "sqlite://")
        if pool is not None:
            env["EVENTLET_THREADPOOL_SIZE"] = str(pool)
        out = subprocess.run(
            [sys.executable, "-m", "tests.shim.conductor_probe",
             self.env.address, mode, str(CLUSTERS), "--bound", "240",
             "--silent", self.silent_address] + list(flags),
            cwd=magnum_env.ROOT, env=env, capture_output=True, text=True,
            timeout=900)
        self.assertEqual(0, out.returncode, out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def assert_clusters_complete(self, r):
        self.assertEqual({"ok": CLUSTERS}, r["create_outcomes"], r)
        self.assertEqual({"CREATE_IN_PROGRESS": CLUSTERS},
                         r["create_statuses"], r)
        self.assertEqual({"CREATE_COMPLETE": CLUSTERS}, r["sync_statuses"],
                         r)

    def assert_deadlines_kept(self, r):
        # Every status call to the silent bridge ends with its deadline's
        # error, none hangs; all of them waited at once, so no call held
        # the hub (or a thread) while it waited.
        self.assertEqual(
            # (the probe's status_timeout is 2 s)
            {"BridgeError: capi-bridge GetClusterStatus failed "
             "(DEADLINE_EXCEEDED: no answer within 2 s). The bridge at %s "
             "did not answer in time" % self.silent_address: CLUSTERS},
            r["silent_outcomes"], r)
        self.assertEqual(CLUSTERS, r["silent_most_waiting"], r)

    @unittest.skipUnless(magnum_env.GREEN, "this Magnum release runs its "
                         "periodic jobs in OS threads, without eventlet")
    def test_periodic_sync_and_concurrent_verbs_default_pool(self):
        r = self.probe("eventlet", "--mixed")
        self.assertTrue(r["eventlet_active"])
        self.assert_clusters_complete(r)
        # Resizes, status syncs and creates on different clusters at once.
        self.assertEqual({"ok": CLUSTERS + 5}, r["mixed_outcomes"], r)
        self.assertEqual({"UPDATE_COMPLETE": CLUSTERS // 2,
                          "CREATE_COMPLETE": 5}, r["mixed_statuses"], r)
        self.assertEqual({"2": CLUSTERS // 2}, r["mixed_resized_workers"])
        self.assert_deadlines_kept(r)

    @unittest.skipUnless(magnum_env.GREEN, "this Magnum release runs its "
                         "periodic jobs in OS threads, without eventlet")
    def test_periodic_sync_with_a_pool_of_one_thread(self):
        r = self.probe("eventlet", pool=1)
        self.assert_clusters_complete(r)
        self.assert_deadlines_kept(r)

    @unittest.skipUnless(magnum_env.THREADED, "this Magnum release runs "
                         "its periodic jobs as green threads (eventlet)")
    def test_real_threads_without_eventlet(self):
        r = self.probe("threads")
        self.assertFalse(r["eventlet_active"])
        self.assert_clusters_complete(r)
        self.assert_deadlines_kept(r)


if __name__ == "__main__":
    unittest.main()
