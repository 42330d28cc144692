"""The shim's [capi_bridge] TLS options against the real bridge with mutual
TLS: a client certificate from the bridge's CA gets answers; no client
certificate, or a bridge certificate from a CA the shim does not trust,
gets no connection. The bridge has no management cluster here, so its
answer to a status call is FAILED_PRECONDITION: proof the call got through.
"""

import os
import shutil
import tempfile
import unittest

from tests.shim import magnum_env
from tests.python import test_tls as certs

from magnum import objects

from magnum_capi_bridge import driver as shim_driver


class ShimTlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = d = tempfile.mkdtemp(prefix="shim-tls-")
        certs.make_ca("ca", d)
        certs.make_ca("rogue-ca", d)
        certs.make_cert("server", "ca",
                        "subjectAltName=IP:127.0.0.1,DNS:bridge.internal", d)
        certs.make_cert("conductor", "ca", "extendedKeyUsage=clientAuth", d)
        with open(os.path.join(d, "bridge.yaml"), "w") as f:
            f.write("listen: 127.0.0.1:0\ntls:\n  cert_file: server.crt\n"
                    "  key_file: server.key\n  client_ca_file: ca.crt\n")
        cls.server, cls.address = certs.start_mtls_server(
            os.path.join(d, "bridge.yaml"),
            env=dict(os.environ, KUBECONFIG="", HOME=d))

    @classmethod
    def tearDownClass(cls):
        certs.stop_server(cls.server)
        shutil.rmtree(cls.dir)

    def setUp(self):
        for p in magnum_env.patch_openstack():
            self.addCleanup(p.stop)
        m = magnum_env.Magnum()
        template = m.create_template()
        self.context = m.context
        self.cluster = objects.Cluster(
            m.context, name="tls", cluster_template_id=template.uuid,
            project_id=magnum_env.PROJECT, user_id=magnum_env.USER,
            status="CREATE_IN_PROGRESS", stack_id="tls-abcdefabcdef")
        self.cluster.create()

    def status_error(self, endpoint=None, **tls):
        options = {"tls_ca_file": self.path("ca.crt"),
                   "tls_cert_file": self.path("conductor.crt"),
                   "tls_key_file": self.path("conductor.key"),
                   "status_timeout": 5}
        options.update(tls)
        magnum_env.configure_bridge(endpoint or self.address, **options)
        # A refusal is Magnum's own exception, any other failure a
        # BridgeError.
        with self.assertRaises(Exception) as caught:
            shim_driver.Driver().update_cluster_status(self.context,
                                                       self.cluster)
        return str(caught.exception)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_client_certificate_from_the_bridge_ca_gets_answers(self):
        error = self.status_error()
        self.assertIn("refused GetClusterStatus (FAILED_PRECONDITION", error)

    def test_server_name_override(self):
        port = self.address.rsplit(":", 1)[1]
        error = self.status_error(endpoint="localhost:" + port,
                                  tls_server_name="bridge.internal")
        self.assertIn("(FAILED_PRECONDITION", error)

    def test_no_client_certificate_is_refused(self):
        error = self.status_error(tls_cert_file=self.path("absent.crt"))
        self.assertRegex(error, r"GetClusterStatus failed "
                                r"\((UNAVAILABLE|DEADLINE_EXCEEDED)")

    def test_untrusted_bridge_certificate_is_refused(self):
        error = self.status_error(tls_ca_file=self.path("rogue-ca.crt"))
        self.assertRegex(error, r"GetClusterStatus failed "
                                r"\((UNAVAILABLE|DEADLINE_EXCEEDED)")


if __name__ == "__main__":
    unittest.main()
