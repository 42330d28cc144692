"""Magnum's floor for the conductor benchmarks: drivers that do nothing
(or the least), found by Magnum's own lookup through the `magnum.drivers`
entry points as it finds ours, and Magnum's driver map for each, so that
one process switches between them on the same clusters
(tests/bench/shim_cost_bench.py, tests/bench/fleet_tick_bench.py).

`register()` before Magnum first looks a driver up; `DriverMaps` once
tests/shim/magnum_env has configured Magnum's process.
"""

import os
import sys
import tempfile

ENTRY_POINTS = {"noop": "capi_bench_floor_noop",
                "minimal": "capi_bench_floor_minimal",
                "ours": "k8s_capi_bridge_v1"}
CLUSTER_TYPE = ("vm", "ubuntu", "kubernetes")


class NoopDriver:
    """Magnum's floor: a driver whose status sync does nothing (the
    cluster stays as it is; Magnum's lookup and job only). Magnum calls
    only these two members in a status job."""

    provides = [{"server_type": CLUSTER_TYPE[0], "os": CLUSTER_TYPE[1],
                 "coe": CLUSTER_TYPE[2]}]

    def update_cluster_status(self, context, cluster, use_admin_ctx=False):
        return


class MinimalDriver(NoopDriver):
    """The least any driver must do: the status Magnum should end at, saved."""

    END_STATUS = "CREATE_COMPLETE"

    def update_cluster_status(self, context, cluster, use_admin_ctx=False):
        cluster.status = self.END_STATUS
        cluster.save()


def register():
    """A dist-info on sys.path whose `magnum.drivers` entry points are the
    floor drivers of this module. Returns the directory to keep while
    Magnum may look drivers up."""
    directory = tempfile.TemporaryDirectory(prefix="bench-floor-drivers-")
    info = os.path.join(directory.name, "capi_bench_floor-0.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\nName: capi-bench-floor\n"
                "Version: 0\n")
    with open(os.path.join(info, "entry_points.txt"), "w") as f:
        f.write("[magnum.drivers]\n%s = %s:NoopDriver\n"
                "%s = %s:MinimalDriver\n" % (
                    ENTRY_POINTS["noop"], __name__,
                    ENTRY_POINTS["minimal"], __name__))
    sys.path.insert(0, directory.name)
    # eventlet imports pkg_resources, whose entry points Magnum reads: its
    # view of sys.path was taken then.
    import pkg_resources
    pkg_resources.working_set.add_entry(directory.name)
    return directory


class DriverMaps:
    """Magnum's own driver map (`Driver.definitions`) for each of `names`
    (of ENTRY_POINTS), each built by Magnum with every other driver of
    ENTRY_POINTS disabled; `use(name)` makes Magnum's lookup find that
    driver for this cluster type."""

    def __init__(self, names):
        import magnum.conf
        from magnum.drivers.common import driver as magnum_driver
        self._base = magnum_driver.Driver
        conf = magnum.conf.CONF
        self._maps = {}
        for name in names:
            others = [e for n, e in ENTRY_POINTS.items() if n != name]
            conf.set_override("disabled_drivers", others, group="drivers")
            self._base.definitions = None
            try:
                found = self._base.get_drivers()[CLUSTER_TYPE]
            finally:
                conf.clear_override("disabled_drivers", group="drivers")
            if found["entry_point_name"] != ENTRY_POINTS[name]:
                raise SystemExit("Magnum chose %s for %s" % (
                    found["entry_point_name"], name))
            self._maps[name] = self._base.definitions

    def use(self, name):
        self._base.definitions = self._maps[name]
