"""The shim never blocks the conductor: under eventlet (Magnum up to
2026.1, patched by its own `magnum.cmd`) other green threads keep running
while a bridge call is slow."""

import json
import os
import subprocess
import sys
import unittest

from tests.shim import magnum_env
from tests.shim import fake_bridge

SLOW = 1.0  # seconds the bridge takes to answer a status call


class EventletTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # The bridge runs here, unpatched; Magnum runs in a monkey-patched
        # child, as in magnum-conductor.
        cls.bridge = fake_bridge.FakeBridge()
        cls.bridge.delay["GetClusterStatus"] = SLOW

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def probe(self, mode):
        # As installed: the shim and its entry point on the path before
        # anything (eventlet included) loads pkg_resources.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([
            magnum_env.ROOT, os.path.join(magnum_env.ROOT, "driver_shim"),
            os.path.join(magnum_env.BUILD, "python")]))
        out = subprocess.run(
            [sys.executable, "-m", "tests.shim.eventlet_probe",
             self.bridge.address, mode], cwd=magnum_env.ROOT, env=env,
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, out.returncode, out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def test_green_threads_run_during_a_slow_call(self):
        result = self.probe("shim")
        self.assertTrue(result["eventlet_active"])
        self.assertEqual("ok", result["outcome"])
        self.assertGreaterEqual(result["seconds"], SLOW)
        # A 50 ms ticker over a call of ≥ 1 s: about 20 ticks when the hub
        # keeps running; allow for a loaded machine.
        self.assertGreaterEqual(result["ticks"], 10, result)
        self.assertEqual("CREATE_COMPLETE", result["status"])

    def test_grpc_loaded_before_the_shim_still_completes(self):
        # Another module imported grpc under eventlet first: its locks are
        # green ones, so the shim falls back to one call at a time from
        # eventlet's pool; five overlapping syncs (of five clusters) all
        # finish, the hub runs.
        result = self.probe("preloaded")
        self.assertTrue(result["serialized"], result)
        self.assertEqual("ok", result["outcome"])
        self.assertGreaterEqual(result["seconds"], 5 * SLOW)
        self.assertGreaterEqual(result["ticks"], 50, result)
        self.assertEqual(["CREATE_COMPLETE"], result["statuses"])

    def test_a_plain_call_would_freeze_them(self):
        # The control: the same call without the thread pool stops the hub,
        # which is what the shim's design avoids.
        result = self.probe("plain")
        self.assertEqual("ok", result["outcome"])
        self.assertLessEqual(result["ticks"], 2, result)


if __name__ == "__main__":
    unittest.main()
