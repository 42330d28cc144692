"""Clean-up after delete runs once per cluster: Magnum's periodic sync
starts a new job for a DELETE_IN_PROGRESS cluster every period, even while
the previous job still deletes what the cluster had in OpenStack; and a
job that finds its cluster already finished (by another conductor) ends
quietly, without Magnum deleting it a second time."""

import unittest
from unittest import mock

from tests.shim import magnum_env  # configures Magnum first
from tests.shim import test_driver

from oslo_service import loopingcall

from magnum import objects
from magnum.service import periodic

from magnum_capi_bridge import credentials

wait_for = magnum_env.wait_for


class CleanUpTest(test_driver.ShimTestCase):

    def deleting_cluster(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        m.clusters.cluster_delete(m.context, cluster.uuid)
        return m.reload(cluster)

    def test_overlapping_periodic_jobs_clean_up_once(self):
        m = self.magnum
        cluster = self.deleting_cluster()
        # Where Magnum has trusts, the cluster's is deleted once too.
        trust = getattr(cluster, "trust_id", None)
        finished = magnum_env.count_status_syncs(self)
        # Keystone is slow to delete the credential: the first job is
        # still cleaning up when the next period starts another.
        started, release = [], []
        real_delete = credentials.delete

        def slow_delete(target, *args, **kwargs):
            started.append(target.uuid)
            while not release:
                magnum_env.pause(0.01)
            return real_delete(target, *args, **kwargs)

        with mock.patch.object(credentials, "delete", slow_delete), \
                self.assertNoLogs(level="WARNING"):
            first = m.start_sync()
            wait_for(lambda: started, "the first clean-up to start")
            second = m.start_sync()
            wait_for(lambda: len(finished) == 1,
                     "the second job to leave the cluster to the first")
            m.wait(second)
            self.assertEqual("DELETE_IN_PROGRESS", m.reload(cluster).status)
            release.append(True)
            m.wait(first)
            wait_for(lambda: len(finished) == 2 and not m.exists(cluster),
                     "the first job to finish the cluster")
        self.assertEqual([cluster.uuid], started)
        if magnum_env.TRUSTS:
            self.assertEqual(1, magnum_env.TRUSTS_DELETED.count(trust))
        self.assertFalse(any(c["name"].startswith("magnum-" + cluster.uuid)
                             for c in magnum_env.CLOUD.app_creds.values()))

    def test_a_job_whose_cluster_is_already_gone_ends_quietly(self):
        m = self.magnum
        cluster = self.deleting_cluster()
        stale = m.reload(cluster)
        # Another conductor's job finished the cluster meanwhile.
        m.sync_until(cluster, {"DELETE_COMPLETE"})
        trusts = len(magnum_env.TRUSTS_DELETED)
        deleted = len(magnum_env.CLOUD.deleted_app_creds)
        job = periodic.ClusterUpdateJob(m.context, stale)
        with self.assertNoLogs(level="WARNING"):
            with self.assertRaises(loopingcall.LoopingCallDone):
                job.update_status()
        self.assertEqual("DELETE_IN_PROGRESS", stale.status)
        self.assertEqual(trusts, len(magnum_env.TRUSTS_DELETED))
        self.assertEqual(deleted, len(magnum_env.CLOUD.deleted_app_creds))
        self.assertEqual([], objects.NodeGroup.list(m.context, cluster.uuid))


if __name__ == "__main__":
    unittest.main()
