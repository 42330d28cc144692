"""The shim's cost per status call, against Magnum's own floor.

    /usr/bin/python3 tests/bench/shim_cost_bench.py [--clusters N]
        [--calls K] [--stages] [--profile]

Starts the simulator and the real bridge (tests/integration/harness),
writes N ready clusters into the simulator (tests/bench/status_bench.py's
`populate`) and, in a child process of Debian's Magnum, their rows
(tests/shim/conductor_probe.py's `seed`), synced once to CREATE_COMPLETE
through the shim. Then, in that one process and on the same clusters, it
times Magnum's periodic status job (`ClusterUpdateJob.update_status`,
with Magnum's own driver lookup through the `magnum.drivers` entry
points) with three drivers:

- noop:    `update_cluster_status` does nothing (the cluster stays in
           progress; Magnum's lookup and job only);
- minimal: sets the status Magnum should end at (CREATE_COMPLETE) and
           saves, the least any driver must do (Magnum then sends its
           notification, as it does for ours);
- ours:    `magnum_capi_bridge.driver.Driver`, asking the bridge.

Before each timed call the row is put back to CREATE_IN_PROGRESS and read
again (untimed), as the periodic task hands it over; the calls run one
after the other (so no call's cost hides in another's wait), the three
drivers interleaved call by call over the clusters. The child runs twice:
monkey-patched by eventlet (magnum-conductor up to 2026.1) and without
eventlet (plain threads, Magnum 2026.2+). Prints p50/p90 per call of each
driver, wall time and the process's CPU time (all its threads; less
disturbed by a busy machine), and ours minus each floor.

--stages: a second pass with each stage of the job wrapped in a timer
(Magnum's lookup, our spec construction, the gRPC call, reply mapping,
database reads and saves): median time and count per call of each.
--profile: cProfile of ours' calls, the functions with most own time
(read it for the run without eventlet: green threads' switches confuse
cProfile's attribution).
"""

import sys

CHILD = len(sys.argv) > 2 and sys.argv[1] == "--child"
if CHILD and sys.argv[2] == "eventlet":
    import eventlet
    eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

DRIVERS = ("noop", "minimal", "ours")


# ---- the child: Magnum in one process -------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Child:

    def __init__(self, address, clusters):
        sys.path.insert(0, ROOT)
        from tests.bench import floor_drivers
        self._drivers_dir = floor_drivers.register()
        from tests.shim import magnum_env
        from tests.shim import conductor_probe
        from magnum import objects
        from magnum.service import periodic
        from oslo_service import loopingcall
        self.env = magnum_env
        self.objects = objects
        self.periodic = periodic
        self.done = loopingcall.LoopingCallDone
        magnum_env.configure_bridge(address)
        magnum_env.patch_openstack()
        self.m = magnum_env.Magnum()
        template = self.m.create_template()
        # The rows of the clusters the simulator holds (as the conductor
        # benchmark writes them), synced once through the shim.
        self.clusters = conductor_probe.seed(self.m, template, clusters)
        self.drivers = floor_drivers.DriverMaps(DRIVERS)
        self.use("ours")
        for _ in range(20):
            left = [c for c in self.clusters if self._reload(c).status !=
                    "CREATE_COMPLETE"]
            if not left:
                break
            for c in left:
                self.job(self._reload(c))
            time.sleep(0.5)
        else:
            raise SystemExit("%d clusters did not complete, e.g. %s" % (
                len(left), self._reload(left[0]).status_reason))

    def use(self, name):
        self.drivers.use(name)

    def _reload(self, cluster):
        return self.objects.Cluster.get_by_uuid(self.m.context, cluster.uuid)

    def job(self, cluster):
        """Magnum's periodic status job of one cluster."""
        try:
            self.periodic.ClusterUpdateJob(self.m.context,
                                           cluster).update_status()
        except self.done:
            pass

    def prepared(self, cluster):
        """The cluster back in progress, read again (untimed)."""
        row = self._reload(cluster)
        if row.status != "CREATE_IN_PROGRESS":
            row.status = "CREATE_IN_PROGRESS"
            row.save()
        return self._reload(cluster)

    def timed_calls(self, calls, drivers=DRIVERS, around=None):
        """{driver: [(wall seconds, CPU seconds of the process) per call]}:
        `calls` calls of each driver, the drivers interleaved call by
        call; the first pass over the clusters is a warm-up."""
        times = {name: [] for name in drivers}
        warm = len(self.clusters)
        for i in range(warm + calls):
            cluster = self.clusters[i % len(self.clusters)]
            shift = i % len(drivers)
            for name in drivers[shift:] + drivers[:shift]:
                self.use(name)
                row = self.prepared(cluster)
                if around is not None:
                    around.begin(name)
                cpu = time.process_time()
                started = time.perf_counter()
                self.job(row)
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu
                if around is not None:
                    around.end(name, i >= warm)
                if name != "noop":
                    status = self._reload(cluster).status
                    if status != "CREATE_COMPLETE":
                        raise SystemExit("%s left %s %s" % (
                            name, cluster.name, status))
                if i >= warm:
                    times[name].append((seconds, cpu))
        return times


