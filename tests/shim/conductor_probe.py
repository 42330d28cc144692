"""Child process of test_conductor and the conductor benchmark: Magnum as
magnum-conductor runs it, many driver calls at once, against a bridge.

Usage: conductor_probe.py <bridge address> <mode> <clusters> [--bound S]
                          [--mixed] [--serial]
mode "eventlet": monkey-patched first by the release's own `magnum.cmd`,
                 as magnum-conductor up to 2026.1;
                 Magnum's own MagnumPeriodicTasks.sync_cluster_status ticks
                 (one looping call, so one green thread, per cluster)
mode "threads":  not patched, as Magnum master: the same status jobs run in
                 real threads, one per cluster
--serial: the control; the same jobs one after the other.
--mixed:  after the clusters are complete, resizes, status syncs and new
          creates on different clusters, all at once.
--silent ADDR: last, every cluster's status sync at once against ADDR, a
          bridge that accepts connections and never answers (2 s deadline).
--tick-rounds K: the benchmark; once every cluster is complete, K times:
          every cluster back to CREATE_IN_PROGRESS, then one tick timed
          until every row says CREATE_COMPLETE again, once as the conductor
          runs it (all at once) and once one cluster after the other.

Creates the clusters concurrently through Magnum's conductor handler, then
ticks until every cluster is CREATE_COMPLETE or `--bound` seconds passed.
A green ticker (every 20 ms) measures how long the hub was blocked. Magnum
generates four CA keys per create in the conductor's own green thread; they
are 1024-bit here to keep the run short (Magnum's cost, not the shim's).
Prints one JSON line.
"""

import sys

MODE = sys.argv[2] if len(sys.argv) > 2 else "eventlet"
if MODE == "eventlet":
    # What every magnum-* command imports first: on the releases that run
    # eventlet it monkey-patches the process (and on some adjusts
    # threading).
    import magnum.cmd  # noqa: F401
    import eventlet
    if not eventlet.patcher.is_monkey_patched("thread"):
        sys.exit("this Magnum's commands do not run under eventlet")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

from tests.shim import magnum_env  # noqa: E402

from magnum.service import periodic  # noqa: E402

TICK = 0.02


class Ticker:
    """Largest gap between the 20 ms ticks of a green thread: how long
    the hub could not run anything else."""

    def __init__(self):
        self.gaps = []
        self.running = MODE == "eventlet"
        if self.running:
            eventlet.spawn_n(self._run)

    def _run(self):
        last = time.monotonic()
        while self.running:
            eventlet.sleep(TICK)
            now = time.monotonic()
            self.gaps.append(now - last - TICK)
            last = now

    def mark(self):
        start = len(self.gaps)
        return lambda: max(self.gaps[start:] or [0.0])


def run_all(jobs, serial=False):
    """Runs every job (callable) at once: green threads or real threads;
    returns their outcomes ("ok" or the error's text)."""
    def guarded(job):
        try:
            job()
            return "ok"
        except Exception as e:  # the outcome is what the probe reports
            if type(e).__name__ == "LoopingCallDone":
                return "ok"
            return "%s: %s" % (type(e).__name__, e)

    if serial or not jobs:
        return [guarded(job) for job in jobs]
    if MODE == "eventlet":
        pool = eventlet.GreenPool(len(jobs) + 1)
        return list(pool.imap(guarded, jobs))
    from concurrent import futures
    with futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(guarded, jobs))


def pause(seconds):
    if MODE == "eventlet":
        eventlet.sleep(seconds)
    else:
        time.sleep(seconds)


def statuses(m, clusters):
    return [m.reload(c).status for c in clusters]


class Jobs:
    """Counts Magnum's status jobs in flight (ClusterUpdateJob.update_status
    wrapped), so that a tick is over when its last job is, as in the
    conductor, where the next tick comes only 10 s later."""

    running = 0
    started = 0

    @classmethod
    def install(cls):
        original = periodic.ClusterUpdateJob.update_status

        def counted(job):
            cls.running += 1
            cls.started += 1
            try:
                return original(job)
            finally:
                cls.running -= 1
        periodic.ClusterUpdateJob.update_status = counted


