"""The conductor's hub while the shim waits for the bridge, in figures.

    /usr/bin/python3 tests/bench/eventlet_bench.py [--slow SECONDS]

A fake bridge answers status calls after SLOW seconds; Magnum's eventlet
world (tests/shim/eventlet_probe.py, patched by Magnum's own magnum.cmd)
runs a 50 ms green ticker while it calls: through the shim (Magnum's
periodic sync), with grpc loaded green before the shim (five syncs, one
call at a time from eventlet's pool), and as a plain gRPC call (the
control). Prints, per mode, how long the call(s) took and how many ticks
the hub made meanwhile (a hub never blocked makes about SLOW / 0.05 per
call). tests/shim/test_eventlet.py checks the same by state.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path[:0] = [ROOT, os.path.join(ROOT, "driver_shim"),
                os.path.join(BUILD, "python")]

from tests.shim import fake_bridge  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=float, default=1.0)
    args = parser.parse_args()
    bridge = fake_bridge.FakeBridge()
    bridge.delay["GetClusterStatus"] = args.slow
    env = dict(os.environ, CAPI_BRIDGE_BUILD_DIR=BUILD,
               PYTHONPATH=os.pathsep.join([
                   ROOT, os.path.join(ROOT, "driver_shim"),
                   os.path.join(BUILD, "python")]))
    try:
        print("bridge answers a status call after %.1f s; ticker every "
              "50 ms" % args.slow)
        for mode, calls in (("shim", 1), ("preloaded", 5), ("plain", 1)):
            out = subprocess.run(
                [sys.executable, "-m", "tests.shim.eventlet_probe",
                 bridge.address, mode], cwd=ROOT, env=env,
                capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                sys.exit(out.stderr[-3000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print("%-10s %d call(s): %.2f s, %d ticks (%.0f per second of "
                  "calls), outcome %s" % (
                      mode, calls, r["seconds"], r["ticks"],
                      r["ticks"] / r["seconds"], r["outcome"]))
    finally:
        bridge.stop()


if __name__ == "__main__":
    main()
