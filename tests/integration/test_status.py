"""Cluster status end to end: bridge server (watch cache) + real helm +
simulator with its CAPI progression and fault knobs.

Each test asks the bridge what Magnum would ask (GetClusterStatus with the
status Magnum holds, or WatchClusterStatus) and checks the answer a user
would see: the status, its reason, addresses, counts, health; and that the
answers come from the cache, stay fresh through watch cuts, compaction
(410 Gone) and an API outage.
"""

import json
import os
import re
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from google.protobuf import json_format

from tests.integration.harness import (CLI, Environment, credential,
                                       driver_pb2, example_spec, grpc,
                                       simulator_only)


def status_name(value):
    return driver_pb2.Status.Name(value)


class StatusCalls:
    """One Environment per test class (`environment`: its arguments) and
    what the tests ask the bridge, as Magnum would."""

    environment = {}

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(step_seconds=0.2, **cls.environment)

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def create(self, n, name):
        spec, created = self.env.create_cluster(
            "44444444-aaaa-4bbb-8ccc-%012d" % n, name)
        return spec, created.namespace

    def get(self, spec, current):
        return self.env.stub.GetClusterStatus(
            driver_pb2.GetClusterStatusRequest(spec=spec,
                                               current_status=current),
            timeout=10)

    def fetch(self, path):
        """(HTTP code, body) of GET `path` on the ops endpoint."""
        try:
            with urllib.request.urlopen(self.env.ops_url + path,
                                        timeout=5) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_status(self, spec, current, want, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            status = self.get(spec, current)
            if status_name(status.status) == want:
                return status
            if time.monotonic() > deadline:
                self.fail("status stayed %s (%s), wanted %s" % (
                    status_name(status.status), status.status_reason, want))
            time.sleep(0.1)


class StatusTest(StatusCalls, unittest.TestCase):

    environment = {"extra_config": "ops_listen: 127.0.0.1:0\n"}
    # Updates a watch sees during a create (each step of the simulator).
    min_watch_updates = 3

    def test_watch_streams_progress_until_create_complete(self):
        spec, ns = self.create(1, "watched")
        seen = []
        for status in self.env.stub.WatchClusterStatus(
                driver_pb2.GetClusterStatusRequest(
                    spec=spec, current_status="CREATE_IN_PROGRESS"),
                timeout=60):
            seen.append(status)
        self.assertGreaterEqual(len(seen), self.min_watch_updates,
                                [s.status_reason for s in seen])
        self.assertEqual([status_name(s.status) for s in seen[:-1]],
                         ["CREATE_IN_PROGRESS"] * (len(seen) - 1))
        reasons = " | ".join(s.status_reason for s in seen)
        self.assertIn("cluster condition", reasons)
        final = seen[-1]
        self.assertEqual(status_name(final.status), "CREATE_COMPLETE")
        self.assertEqual(final.status_reason, "")
        self.assertRegex(final.api_address, r"^https://203\.0\.113\.\d+:6443$")
        self.assertEqual(final.coe_version, "v1.34.3")
        self.assertEqual(len(final.master_addresses), 1)
        self.assertEqual(len(final.node_addresses), 2)
        groups = {g.name: g for g in final.node_groups}
        self.assertEqual(groups["default-worker"].ready_nodes, 2)
        self.assertEqual(groups["default-worker"].desired_nodes, 2)
        self.assertTrue(groups["default-master"].present)
        self.assertEqual(driver_pb2.HealthStatus.Name(final.health_status),
                         "HEALTHY", dict(final.health_status_reason))

    @simulator_only("counts the requests the API server served")
    def test_steady_state_status_sends_no_request(self):
        spec, ns = self.create(2, "steady")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        before = self.env.requests_seen()
        for _ in range(50):
            status = self.get(spec, "CREATE_IN_PROGRESS")
            self.assertEqual(status_name(status.status), "CREATE_COMPLETE")
        self.assertEqual(self.env.requests_seen() - before, 0)

    def test_update_completes_only_at_the_requested_count(self):
        spec, ns = self.create(3, "scaled")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        spec.node_groups[1].node_count = 4
        # CAPI adds no machine until the test has looked: the group is at 3
        # whatever the machine's speed.
        worker = spec.cluster.stack_id + "-default-worker"
        self.env.fault(capi={"hold_machine_deployment": worker})
        self.env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=spec), timeout=60)
        # The group is not at 4: in progress, naming the group.
        first = self.get(spec, "UPDATE_IN_PROGRESS")
        self.assertEqual(status_name(first.status), "UPDATE_IN_PROGRESS")
        self.assertIn("default-worker", first.status_reason)
        self.env.fault(capi={"hold_machine_deployment": None})
        done = self.wait_status(spec, "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE")
        self.assertEqual(len(done.node_addresses), 4)
        self.assertEqual({g.name: g.ready_nodes for g in done.node_groups},
                         {"default-master": 1, "default-worker": 4})

    def test_infrastructure_failure_is_create_failed_with_reason(self):
        self.env.fault(capi={"openstack_cluster_failure": "broken-infra"})
        try:
            spec = example_spec(**{"cluster.uuid": "44444444-aaaa-4bbb-8ccc-"
                                                   "000000000004",
                                   "cluster.name": "broken-infra",
                                   "cluster.stack_id": "broken-infra"})
            created = self.env.stub.CreateCluster(
                driver_pb2.CreateClusterRequest(spec=spec,
                                                credential=credential()),
                timeout=120)
            self.assertEqual(created.release_name, "broken-infra")
            failed = self.wait_status(spec, "CREATE_IN_PROGRESS",
                                      "CREATE_FAILED")
        finally:
            self.env.fault(capi={"openstack_cluster_failure": None})
        self.assertIn("infrastructure (OpenStackCluster broken-infra)",
                      failed.status_reason)
        self.assertNotEqual(failed.health_status_reason["infrastructure"],
                            "Ready")

    def test_failed_node_group_and_failed_addon(self):
        spec, ns = self.create(5, "half-broken")
        release = spec.cluster.stack_id
        self.env.fault(capi={
            "machine_deployment_failed": release + "-default-worker"})
        try:
            failed = self.wait_status(spec, "CREATE_IN_PROGRESS",
                                      "CREATE_FAILED")
        finally:
            self.env.fault(capi={"machine_deployment_failed": None})
        self.assertIn("node group default-worker", failed.status_reason)
        self.assertIn("No valid host was found", failed.status_reason)
        groups = {g.name: g for g in failed.node_groups}
        self.assertEqual(status_name(groups["default-worker"].status),
                         "CREATE_FAILED")

        spec2, ns2 = self.create(6, "bad-addon")
        addons = self.env.names("HelmRelease", ns2,
                                "capi.stackhpc.com/cluster=" +
                                spec2.cluster.stack_id)
        self.assertTrue(addons)
        self.env.fault(capi={"addon_failed": addons[0]})
        try:
            failed = self.wait_status(spec2, "CREATE_IN_PROGRESS",
                                      "CREATE_FAILED")
        finally:
            self.env.fault(capi={"addon_failed": None})
        self.assertIn("addon %s: phase Failed" % addons[0],
                      failed.status_reason)

    def test_delete_completes_and_removes_the_secrets(self):
        spec, ns = self.create(7, "doomed")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        self.env.stub.DeleteCluster(driver_pb2.DeleteClusterRequest(
            spec=spec), timeout=60)
        during = self.get(spec, "DELETE_IN_PROGRESS")
        self.assertEqual(status_name(during.status), "DELETE_IN_PROGRESS")
        self.assertIn("deleting", during.status_reason)
        self.wait_status(spec, "DELETE_IN_PROGRESS", "DELETE_COMPLETE")
        self.assertEqual(self.env.names(
            "Secret", ns, "magnum.openstack.org/cluster-uuid=" +
            spec.cluster.uuid), [])

    def test_probes_and_metrics(self):
        fetch = self.fetch

        def sample(text, name):
            match = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
            return float(match.group(1)) if match else None

        self.assertTrue(self.env.ops_url)
        self.assertEqual(fetch("/healthz"), (200, "ok\n"))
        self.env.wait_for(lambda: fetch("/readyz")[0] == 200,
                          what="/readyz 200 once the cache has synced")
        spec, ns = self.create(9, "measured")
        code, before = fetch("/metrics")
        self.assertEqual(code, 200)
        cached = 'capi_bridge_status_evaluations_total{source="cache"}'
        for _ in range(5):
            self.get(spec, "CREATE_IN_PROGRESS")
        after = fetch("/metrics")[1]
        self.assertEqual(sample(after, cached) - sample(before, cached), 5)
        calls = ('capi_bridge_grpc_request_duration_seconds_count'
                 '{method="GetClusterStatus",code="OK"}')
        self.assertEqual(sample(after, calls) - (sample(before, calls) or 0),
                         5)
        self.assertGreaterEqual(sample(
            after, 'capi_bridge_grpc_request_duration_seconds_count'
                   '{method="CreateCluster",code="OK"}'), 1)
        self.assertGreaterEqual(sample(
            after, 'capi_bridge_helm_run_duration_seconds_count'
                   '{command="upgrade",outcome="ok"}'), 1)
        self.assertEqual(sample(after, 'capi_bridge_watch_synced'
                                       '{kind="Cluster"}'), 1)
        self.assertGreaterEqual(
            sample(after, "capi_bridge_helm_chart_pulls_total"), 1)
        self.assertGreater(sample(after, "capi_bridge_kube_requests_total"),
                           0)
        self.assertGreaterEqual(sample(after, "capi_bridge_cached_clusters"),
                                1)
        self.assertNotIn("app-cred-secret", after)

    def test_bad_current_status_names_the_field(self):
        spec, ns = self.create(8, "asked-badly")
        with self.assertRaises(grpc.RpcError) as bad:
            self.get(spec, "ROLLING")
        self.assertEqual(bad.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn('current_status: "ROLLING"', bad.exception.details())
        self.assertIn("UPDATE_IN_PROGRESS", bad.exception.details())


class StatusDirectTest(StatusTest):
    """Every status scenario above again with status.watch_cache: false
    (each call reads the API). The objects are labelled as the real chart
    and Cluster API label them (the stand-in chart sets no
    cluster.x-k8s.io/cluster-name; the simulator adds it where CAPI does,
    and the addon provider's labels only once it reconciled an addon), so
    both modes must group them by the same rules."""

    environment = {"extra_config": "ops_listen: 127.0.0.1:0\n"
                                   "status:\n  watch_cache: false\n"}
    # Without the cache a watch polls, so it may see fewer steps.
    min_watch_updates = 2

    def test_steady_state_status_sends_no_request(self):
        self.skipTest("reading the API on each call is this mode's point")

    def test_probes_and_metrics(self):
        self.skipTest("cache metrics; the direct mode's are in "
                      "DirectReadTest")


class CliTest(StatusCalls, unittest.TestCase):
    """`capi-bridge status` and `capi-bridge watch` as an operator runs
    them."""

    def cli(self, spec, *args):
        path = os.path.join(self.env.dir, "spec-%s.json" %
                            spec.cluster.stack_id)
        with open(path, "w") as f:
            f.write(json_format.MessageToJson(
                spec, preserving_proto_field_name=True))
        return subprocess.run(
            [CLI, "--insecure", "--address", self.env.address] +
            list(args) + ["-s", path], capture_output=True, text=True,
            timeout=120)

    def test_watch_then_status(self):
        spec, ns = self.create(31, "cli-watched")
        watched = self.cli(spec, "watch", "--current", "CREATE_IN_PROGRESS")
        self.assertEqual(watched.returncode, 0, watched.stderr)
        lines = watched.stdout.strip().splitlines()
        self.assertGreater(len(lines), 2, watched.stdout)
        # Piped: one plain line per change, no terminal control codes.
        self.assertNotIn("\033", watched.stdout)
        self.assertRegex(lines[0], r"^\d\d:\d\d:\d\d CREATE_IN_PROGRESS "
                                   r"default-master \d/1 default-worker "
                                   r"\d/2")
        self.assertRegex(lines[-1], r"CREATE_COMPLETE default-master 1/1 "
                                    r"default-worker 2/2$")

        table = self.cli(spec, "status", "--current", "CREATE_COMPLETE")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertRegex(table.stdout, r"status\s+CREATE_COMPLETE")
        self.assertRegex(table.stdout, r"health\s+HEALTHY")
        # Every row keeps its key and value apart.
        for line in table.stdout.splitlines()[:6]:
            if line.strip():
                self.assertRegex(line, r"^\s*\S+\s+\S")
        self.assertRegex(table.stdout,
                         r"default-worker\s+CREATE_COMPLETE\s+2/2\s+10\.")
        # Without --current the bridge infers the operation: a cluster no
        # verb has touched since its create is reported as created.
        inferred = self.cli(spec, "status")
        self.assertRegex(inferred.stdout, r"status\s+CREATE_COMPLETE")
        self.assertRegex(inferred.stdout,
                         r"evaluated as\s+CREATE_IN_PROGRESS")
        as_json = self.cli(spec, "status", "-o", "json")
        self.assertEqual(json.loads(as_json.stdout)["coe_version"], "v1.34.3")
        spec.node_groups[1].node_count = 3
        self.env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=spec), timeout=60)
        # Once the cache has seen the update's mark on the Cluster.
        self.env.wait_for(
            lambda: json.loads(self.cli(spec, "status", "-o", "json").stdout)
            ["evaluated_as"] == "UPDATE_IN_PROGRESS", timeout=10,
            what="status inferred as an update after UpdateCluster")
        as_yaml = self.cli(spec, "status", "-o", "yaml")
        self.assertIn('coe_version: "v1.34.3"', as_yaml.stdout)

    def test_watch_exits_non_zero_on_failure(self):
        spec, ns = self.create(32, "cli-failing")
        self.env.fault(capi={"machine_deployment_failed":
                             spec.cluster.stack_id + "-default-worker"})
        try:
            watched = self.cli(spec, "watch", "--current",
                               "CREATE_IN_PROGRESS")
        finally:
            self.env.fault(capi={"machine_deployment_failed": None})
        self.assertEqual(watched.returncode, 1, watched.stdout)
        self.assertIn("CREATE_FAILED: node group default-worker",
                      watched.stderr)


