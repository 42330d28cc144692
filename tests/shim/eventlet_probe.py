"""Child process of test_eventlet: Magnum's eventlet world (monkey-patched
by Magnum's own `magnum.cmd`, as magnum-conductor runs up to 2026.1)
calling a slow bridge.

Usage: eventlet_probe.py <bridge address> <mode>
mode "shim": Magnum's periodic sync_cluster_status, whose green thread
    calls the driver's update_cluster_status (through green.call)
mode "plain": the same gRPC call made directly, without the thread pool
mode "preloaded": grpc imported under eventlet before the shim (its locks
    are green ones), then the driver's status syncs of 5 clusters at once
Prints one JSON line: ticks of a 50 ms green ticker during the call(s),
the duration and the outcome(s). With CAPI_SHIM_TICK_FLAG=<path> the ticker
creates that file once it has ticked TICKS_FOR_FLAG times while the
call(s) are in flight: a bridge holding its answer until the file exists
shows, by state, that the hub ran during the call.
"""

import sys

# What every magnum-* command imports first; on the releases that run
# eventlet it monkey-patches the process (and on some adjusts threading).
import magnum.cmd  # noqa: F401

import eventlet  # noqa: E402

if not eventlet.patcher.is_monkey_patched("thread"):
    sys.exit("this Magnum's commands do not run under eventlet")
if sys.argv[2:] == ["preloaded"]:
    import grpc  # noqa: F401

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from tests.shim import magnum_env  # noqa: E402

TICKS_FOR_FLAG = 5


def main(address, mode):
    magnum_env.configure_bridge(address)
    magnum_env.CONF.set_override("status_timeout", 10, group="capi_bridge")
    for p in magnum_env.patch_openstack():
        pass
    from magnum_capi_bridge import client
    from magnum_capi_bridge import driver
    from magnum_capi_bridge import green
    from magnum_capi_bridge.pb import driver_pb2

    m = magnum_env.Magnum()
    template = m.create_template()
    # Fast: the bridge answers verbs at once. One sync per cluster runs at
    # a time, so the overlapping syncs are of different clusters.
    clusters = [m.create_cluster(template, name="c%d" % i)
                for i in range(5 if mode == "preloaded" else 1)]
    cluster = clusters[0]
    ticks = []
    done = []
    calling = []  # the tick count when the call(s) started
    flag = os.environ.get("CAPI_SHIM_TICK_FLAG")

    def ticker():
        while not done:
            ticks.append(time.monotonic())
            if (flag and calling and
                    len(ticks) - calling[0] == TICKS_FOR_FLAG):
                open(flag, "w").close()
            eventlet.sleep(0.05)

    def call():
        calling.append(len(ticks))
        start = time.monotonic()
        try:
            if mode == "preloaded":
                pool = eventlet.GreenPool()
                for each in clusters:
                    pool.spawn(driver.Driver().update_cluster_status,
                               m.context, m.reload(each))
                pool.waitall()
            elif mode == "shim":
                # Magnum's own periodic sync: a looping call (green thread)
                # per cluster, each calling the driver.
                m.sync_once()
            else:
                stub = client.stub(magnum_env.CONF.capi_bridge)
                stub.GetClusterStatus(driver_pb2.GetClusterStatusRequest(
                    current_status="CREATE_IN_PROGRESS"), timeout=10)
            outcome = "ok"
        except Exception as e:
            outcome = "error: %s" % e
        done.append(time.monotonic() - start)
        return outcome

    eventlet.spawn(ticker)
    eventlet.sleep(0.2)  # ticker warm
    before = len(ticks)
    outcome = eventlet.spawn(call).wait()
    during = len(ticks) - before
    print(json.dumps({"ticks": during, "seconds": done[0],
                      "outcome": outcome,
                      "eventlet_active": green.eventlet_active(),
                      "serialized": green._serialized,
                      "status": m.reload(cluster).status,
                      "statuses": sorted({m.reload(c).status
                                          for c in clusters}),
                      "reason": m.reload(cluster).status_reason}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
