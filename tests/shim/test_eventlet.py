"""The shim never blocks the conductor: under eventlet (Magnum up to
2026.1, patched by its own `magnum.cmd`) other green threads keep running
while a bridge call is slow."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from tests.shim import magnum_env
from tests.shim import fake_bridge

# How many ticks of the probe's green ticker must happen while a status
# call is held before the bridge answers (eventlet_probe.TICKS_FOR_FLAG).
TICKS = 5
# Safety bounds on the hold, below the probe's 10 s status deadline: a
# held call whose ticker never ticks is answered when the bound passes.
BOUND = 8.0
CONTROL_BOUND = 3.0


class EventletTest(unittest.TestCase):
    """Waits for states, never for a clock: the bridge holds each status
    call until the probe's green ticker has ticked TICKS times during it
    (the hub ran while the call waited), or until a bound passes (it did
    not). How long calls take and how often the hub ticks meanwhile are
    figures of tests/bench/eventlet_bench.py."""

    def setUp(self):
        # The bridge runs here, unpatched; Magnum runs in a monkey-patched
        # child, as in magnum-conductor.
        self.bridge = fake_bridge.FakeBridge()
        self.addCleanup(self.bridge.stop)
        tmp = tempfile.TemporaryDirectory(prefix="shim-ticks-")
        self.addCleanup(tmp.cleanup)
        self.flag = os.path.join(tmp.name, "ticked")

    def probe(self, mode, bound):
        self.bridge.hold["GetClusterStatus"] = (self.flag, bound)
        # As installed: the shim and its entry point on the path before
        # anything (eventlet included) loads pkg_resources.
        env = dict(os.environ, CAPI_SHIM_TICK_FLAG=self.flag,
                   PYTHONPATH=os.pathsep.join([
                       magnum_env.ROOT,
                       os.path.join(magnum_env.ROOT, "driver_shim"),
                       os.path.join(magnum_env.BUILD, "python")]))
        out = subprocess.run(
            [sys.executable, "-m", "tests.shim.eventlet_probe",
             self.bridge.address, mode], cwd=magnum_env.ROOT, env=env,
            capture_output=True, text=True, timeout=300)
        self.assertEqual(0, out.returncode, out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def test_green_threads_run_during_a_held_call(self):
        result = self.probe("shim", BOUND)
        self.assertTrue(result["eventlet_active"])
        self.assertEqual("ok", result["outcome"])
        # The call was answered because the ticker ticked during it.
        self.assertEqual(["file"], self.bridge.releases, result)
        self.assertGreaterEqual(result["ticks"], TICKS, result)
        self.assertEqual("CREATE_COMPLETE", result["status"])

    def test_grpc_loaded_before_the_shim_still_completes(self):
        # Another module imported grpc under eventlet first: its locks are
        # green ones, so the shim falls back to one call at a time from
        # eventlet's pool; five overlapping syncs (of five clusters) all
        # finish, and the hub runs while the first is held.
        result = self.probe("preloaded", BOUND)
        self.assertTrue(result["serialized"], result)
        self.assertEqual("ok", result["outcome"])
        self.assertEqual("file", self.bridge.releases[0], result)
        self.assertNotIn("bound", self.bridge.releases, result)
        self.assertEqual(5, len(self.bridge.releases), result)
        self.assertEqual(["CREATE_COMPLETE"], result["statuses"])

    def test_a_plain_call_would_freeze_them(self):
        # The control: the same call without the thread pool stops the hub
        # while it waits, so the ticker never ticks and only the bound ends
        # the hold; this is what the shim's design avoids.
        result = self.probe("plain", CONTROL_BOUND)
        self.assertEqual("ok", result["outcome"])
        self.assertEqual(["bound"], self.bridge.releases, result)
        self.assertFalse(os.path.exists(self.flag))
        self.assertLessEqual(result["ticks"], 2, result)


if __name__ == "__main__":
    unittest.main()
