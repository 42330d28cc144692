"""One conductor status tick in a fleet: N clusters, K of them in progress.

    /usr/bin/python3 tests/bench/fleet_tick_bench.py [--clusters 10000]
        [--in-progress 100] [--rounds 3] [--drivers ours,noop,minimal]

Magnum's periodic `sync_cluster_status` takes only the clusters whose
status is in progress: in a fleet of N clusters of which K are being
created, a tick is Magnum's query over the table of N and K status jobs,
each with its driver call. This measures that tick through our driver and,
side by side in the same process on the same rows, through a driver whose
`update_cluster_status` does nothing (noop: Magnum's floor; the clusters
stay in progress) and through one that only sets CREATE_COMPLETE and
saves (minimal: the least any driver must do; Magnum then sends its
notification, as for ours); both of tests/bench/floor_drivers.py, found
by Magnum's own entry-point lookup as ours is.

The management cluster is the real kube-apiserver of the
management-cluster tests (tests/support/kube_real/apiserver.py; etcd from
Debian, CAPI v1.10 / CAPO v0.13 CRDs), seeded with N converged clusters
of 23 objects each by tests/bench/fleet_ready_bench.py (bench-NNNNN in
magnum-proj00..09: one cluster written through the API, its stored bytes
copied straight into etcd for the others). Not the Python simulator: it
would hold N clusters in one Python process, be written object by object
and serve the bridge's first lists of 230,000 objects item by item in
Python, which at N = 10,000 costs far more than seeding etcd, and then
shares the two CPUs with the conductor during the tick; the real API
server serves the bridge's watch from its cache and, settled, is idle in a
tick (status is answered from the bridge's cache). The bridge
(`capi-bridge-server` of CAPI_BRIDGE_BUILD_DIR, helm never run) starts
first, on the empty API server, and takes the fleet from its watches as
it is written, as a running bridge does; its first list of a whole fleet
is fleet_ready_bench's measurement (on a loaded 2-vCPU machine the
HelmRelease list of 10,000 clusters from the API server's cache outlasted
the API server's request timeout, and the consistent pages that follow
take minutes). The tick runs once the bridge is ready with every cluster
in its cache and the objects of the clusters in progress have been
written once more through the API (write_again says why).

Then a child process runs Debian's Magnum 15.0.1 as magnum-conductor does
(monkey-patched by its own `magnum.cmd`, eventlet's default pool, in-memory
sqlite; tests/shim/conductor_probe.py) with the N rows (the first K
CREATE_IN_PROGRESS, the others CREATE_COMPLETE, as
conductor_probe.seed writes them), syncs the K once to CREATE_COMPLETE
through ours, then `--rounds` times, for each driver (the order rotated
every round): the K rows back to CREATE_IN_PROGRESS, the API server and
the bridge left to settle (under 5 % of a CPU), then one tick of
Magnum's own `MagnumPeriodicTasks.sync_cluster_status` timed until its
last job is done. Per driver it prints the tick's wall time, the
conductor's CPU seconds during it (the process, all threads), the longest
time the conductor's hub was blocked (a green 20 ms ticker), the status
jobs (driver calls) made and the statuses the K clusters reached, and the
CPU the bridge and the API server spent meanwhile. Prints figures; never
fails on a number.
"""

import sys

CHILD = len(sys.argv) > 2 and sys.argv[1] == "--child"
if CHILD:
    # First, as in magnum-conductor: Magnum's own monkey-patching, done by
    # conductor_probe, whose mode is argv[2] ("eventlet").
    from tests.shim import conductor_probe

import argparse  # noqa: E402
import concurrent.futures  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)

from tests.bench import fleet_ready_bench  # noqa: E402
from tests.bench.fleet_ready_bench import load  # noqa: E402
from tests.support.kube_real import apiserver as kube_real  # noqa: E402

DRIVERS = ("ours", "noop", "minimal")
LABELS = {"ours": "ours", "noop": "noop (Magnum's floor)",
          "minimal": "minimal (sets CREATE_COMPLETE, saves)"}
FLOORS = ("noop", "minimal")


# ---- the child: Magnum's conductor in one process ------------------------

def time_listing():
    """Times Magnum's list of clusters (in a tick, the periodic task's
    query for those in progress): returns the list each call appends its
    seconds to."""
    from magnum import objects
    listing = objects.Cluster.__dict__["list"].__func__
    spent = []

    def timed(cls, *args, **kwargs):
        started = time.perf_counter()
        try:
            return listing(cls, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)
    objects.Cluster.list = classmethod(timed)
    return spent


