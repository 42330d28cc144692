"""Two bridge replicas against one management cluster: real helm, slowed.

The chart runs the bridge with several replicas behind one Service, so
Magnum's retries and the periodic sync reach any of them. Each round sends
the same verb to both replicas at the same instant; the per-cluster Lease
must let exactly one apply it and answer the other ABORTED, and a create
without a release name must never give one Magnum cluster two releases.
"""

import os
import stat
import tempfile
import threading
import unittest

from tests.integration.harness import (HELM, Environment, credential,
                                       driver_pb2, example_spec, grpc)

ROUNDS = 20


def slow_helm(directory):
    """A helm that takes a second longer, so both calls of a round overlap
    however the two replicas are scheduled."""
    path = os.path.join(directory, "slow-helm")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nsleep 1\nexec %s \"$@\"\n" % HELM)
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


class TwoReplicasTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tools = tempfile.TemporaryDirectory(prefix="bridge-replicas-")
        cls.env = Environment(helm=slow_helm(cls.tools.name))
        cls.stubs = [cls.env.stub, cls.env.replica()]

    @classmethod
    def tearDownClass(cls):
        cls.env.close()
        cls.tools.cleanup()

    def both_at_once(self, call):
        """Runs call(stub) on both replicas at the same instant; returns
        [(reply, None) or (None, RpcError)] in replica order."""
        barrier = threading.Barrier(2)
        results = [None, None]

        def run(i):
            barrier.wait()
            try:
                results[i] = (call(self.stubs[i]), None)
            except grpc.RpcError as error:
                results[i] = (None, error)
        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return results

    def one_applied(self, results):
        """Exactly one OK, the other ABORTED by the Lease; returns the
        index of the one that applied and its reply."""
        ok = [i for i, (reply, _) in enumerate(results) if reply is not None]
        self.assertEqual(len(ok), 1, [e and e.details() for _, e in results])
        error = results[1 - ok[0]][1]
        self.assertEqual(error.code(), grpc.StatusCode.ABORTED,
                         error.details())
        self.assertRegex(error.details(), r"is busy: \w+ by bridge replica "
                         r"\S+ has held its Lease capi-bridge-")
        return ok[0], results[ok[0]][0]

    def helm_statuses(self, ns):
        return [s["metadata"]["labels"]["status"] for s in
                self.env.objects("Secret", ns, "owner=helm")]

    def test_simultaneous_resizes_apply_once_each_round(self):
        env = self.env
        spec, created = env.create_cluster(
            "55555555-aaaa-4bbb-8ccc-000000000001", "contended")
        release, ns = created.release_name, created.namespace
        winners = set()
        for round_ in range(ROUNDS):
            spec.node_groups[1].node_count = 3 + round_ % 2
            winner, reply = self.one_applied(self.both_at_once(
                lambda stub: stub.ResizeCluster(
                    driver_pb2.ResizeClusterRequest(
                        spec=spec, node_group="default-worker"),
                    timeout=120)))
            winners.add(winner)
            self.assertFalse(reply.unchanged)
            self.assertEqual(env.helm_revision(release, ns), 2 + round_)
        self.assertEqual(winners, {0, 1}, "one replica always won")
        history = [s for s in env.objects("Secret", ns,
                                          "owner=helm,name=" + release)]
        self.assertNotIn("pending-upgrade",
                         [s["metadata"]["labels"]["status"] for s in history])

    def test_simultaneous_creates_without_a_release_name_make_one_release(
            self):
        env = self.env
        for round_ in range(ROUNDS):
            uuid = "55555555-bbbb-4bbb-8ccc-%012d" % round_
            spec = example_spec(**{"cluster.uuid": uuid,
                                   "cluster.name": "twice %d" % round_})
            self.assertEqual(spec.cluster.stack_id, "")
            request = driver_pb2.CreateClusterRequest(
                spec=spec, credential=credential(1))
            winner, reply = self.one_applied(self.both_at_once(
                lambda stub: stub.CreateCluster(request, timeout=120)))
            # The other replica, retried, finds the same release.
            again = self.stubs[1 - winner].CreateCluster(request,
                                                         timeout=120)
            self.assertEqual(again.release_name, reply.release_name)
            self.assertTrue(again.unchanged)
            ns = reply.namespace
            releases = {s["metadata"]["labels"][
                "cluster.x-k8s.io/cluster-name"] for s in env.objects(
                    "Secret", ns, "magnum.openstack.org/cluster-uuid=" + uuid)}
            self.assertEqual(releases, {reply.release_name})
            clusters = [c for c in env.names("Cluster", ns)
                        if c.startswith("twice-%d-" % round_)]
            self.assertEqual(clusters, [reply.release_name])
        self.assertFalse([s for s in self.helm_statuses(ns)
                          if s.startswith("pending")])


if __name__ == "__main__":
    unittest.main()
