"""One conductor status tick over many clusters, through the shim.

    /usr/bin/python3 tests/bench/conductor_bench.py [--clusters N]
                                                   [--rounds K]

Starts the simulator, the real bridge and helm (tests/integration/harness),
fills the simulator with N clusters as CAPI leaves them once ready (as
tests/bench/status_bench.py does), then runs tests/shim/conductor_probe.py
in Debian's Magnum monkey-patched by eventlet with its default thread pool,
with Magnum's rows of those clusters, synced until complete; then, K
times, every cluster is set back to CREATE_IN_PROGRESS and one tick is
timed until its last job is done (every row is then CREATE_COMPLETE
again), once as the conductor runs it (Magnum's
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

from tests.bench import status_bench  # noqa: E402
from tests.integration import harness  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = harness.Environment(step_seconds=3600)
    # The clusters as CAPI leaves them once ready, written straight into
    # the simulator (helm would take hours for 1,000 here): the bench
    # measures Magnum's tick through the shim and the bridge.
    env.sim.controllers.stop_event.set()
    status_bench.populate(env.sim.store, args.clusters)
    try:
        probe_env = dict(os.environ, CAPI_SHIM_DB="sqlite://",
                         PYTHONPATH=os.pathsep.join([
                             ROOT, os.path.join(ROOT, "driver_shim"),
                             os.path.join(harness.BUILD, "python")]))
        out = subprocess.run(
            ["/usr/bin/python3", "-m", "tests.shim.conductor_probe",
             env.address, "eventlet", str(args.clusters), "--bound", "1800",
             "--tick-rounds", str(args.rounds), "--seeded"],
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
    print("clusters: %d (Magnum rows written in %.1f s; first sync to "
          "CREATE_COMPLETE %.1f s)" % (args.clusters,
                                       result["create_seconds"],
                                       result["sync_seconds"]))
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
