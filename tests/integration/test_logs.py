"""The bridge's logs as an operator's log pipeline sees them: JSON lines,
one request id per verb carried into the Kubernetes requests and the helm
history, the cluster uuid and release on every line of a verb, and no
secret anywhere.
"""

import json
import os
import unittest

from tests.integration.harness import (TESTDATA, Environment, credential,
                                       driver_pb2, example_spec, grpc)
from magnum_capi_bridge.pb import cluster_spec_pb2

UUID = "5e3f0c1a-7b2d-4c8e-9f10-aa00bb11cc22"


# A test-only CA (the bridge checks that certificate and key match).
def _read(name):
    with open(os.path.join(TESTDATA, name)) as f:
        return f.read()


CA_CERT, CA_KEY = _read("ca-a.crt"), _read("ca-a.key")


def cas():
    pair = cluster_spec_pb2.KeyPair(certificate_pem=CA_CERT,
                                    private_key_pem=CA_KEY)
    return cluster_spec_pb2.CaCertificates(
        ca=pair, etcd=pair, front_proxy=pair, service_account=pair)


class StructuredLogTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(
            extra_config="log: {format: json, level: debug}\n")
        cls.spec = example_spec(**{"cluster.uuid": UUID,
                                   "cluster.name": "Logged"})
        reply, call = cls.env.stub.CreateCluster.with_call(
            driver_pb2.CreateClusterRequest(
                spec=cls.spec, credential=credential(7),
                ca_certificates=cas()),
            metadata=[("x-request-id", "req-magnum-0001")], timeout=120)
        cls.reply = reply
        cls.returned_id = dict(call.initial_metadata()).get("x-request-id")
        cls.spec.cluster.stack_id = reply.release_name
        cls.env.stub.GetClusterStatus(driver_pb2.GetClusterStatusRequest(
            spec=cls.spec, current_status="CREATE_IN_PROGRESS"), timeout=30)
        cls.env.stub.DeleteCluster(driver_pb2.DeleteClusterRequest(
            spec=cls.spec), timeout=60)
        cls.env.wait_for(lambda: "cluster gone, its Secrets removed" in
                         cls.env.log(), timeout=30, what="the reaper's line")
        cls.lines = [json.loads(line) for line in cls.env.log().splitlines()]

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def lines_of(self, request_id):
        return [line for line in self.lines
                if line.get("request_id") == request_id]

    def test_every_line_is_json_with_time_level_and_message(self):
        self.assertGreater(len(self.lines), 10)
        for line in self.lines:
            self.assertRegex(line["ts"],
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(line["level"], ("debug", "info", "warn", "error"))
            self.assertTrue(line["msg"])

    def test_no_secret_in_any_line(self):
        text = self.env.log()
        self.assertNotIn(credential(7).application_credential_secret, text)
        for line in CA_KEY.strip().splitlines()[1:-1]:
            self.assertNotIn(line, text)
        self.assertNotIn(self.env.sim.token, text)
        # The credential's id is not secret and stays visible.
        self.assertIn(self.spec.cluster.uuid, text)

    def test_the_create_carries_the_callers_request_id_throughout(self):
        self.assertEqual(self.returned_id, "req-magnum-0001")
        create = self.lines_of("req-magnum-0001")
        messages = [line["msg"] for line in create]
        for expected in ("call started", "kube request", "helm finished",
                         "release applied", "call finished"):
            self.assertIn(expected, messages)
        for line in create:
            self.assertEqual(line["verb"], "CreateCluster")
            self.assertEqual(line["cluster_uuid"], UUID)
        # The release is named during the verb, after admission has taken
        # (or, before the namespace exists, tried to take) the cluster's
        # Lease and looked for the cluster's release; every line from then on
        # names it, and nothing but the Lease is written before.
        named = [i for i, line in enumerate(create) if line.get("release")]
        self.assertTrue(named, "no line names the release")
        for line in create[named[0]:]:
            self.assertEqual(line.get("release"), self.reply.release_name,
                             line)
        for line in create[1:named[0]]:
            self.assertEqual(line["msg"], "kube request", line)
            self.assertRegex(line["request"],
                             r"^GET |^(POST|PUT) /apis/coordination\.k8s\.io"
                             r"/v1/namespaces/[^/]+/leases\b", line)
        self.assertEqual(create[-1]["code"], "OK")

    def test_the_request_id_reaches_kubernetes_and_the_helm_history(self):
        seen = self.env.sim.stats.snapshot()["request_ids"]
        self.assertGreater(seen.get("req-magnum-0001", 0), 0)
        ns = self.reply.namespace
        # The delete has uninstalled the release; the create's history
        # record was in the release Secret, so check it from a fresh
        # create of another cluster.
        spec = example_spec(**{"cluster.uuid": UUID[:-2] + "99",
                               "cluster.name": "Recorded"})
        reply, call = self.env.stub.CreateCluster.with_call(
            driver_pb2.CreateClusterRequest(spec=spec,
                                            credential=credential(8)),
            timeout=120)
        request_id = dict(call.initial_metadata())["x-request-id"]
        self.assertRegex(request_id, r"^[0-9a-f]{16}$")
        release = self.env.release_record(reply.release_name,
                                          reply.namespace)
        self.assertEqual(release["info"]["description"],
                         "capi-bridge CreateCluster request " + request_id)
        self.assertTrue(ns)

    def test_the_delete_and_its_reaper_share_a_request_id(self):
        deletes = [line for line in self.lines
                   if line.get("verb") == "DeleteCluster"]
        ids = {line["request_id"] for line in deletes}
        self.assertEqual(len(ids), 1, ids)
        messages = [line["msg"] for line in deletes]
        self.assertIn("release uninstalled", messages)
        self.assertIn("cluster gone, its Secrets removed", messages)
        for line in deletes:
            self.assertEqual(line["release"], self.reply.release_name)

    def test_a_malformed_request_id_is_replaced(self):
        _, call = self.env.stub.GetClusterStatus.with_call(
            driver_pb2.GetClusterStatusRequest(
                spec=self.spec, current_status="DELETE_IN_PROGRESS"),
            metadata=[("x-request-id", "evil id level=error")], timeout=30)
        self.assertRegex(dict(call.initial_metadata())["x-request-id"],
                         r"^[0-9a-f]{16}$")

    def test_a_failed_verb_logs_its_code_and_error(self):
        bad = example_spec(**{"cluster.uuid": UUID[:-2] + "77"})
        bad.template.labels["calico_ipv4pool"] = "10.0.0.0/33"
        with self.assertRaises(grpc.RpcError):
            self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
                spec=bad, credential=credential(9)), timeout=60)
        lines = [json.loads(line) for line in self.env.log().splitlines()]
        failed = [line for line in lines
                  if line.get("cluster_uuid") == bad.cluster.uuid and
                  line["msg"] == "call finished"]
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed[0]["level"], "warn")
        self.assertEqual(failed[0]["code"], "INVALID_ARGUMENT")
        self.assertIn("calico_ipv4pool", failed[0]["error"])
        text = self.env.log()
        self.assertNotIn(credential(9).application_credential_secret, text)


if __name__ == "__main__":
    unittest.main()
