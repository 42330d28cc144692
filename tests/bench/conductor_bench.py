"""One conductor status tick over many clusters, through the shim.

    /usr/bin/python3 tests/bench/conductor_bench.py [--clusters N]
                                                   [--rounds K]

Starts the simulator, the real bridge and helm (tests/integration/harness),
then runs tests/shim/conductor_probe.py in Debian's Magnum monkey-patched
by eventlet with its default thread pool: N clusters are created through
Magnum's conductor handler (50 at a time) and synced until complete; then,
K times, every cluster is set back to CREATE_IN_PROGRESS and one tick is
timed until its last job is done (every row is then CREATE_COMPLETE again),
once as the conductor runs it (Magnum's
MagnumPeriodicTasks.sync_cluster_status: a green thread per cluster, all
at once) and once one cluster after the other. Prints both, their ratio
and the longest time the conductor's hub was blocked during the ticks.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)

from tests.integration import harness  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # CAPI steps of 1 s: the simulator walks every object each step, and
    # the bench measures the shim and the bridge, not the simulator.
    env = harness.Environment(step_seconds=1.0)
    try:
        probe_env = dict(os.environ, CAPI_SHIM_DB="sqlite://",
                         PYTHONPATH=os.pathsep.join([
                             ROOT, os.path.join(ROOT, "driver_shim"),
                             os.path.join(harness.BUILD, "python")]))
        out = subprocess.run(
            ["/usr/bin/python3", "-m", "tests.shim.conductor_probe",
             env.address, "eventlet", str(args.clusters), "--bound", "1800",
             "--tick-rounds", str(args.rounds), "--create-batch", "50"],
            cwd=ROOT, env=probe_env, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        env.close()
    tick = result.get("tick")
    if not tick:
        sys.exit("clusters did not complete: %s" % json.dumps(result))
    together = statistics.median(tick["all_at_once"])
    alone = statistics.median(tick["one_by_one"])
    print("clusters: %d (created in %.1f s, %s)" % (
        args.clusters, result["create_seconds"],
        json.dumps(result["create_outcomes"])))
    print("one tick, all at once (Magnum's periodic task): median %.2f s "
          "of %s" % (together, ", ".join("%.2f" % t
                                         for t in tick["all_at_once"])))
    print("one tick, one cluster after the other:          median %.2f s "
          "of %s" % (alone, ", ".join("%.2f" % t
                                      for t in tick["one_by_one"])))
    print("speed-up: %.1fx" % (alone / together))
    print("longest hub block during the concurrent ticks: %.0f ms" % (
        tick["hub_blocked_max"] * 1000))


if __name__ == "__main__":
    main()