def settle(pids, bound=120):
    """Until the processes of `pids` (the API server, the bridge) spent
    less than 5 % of a CPU over a second, for at most `bound` seconds:
    after the seeding the API server goes on working for a while (its
    heap is some 15 GiB at 10,000 clusters)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        before = sum(fleet_ready_bench.cpu_seconds(p) for p in pids.values())
        time.sleep(1)
        spent = sum(fleet_ready_bench.cpu_seconds(p) for p in pids.values())
        if spent - before < 0.05:
            return


def timed_tick(m, busy, ticker, listed, pids):
    """One tick of Magnum's periodic status sync, until its last job is
    done: its figures."""
    probe = conductor_probe
    settle(pids)
    others = {k: fleet_ready_bench.cpu_seconds(p) for k, p in pids.items()}
    blocked = ticker.mark()
    lists = len(listed)
    jobs = probe.Jobs.started
    cpu = time.process_time()
    started = time.monotonic()
    probe.tick(m, busy, False)
    wall = time.monotonic() - started
    cpu = time.process_time() - cpu
    out = {"wall_s": wall, "cpu_s": cpu, "hub_blocked_max_s": blocked(),
           "calls": probe.Jobs.started - jobs,
           "magnum_list_s": sum(listed[lists:]),
           "statuses": probe.count(probe.statuses(m, busy))}
    for k, p in pids.items():
        out[k + "_cpu_s"] = fleet_ready_bench.cpu_seconds(p) - others[k]
    return out


def child_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["eventlet"])
    parser.add_argument("address")
    parser.add_argument("--clusters", type=int, required=True)
    parser.add_argument("--in-progress", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--drivers", required=True)
    parser.add_argument("--pids", default="",
                        help="name=pid,...: processes whose CPU to count")
    args = parser.parse_args(argv)
    names = tuple(args.drivers.split(","))
    pids = dict((k, int(v)) for k, v in (
        p.split("=") for p in args.pids.split(",") if p))
    from tests.bench import floor_drivers
    keep = floor_drivers.register()  # noqa: F841 (the dist-info's dir)
    probe = conductor_probe
    probe.setup(args.address)
    from magnum_capi_bridge import green
    m = probe.magnum_env.Magnum()
    template = m.create_template()
    ticker = probe.Ticker()
    result = {"eventlet_active": green.eventlet_active(),
              "clusters": args.clusters, "in_progress": args.in_progress}
    started = time.monotonic()
    rows = probe.seed(m, template, args.clusters, args.in_progress)
    result["seed_seconds"] = time.monotonic() - started
    busy = rows[:args.in_progress]
    drivers = floor_drivers.DriverMaps(tuple(set(names) | {"ours"}))
    drivers.use("ours")
    # The first sync (the shim's channel opened, every answer complete).
    seconds, now = probe.wait_all(m, busy, {"CREATE_COMPLETE"}, 600,
                                  False, time.monotonic())
    result["first_sync_seconds"] = seconds
    result["first_sync_statuses"] = probe.count(now)
    if seconds is None:
        print(json.dumps(result))
        return 1
    listed = time_listing()
    ticks = result["ticks"] = {name: [] for name in names}
    for r in range(args.rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            drivers.use(name)
            probe.back_in_progress(m, busy)
            ticks[name].append(timed_tick(m, busy, ticker, listed, pids))
    ticker.running = False
    print(json.dumps(result))
    return 0


# ---- the parent: API server, seeding, bridge, the child ------------------

def figures(ticks, key, scale=1.0, unit="s", spec="%.2f"):
    """Median and every round's value of one figure."""
    values = [t[key] * scale for t in ticks]
    return (spec + " %s (%s)") % (statistics.median(values), unit, ", ".join(
        spec % v for v in values))


def statuses(ticks):
    seen = [json.dumps(t["statuses"], sort_keys=True) for t in ticks]
    return " / ".join(sorted(set(seen))).replace('"', "")


def table(result):
    ticks = result["ticks"]
    names = [n for n in DRIVERS if n in ticks]
    lines = ["| driver | tick wall time | conductor CPU | longest hub block "
             "| Magnum's query for the clusters in progress | driver calls "
             "| statuses reached | bridge CPU | API server CPU |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        t = ticks[name]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            LABELS[name], figures(t, "wall_s"), figures(t, "cpu_s"),
            figures(t, "hub_blocked_max_s", 1000, "ms", "%.0f"),
            figures(t, "magnum_list_s", 1000, "ms", "%.1f"),
            "/".join(sorted(set(str(x["calls"]) for x in t))), statuses(t),
            figures(t, "bridge_cpu_s"), figures(t, "apiserver_cpu_s")))
    row = "| ours − %s | %+.2f s | %+.2f s | %+.0f ms | | | | | |"
    keys = ("wall_s", "cpu_s", "hub_blocked_max_s")
    med = {name: [statistics.median(x[k] for x in ticks[name]) for k in keys]
           for name in names}
    for floor in [n for n in FLOORS if n in ticks and "ours" in ticks]:
        wall, cpu, hub = [o - f for o, f in zip(med["ours"], med[floor])]
        lines.append(row % (floor, wall, cpu, hub * 1000))
    return "\n".join(lines)