@simulator_only("cuts watches, compacts and fails requests on demand")
class CacheResilienceTest(StatusCalls, unittest.TestCase):
    """The watch cache through cut watches, compaction and an outage: no
    stale answers once the API is back."""

    def scale_and_wait(self, spec, count):
        spec.node_groups[1].node_count = count
        self.env.stub.UpdateCluster(driver_pb2.UpdateClusterRequest(
            spec=spec), timeout=60)
        return self.wait_status(spec, "UPDATE_IN_PROGRESS",
                                "UPDATE_COMPLETE")

    def test_watch_cut_and_compaction_then_fresh_answers(self):
        spec, ns = self.create(11, "resilient")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        # A cut resumes from the last version; compaction forces a relist.
        self.env.fault(watch_cut=True)
        done = self.scale_and_wait(spec, 3)
        self.assertEqual(len(done.node_addresses), 3)
        self.env.fault(compact=True, watch_cut=True)
        done = self.scale_and_wait(spec, 1)
        self.assertEqual(len(done.node_addresses), 1)
        self.assertEqual({g.name: g.ready_nodes for g in done.node_groups},
                         {"default-master": 1, "default-worker": 1})

    def test_api_down_for_a_while(self):
        spec, ns = self.create(12, "outage")
        release = spec.cluster.stack_id
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        self.env.fault(errors=[{"code": 503, "count": 1000000}],
                       watch_cut=True)
        try:
            # The cache still answers with what it last knew.
            status = self.get(spec, "CREATE_COMPLETE")
            self.assertEqual(len(status.node_addresses), 2)
            # Meanwhile the workers are scaled behind the bridge's back
            # (as kubectl scale would) and the controllers act on it.
            from tests.support.kube_sim import resources
            md = resources.BY_KIND[("cluster.x-k8s.io", "MachineDeployment")]
            self.env.sim.store.patch(
                md, ns, release + "-default-worker",
                "application/merge-patch+json", {"spec": {"replicas": 3}})
            self.env.wait_for(lambda: len(self.env.objects(
                "Machine", ns, "cluster.x-k8s.io/deployment-name=%s-"
                "default-worker" % release)) == 3, what="third machine")
            time.sleep(1.5)  # several failed reconnects
        finally:
            self.env.fault(clear=True)
        # Once the API is back the cache catches up: no stale answer.
        self.env.wait_for(
            lambda: len(self.get(spec, "CREATE_COMPLETE").node_addresses) == 3,
            what="the cache to catch up after the outage (stale answer)")


