"""The shim as operators install it: `pip install ./driver_shim` (or, in
a Magnum release's venv, the wheel of `make shim-wheel`, as a kolla image
build installs it), its committed stubs in step with proto/, and a driver
that Magnum finds on every supported release, including those without
Keystone trusts or eventlet.

The interpreter running the suite is the one whose pip installs and whose
Magnum selects: Debian's /usr/bin/python3 with python3-magnum, or a
release's venv (tests/shim/releases.cmake)."""

import filecmp
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.shim import magnum_env

SHIM = os.path.join(magnum_env.ROOT, "driver_shim")
COMMITTED = os.path.join(SHIM, "magnum_capi_bridge", "pb")
GENERATED = os.path.join(magnum_env.BUILD, "stubs", "magnum_capi_bridge",
                         "pb")

PYTHON = sys.executable
# `pip install ./driver_shim` offline (--no-build-isolation) needs
# setuptools and wheel beside pip: Debian's interpreter has both; a
# release's venv has neither wheel nor the network, and installs the
# wheel instead.
BUILDS_FROM_SOURCE = all(importlib.util.find_spec(name)
                         for name in ("setuptools", "wheel"))
WHEELS = glob.glob(os.path.join(magnum_env.BUILD, "dist",
                                "magnum_capi_bridge-*.whl"))

# Run in a child with only `path` (and the interpreter's packages)
# importable:
# Magnum's own loader picks the driver for vm/ubuntu/kubernetes. `block`
# names modules made unimportable once Magnum itself is loaded, as on a
# Magnum without them; every other driver is disabled, as an operator
# switching to this driver does.
SELECT = """
import json, sys
sys.path[:0] = %(path)r
import magnum.conf
from magnum.drivers.common import driver
from importlib import metadata
for name in list(sys.modules):
    if name.split(".")[0] in %(block)r or name in %(block)r:
        sys.modules[name] = None
for name in %(block)r:
    sys.modules[name] = None
others = sorted({ep.name for ep in
                 metadata.entry_points(group="magnum.drivers")
                 if ep.name != "k8s_capi_bridge_v1"})
if %(block)r:
    magnum.conf.CONF.set_override("disabled_drivers", others, group="drivers")
chosen = driver.Driver.get_driver("vm", "ubuntu", "kubernetes")
cls = type(chosen)
import magnum_capi_bridge.green as green
print(json.dumps({"class": cls.__module__ + "." + cls.__name__,
                  "file": sys.modules[cls.__module__].__file__,
                  "needs_trust": getattr(chosen, "needs_trust", None),
                  "eventlet_active": green.eventlet_active()}))
"""


def select_driver(path, block=()):
    """Magnum's choice of driver in a fresh interpreter (JSON)."""
    import json
    with tempfile.TemporaryDirectory(prefix="shim-cache-") as cache:
        out = subprocess.run(
            [PYTHON, "-c",
             SELECT % {"path": list(path), "block": list(block)}],
            env=dict(os.environ, XDG_CACHE_HOME=cache, PYTHONPATH=""),
            capture_output=True, text=True, timeout=120, cwd=cache)
    if out.returncode != 0:
        raise AssertionError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