def write_again(api, count):
    """An annotation on every object of the first `count` clusters,
    through the API: each its own revision, so each reaches the bridge's
    watches. Objects can be missing from the bridge's cache after the
    seeding (about 1,800 of the 230,000 at 10,000 clusters, mostly
    HelmReleases, the first time this ran; the first sync waited for
    ever for some of the clusters in progress), most likely because it
    writes 115 objects a revision (one etcd transaction) and a watch that
    resumes from such a revision, as watches do after a timeout, is sent
    only what comes after it. The tick needs only the clusters in
    progress whole."""
    paths = []
    for i in range(count):
        namespace = "magnum-proj%02d" % (i % fleet_ready_bench.NAMESPACES)
        for group, version, plural, _, meta, *_ in \
                fleet_ready_bench.template_objects("bench-%05d" % i):
            paths.append(fleet_ready_bench.path_of(
                group, version, plural, namespace, meta["name"]))
    patch = {"metadata": {"annotations": {"bench.capi-bridge/seen": "1"}}}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda path: api.store.raw(
            "PATCH", path, patch, "application/merge-patch+json"), paths))


def cached(bridge, count, bound=900):
    """Until the bridge is ready with `count` clusters in its cache."""
    deadline = time.monotonic() + bound
    while fleet_ready_bench.cached_clusters(bridge.ops) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return bridge.wait_ready() is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10000)
    parser.add_argument("--in-progress", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed ticks per driver")
    parser.add_argument("--drivers", default=",".join(DRIVERS),
                        help="comma-separated, of " + ", ".join(DRIVERS))
    parser.add_argument("--json", default="",
                        help="also write the child's result here")
    args = parser.parse_args()
    if not fleet_ready_bench.announce():
        return 0
    with kube_real.RealApiServer("v1beta1") as api, \
            tempfile.TemporaryDirectory(prefix="fleet-tick-") as work, \
            fleet_ready_bench.Bridge(api, work) as bridge:
        # The bridge first, then the fleet, which it takes from its
        # watches (see above).
        if bridge.wait_ready() is None:
            sys.exit("the bridge was not ready; see its log")
        started = time.monotonic()
        objects, _ = fleet_ready_bench.seed_listed(api, args.clusters)
        print("management cluster: %d clusters (%d objects) seeded in %.1f s"
              "  [load %s]" % (args.clusters, objects,
                               time.monotonic() - started, load()),
              flush=True)
        if not cached(bridge, args.clusters):
            sys.exit("the bridge did not cache every cluster; see its log")
        write_again(api, args.in_progress)
        print("every cluster in the bridge's cache %.1f s after the "
              "seeding began  [load %s]" % (time.monotonic() - started,
                                            load()), flush=True)
        build = fleet_ready_bench.BUILD
        child_env = dict(os.environ, CAPI_SHIM_DB="sqlite://",
                         PYTHONPATH=os.pathsep.join([
                             ROOT, os.path.join(ROOT, "driver_shim"),
                             os.path.join(build, "python")]))
        pids = "bridge=%d,apiserver=%d" % (bridge.process.pid,
                                           api.processes[1].pid)
        out = subprocess.run(
            ["/usr/bin/python3", "-m", "tests.bench.fleet_tick_bench",
             "--child", "eventlet", bridge.address,
             "--clusters", str(args.clusters),
             "--in-progress", str(args.in_progress),
             "--rounds", str(args.rounds), "--drivers", args.drivers,
             "--pids", pids],
            cwd=ROOT, env=child_env, capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        sys.exit((lines[-1] + "\n" if lines else "") + out.stderr[-3000:])
    result = json.loads(lines[-1])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print("Magnum (eventlet %s, default pool): %d rows written in %.1f s; "
          "first sync of the %d in progress to CREATE_COMPLETE %.1f s  "
          "[load %s]" % (
              "on" if result["eventlet_active"] else "OFF",
              result["clusters"], result["seed_seconds"],
              result["in_progress"], result["first_sync_seconds"], load()))
    print("one tick over %d clusters, %d in progress; median (every round):"
          % (result["clusters"], result["in_progress"]))
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[2:]) if CHILD else main())
