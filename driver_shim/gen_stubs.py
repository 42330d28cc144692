"""Generates the shim's gRPC stubs from proto/ for its own package.

protoc names Python modules after the proto file paths, so the contract
(proto/magnum/capi/bridge/v1/*.proto) would become a package `magnum.capi`
that shadows Magnum itself inside the conductor.  This script runs protoc
into a scratch directory and writes the modules for `magnum_capi_bridge.pb`
into --stubs-out, rewriting their imports; the descriptors keep their
canonical file names. The package carries a committed copy of them
(driver_shim/magnum_capi_bridge/pb, refreshed by `make stubs`); the build
generates them again so that a test can tell when that copy is stale.
It also writes into --info-out the distribution metadata (dist-info with
the entry points) that lets Magnum find the driver without pip, from
pyproject.toml, the one home of the name, version, requirements and entry
points.

Usage: gen_stubs.py --protoc P --plugin G --proto-dir D --stubs-out DIR
                    --info-out DIR --version V
"""

import argparse
import os
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))

PROTOS = ("magnum/capi/bridge/v1/cluster_spec.proto",
          "magnum/capi/bridge/v1/driver.proto")
OLD_IMPORT = "from magnum.capi.bridge.v1 import "
NEW_IMPORT = "from magnum_capi_bridge.pb import "


def project():
    """The [project] table of pyproject.toml."""
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def metadata(meta):
    lines = ["Metadata-Version: 2.1", "Name: " + meta["name"],
             "Version: " + meta["version"], "Summary: " + meta["description"],
             "License: " + meta["license"]["text"]]
    lines += ["Requires-Dist: " + r for r in meta["dependencies"]]
    return "\n".join(lines) + "\n"


def entry_points(meta):
    groups = []
    tables = dict(meta["entry-points"])
    if meta.get("scripts"):
        tables["console_scripts"] = meta["scripts"]
    for group, entries in sorted(tables.items()):
        groups.append("[%s]\n%s" % (group, "".join(
            "%s = %s\n" % item for item in sorted(entries.items()))))
    return "\n".join(groups)


def generate(args):
    package = args.stubs_out
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
    meta = project()
    if meta["version"] != args.version:
        sys.exit("gen_stubs: driver_shim/pyproject.toml says version %s, "
                 "the build %s: make them agree" % (meta["version"],
                                                    args.version))
    info = os.path.join(args.info_out,
                        "magnum_capi_bridge-%s.dist-info" % args.version)
    os.makedirs(info, exist_ok=True)
    _write(os.path.join(info, "METADATA"), metadata(meta))
    _write(os.path.join(info, "entry_points.txt"), entry_points(meta))
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
    for flag in ("--protoc", "--plugin", "--proto-dir", "--stubs-out",
                 "--info-out", "--version"):
        parser.add_argument(flag, required=True)
    generate(parser.parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