@simulator_only("fails every request for a while")
class StalenessTest(StatusCalls, unittest.TestCase):
    """Past status.max_staleness_seconds without a word from the management
    cluster, the bridge says so instead of answering from old data."""

    BOUND = 5
    environment = {"extra_config": "ops_listen: 127.0.0.1:0\nstatus:\n"
                                   "  max_staleness_seconds: %d\n" % BOUND}

    def test_an_outage_past_the_bound_is_unavailable_then_fresh(self):
        env = self.env
        spec, ns = self.create(31, "isolated")
        self.wait_status(spec, "CREATE_IN_PROGRESS", "CREATE_COMPLETE")
        env.wait_for(lambda: self.fetch("/readyz")[0] == 200, what="ready")
        # A second cluster whose create never progresses, watched.
        env.sim.controllers.configure({"step_seconds": 1000})
        waiting, _ = self.create(32, "waiting")
        watch = env.stub.WatchClusterStatus(
            driver_pb2.GetClusterStatusRequest(
                spec=waiting, current_status="CREATE_IN_PROGRESS"),
            timeout=60)
        self.assertEqual(status_name(next(watch).status),
                         "CREATE_IN_PROGRESS")
        env.fault(errors=[{"code": 503, "count": 1000000}], watch_cut=True)
        try:
            # A short outage: the cache answers.
            self.assertEqual(status_name(self.get(
                spec, "CREATE_COMPLETE").status), "CREATE_COMPLETE")
            time.sleep(self.BOUND + 2)
            with self.assertRaises(grpc.RpcError) as stale:
                self.get(spec, "CREATE_COMPLETE")
            self.assertEqual(stale.exception.code(),
                             grpc.StatusCode.UNAVAILABLE)
            self.assertRegex(stale.exception.details(),
                             r"management cluster unreachable: not heard "
                             r"from for \d+s \(status.max_staleness_seconds "
                             r"5\)")
            code, reason = self.fetch("/readyz")
            self.assertEqual(code, 503)
            self.assertIn("not heard from for", reason)
            metrics = self.fetch("/metrics")[1]
            ages = [float(v) for v in re.findall(
                r'^capi_bridge_watch_staleness_seconds\{kind="Cluster"\} '
                r'(\S+)$', metrics, re.M)]
            self.assertGreater(ages[0], self.BOUND)
            # The watch stream ends, saying the same.
            with self.assertRaises(grpc.RpcError) as ended:
                for _ in watch:
                    pass
            self.assertEqual(ended.exception.code(),
                             grpc.StatusCode.UNAVAILABLE)
            self.assertIn("not heard from", ended.exception.details())
        finally:
            env.fault(clear=True)
            env.sim.controllers.configure({"step_seconds": 0.2})
        env.wait_for(lambda: self.fetch("/readyz")[0] == 200,
                     what="/readyz 200 after the outage")
        self.assertEqual(status_name(self.get(spec, "CREATE_COMPLETE").status),
                         "CREATE_COMPLETE")


