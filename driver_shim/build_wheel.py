"""Builds the shim's wheel (pure Python, py3-none-any) with the standard
library only: the package from driver_shim/ (its committed stubs included)
and the dist-info (METADATA, entry points) from the build's Python output.

Usage: build_wheel.py --python-out BUILD/python --out DIR --version V
Prints the wheel's path. Install it with pip into the magnum-base image
(see driver_shim/kolla) or anywhere Magnum runs.
"""

import argparse
import base64
import hashlib
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "magnum_capi_bridge"

WHEEL = """\
Wheel-Version: 1.0
Generator: magnum-capi-bridge build_wheel.py
Root-Is-Purelib: true
Tag: py3-none-any
"""


def _files(root, prefix):
    """(archive name, path) of every .py file under root/prefix."""
    out = []
    for directory, _, names in os.walk(os.path.join(root, prefix)):
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                out.append((os.path.relpath(path, root), path))
    return sorted(out)


def _digest(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "sha256=" + digest.rstrip(b"=").decode()


def _entry(name):
    """A zip entry with a fixed date: the same sources give the same
    wheel."""
    entry = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def build(python_out, out, version):
    info = "%s-%s.dist-info" % (PACKAGE, version)
    entries = _files(HERE, PACKAGE)
    for name in ("METADATA", "entry_points.txt", "top_level.txt"):
        entries.append((info + "/" + name,
                        os.path.join(python_out, info, name)))
    os.makedirs(out, exist_ok=True)
    wheel_path = os.path.join(
        out, "%s-%s-py3-none-any.whl" % (PACKAGE, version))
    record = []
    with zipfile.ZipFile(wheel_path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, path in entries:
            with open(path, "rb") as f:
                data = f.read()
            wheel.writestr(_entry(name), data)
            record.append("%s,%s,%d" % (name, _digest(data), len(data)))
        data = WHEEL.encode()
        wheel.writestr(_entry(info + "/WHEEL"), data)
        record.append("%s/WHEEL,%s,%d" % (info, _digest(data), len(data)))
        record.append(info + "/RECORD,,")
        wheel.writestr(_entry(info + "/RECORD"), "\n".join(record) + "\n")
    return wheel_path


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-out", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args(argv)
    print(build(args.python_out, args.out, args.version))


if __name__ == "__main__":
    main(sys.argv[1:])