def tick(m, clusters, serial):
    """One status sync of every in-progress cluster, as the conductor's
    periodic task does it (eventlet), or as real threads would; returns
    when its last job has finished."""
    if MODE == "eventlet" and not serial:
        m.tasks.sync_cluster_status(m.context)
        pause(0)  # the looping calls start
        while Jobs.running:
            pause(0.005)
        return
    busy = [m.reload(c) for c in clusters]
    busy = [c for c in busy if c.status.endswith("_IN_PROGRESS")]
    run_all([(lambda c=c: periodic.ClusterUpdateJob(m.context, c)
              .update_status()) for c in busy], serial)


def wait_all(m, clusters, wanted, bound, serial, started):
    """Ticks until every cluster is in `wanted`; returns (seconds taken,
    statuses)."""
    while True:
        tick(m, clusters, serial)
        now = statuses(m, clusters)
        if all(s in wanted for s in now):
            return time.monotonic() - started, now
        if time.monotonic() - started > bound:
            return None, now
        pause(0.2)


def back_in_progress(m, clusters):
    for c in clusters:
        row = m.reload(c)
        row.status = "CREATE_IN_PROGRESS"
        row.save()


def one_tick(m, clusters, serial):
    """Seconds from the start of one tick until its last job is done;
    every cluster must then be complete."""
    back_in_progress(m, clusters)
    started = time.monotonic()
    tick(m, clusters, serial)
    seconds = time.monotonic() - started
    left = [s for s in statuses(m, clusters) if s != "CREATE_COMPLETE"]
    if left:
        raise AssertionError("after one tick %d clusters are not complete"
                             % len(left))
    return seconds


def measure_ticks(m, clusters, rounds, ticker):
    out = {"all_at_once": [], "one_by_one": [], "hub_blocked_max": 0.0}
    for _ in range(rounds):
        blocked = ticker.mark()
        out["all_at_once"].append(one_tick(m, clusters, False))
        out["hub_blocked_max"] = max(out["hub_blocked_max"], blocked())
        out["one_by_one"].append(one_tick(m, clusters, True))
    return out


def seed(m, template, number, in_progress=None):
    """Magnum's rows of clusters the management cluster already holds, as
    tests/bench/status_bench.populate and fleet_ready_bench.seed write
    them: bench-NNNNN in ten projects, one control-plane machine and two
    workers each; CREATE_IN_PROGRESS, or only the first `in_progress` of
    them and the others CREATE_COMPLETE. Magnum's context becomes the
    admin's (the clusters span projects)."""
    from magnum.common import context as magnum_context
    from magnum import objects
    m.context = magnum_context.make_admin_context(all_tenants=True)
    if in_progress is None:
        in_progress = number
    clusters = []
    for i in range(number):
        project = "proj%02d" % (i % 10)
        status = ("CREATE_IN_PROGRESS" if i < in_progress else
                  "CREATE_COMPLETE")
        cluster = objects.Cluster(
            m.context, name="b%05d" % i, cluster_template_id=template.uuid,
            project_id=project, user_id=magnum_env.USER, keypair="ops-key",
            stack_id="bench-%05d" % i, status=status,
            labels=dict(template.labels), master_flavor_id="f-medium",
            flavor_id="f-medium", create_timeout=60,
            master_lb_enabled=True, floating_ip_enabled=True)
        cluster.create()
        for name, role, count in (("default-master", "master", 1),
                                  ("default-worker", "worker", 2)):
            objects.NodeGroup(
                m.context, name=name, cluster_id=cluster.uuid,
                project_id=project, role=role, node_count=count,
                min_node_count=1, flavor_id="f-medium",
                image_id=template.image_id, labels=dict(template.labels),
                is_default=True, status=status).create()
        clusters.append(cluster)
    return clusters


