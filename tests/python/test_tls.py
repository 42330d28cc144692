"""TLS, mutual TLS and the bearer token on the gRPC port, with the real
server and CLI.

Certificates are made for each run with the openssl command line: a CA, a
server certificate for 127.0.0.1, a client certificate from the same CA and
one from a CA the server does not trust.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
SERVER = os.path.join(BUILD, "server", "capi-bridge-server")
CLI = os.path.join(BUILD, "client", "capi-bridge")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def make_ca(name, cwd):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=%s" % name, "-keyout", name + ".key",
            "-out", name + ".crt", cwd=cwd)


def make_cert(name, ca, extensions, cwd):
    with open(os.path.join(cwd, name + ".ext"), "w") as f:
        f.write(extensions + "\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % name,
            "-keyout", name + ".key", "-out", name + ".csr", cwd=cwd)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt",
            "-CAkey", ca + ".key", "-CAcreateserial", "-days", "1",
            "-extfile", name + ".ext", "-out", name + ".crt", cwd=cwd)


def start_mtls_server(config_path, env=None, transport="mutual TLS"):
    """Starts the server with a mutual-TLS (or `transport`) config;
    (process, address)."""
    # stderr (the log) is a temporary file: an undrained pipe would block.
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [SERVER, "--config", config_path], stdout=subprocess.PIPE,
        stderr=log, text=True, env=env)
    server.log = log
    line = server.stdout.readline()
    match = re.search(r"listening on (\S+) \(%s\)" % transport, line)
    if not match:
        server.kill()
        server.wait()
        log.seek(0)
        raise RuntimeError("server did not start: %r %s" % (line, log.read()))
    return server, match.group(1)


def stop_server(server):
    server.terminate()
    server.wait(timeout=20)
    server.stdout.close()
    server.log.close()


class TlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="capi-bridge-tls-")
        d = cls.dir
        make_ca("ca", d)
        make_ca("rogue-ca", d)
        make_cert("server", "ca",
                  "subjectAltName=IP:127.0.0.1,DNS:localhost", d)
        make_cert("conductor", "ca", "extendedKeyUsage=clientAuth", d)
        make_cert("intruder", "rogue-ca", "extendedKeyUsage=clientAuth", d)
        with open(os.path.join(d, "bridge.yaml"), "w") as f:
            f.write("listen: 127.0.0.1:0\n"
                    "tls:\n"
                    "  cert_file: server.crt\n"
                    "  key_file: server.key\n"
                    "  client_ca_file: ca.crt\n")
        cls.server, cls.address = start_mtls_server(
            os.path.join(d, "bridge.yaml"))

    @classmethod
    def tearDownClass(cls):
        stop_server(cls.server)
        shutil.rmtree(cls.dir)

    def health(self, *args):
        return subprocess.run(
            [CLI, "--address", self.address, "--timeout", "5", *args,
             "health"], capture_output=True, text=True, timeout=60,
            cwd=self.dir)

    def test_a_client_with_a_trusted_certificate_is_served(self):
        result = self.health("--ca", "ca.crt", "--cert", "conductor.crt",
                             "--key", "conductor.key")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("SERVING", result.stdout)

    def test_a_client_without_a_certificate_is_refused(self):
        result = self.health("--ca", "ca.crt")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("UNAVAILABLE", result.stderr)

    def test_a_client_with_an_untrusted_certificate_is_refused(self):
        result = self.health("--ca", "ca.crt", "--cert", "intruder.crt",
                             "--key", "intruder.key")
        self.assertEqual(result.returncode, 3, result.stderr)

    def test_a_plaintext_client_is_refused(self):
        result = self.health("--insecure")
        self.assertEqual(result.returncode, 3, result.stderr)

    def test_a_server_without_tls_or_insecure_does_not_start(self):
        path = os.path.join(self.dir, "plain.yaml")
        with open(path, "w") as f:
            f.write("listen: 127.0.0.1:0\n")
        result = subprocess.run([SERVER, "--config", path],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("tls.cert_file: (missing)", result.stderr)

    def test_an_unreadable_certificate_is_named(self):
        path = os.path.join(self.dir, "broken.yaml")
        with open(path, "w") as f:
            f.write("listen: 127.0.0.1:0\ntls:\n  cert_file: nowhere.crt\n"
                    "  key_file: server.key\n")
        result = subprocess.run([SERVER, "--config", path],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn('tls.cert_file: "%s/nowhere.crt"; accepted: a readable '
                      'PEM file' % self.dir, result.stderr)


class BearerTokenTest(unittest.TestCase):
    """A bridge with TLS and a bearer token: the token is what authorizes
    a caller that has no client certificate."""

    TOKEN = "0f3c9a1e5b7d2468ace13579bdf02468"

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="capi-bridge-token-")
        d = cls.dir
        make_ca("ca", d)
        make_cert("server", "ca", "subjectAltName=IP:127.0.0.1", d)
        for name, token in (("bridge.token", cls.TOKEN),
                            ("wrong.token", cls.TOKEN[::-1]),
                            ("empty.token", "\n")):
            with open(os.path.join(d, name), "w") as f:
                f.write(token + "\n")
        with open(os.path.join(d, "bridge.yaml"), "w") as f:
            f.write("listen: 127.0.0.1:0\n"
                    "tls: {cert_file: server.crt, key_file: server.key}\n"
                    "auth: {token_file: bridge.token}\n"
                    "log: {level: debug}\n")
        cls.server, cls.address = start_mtls_server(
            os.path.join(d, "bridge.yaml"), transport="TLS")

    @classmethod
    def tearDownClass(cls):
        stop_server(cls.server)
        shutil.rmtree(cls.dir)

    def render(self, *args):
        return subprocess.run(
            [CLI, "--address", self.address, "--timeout", "10", "--ca",
             "ca.crt", *args, "render", "--spec",
             os.path.join(ROOT, "client", "examples", "cluster.yaml")],
            capture_output=True, text=True, timeout=60, cwd=self.dir)

    def test_the_right_token_is_served(self):
        result = self.render("--token-file", "bridge.token")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("kubernetesVersion", result.stdout)

    def test_no_token_is_refused(self):
        result = self.render()
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("UNAUTHENTICATED", result.stderr)
        self.assertIn("Bearer <token>", result.stderr)

    def test_a_wrong_token_is_refused(self):
        result = self.render("--token-file", "wrong.token")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("UNAUTHENTICATED", result.stderr)
        self.assertNotIn(self.TOKEN, result.stderr)

    def test_an_empty_token_file_is_named(self):
        result = self.render("--token-file", "empty.token")
        self.assertEqual(result.returncode, 2)
        self.assertIn('--token-file: "empty.token" holds no token',
                      result.stderr)

    def test_the_token_is_in_no_log_line(self):
        self.render("--token-file", "bridge.token")
        self.render("--token-file", "wrong.token")
        self.server.log.flush()
        self.server.log.seek(0)
        log = self.server.log.read()
        self.assertIn("code=UNAUTHENTICATED", log)
        self.assertIn("code=OK", log)
        self.assertNotIn(self.TOKEN, log)


if __name__ == "__main__":
    unittest.main()