class Stages:
    """Wraps each stage of a status job in a timer; per call, the time
    and the number of times each stage ran."""

    def __init__(self, child):
        from magnum.conductor import utils as conductor_utils
        from magnum.drivers.common import driver as magnum_driver
        from magnum_capi_bridge import client
        from magnum_capi_bridge import driver as ours
        from magnum_capi_bridge import green
        from magnum_capi_bridge import spec
        from magnum_capi_bridge import status
        objects = child.objects
        self.current = None
        self.totals = {}
        self.per_call = {}
        wrap = self._wrap
        wrap("Magnum: driver lookup", magnum_driver.Driver,
             "get_driver_for_cluster", classmethod)
        wrap("Magnum: template read", objects.ClusterTemplate,
             "get_by_uuid", classmethod)
        wrap("Magnum: node-group list", objects.NodeGroup, "list",
             classmethod)
        wrap("Magnum: cluster save", objects.Cluster, "save")
        wrap("Magnum: node-group save", objects.NodeGroup, "save")
        wrap("Magnum: notification", conductor_utils,
             "notify_about_cluster_operation")
        wrap("ours: update_cluster_status", ours.Driver,
             "update_cluster_status")
        wrap("ours: spec construction", spec,
             "status_spec" if hasattr(spec, "status_spec") else "build_spec")
        wrap("ours: client.call (stub, metadata, call)", client, "call")
        wrap("ours: gRPC call and wake-up", green, "call")
        wrap("ours: node-group mapping", status, "apply_node_groups")
        wrap("ours: cluster mapping", status, "apply_cluster")
        # Every SQL statement sent (oslo.db adds a "SELECT 1" ping per
        # connection checkout): a count that does not depend on the load.
        from sqlalchemy import event
        event.listen(child.env.ENGINE, "before_cursor_execute",
                     lambda *_: self._add("SQL statements", 0.0))

    def _wrap(self, label, owner, name, kind=None):
        original = owner.__dict__[name]
        function = original.__func__ if kind is classmethod else original
        stages = self

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                stages._add(label, time.perf_counter() - started)
        timed.__name__ = function.__name__
        setattr(owner, name, classmethod(timed) if kind is classmethod
                else timed)

    def _add(self, label, seconds):
        if self.current is None:
            return
        seconds_so_far, count = self.current.get(label, (0.0, 0))
        self.current[label] = (seconds_so_far + seconds, count + 1)

    def begin(self, driver):
        self.current = {}

    def end(self, driver, keep):
        if keep:
            for label, value in self.current.items():
                self.per_call.setdefault(driver, {}).setdefault(
                    label, []).append(value)
        self.current = None

    def summary(self, calls):
        out = {}
        for driver, labels in self.per_call.items():
            out[driver] = {
                label: {"median_ms": 1000 * statistics.median(
                    [s for s, _ in values] + [0.0] * (calls - len(values))),
                    "per_call": sum(n for _, n in values) / calls}
                for label, values in labels.items()}
        return out


