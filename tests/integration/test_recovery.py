"""Recovery from a helm interrupted mid-apply: real helm, real kill -9.

A helm killed while it applies (with the bridge, as a pod restart does, or
by the bridge at its deadline) leaves its release marked pending, and helm
refuses every later upgrade of it. These tests hold one API request of
helm's in the simulator so that helm is caught mid-apply, kill it the way
production does, and check that the next verb recovers the release and
says so, and that nothing of the killed helm runs on.
"""

import datetime
import os
import re
import threading
import time
import unittest
import urllib.request

from tests.integration.harness import (Environment, credential, driver_pb2,
                                       example_spec, grpc, simulator_only)
from tests.integration.test_status import StatusCalls, status_name

# helm.timeout_seconds + helm.kill_grace_seconds: a pending mark older than
# this was left by a helm that no longer runs.
HELM_TIMEOUT, KILL_GRACE = 10, 2
RUN_BOUND = HELM_TIMEOUT + KILL_GRACE
# management.lease_duration_seconds: the killed bridge's Lease is free this
# long after its last renewal.
LEASE = 3


def children_of(pid):
    """Pids of the processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class RecoveryTest(unittest.TestCase):

    def setUp(self):
        self.env = Environment(
            helm_timeout=HELM_TIMEOUT, kill_grace=KILL_GRACE,
            extra_config="ops_listen: 127.0.0.1:0\n",
            management_config="  lease_duration_seconds: %d\n" % LEASE)

    def tearDown(self):
        self.env.fault(clear=True)
        self.env.close()

    # -- helpers
    def records(self, release, ns):
        """revision → helm status, from the release's stored records."""
        return {int(s["metadata"]["labels"]["version"]):
                s["metadata"]["labels"]["status"]
                for s in self.env.objects("Secret", ns,
                                          "owner=helm,name=%s" % release)}

    def metric(self, name):
        with urllib.request.urlopen(self.env.ops_url + "/metrics",
                                    timeout=5) as reply:
            text = reply.read().decode()
        match = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
        return float(match.group(1)) if match else 0.0

    def in_background(self, call):
        """Runs `call` in a thread; the result holds its error, if any."""
        result = {}

        def run():
            try:
                result["reply"] = call()
            except grpc.RpcError as error:
                result["error"] = error
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        result["thread"] = thread
        return result

    def created(self, number, name):
        """A cluster created normally: (spec with its stack_id, release,
        namespace)."""
        spec, created = self.env.create_cluster(
            "44444444-aaaa-4bbb-8ccc-%012d" % number, name)
        return spec, created.release_name, created.namespace

    def hold(self, method, kind):
        """Holds helm's next `method` request on `kind` for two minutes."""
        self.env.fault(delays=[{"ms": 120000, "method": method,
                                "path_contains": kind, "count": 1}])

    def kill_bridge_mid_apply(self, release, ns, status):
        """Waits for helm to mark the release `status`, then kill -9s the
        bridge and checks its helm died with it."""
        env = self.env
        env.wait_for(lambda: status in self.records(release, ns).values(),
                     timeout=30, what="helm to mark the release " + status)
        helms = children_of(env.server.pid)
        self.assertTrue(helms, "no helm running under the bridge")
        env.kill_server()
        deadline = time.monotonic() + 5
        while any(alive(p) for p in helms) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse([p for p in helms if alive(p)],
                         "helm outlived the killed bridge")
        env.fault(clear=True)
        env.start_server(ops=True)

    def retry_until_recovered(self, call, status):
        """The first retry finds the killed bridge's Lease, still held; once
        that has expired, the next finds helm's mark too young and says
        when it may be recovered; once that time has passed the retry
        recovers it."""
        with self.assertRaises(grpc.RpcError) as leased:
            call()
        self.assertEqual(leased.exception.code(), grpc.StatusCode.ABORTED)
        self.assertRegex(leased.exception.details(),
                         r"is busy: \w+ by bridge replica \S+ has held its "
                         r"Lease capi-bridge-")
        time.sleep(LEASE + 0.5)
        with self.assertRaises(grpc.RpcError) as young:
            call()
        self.assertEqual(young.exception.code(), grpc.StatusCode.ABORTED)
        self.assertIn(status, young.exception.details())
        self.assertIn("recovers it from", young.exception.details())
        time.sleep(RUN_BOUND)
        return call()

    # -- tests
    @simulator_only("holds an API request to kill mid-request")
    def test_bridge_killed_mid_create_then_create_recovers(self):
        env = self.env
        spec = example_spec(**{"cluster.uuid": "44444444-aaaa-4bbb-8ccc-"
                                               "000000000001",
                               "cluster.name": "killed"})
        spec.cluster.stack_id = "killed-k3vq7x2mzp4a"
        release = spec.cluster.stack_id
        ns = "magnum-" + spec.cluster.project_id

        def create():
            return env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
                spec=spec, credential=credential(1)), timeout=120)
        self.hold("POST", "kubeadmcontrolplanes")
        first = self.in_background(create)
        self.kill_bridge_mid_apply(release, ns, "pending-install")
        first["thread"].join(10)
        self.assertIn("error", first)  # the call died with the bridge

        reply = self.retry_until_recovered(create, "pending-install")
        self.assertIn("left pending-install at revision 1", reply.recovery)
        self.assertIn("removed", reply.recovery)
        self.assertEqual(self.records(release, ns), {1: "deployed"})
        env.wait_for(lambda: env.cluster_ready(release, ns), what="Ready")
        # The Secrets written before the kill were kept.
        self.assertIn(release + "-cloud-credentials", env.names("Secret", ns))
        self.assertEqual(self.metric(
            'capi_bridge_helm_recoveries_total{from="pending-install"}'), 1)
        self.assertIn('msg="release recovered"', env.log())

    @simulator_only("holds an API request to kill mid-request")
    def test_bridge_killed_mid_resize_then_resize_recovers(self):
        env = self.env
        spec, release, ns = self.created(2, "resized")
        env.wait_for(lambda: env.cluster_ready(release, ns), what="Ready")
        spec.node_groups[1].node_count = 3

        def resize():
            return env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
                spec=spec, node_group="default-worker"), timeout=120)
        self.hold("PATCH", "machinedeployments")
        first = self.in_background(resize)
        self.kill_bridge_mid_apply(release, ns, "pending-upgrade")
        first["thread"].join(10)

        reply = self.retry_until_recovered(resize, "pending-upgrade")
        self.assertEqual(reply.recovery,
                         "release %s was left pending-upgrade at revision 2 "
                         "by an interrupted helm; rolled back to revision 1"
                         % release)
        history = self.records(release, ns)
        self.assertEqual(history[max(history)], "deployed")
        self.assertNotIn("pending-upgrade",
                         [history[r] for r in history if r > 2])
        workers = "capi.stackhpc.com/node-group=default-worker"
        env.wait_for(lambda: [md["spec"]["replicas"] for md in env.objects(
            "MachineDeployment", ns, workers)] == [3], what="3 replicas")
        self.assertEqual(self.metric(
            'capi_bridge_helm_recoveries_total{from="pending-upgrade"}'), 1)

    @simulator_only("holds an API request to kill mid-request")
    def test_helm_killed_at_its_deadline_leaves_nothing_pending(self):
        env = self.env
        spec, release, ns = self.created(3, "slow")
        spec.node_groups[1].node_count = 3
        self.hold("PATCH", "machinedeployments")
        started = time.monotonic()
        with self.assertRaises(grpc.RpcError) as killed:
            env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
                spec=spec, node_group="default-worker"), timeout=120)
        self.assertGreaterEqual(time.monotonic() - started, RUN_BOUND - 1)
        self.assertEqual(killed.exception.code(),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertIn("rolled back to revision 1", killed.exception.details())
        self.assertIn("retry", killed.exception.details())
        history = self.records(release, ns)
        self.assertEqual(history[max(history)], "deployed")
        # The next verb applies at once: nothing is left to recover.
        env.fault(clear=True)
        reply = env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
            spec=spec, node_group="default-worker"), timeout=120)
        self.assertEqual(reply.recovery, "")
        self.assertEqual(self.records(release, ns)[max(history) + 1],
                         "deployed")

    def test_bridge_killed_after_uninstall_leaks_no_secret(self):
        env = self.env
        spec, release, ns = self.created(4, "gone")
        env.wait_for(lambda: env.cluster_ready(release, ns), what="Ready")
        mine = "magnum.openstack.org/cluster-uuid=" + spec.cluster.uuid
        self.assertTrue(env.names("Secret", ns, mine))
        env.stub.DeleteCluster(driver_pb2.DeleteClusterRequest(spec=spec),
                               timeout=60)
        # Killed before CAPI has torn the cluster down, and no status call
        # ever comes: the restarted bridge finds the work by itself.
        env.kill_server()
        self.assertTrue(env.names("Secret", ns, mine))
        env.start_server()
        env.wait_for(lambda: not env.names("Cluster", ns),
                     what="CAPI to remove the Cluster")
        env.wait_for(lambda: not env.names("Secret", ns, mine),
                     what="the cluster's Secrets to be removed")
        # The reaper logs once the deletion has returned: the line may
        # follow the Secrets' disappearance by a moment.
        env.wait_for(
            lambda: 'msg="cluster gone, its Secrets removed"' in env.log(),
            timeout=10, what="the reaper to log the removal")

    def test_a_caller_without_time_left_gets_nothing_applied(self):
        env = self.env
        spec, release, ns = self.created(5, "hurried")
        spec.node_groups[1].node_count = 3
        with self.assertRaises(grpc.RpcError) as hurried:
            env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
                spec=spec, node_group="default-worker"), timeout=3)
        self.assertEqual(hurried.exception.code(),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertIn("less than the 5s a verb needs to start helm; "
                      "nothing was applied", hurried.exception.details())
        self.assertEqual(self.records(release, ns), {1: "deployed"})

    @simulator_only("holds an API request to kill mid-request")
    def test_once_helm_started_the_verb_finishes_after_the_caller_left(self):
        env = self.env
        spec, release, ns = self.created(6, "patient")
        spec.node_groups[1].node_count = 3
        env.fault(delays=[{"ms": 8000, "method": "PATCH",
                           "path_contains": "machinedeployments",
                           "count": 1}])
        with self.assertRaises(grpc.RpcError) as left:
            env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
                spec=spec, node_group="default-worker"), timeout=6)
        self.assertEqual(left.exception.code(),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
        # The caller gave up; the bridge did not: the resize is applied,
        # whole, and the log says so.
        env.wait_for(lambda: self.records(release, ns).get(2) == "deployed",
                     timeout=20, what="revision 2 deployed")
        env.wait_for(lambda: re.search(
            r'msg="call finished".*verb=ResizeCluster.*code=OK', env.log()),
            what="the resize's outcome in the log")


class TimeoutsAcrossRestartsTest(StatusCalls, unittest.TestCase):
    """Status timeouts count from what the management cluster records, so
    a restarted (or another) bridge computes the same deadline."""

    environment = {"extra_config": "status:\n  delete_timeout_minutes: 1\n"}

    def test_delete_timeout_counts_from_the_clusters_deletion(self):
        env = self.env
        spec, ns = self.create(21, "stuck")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        release = spec.cluster.stack_id
        env.fault(capi={"block_deletion": release})
        deleted_at = time.monotonic()
        env.stub.DeleteCluster(driver_pb2.DeleteClusterRequest(spec=spec),
                               timeout=60)
        time.sleep(10)
        # A bridge that knows nothing of the delete: it counts from the
        # Cluster's deletionTimestamp, not from its own start.
        env.kill_server()
        env.start_server()
        during = self.get(spec, "DELETE_IN_PROGRESS")
        self.assertEqual(status_name(during.status), "DELETE_IN_PROGRESS")
        time.sleep(max(0, deleted_at + 62 - time.monotonic()))
        failed = self.get(spec, "DELETE_IN_PROGRESS")
        self.assertEqual(status_name(failed.status), "DELETE_FAILED",
                         failed.status_reason)
        env.fault(capi={"block_deletion": None})

    def test_a_verb_records_its_start_on_the_cluster(self):
        env = self.env
        spec, ns = self.create(22, "marked")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        spec.node_groups[1].node_count = 3
        before = time.time()
        env.stub.ResizeCluster(driver_pb2.ResizeClusterRequest(
            spec=spec, node_group="default-worker"), timeout=60)
        after = time.time()
        cluster = [c for c in env.objects("Cluster", ns)
                   if c["metadata"]["name"] == spec.cluster.stack_id][0]
        stamp = cluster["metadata"]["annotations"][
            "capi-bridge.magnum.openstack.org/operation-started"]
        started = datetime.datetime.strptime(
            stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        self.assertGreaterEqual(started, before)
        self.assertLessEqual(started, after)


if __name__ == "__main__":
    unittest.main()
