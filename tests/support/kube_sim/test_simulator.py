"""The simulator behaves as the Kubernetes API does where the bridge and
helm depend on it (so that tests against it mean something on a real
management cluster)."""

import json
import ssl
import time
import unittest
import urllib.error
import urllib.request

from tests.support.kube_sim import Simulator

NS_PATH = "/api/v1/namespaces"
SECRETS = "/api/v1/namespaces/demo/secrets"
CLUSTERS = "/apis/cluster.x-k8s.io/v1beta1/namespaces/demo/clusters"


class SimulatorTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(step_seconds=0.1, bookmark_seconds=0.2).start()
        cls.context = ssl.create_default_context(cafile=cls.sim.ca_file)
        cls.call("POST", NS_PATH, {"metadata": {"name": "demo"}})

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    @classmethod
    def call(cls, method, path, body=None, content_type="application/json",
             token=None, raw=False):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode()
        request = urllib.request.Request(
            cls.sim.url + path, data=data, method=method,
            headers={"Authorization": "Bearer " + (token or cls.sim.token),
                     "Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, context=cls.context,
                                        timeout=10) as response:
                text = response.read()
                return response.status, (text if raw else json.loads(text))
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def test_discovery_and_authentication(self):
        code, body = self.call("GET", "/apis")
        self.assertEqual(code, 200)
        names = [g["name"] for g in body["groups"]]
        self.assertIn("cluster.x-k8s.io", names)
        self.assertIn("addons.stackhpc.com", names)
        code, body = self.call("GET", "/apis/cluster.x-k8s.io/v1beta1")
        plurals = [r["name"] for r in body["resources"]]
        self.assertIn("clusters/status", plurals)
        code, body = self.call("GET", "/api/v1/secrets", token="wrong")
        self.assertEqual(code, 401)

    def test_create_conflicts_and_status_bodies(self):
        secret = {"metadata": {"name": "s1", "labels": {"app": "a"}},
                  "stringData": {"k": "v"}}
        code, created = self.call("POST", SECRETS, secret)
        self.assertEqual(code, 201)
        self.assertEqual(created["data"]["k"], "dg==")
        code, body = self.call("POST", SECRETS, secret)
        self.assertEqual((code, body["reason"]), (409, "AlreadyExists"))
        stale = dict(created, metadata=dict(created["metadata"],
                                            resourceVersion="1"))
        code, body = self.call("PUT", SECRETS + "/s1", stale)
        self.assertEqual((code, body["reason"]), (409, "Conflict"))
        code, body = self.call("GET", SECRETS + "/nope")
        self.assertEqual((code, body["kind"], body["reason"]),
                         (404, "Status", "NotFound"))
        code, body = self.call("POST", SECRETS, {"metadata": {
            "name": "Bad_Name"}})
        self.assertEqual((code, body["reason"]), (422, "Invalid"))
        code, body = self.call("POST", SECRETS, {"metadata": {
            "name": "s2", "labels": {"x": "y" * 64}}})
        self.assertEqual(code, 422)

    def test_metadata_only_lists(self):
        self.call("POST", SECRETS, {"metadata": {"name": "meta-only",
                                                 "labels": {"k": "v"}},
                                    "stringData": {"key": "secret-value"}})
        request = urllib.request.Request(
            self.sim.url + SECRETS + "?labelSelector=k%3Dv",
            headers={"Authorization": "Bearer " + self.sim.token,
                     "Accept": "application/json;as=PartialObjectMetadataList;"
                               "g=meta.k8s.io;v=v1,application/json"})
        with urllib.request.urlopen(request, context=self.context,
                                    timeout=10) as reply:
            body = json.loads(reply.read())
        self.assertEqual(body["kind"], "PartialObjectMetadataList")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]],
                         ["meta-only"])
        self.assertNotIn("data", body["items"][0])

    def test_leases_take_turns_by_resource_version(self):
        leases = "/apis/coordination.k8s.io/v1/namespaces/demo/leases"
        lease = {"metadata": {"name": "l1"},
                 "spec": {"holderIdentity": "a", "leaseDurationSeconds": 30,
                          "renewTime": "2026-11-27T12:00:00.000000Z"}}
        code, created = self.call("POST", leases, lease)
        self.assertEqual(code, 201)
        self.assertEqual(created["apiVersion"], "coordination.k8s.io/v1")
        code, body = self.call("POST", leases, lease)
        self.assertEqual((code, body["reason"]), (409, "AlreadyExists"))
        # Two takers read the same version; the second write conflicts.
        taken = dict(created, spec=dict(created["spec"], holderIdentity="b"))
        code, _ = self.call("PUT", leases + "/l1", taken)
        self.assertEqual(code, 200)
        taken["spec"]["holderIdentity"] = "c"
        code, body = self.call("PUT", leases + "/l1", taken)
        self.assertEqual((code, body["reason"]), (409, "Conflict"))
        bad = {"metadata": {"name": "l2"},
               "spec": {"leaseDurationSeconds": 0, "renewTime": "noon"}}
        code, body = self.call("POST", leases, bad)
        self.assertEqual(code, 422)
        self.assertIn("spec.leaseDurationSeconds", body["message"])
        self.assertIn("spec.renewTime", body["message"])

    def test_label_selectors_and_pagination(self):
        for i in range(5):
            self.call("POST", SECRETS, {"metadata": {
                "name": "page-%d" % i,
                "labels": {"tier": "web" if i % 2 else "db"}}})
        code, body = self.call("GET", SECRETS + "?labelSelector=tier%3Dweb")
        self.assertEqual(sorted(i["metadata"]["name"] for i in body["items"]),
                         ["page-1", "page-3"])
        code, body = self.call("GET", SECRETS + "?labelSelector=tier+in+"
                               "(web,db),tier!=db")
        self.assertEqual(len(body["items"]), 2)
        names, token = [], ""
        while True:
            code, body = self.call("GET", SECRETS + "?labelSelector=tier&"
                                   "limit=2" + ("&continue=" + token
                                                if token else ""))
            names += [i["metadata"]["name"] for i in body["items"]]
            token = body["metadata"].get("continue")
            if not token:
                break
        self.assertEqual(len(names), 5)

    def test_pages_of_one_list_are_one_snapshot(self):
        # As the API server serves them: every page at the first page's
        # resourceVersion, so listing page by page and then watching from
        # that version misses nothing written in between.
        base = SECRETS + "?labelSelector=snap&limit=2"
        for i in range(4):
            self.call("POST", SECRETS, {"metadata": {
                "name": "snap-%d" % i, "labels": {"snap": "x"}}})
        code, first = self.call("GET", base)
        rv = first["metadata"]["resourceVersion"]
        # Written between the pages, sorting before the next page's start.
        self.call("POST", SECRETS, {"metadata": {
            "name": "snap-0a", "labels": {"snap": "x"}}})
        code, second = self.call("GET", base + "&continue=" +
                                 first["metadata"]["continue"])
        self.assertEqual(second["metadata"]["resourceVersion"], rv)
        names = [i["metadata"]["name"]
                 for i in first["items"] + second["items"]]
        self.assertEqual(names, ["snap-0", "snap-1", "snap-2", "snap-3"])
        code, stream = self.call(
            "GET", SECRETS + "?watch=1&labelSelector=snap&timeoutSeconds=1&"
            "resourceVersion=" + rv, raw=True)
        added = [json.loads(line)["object"]["metadata"]["name"]
                 for line in stream.splitlines() if line
                 if json.loads(line)["type"] == "ADDED"]
        self.assertEqual(added, ["snap-0a"])
        # A continue token outlives neither its snapshot nor compaction.
        code, first = self.call("GET", base)
        self.sim.store.compact()
        code, body = self.call("GET", base + "&continue=" +
                               first["metadata"]["continue"])
        self.assertEqual((code, body["reason"]), (410, "Expired"))

    def test_server_side_apply(self):
        path = SECRETS + "/applied?fieldManager=one"
        doc = {"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "applied", "labels": {"a": "1",
                                                          "b": "2"}}}
        code, _ = self.call("PATCH", path, doc, "application/apply-patch+yaml")
        self.assertEqual(code, 200)
        other = {"apiVersion": "v1", "kind": "Secret",
                 "metadata": {"name": "applied", "labels": {"a": "9"}}}
        code, body = self.call("PATCH", SECRETS + "/applied?fieldManager=two",
                               other, "application/apply-patch+yaml")
        self.assertEqual(code, 409)
        self.assertIn('conflict with "one"', body["message"])
        code, body = self.call(
            "PATCH", SECRETS + "/applied?fieldManager=two&force=true", other,
            "application/apply-patch+yaml")
        self.assertEqual(body["metadata"]["labels"], {"a": "9", "b": "2"})
        # A manager's fields it stops applying are removed.
        doc["metadata"]["labels"] = {}
        code, body = self.call("PATCH", path, doc,
                               "application/apply-patch+yaml")
        self.assertEqual(body["metadata"]["labels"], {"a": "9"})
        code, body = self.call("PATCH", SECRETS + "/applied", doc,
                               "application/apply-patch+yaml")
        self.assertEqual(code, 422)  # fieldManager is required

    def test_status_subresource_finalizers_and_watch(self):
        code, start = self.call("GET", CLUSTERS)
        rv = start["metadata"]["resourceVersion"]
        code, created = self.call("POST", CLUSTERS, {
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
            "metadata": {"name": "c1", "finalizers": ["test/hold"]},
            "spec": {"paused": True}, "status": {"phase": "ignored"}})
        self.assertNotIn("status", created)
        # The simulated CAPI controller writes the Cluster too: like any
        # client, re-read and retry on 409 Conflict.
        for _ in range(20):
            current = self.call("GET", CLUSTERS + "/c1")[1]
            current["status"] = {"phase": "Provisioned"}
            current["spec"] = {"paused": False}
            code, body = self.call("PUT", CLUSTERS + "/c1/status", current)
            if code != 409:
                break
        self.assertEqual(code, 200)
        self.assertEqual(body["status"]["phase"], "Provisioned")
        self.assertTrue(body["spec"]["paused"])  # spec is not in /status
        code, body = self.call("DELETE", CLUSTERS + "/c1")
        self.assertIn("deletionTimestamp", body["metadata"])
        code, body = self.call("GET", CLUSTERS + "/c1")
        self.assertEqual(code, 200)  # lingers until the finalizer goes
        for _ in range(20):
            body = self.call("GET", CLUSTERS + "/c1")[1]
            body["metadata"]["finalizers"] = [
                f for f in body["metadata"]["finalizers"] if f != "test/hold"]
            if self.call("PUT", CLUSTERS + "/c1", body)[0] != 409:
                break
        # The simulator's CAPI controller added its own finalizer and plays
        # the teardown; the Cluster goes away within a few steps.
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.call("GET", CLUSTERS + "/c1")[0] == 404:
                break
            time.sleep(0.05)
        self.assertEqual(self.call("GET", CLUSTERS + "/c1")[0], 404)
        code, stream = self.call(
            "GET", CLUSTERS + "?watch=1&allowWatchBookmarks=true&"
            "timeoutSeconds=1&resourceVersion=" + rv, raw=True)
        events = [json.loads(line) for line in stream.splitlines() if line]
        types = [e["type"] for e in events]
        self.assertEqual(types[0], "ADDED")
        self.assertIn("DELETED", types)
        self.assertIn("BOOKMARK", types)

    def test_watch_from_a_compacted_version_is_gone(self):
        self.sim.store.compact()
        code, stream = self.call(
            "GET", SECRETS + "?watch=1&resourceVersion=2&timeoutSeconds=1",
            raw=True)
        event = json.loads(stream.splitlines()[0])
        self.assertEqual(event["type"], "ERROR")
        self.assertEqual((event["object"]["code"], event["object"]["reason"]),
                         (410, "Expired"))

    def test_machine_deployment_replicas_defaulted_as_capi_does(self):
        mds = "/apis/cluster.x-k8s.io/v1beta1/namespaces/demo/" \
              "machinedeployments"
        sizes = {"cluster.x-k8s.io/cluster-api-autoscaler-node-group-"
                 "min-size": "0",
                 "cluster.x-k8s.io/cluster-api-autoscaler-node-group-"
                 "max-size": "6"}
        # New and autoscaled: the minimum, here 0 (a group from zero).
        code, md = self.call("POST", mds, {
            "metadata": {"name": "burst", "annotations": sizes},
            "spec": {"clusterName": "none"}})
        self.assertEqual(201, code, md)
        self.assertEqual(0, md["spec"]["replicas"])
        # The autoscaler scales it; a later write without replicas (helm's
        # patch of the chart's manifest) keeps its count.
        self.sim.autoscale("demo", "burst", 4)
        code, md = self.call(
            "PATCH", mds + "/burst", {"metadata": {"labels": {"a": "b"}}},
            content_type="application/merge-patch+json")
        self.assertEqual(4, md["spec"]["replicas"])
        # Brought into the annotations' range when they change.
        code, md = self.call(
            "PATCH", mds + "/burst",
            {"metadata": {"annotations": {
                "cluster.x-k8s.io/cluster-api-autoscaler-node-group-"
                "max-size": "3"}}, "spec": {"replicas": None}},
            content_type="application/merge-patch+json")
        self.assertEqual(3, md["spec"]["replicas"])
        # Without the annotations: 1.
        code, md = self.call("POST", mds, {"metadata": {"name": "fixed"},
                                           "spec": {"clusterName": "none"}})
        self.assertEqual(1, md["spec"]["replicas"])

    def test_cluster_name_labels_where_capi_and_the_provider_set_them(self):
        base = "/apis/%s/namespaces/demo/%s"
        capi = "cluster.x-k8s.io/cluster-name"
        # CAPI's webhook labels a MachineDeployment at admission (and its
        # selector and template).
        code, md = self.call("POST", base % ("cluster.x-k8s.io/v1beta1",
                                             "machinedeployments"), {
            "metadata": {"name": "lab-workers"},
            "spec": {"clusterName": "lab", "replicas": 0}})
        self.assertEqual(201, code, md)
        self.assertEqual("lab", md["metadata"]["labels"][capi])
        self.assertEqual("lab", md["spec"]["selector"]["matchLabels"][capi])
        self.assertEqual(
            "lab", md["spec"]["template"]["metadata"]["labels"][capi])
        # A control plane and an addon as the chart writes them: no CAPI
        # label, no provider label.
        code, kcp = self.call("POST", base % (
            "controlplane.cluster.x-k8s.io/v1beta1",
            "kubeadmcontrolplanes"), {
            "metadata": {"name": "lab-control-plane",
                         "labels": {"capi.stackhpc.com/cluster": "lab"}},
            "spec": {"replicas": 1, "version": "v1.34.3"}})
        self.assertEqual(201, code, kcp)
        self.assertNotIn(capi, kcp["metadata"]["labels"])
        addon_path = base % ("addons.stackhpc.com/v1alpha1", "helmreleases")
        code, addon = self.call("POST", addon_path, {
            "metadata": {"name": "lab-cni",
                         "labels": {"capi.stackhpc.com/cluster": "lab"}},
            "spec": {"clusterName": "lab", "releaseName": "cni",
                     "targetNamespace": "kube-system"}})
        self.assertEqual(201, code, addon)
        time.sleep(0.5)
        self.assertNotIn("addons.stackhpc.com/cluster", self.call(
            "GET", addon_path + "/lab-cni")[1]["metadata"]["labels"])
        # Once the Cluster exists and reconciles, CAPI labels its control
        # plane, and the addon provider its addon.
        self.call("POST", CLUSTERS, {
            "metadata": {"name": "lab"},
            "spec": {"controlPlaneRef": {
                "kind": "KubeadmControlPlane", "name": "lab-control-plane"}}})
        deadline = time.time() + 10
        while time.time() < deadline:
            kcp = self.call("GET", base % (
                "controlplane.cluster.x-k8s.io/v1beta1",
                "kubeadmcontrolplanes") + "/lab-control-plane")[1]
            addon = self.call("GET", addon_path + "/lab-cni")[1]
            if capi in kcp["metadata"]["labels"] and \
                    "addons.stackhpc.com/cluster" in addon["metadata"][
                        "labels"]:
                break
            time.sleep(0.05)
        self.assertEqual("lab", kcp["metadata"]["labels"].get(capi))
        self.assertEqual({"addons.stackhpc.com/cluster": "lab",
                          "addons.stackhpc.com/release-name": "cni",
                          "addons.stackhpc.com/release-namespace":
                              "kube-system"},
                         {k: v for k, v in addon["metadata"]["labels"].items()
                          if k.startswith("addons.stackhpc.com/")})

    def test_fault_injection(self):
        self.call("POST", "/sim/faults", {"errors": [
            {"code": 503, "count": 1, "path_contains": "/configmaps"}]})
        path = "/api/v1/namespaces/demo/configmaps"
        self.assertEqual(self.call("GET", path)[0], 503)
        self.assertEqual(self.call("GET", path)[0], 200)


if __name__ == "__main__":
    unittest.main()
