"""Hostile input through the gRPC API: refused before anything is written,
never a crash or UNKNOWN, replies that fit, logs that stay valid."""

import base64
import json
import os
import re
import unittest
import urllib.request

from tests.integration.harness import (TESTDATA, Environment,
                                       cluster_spec_pb2, credential,
                                       driver_pb2, example_spec, grpc)


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:%d", certificate-authority-data: %s}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
users:
- name: u
  user: {token: t}
"""


def tls_endpoint(directory, name, hosts, expired_ca=False):
    """An HTTPS server on 127.0.0.1 with a certificate for `hosts`, signed
    by a fresh CA (expired when asked); returns (CA PEM, server)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import datetime
    import http.server
    import ipaddress
    import ssl
    import threading
    now = datetime.datetime.utcnow()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            "ca-" + name)])
    ca_until = now - datetime.timedelta(days=1) if expired_ca else \
        now + datetime.timedelta(days=1)
    ca = (x509.CertificateBuilder().subject_name(ca_name)
          .issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=10))
          .not_valid_after(ca_until)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(
                NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path = os.path.join(directory, name + "-server.crt")
    key_path = os.path.join(directory, name + "-server.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return ca.public_bytes(serialization.Encoding.PEM), server


class HostileInputTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(extra_config="log: {format: json}\n"
                                           "ops_listen: 127.0.0.1:0\n")

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def create(self, spec, **kwargs):
        return self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
            spec=spec, credential=credential(1)), timeout=60, **kwargs)

    def refused(self, spec):
        with self.assertRaises(grpc.RpcError) as refused:
            self.create(spec)
        self.assertEqual(refused.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT,
                         refused.exception.details())
        return refused.exception.details()

    def test_identity_values_are_checked_before_the_first_write(self):
        cases = [("cluster.user_id", "u" * 62 + "\u00e9"),
                 ("cluster.user_id", "admin/../root"),
                 ("cluster.project_id", "Proj/ect")]
        for number, (field, value) in enumerate(cases):
            project = "feedface%024d" % number
            spec = example_spec(**{
                "cluster.uuid": "77777777-aaaa-4bbb-8ccc-%012d" % number,
                "cluster.project_id": project, field: value})
            details = self.refused(spec)
            self.assertIn(field + ": ", details)
            self.assertIn("accepted: ", details)
            namespaces = self.env.names("Namespace", "")
            self.assertNotIn("magnum-" + project, namespaces)
        self.assertNotIn('"code":"UNKNOWN"', self.env.log())

    def test_ca_material_is_parsed_before_it_is_written(self):
        spec = example_spec(**{
            "cluster.uuid": "77777777-cccc-4bbb-8ccc-000000000001",
            "cluster.project_id": "cafe0000000000000000000000000001"})
        pair = cluster_spec_pb2.KeyPair(
            certificate_pem="not a certificate",
            private_key_pem="-----BEGIN PRIVATE KEY-----\nAAAA\n"
                            "-----END PRIVATE KEY-----\n")
        with self.assertRaises(grpc.RpcError) as refused:
            self.env.stub.CreateCluster(driver_pb2.CreateClusterRequest(
                spec=spec, credential=credential(1),
                ca_certificates=cluster_spec_pb2.CaCertificates(
                    ca=pair)), timeout=60)
        self.assertEqual(refused.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn('ca_certificates.ca.certificate_pem: "not a '
                      'certificate"; accepted: a PEM certificate',
                      refused.exception.details())
        self.assertNotIn("magnum-cafe0000000000000000000000000001",
                         self.env.names("Namespace", ""))

    def test_an_unknown_management_cluster_ca_is_named(self):
        # A kubeconfig whose CA is not the one that signed the API server.
        path = self.env.sim.write_kubeconfig(
            os.path.join(self.env.dir, "wrong-ca.kubeconfig"))
        with open(os.path.join(TESTDATA, "ca-b.crt"), "rb") as f:
            wrong = base64.b64encode(f.read()).decode()
        with open(path) as f:
            text = re.sub(r"certificate-authority-data: \S+",
                          "certificate-authority-data: " + wrong, f.read())
        with open(path, "w") as f:
            f.write(text)
        stub = self.env.replica("management.kubeconfig=" + path,
                                "status.watch_cache=false")
        spec = example_spec(**{
            "cluster.uuid": "77777777-dddd-4bbb-8ccc-000000000001"})
        with self.assertRaises(grpc.RpcError) as refused:
            stub.CreateCluster(driver_pb2.CreateClusterRequest(
                spec=spec, credential=credential(1)), timeout=60)
        self.assertIn("SSL certificate problem", refused.exception.details())
        self.assertRegex(refused.exception.details(),
                         r"(unable to get local issuer certificate|"
                         r"self.signed certificate)")

    def test_expired_and_misnamed_certificates_are_named(self):
        # An API server whose CA has expired, and one whose certificate
        # names another host: libcurl's reason reaches the caller.
        cases = [("expired", ["127.0.0.1"], r"certificate has expired"),
                 ("misnamed", ["other.example"],
                  r"(subject name|does not match|no alternative)")]
        for name, hosts, reason in cases:
            ca_pem, server = tls_endpoint(self.env.dir, name, hosts,
                                          expired_ca=(name == "expired"))
            try:
                path = os.path.join(self.env.dir, name + ".kubeconfig")
                with open(path, "w") as f:
                    f.write(KUBECONFIG % (
                        server.server_address[1],
                        base64.b64encode(ca_pem).decode()))
                stub = self.env.replica("management.kubeconfig=" + path,
                                        "status.watch_cache=false")
                spec = example_spec(**{
                    "cluster.uuid": "77777777-eeee-4bbb-8ccc-00000000000%d"
                    % len(name)})
                with self.assertRaises(grpc.RpcError) as refused:
                    stub.CreateCluster(driver_pb2.CreateClusterRequest(
                        spec=spec, credential=credential(1)), timeout=60)
                self.assertIn("SSL", refused.exception.details())
                self.assertRegex(refused.exception.details(), reason)
            finally:
                server.shutdown()
                server.server_close()

    def test_thousands_of_problems_fit_in_the_reply_and_all_are_logged(self):
        many = example_spec(**{"cluster.uuid": "77777777-bbbb-4bbb-8ccc-"
                                               "000000000001"})
        for i in range(150):
            group = many.node_groups.add()
            group.CopyFrom(many.node_groups[1])
            group.name = "g%d" % i
            group.is_default = False
            group.labels["boot_volume_size"] = "big-%d" % i
        with self.assertRaises(grpc.RpcError) as refused:
            self.create(many, metadata=[("x-request-id", "req-hostile-1")])
        error = refused.exception
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("at most 100 node groups per cluster", error.details())
        self.assertRegex(error.details(), r"and \d+ more \(the bridge's log "
                         r"lists all \d+ under this call's request id\)")
        logged = [json.loads(line) for line in self.env.log().splitlines()]
        every = [line for line in logged
                 if line.get("request_id") == "req-hostile-1" and
                 line["msg"] == "every problem of the refused spec"]
        self.assertEqual(len(every), 1)
        self.assertIn("node_groups[g149]", every[0]["problems"])

    def test_bytes_that_are_not_a_request_get_an_answer_and_a_clean_log(self):
        call = self.env.channel.unary_unary(
            "/magnum.capi.bridge.v1.ClusterDriver/CreateCluster",
            request_serializer=None, response_deserializer=None)
        # Field 1 (spec), length 4, then a string that is not UTF-8 inside.
        for garbage in (b"\xff\xff\xff\xff", b"\x0a\x04\x0a\x02\xc3\x28"):
            with self.assertRaises(grpc.RpcError) as refused:
                call(garbage, timeout=10)
            self.assertIn(refused.exception.code(),
                          (grpc.StatusCode.INTERNAL,
                           grpc.StatusCode.INVALID_ARGUMENT))
        # Every line the server wrote is still JSON, and says what it
        # refused; the metrics count it.
        lines = [json.loads(line) for line in self.env.log().splitlines()]
        refused_lines = [line for line in lines if line["msg"] ==
                         "call refused before its handler (malformed "
                         "request)"]
        self.assertEqual(len(refused_lines), 2)
        self.assertEqual(refused_lines[0]["verb"], "CreateCluster")
        with urllib.request.urlopen(self.env.ops_url + "/metrics",
                                    timeout=5) as reply:
            metrics = reply.read().decode()
        counted = re.findall(
            r'^capi_bridge_grpc_malformed_requests_total\{method='
            r'"CreateCluster",code="\w+"\} (\S+)$', metrics, re.M)
        self.assertEqual(sum(float(c) for c in counted), 2)
        # And it still serves.
        self.assertTrue(self.env.stub.RenderValues(
            driver_pb2.RenderValuesRequest(spec=example_spec()),
            timeout=30).values_yaml)


if __name__ == "__main__":
    unittest.main()
