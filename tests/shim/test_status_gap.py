"""A periodic status sync that lands between Magnum marking a node-group
verb (the cluster saved UPDATE_IN_PROGRESS) and the bridge receiving it:
the sync must not complete the cluster on what the management cluster
showed before the verb, and must never leave a group in progress under a
complete cluster. Magnum's own handlers and periodic job, the shim, the
real bridge and helm, the simulator."""

import unittest
from unittest import mock

from tests.shim import magnum_env  # configures Magnum first
from tests.shim.test_end_to_end import EndToEndCase

from magnum.drivers.common import driver as magnum_driver

from magnum_capi_bridge import facts

NAMESPACE = "magnum-" + magnum_env.PROJECT


class StatusGapTest(EndToEndCase):

    def setUp(self):
        super().setUp()
        self.finished = magnum_env.count_status_syncs(self)

    def sync_now(self, cluster):
        """One run of Magnum's periodic sync, waited for to its end;
        returns what the cluster and its groups were saved as."""
        m = self.magnum
        before = len(self.finished)
        m.sync_once()
        magnum_env.wait_for(lambda: len(self.finished) > before,
                            "the status sync to run")
        row = m.reload(cluster)
        return row.status, {name: ng.status
                            for name, ng in m.groups(row).items()}

    def ready_cluster(self, name):
        m = self.magnum
        cluster = m.create_cluster(m.create_template(), name=name, workers=1)
        self.assertEqual("CREATE_COMPLETE", m.sync_until(
            cluster, {"CREATE_COMPLETE", "CREATE_FAILED"}),
            m.reload(cluster).status_reason)
        return m.reload(cluster)

    def with_extra_group(self, cluster):
        m = self.magnum
        m.nodegroups.nodegroup_create(m.context, cluster,
                                      m.new_group(cluster, "extra"))
        self.assertEqual("UPDATE_COMPLETE", m.sync_until(
            cluster, {"UPDATE_COMPLETE", "UPDATE_FAILED"}))
        return m.reload(cluster)

    def sync_during(self, owner, name, cluster):
        """Patches owner.name to run one status sync of `cluster` the first
        time it is called; returns the list the sync's outcome lands in."""
        seen = []
        real = getattr(owner, name)

        def gap(*args, **kwargs):
            if not seen:
                seen.append(None)
                seen[0] = self.sync_now(cluster)
            return real(*args, **kwargs)

        if isinstance(owner, type):
            patcher = mock.patch.object(owner, name, classmethod(
                lambda cls, *a, **k: gap(*a, **k)))
        else:
            patcher = mock.patch.object(owner, name, gap)
        patcher.start()
        self.addCleanup(patcher.stop)
        return seen

    def machine_deployments(self, release):
        return sorted(md["metadata"]["name"][len(release) + 1:]
                      for md in self.env.objects("MachineDeployment",
                                                 NAMESPACE)
                      if md["metadata"]["name"].startswith(release + "-"))

    def finish(self, cluster):
        m = self.magnum
        self.assertEqual("UPDATE_COMPLETE", m.sync_until(
            cluster, {"UPDATE_COMPLETE", "UPDATE_FAILED"}),
            m.reload(cluster).status_reason)
        row = m.reload(cluster)
        busy = {name: ng.status for name, ng in m.groups(row).items()
                if not ng.status.endswith("_COMPLETE")}
        self.assertEqual({}, busy)
        return row

    def test_delete_with_a_sync_before_the_driver_runs(self):
        # Magnum saved the cluster UPDATE_IN_PROGRESS and looks the driver
        # up: the sync sees no group of the verb yet.
        m = self.magnum
        cluster = self.with_extra_group(self.ready_cluster("gap-a"))
        gap = self.sync_during(magnum_driver.Driver,
                               "get_driver_for_cluster", cluster)
        m.nodegroups.nodegroup_delete(m.context, cluster,
                                      m.group(cluster, "extra"))
        self.assertTrue(gap, "no sync ran in the gap")
        # The verb is applied: the cluster follows it, whatever the gap's
        # sync saved.
        row = m.reload(cluster)
        self.assertEqual("UPDATE_IN_PROGRESS", row.status)
        self.assertEqual("DELETE_IN_PROGRESS", m.group(row, "extra").status)
        row = self.finish(cluster)
        self.assertNotIn("extra", m.groups(row))
        self.assertEqual(["default-worker"],
                         self.machine_deployments(row.stack_id))
        m.sync_health()
        self.assertEqual("HEALTHY", m.reload(cluster).health_status,
                         m.reload(cluster).health_status_reason)

    def test_delete_with_a_sync_before_the_bridge_receives_it(self):
        # The driver marked the group and resolves OpenStack facts.
        m = self.magnum
        cluster = self.with_extra_group(self.ready_cluster("gap-b"))
        gap = self.sync_during(facts, "resolve_facts", cluster)
        m.nodegroups.nodegroup_delete(m.context, cluster,
                                      m.group(cluster, "extra"))
        status, groups = gap[0]
        self.assertEqual("UPDATE_IN_PROGRESS", status)
        self.assertEqual("DELETE_IN_PROGRESS", groups["extra"])
        row = self.finish(cluster)
        self.assertNotIn("extra", m.groups(row))

    def test_create_with_syncs_in_both_gaps(self):
        m = self.magnum
        cluster = self.ready_cluster("gap-c")
        early = self.sync_during(magnum_driver.Driver,
                                 "get_driver_for_cluster", cluster)
        late = self.sync_during(facts, "resolve_facts", cluster)
        m.nodegroups.nodegroup_create(m.context, cluster,
                                      m.new_group(cluster, "extra"))
        for name, seen in (("before the driver", early),
                           ("before the bridge", late)):
            status, groups = seen[0]
            self.assertEqual("UPDATE_IN_PROGRESS", status, name)
            self.assertEqual("CREATE_IN_PROGRESS", groups["extra"], name)
        row = self.finish(cluster)
        self.assertEqual("CREATE_COMPLETE", m.group(row, "extra").status)
        self.assertEqual(["default-worker", "extra"],
                         self.machine_deployments(row.stack_id))


if __name__ == "__main__":
    unittest.main()