def count(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def setup(address):
    """The shim pointed at the bridge at `address` with generous
    deadlines, OpenStack faked, Magnum's status jobs counted."""
    magnum_env.configure_bridge(address)
    for name, value in (("call_timeout", 600), ("status_timeout", 20)):
        magnum_env.CONF.set_override(name, value, group="capi_bridge")
    magnum_env.CONF.set_override("rsa_key_size", 1024, group="x509")
    magnum_env.patch_openstack()
    Jobs.install()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("mode")
    parser.add_argument("clusters", type=int)
    parser.add_argument("--bound", type=float, default=120.0)
    parser.add_argument("--mixed", action="store_true")
    parser.add_argument("--serial", action="store_true")
    parser.add_argument("--silent", default="")
    parser.add_argument("--tick-rounds", type=int, default=0)
    parser.add_argument("--create-batch", type=int, default=0,
                        help="creates at once (default: all)")
    parser.add_argument("--seeded", action="store_true",
                        help="the clusters exist already in the management "
                        "cluster (bench-NNNNN in magnum-projNN): write "
                        "Magnum's rows only")
    args = parser.parse_args()

    setup(args.address)
    from magnum_capi_bridge import green

    m = magnum_env.Magnum()
    template = m.create_template()
    ticker = Ticker()
    result = {"mode": MODE, "eventlet_active": green.eventlet_active(),
              "clusters": args.clusters, "serial": args.serial}

    blocked = ticker.mark()
    started = time.monotonic()
    if args.seeded:
        created = seed(m, template, args.clusters)
        outcomes = ["ok"] * len(created)
    else:
        created = []
        jobs = [(lambda i=i: created.append(m.create_cluster(
            template, name="c%04d" % i, workers=1)))
            for i in range(args.clusters)]
        batch = args.create_batch or len(jobs)
        outcomes = []
        for first in range(0, len(jobs), batch):
            outcomes += run_all(jobs[first:first + batch], args.serial)
    result["create_seconds"] = time.monotonic() - started
    result["create_outcomes"] = count(outcomes)
    result["create_statuses"] = count(statuses(m, created))
    result["create_hub_blocked_max"] = blocked()

    blocked = ticker.mark()
    seconds, now = wait_all(m, created, {"CREATE_COMPLETE"}, args.bound,
                            args.serial, time.monotonic())
    result["sync_seconds"] = seconds
    result["sync_statuses"] = count(now)
    result["sync_hub_blocked_max"] = blocked()
    result["sync_reasons"] = count(
        (m.reload(c).status_reason or "")[:300] for c in created
        if not m.reload(c).status.endswith("_COMPLETE"))

    if args.tick_rounds and seconds is not None:
        result["tick"] = measure_ticks(m, created, args.tick_rounds, ticker)

    if args.mixed and seconds is not None:
        blocked = ticker.mark()
        started = time.monotonic()
        half = len(created) // 2
        resized = created[:half]
        jobs = [(lambda c=c: m.clusters.cluster_resize(
            m.context, m.reload(c), 2, [],
            m.group(c, "default-worker"))) for c in resized]
        jobs += [(lambda c=c: periodic.ClusterUpdateJob(
            m.context, m.reload(c)).update_status()) for c in created[half:]]
        fresh = []
        jobs += [(lambda i=i: fresh.append(m.create_cluster(
            template, name="n%04d" % i, workers=1))) for i in range(5)]
        result["mixed_outcomes"] = count(run_all(jobs))
        seconds, now = wait_all(
            m, resized + fresh, {"UPDATE_COMPLETE", "CREATE_COMPLETE"},
            args.bound, False, started)
        result["mixed_seconds"] = seconds
        result["mixed_statuses"] = count(now)
        result["mixed_resized_workers"] = count(
            m.group(c, "default-worker").node_count for c in resized)
        result["mixed_hub_blocked_max"] = blocked()
    if args.silent:
        blocked = ticker.mark()
        magnum_env.configure_bridge(args.silent)
        magnum_env.CONF.set_override("status_timeout", 2, group="capi_bridge")
        durations = []
        waiting = {"now": 0, "most": 0}

        def timed(c):
            cluster = m.reload(c)
            start = time.monotonic()
            # How many syncs wait on the silent bridge at once: all of them
            # when no call holds the hub (or a thread) while it waits.
            waiting["now"] += 1
            waiting["most"] = max(waiting["most"], waiting["now"])
            try:
                periodic.ClusterUpdateJob(m.context, cluster).update_status()
            finally:
                waiting["now"] -= 1
                durations.append(time.monotonic() - start)

        outcomes = run_all([(lambda c=c: timed(c)) for c in created])
        result["silent_outcomes"] = count(outcomes)
        result["silent_most_waiting"] = waiting["most"]
        result["silent_max_seconds"] = max(durations)
        result["silent_hub_blocked_max"] = blocked()
    ticker.running = False
    print(json.dumps(result))


if __name__ == "__main__":
    main()
