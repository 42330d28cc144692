"""Generates the shim's gRPC stubs from proto/ into its own package.

protoc names Python modules after the proto file paths, so the contract
(proto/magnum/capi/bridge/v1/*.proto) would become a package `magnum.capi`
that shadows Magnum itself inside the conductor.  This script runs protoc
into a scratch directory and moves the modules to `magnum_capi_bridge.pb`,
rewriting their imports; the descriptors keep their canonical file names.
It also writes the distribution metadata (dist-info with the entry points)
that lets Magnum find the driver without pip.

Usage: gen_stubs.py --protoc P --plugin G --proto-dir D --out DIR --version V
"""

import argparse
import os
import subprocess
import sys
import tempfile

PROTOS = ("magnum/capi/bridge/v1/cluster_spec.proto",
          "magnum/capi/bridge/v1/driver.proto")
OLD_IMPORT = "from magnum.capi.bridge.v1 import "
NEW_IMPORT = "from magnum_capi_bridge.pb import "

ENTRY_POINTS = """\
[magnum.drivers]
k8s_capi_bridge_v1 = magnum_capi_bridge.driver:Driver

[oslo.config.opts]
capi_bridge = magnum_capi_bridge.conf:list_opts
"""


def generate(args):
    package = os.path.join(args.out, "magnum_capi_bridge", "pb")
    os.makedirs(package, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [args.protoc, "-I", args.proto_dir, "--python_out", scratch,
             "--grpc_python_out", scratch,
             "--plugin=protoc-gen-grpc_python=" + args.plugin] +
            [os.path.join(args.proto_dir, p) for p in PROTOS], check=True)
        generated = os.path.join(scratch, "magnum", "capi", "bridge", "v1")
        for name in sorted(os.listdir(generated)):
            with open(os.path.join(generated, name)) as f:
                text = f.read().replace(OLD_IMPORT, NEW_IMPORT)
            _write(os.path.join(package, name), text)
    _write(os.path.join(package, "__init__.py"),
           '"""gRPC stubs of the bridge contract, generated from proto/."""\n')
    info = os.path.join(args.out,
                        "magnum_capi_bridge-%s.dist-info" % args.version)
    os.makedirs(info, exist_ok=True)
    _write(os.path.join(info, "METADATA"),
           "Metadata-Version: 2.1\nName: magnum-capi-bridge\n"
           "Version: %s\nSummary: Magnum driver for the capi-bridge "
           "service\nLicense: Apache-2.0\nRequires-Dist: grpcio\n"
           "Requires-Dist: protobuf\n" % args.version)
    _write(os.path.join(info, "entry_points.txt"), ENTRY_POINTS)
    _write(os.path.join(info, "top_level.txt"), "magnum_capi_bridge\n")


def _write(path, text):
    """Writes only on change, so mtimes (and stevedore's cache) hold."""
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--protoc", "--plugin", "--proto-dir", "--out", "--version"):
        parser.add_argument(flag, required=True)
    generate(parser.parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