class InstallTest(unittest.TestCase):

    def test_committed_stubs_match_proto(self):
        names = sorted(n for n in os.listdir(GENERATED) if n.endswith(".py"))
        self.assertIn("driver_pb2_grpc.py", names)
        _, mismatch, missing = filecmp.cmpfiles(GENERATED, COMMITTED, names,
                                                shallow=False)
        self.assertEqual(
            ([], []), (mismatch, missing),
            "driver_shim/magnum_capi_bridge/pb is stale against proto/: "
            "run `make stubs` and commit the result")

    def test_pip_install_then_magnum_selects_the_driver(self):
        with tempfile.TemporaryDirectory(prefix="shim-pip-") as tmp:
            if BUILDS_FROM_SOURCE:
                # pip builds in the source tree; build a copy of it.
                source = os.path.join(tmp, "driver_shim")
                shutil.copytree(SHIM, source, ignore=shutil.ignore_patterns(
                    "__pycache__", "*.egg-info", "build"))
            else:
                self.assertEqual(1, len(WHEELS), "build/dist: make the "
                                 "wheel first (make shim-wheel)")
                source = WHEELS[0]
            target = os.path.join(tmp, "site")
            out = subprocess.run(
                [PYTHON, "-m", "pip", "install", "--no-index",
                 "--no-deps", "--no-build-isolation", "--target", target,
                 source], capture_output=True, text=True, timeout=300)
            self.assertEqual(0, out.returncode, out.stderr[-3000:])
            info = [n for n in os.listdir(target) if n.endswith(".dist-info")]
            self.assertEqual(["magnum_capi_bridge-0.1.0.dist-info"], info)
            chosen = select_driver([target])
            self.assertEqual("magnum_capi_bridge.driver.Driver",
                             chosen["class"])
            self.assertTrue(chosen["file"].startswith(target), chosen)
            self.assertIs(False, chosen["needs_trust"])
            # The operator's dry-run tool comes with it, and runs.
            tool = os.path.join(target, "bin", "magnum-capi-bridge-diff")
            self.assertTrue(os.path.exists(tool), os.listdir(target))
            helped = subprocess.run(
                [PYTHON, tool, "--help"], capture_output=True,
                text=True, timeout=60, env=dict(os.environ,
                                                PYTHONPATH=target))
            self.assertEqual(0, helped.returncode, helped.stderr)
            self.assertIn("CLUSTER", helped.stdout)

    @unittest.skipUnless(BUILDS_FROM_SOURCE, "this interpreter cannot build "
                         "./driver_shim offline (no wheel package); it "
                         "installs the wheel (see the test above)")
    def test_pip_install_leaves_the_checkout_clean(self):
        # `pip install ./driver_shim` builds in the source tree: what it
        # writes there is ignored by the project's .gitignore.
        with tempfile.TemporaryDirectory(prefix="shim-tree-") as tmp:
            tree = os.path.join(tmp, "checkout")
            os.mkdir(tree)
            shutil.copy(os.path.join(magnum_env.ROOT, ".gitignore"), tree)
            shutil.copytree(SHIM, os.path.join(tree, "driver_shim"),
                            ignore=shutil.ignore_patterns(
                                "__pycache__", "*.egg-info", "build"))
            git = ["git", "-C", tree, "-c", "user.name=t",
                   "-c", "user.email=t@example.invalid"]
            for args in (["init", "-q"], ["add", "-A"],
                         ["commit", "-q", "-m", "tree"]):
                subprocess.run(git + args, check=True, capture_output=True)
            out = subprocess.run(
                [PYTHON, "-m", "pip", "install", "--no-index",
                 "--no-deps", "--no-build-isolation", "--target",
                 os.path.join(tmp, "site"), "./driver_shim"],
                cwd=tree, capture_output=True, text=True, timeout=300)
            self.assertEqual(0, out.returncode, out.stderr[-3000:])
            written = [n for n in os.listdir(os.path.join(tree, "driver_shim"))
                       if n == "build" or n.endswith(".egg-info")]
            self.assertTrue(written, "pip wrote nothing in the tree: the "
                            "test no longer shows what it is for")
            status = subprocess.run(git + ["status", "--porcelain"],
                                    check=True, capture_output=True,
                                    text=True).stdout
            self.assertEqual("", status)

    def test_selected_without_trusts_or_eventlet(self):
        # Magnum master has neither: our entry point must import without
        # them, or driver lookup fails for every driver of the process.
        source = [SHIM, os.path.join(magnum_env.BUILD, "python")]
        for block in (["magnum.conductor.handlers.common.trust_manager"],
                      ["eventlet"],
                      ["magnum.conductor.handlers.common.trust_manager",
                       "eventlet"]):
            with self.subTest(block=block):
                chosen = select_driver(source, block)
                self.assertEqual("magnum_capi_bridge.driver.Driver",
                                 chosen["class"])
                self.assertFalse(chosen["eventlet_active"])


if __name__ == "__main__":
    unittest.main()
