"""Prints the CAPI objects of one cluster as the management cluster holds
them (used by make demo until the bridge's own status verbs land).

    progress.py KUBECONFIG NAMESPACE RELEASE
"""

import base64
import json
import ssl
import sys
import tempfile
import urllib.request

import yaml


def main(kubeconfig, namespace, release):
    with open(kubeconfig) as f:
        config = yaml.safe_load(f)
    cluster = config["clusters"][0]["cluster"]
    token = config["users"][0]["user"]["token"]
    with tempfile.NamedTemporaryFile("wb", suffix=".crt") as ca:
        ca.write(base64.b64decode(cluster["certificate-authority-data"]))
        ca.flush()
        context = ssl.create_default_context(cafile=ca.name)

        def get(path):
            request = urllib.request.Request(
                cluster["server"] + path,
                headers={"Authorization": "Bearer " + token})
            with urllib.request.urlopen(request, context=context) as r:
                return json.loads(r.read())
        base = "/apis/cluster.x-k8s.io/v1beta1/namespaces/%s/" % namespace
        clusters = [c for c in get(base + "clusters")["items"]
                    if c["metadata"]["name"] == release]
        if not clusters:
            print("  cluster %s: gone" % release)
            return
        status = clusters[0].get("status", {})
        ready = {c["type"]: c["status"] for c in status.get("conditions", [])}
        print("  cluster %s: phase=%s InfrastructureReady=%s "
              "ControlPlaneReady=%s Ready=%s" % (
                  release, status.get("phase", "-"),
                  ready.get("InfrastructureReady", "-"),
                  ready.get("ControlPlaneReady", "-"),
                  ready.get("Ready", "-")))
        for md in get(base + "machinedeployments")["items"]:
            if md["spec"].get("clusterName") != release:
                continue
            s = md.get("status", {})
            print("  group %s: %s/%s ready, phase %s" % (
                md["metadata"]["name"][len(release) + 1:],
                s.get("readyReplicas", 0), md["spec"].get("replicas", "?"),
                s.get("phase", "-")))


if __name__ == "__main__":
    main(*sys.argv[1:])
