"""How the bridge is shipped outside the tests: the systemd unit and the
image's Dockerfile. No docker engine runs here, so the Dockerfile is held
to what CI proves: it runs the make target CI runs, copies what that target
builds, and its runtime stage installs every shared library the binaries
link against."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from tests.python.test_end_to_end import CLI, ROOT, SERVER

UNIT = os.path.join(ROOT, "server", "systemd", "capi-bridge.service")
DOCKERFILE = os.path.join(ROOT, "server", "Dockerfile")
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))


def unit_settings():
    settings = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")):
                key, _, value = line.partition("=")
                settings.setdefault(key, []).append(value)
    return settings


class SystemdUnitTest(unittest.TestCase):

    def test_the_unit_stops_gracefully(self):
        s = unit_settings()
        # SIGTERM to the bridge alone: helm runs in flight go on.
        self.assertEqual(s["KillMode"], ["mixed"])
        self.assertEqual(s["KillSignal"], ["SIGTERM"])
        # The bridge's default grace period fits in the stop timeout.
        help_text = subprocess.run(
            [SERVER, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("--check-config", help_text.stdout)
        self.assertGreater(int(s["TimeoutStopSec"][0]), 30)
        self.assertEqual(s["User"], ["capi-bridge"])
        self.assertEqual(s["ProtectSystem"], ["strict"])
        self.assertEqual(s["CacheDirectory"], ["capi-bridge"])

    def test_its_commands_are_accepted_by_the_server(self):
        s = unit_settings()
        for command in s["ExecStartPre"] + s["ExecStart"]:
            argv = command.split()
            self.assertEqual(argv[0], "/usr/local/bin/capi-bridge-server")
            self.assertEqual(argv[1:3],
                             ["--config", "/etc/capi-bridge/bridge.yaml"])
        # The check the unit runs first refuses a bad config by name.
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as config:
            config.write("insecure: true\nlog: {format: xml}\n")
            config.flush()
            result = subprocess.run(
                [SERVER, "--config", config.name, "--check-config"],
                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn('log.format: "xml"', result.stderr)

    def test_check_config_loads_what_serving_loads(self):
        def check(config_text, *extra):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "bridge.yaml")
                with open(path, "w") as f:
                    f.write(config_text.replace("DIR", d))
                with open(os.path.join(d, "garbage"), "w") as f:
                    f.write("\x00\x01 not yaml: [")
                with open(os.path.join(d, "shapeless"), "w") as f:
                    f.write("apiVersion: v1\nkind: Config\nclusters: 3\n")
                return subprocess.run(
                    [SERVER, "--config", path, "--check-config", *extra],
                    capture_output=True, text=True, timeout=30)
        for kubeconfig in ("DIR/garbage", "DIR/shapeless", "DIR/missing"):
            result = check("insecure: true\nmanagement: {kubeconfig: %s}\n"
                           % kubeconfig)
            self.assertEqual(result.returncode, 2, (kubeconfig, result))
            self.assertIn("management.kubeconfig: ", result.stderr)
        result = check("insecure: true\nnamespace_prefix: Magnum_Prod!\n")
        self.assertEqual(result.returncode, 2)
        self.assertIn('namespace_prefix: "Magnum_Prod!"', result.stderr)
        # Argument errors exit 2 like every other refusal; --help exits 0.
        result = check("insecure: true\n", "--no-such-flag")
        self.assertEqual(result.returncode, 2, result.stderr)
        result = subprocess.run([SERVER, "--config", "/nonexistent.yaml"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(subprocess.run([SERVER, "--help"],
                                        capture_output=True,
                                        timeout=30).returncode, 0)

    @unittest.skipUnless(shutil.which("systemd-analyze"),
                         "systemd-analyze is not installed")
    def test_systemd_accepts_the_unit(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "capi-bridge.service")
            with open(UNIT) as f:
                text = f.read().replace("/usr/local/bin/capi-bridge-server",
                                        SERVER)
            with open(path, "w") as f:
                f.write(text)
            result = subprocess.run(["systemd-analyze", "verify", path],
                                    capture_output=True, text=True,
                                    timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("capi-bridge.service:", result.stderr)


class DockerfileTest(unittest.TestCase):

    def setUp(self):
        with open(DOCKERFILE) as f:
            self.text = f.read()
        self.stages = re.findall(r"^FROM (\S+)", self.text, re.M)

    def test_debian_12_stages(self):
        self.assertEqual(self.stages, ["debian:12", "debian:12-slim"])

    def test_it_builds_with_the_target_ci_runs(self):
        with open(os.path.join(ROOT, ".ci", "run")) as f:
            ci = f.read()
        self.assertIn("make test", ci)
        self.assertIn("make test", self.text)
        self.assertRegex(self.text, r"COPY \. \.")  # repository root context

    def test_it_copies_what_the_build_makes(self):
        sources = re.findall(r"COPY --from=build /src/(\S+)", self.text)
        self.assertEqual(sorted(sources), [
            ".tools/bin/helm", "LICENSE", "build/client/capi-bridge",
            "build/server/capi-bridge-server"])
        self.assertTrue(os.path.samefile(
            os.path.join(BUILD, "server", "capi-bridge-server"), SERVER))
        self.assertTrue(os.access(CLI, os.X_OK))

    def test_the_runtime_stage_has_every_library_the_binaries_need(self):
        runtime = self.text.split("FROM debian:12-slim", 1)[1]
        installed = set(re.findall(r"\b(lib[\w.+-]+|zlib1g)\b", runtime))
        needed = set()
        for binary in (SERVER, CLI):
            ldd = subprocess.run(["ldd", binary], capture_output=True,
                                 text=True, check=True).stdout
            for path in re.findall(r"=> (/\S+)", ldd):
                owner = subprocess.run(
                    ["dpkg", "-S", os.path.realpath(path)],
                    capture_output=True, text=True)
                if owner.returncode != 0:
                    owner = subprocess.run(["dpkg", "-S", path],
                                           capture_output=True, text=True)
                needed.add(owner.stdout.split(":")[0])
        # What the directly linked libraries pull in themselves.
        direct = {"libgrpc++1.51", "libprotobuf32", "libabsl20220623",
                  "libyaml-cpp0.7", "libcurl4", "libcpp-httplib0.11",
                  "zlib1g"}
        self.assertTrue(direct <= installed, direct - installed)
        closure = set()
        for package in installed:
            deps = subprocess.run(
                ["apt-cache", "depends", "--recurse", "--no-recommends",
                 "--no-suggests", "--no-conflicts", "--no-breaks",
                 "--no-replaces", "--no-enhances", package],
                capture_output=True, text=True).stdout
            closure |= set(re.findall(r"^(\S+)$", deps, re.M))
            closure |= set(re.findall(r"Depends: <?([^\s>]+)", deps))
        missing = {p for p in needed - closure - installed
                   if p not in ("libc6", "libgcc-s1", "libstdc++6")}
        self.assertEqual(missing, set())


if __name__ == "__main__":
    unittest.main()
