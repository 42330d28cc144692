"""Graceful shutdown as a rolling update or `systemctl stop` exercises it:
SIGTERM refuses new calls and lets the verb in flight finish; a second
signal, or the end of the grace period, ends the process at once.

helm is the real binary behind a wrapper that makes `helm upgrade` slow,
so a create is reliably in flight when the signal arrives.
"""

import os
import signal
import stat
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from tests.integration.harness import (HELM, Environment, credential,
                                       driver_pb2, example_spec, grpc)

SLOW_HELM = """#!/usr/bin/python3
import os, sys, time
if sys.argv[1:2] == ["upgrade"]:
    time.sleep(%f)
os.execv(%r, [%r] + sys.argv[1:])
"""


class GracefulShutdownTest(unittest.TestCase):

    def start(self, grace, helm_seconds):
        self.wrapper_dir = tempfile.TemporaryDirectory(prefix="slow-helm-")
        wrapper = os.path.join(self.wrapper_dir.name, "helm")
        with open(wrapper, "w") as f:
            f.write(SLOW_HELM % (helm_seconds, HELM, HELM))
        os.chmod(wrapper, stat.S_IRWXU)
        self.env = Environment(
            helm=wrapper,
            extra_config="shutdown_grace_seconds: %d\n"
                         "ops_listen: 127.0.0.1:0\n"
                         "log: {level: debug}\n" % grace)
        self.addCleanup(self.wrapper_dir.cleanup)
        self.addCleanup(self.env.close)

    def create_in_background(self, number):
        spec = example_spec(**{"cluster.uuid": "9d0c8b7a-0000-4000-8000-%012d"
                                               % number,
                               "cluster.name": "drain-%d" % number})
        outcome = {}

        def run():
            try:
                outcome["reply"] = self.env.stub.CreateCluster(
                    driver_pb2.CreateClusterRequest(
                        spec=spec, credential=credential(number)),
                    timeout=120)
            except grpc.RpcError as error:
                outcome["error"] = error
        thread = threading.Thread(target=run)
        thread.start()
        self.env.wait_for(lambda: 'msg="helm started"' in self.env.log(),
                          what="the create's helm run")
        return thread, outcome

    def ready_code(self):
        try:
            with urllib.request.urlopen(self.env.ops_url + "/readyz",
                                        timeout=5) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    def new_call_code(self):
        try:
            self.env.stub.GetClusterStatus(driver_pb2.GetClusterStatusRequest(
                spec=example_spec(), current_status="CREATE_IN_PROGRESS"),
                timeout=5)
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()

    def test_sigterm_lets_the_verb_in_flight_finish(self):
        self.start(grace=30, helm_seconds=3)
        thread, outcome = self.create_in_background(1)
        self.env.server.send_signal(signal.SIGTERM)
        self.env.wait_for(lambda: "stop signal received" in self.env.log(),
                          what="the stop line")
        # Draining: not ready, new calls refused, the create still running.
        self.assertEqual(self.ready_code(), 503)
        self.env.wait_for(
            lambda: self.new_call_code() == grpc.StatusCode.UNAVAILABLE,
            timeout=5, what="new calls refused")
        self.assertTrue(thread.is_alive())
        thread.join(60)
        self.assertNotIn("error", outcome)
        self.assertTrue(outcome["reply"].release_name)
        self.assertEqual(self.env.server.wait(timeout=20), 0)
        log = self.env.log()
        self.assertIn("every call finished; stopped", log)
        # The release really was applied before the process ended.
        self.assertEqual(self.env.helm_revision(
            outcome["reply"].release_name, outcome["reply"].namespace), 1)
        self.assertLess(log.index("call finished"),
                        log.index("every call finished; stopped"))

    def test_a_second_signal_exits_at_once(self):
        self.start(grace=60, helm_seconds=30)
        thread, _ = self.create_in_background(2)
        self.env.server.send_signal(signal.SIGTERM)
        self.env.wait_for(lambda: "stop signal received" in self.env.log(),
                          what="the stop line")
        started = time.monotonic()
        self.env.server.send_signal(signal.SIGINT)
        self.assertEqual(self.env.server.wait(timeout=10), 1)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn("second stop signal: exiting now", self.env.log())
        thread.join(30)

    def test_the_grace_period_bounds_the_wait(self):
        self.start(grace=1, helm_seconds=30)
        thread, _ = self.create_in_background(3)
        started = time.monotonic()
        self.env.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.env.server.wait(timeout=20), 1)
        # One second of grace plus the two seconds gRPC gets to cancel.
        self.assertLess(time.monotonic() - started, 8)
        self.assertIn("grace period over with verbs still running",
                      self.env.log())
        thread.join(30)


if __name__ == "__main__":
    unittest.main()