def child_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("address")
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    child = Child(args.address, args.clusters)
    from magnum_capi_bridge import green
    result = {"mode": args.mode, "eventlet_active": green.eventlet_active(),
              "clusters": args.clusters, "calls": args.calls}
    times = child.timed_calls(args.calls)
    result["times"] = {}
    for name, values in times.items():
        wall = [w for w, _ in values]
        cpu = [c for _, c in values]
        result["times"][name] = {
            "p50_ms": 1000 * percentile(wall, 0.5),
            "p90_ms": 1000 * percentile(wall, 0.9),
            "cpu_p50_ms": 1000 * percentile(cpu, 0.5),
            "cpu_p90_ms": 1000 * percentile(cpu, 0.9)}
    for i, kind in enumerate(("wall", "cpu")):
        paired = [o[i] - f[i] for o, f in zip(times["ours"],
                                              times["minimal"])]
        result["paired_%s_p50_ms" % kind] = 1000 * percentile(paired, 0.5)
    if args.stages:
        stages = Stages(child)
        calls = max(100, args.calls // 4)
        child.timed_calls(calls, around=stages)
        result["stages"] = stages.summary(calls)
    if args.profile:
        import cProfile
        import io
        import pstats
        profile = cProfile.Profile()

        class Around:
            def begin(self, driver):
                if driver == "ours":
                    profile.enable()

            def end(self, driver, keep):
                profile.disable()

        child.timed_calls(max(100, args.calls // 4), drivers=("ours",),
                          around=Around())
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        result["profile"] = out.getvalue()
    print(json.dumps(result))


# ---- the parent: simulator, bridge, one child per mode --------------------

def table(results):
    lines = ["| Magnum runs | driver | p50 per call | p90 per call | "
             "CPU p50 | CPU p90 |", "|---|---|---|---|---|---|"]
    row = "| %s | %s | %s | %s | %s | %s |"
    for r in results:
        mode = ("eventlet (monkey-patched)" if r["eventlet_active"] else
                "plain threads (no eventlet)")
        t = r["times"]
        keys = ("p50_ms", "p90_ms", "cpu_p50_ms", "cpu_p90_ms")
        for name in DRIVERS:
            lines.append(row % ((mode, name) + tuple(
                "%.2f ms" % t[name][k] for k in keys)))
        for floor in ("minimal", "noop"):
            lines.append(row % ((mode, "ours − " + floor) + tuple(
                "%+.2f ms" % (t["ours"][k] - t[floor][k]) for k in keys)))
        lines.append(row % (mode, "ours − minimal, paired", "%+.2f ms" %
                            r["paired_wall_p50_ms"], "", "%+.2f ms" %
                            r["paired_cpu_p50_ms"], ""))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--calls", type=int, default=1000,
                        help="timed calls per driver and mode")
    parser.add_argument("--modes", default="eventlet,threads")
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", default="",
                        help="also write the children's results here")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from tests.bench import status_bench
    from tests.integration import harness
    load_before = os.getloadavg()
    env = harness.Environment(step_seconds=3600)
    # The clusters as CAPI leaves them once ready, straight into the
    # simulator, as the conductor benchmark does.
    env.sim.controllers.stop_event.set()
    status_bench.populate(env.sim.store, args.clusters)
    results = []
    try:
        child_env = dict(os.environ, CAPI_SHIM_DB="sqlite://",
                         PYTHONPATH=os.pathsep.join([
                             ROOT, os.path.join(ROOT, "driver_shim"),
                             os.path.join(harness.BUILD, "python")]))
        for mode in args.modes.split(","):
            command = ["/usr/bin/python3", "-m", "tests.bench.shim_cost_bench",
                       "--child", mode, env.address,
                       "--clusters", str(args.clusters),
                       "--calls", str(args.calls)]
            command += ["--stages"] if args.stages else []
            command += ["--profile"] if args.profile else []
            out = subprocess.run(command, cwd=ROOT, env=child_env,
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(out.stderr[-3000:])
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        env.close()
    load_after = os.getloadavg()
    print("clusters: %d; %d timed calls per driver and mode, one after the "
          "other; load average %.2f before, %.2f after (%d CPUs)" % (
              args.clusters, args.calls, load_before[0], load_after[0],
              os.cpu_count()))
    print(table(results))
    print("(paired: the median of the differences between a call of ours "
          "and the minimal driver's call next to it, on the same cluster)")
    for r in results:
        for driver, stages in sorted(r.get("stages", {}).items()):
            print("\nstages, %s, %s (median ms per call, times per call):"
                  % (r["mode"], driver))
            for label, value in sorted(stages.items()):
                print("  %-45s %7.3f ms  x%.1f" % (
                    label, value["median_ms"], value["per_call"]))
        if "profile" in r:
            print("\nprofile of ours, %s:\n%s" % (r["mode"], r["profile"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after,
                       "results": results}, f, indent=1)


if __name__ == "__main__":
    if CHILD:
        child_main(sys.argv[2:])
    else:
        main()