class DirectReadTest(StatusCalls, unittest.TestCase):
    """status.watch_cache: false reads the API on each call, same answers."""

    environment = {"extra_config": "status:\n  watch_cache: false\n"}

    @simulator_only("counts the requests the API server served")
    def test_same_rules_without_the_cache(self):
        spec, ns = self.create(21, "uncached")
        before = self.env.requests_seen()
        done = self.wait_status(spec, "CREATE_IN_PROGRESS",
                                "CREATE_COMPLETE")
        self.assertGreater(self.env.requests_seen(), before)
        self.assertEqual(len(done.node_addresses), 2)

    def test_objects_only_the_chart_labels_are_found(self):
        # openstack-cluster labels its KubeadmControlPlane with
        # capi.stackhpc.com/cluster only (no cluster.x-k8s.io/cluster-name):
        # direct reads must group it as the cache does.
        spec, ns = self.create(22, "chart-labelled")
        done = self.wait_status(spec, "CREATE_IN_PROGRESS",
                                "CREATE_COMPLETE")
        from tests.support.kube_sim import resources
        kcp = resources.BY_KIND[("controlplane.cluster.x-k8s.io",
                                 "KubeadmControlPlane")]
        name = [o["metadata"]["name"] for o in self.env.sim.store.list(
            kcp, ns, "capi.stackhpc.com/cluster=" +
            spec.cluster.stack_id)["items"]][0]
        self.env.sim.store.patch(
            kcp, ns, name, "application/merge-patch+json",
            {"metadata": {"labels": {"cluster.x-k8s.io/cluster-name": None}}})
        self.assertEqual(self.env.sim.store.list(
            kcp, ns, "cluster.x-k8s.io/cluster-name=" +
            spec.cluster.stack_id)["items"], [])
        again = self.get(spec, "CREATE_COMPLETE")
        self.assertEqual(status_name(again.status), "CREATE_COMPLETE",
                         again.status_reason)
        self.assertEqual(again.coe_version, done.coe_version)
        self.assertTrue(again.coe_version)
        self.assertNotIn("not found", again.health_status_reason.get(
            "controlplane", ""))


if __name__ == "__main__":
    unittest.main()
