"""`openstack coe ca rotate` through Magnum's own CA handler: the driver
refuses, and the cluster is left exactly as it was (its CA references, the
CA `ca show` returns, its status), with a reason the operator reads."""

import unittest

from tests.shim import magnum_env  # noqa: F401  (configures Magnum first)
from tests.shim import test_driver

from magnum.common import exception
from magnum.conductor.handlers import ca_conductor
from magnum import objects

from magnum_capi_bridge import ca_rotation


def pem(handler, context, cluster, kind=None):
    return handler.get_ca_certificate(context, cluster, kind).pem


class CARotationTest(test_driver.ShimTestCase):

    def test_refused_rotation_leaves_the_cluster_as_it_was(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        cluster = m.reload(cluster)
        handler = ca_conductor.Handler()
        refs = {name: getattr(cluster, name)
                for name in ca_rotation.cert_fields(cluster)}
        self.assertIn("ca_cert_ref", refs)
        self.assertTrue(all(refs.values()), refs)
        before_pem = pem(handler, m.context, cluster)
        keypairs = len(objects.X509KeyPair.list(m.context))
        calls = len(self.bridge.verbs())

        with self.assertRaises(exception.NotSupported) as refused:
            handler.rotate_ca_certificate(m.context, cluster)
        # Magnum's own class, which magnum-api rebuilds from the reply (it
        # answers any other class with "Remote error" and HTTP 500).
        self.assertIs(exception.NotSupported, type(refused.exception))
        message = str(refused.exception)
        self.assertIn("not supported by the capi-bridge driver", message)
        self.assertIn("Nothing was changed", message)
        self.assertIn(cluster.uuid, message)

        row = m.reload(cluster)
        self.assertEqual("CREATE_COMPLETE", row.status)
        self.assertIsNone(row.status_reason)
        self.assertEqual(refs, {name: getattr(row, name) for name in refs})
        self.assertEqual(before_pem, pem(handler, m.context, row))
        # The certificates Magnum generated for the rotation are gone.
        self.assertEqual(keypairs, len(objects.X509KeyPair.list(m.context)))
        self.assertEqual(calls, len(self.bridge.verbs()))

        # The cluster still takes the verbs a CREATE_COMPLETE one takes.
        m.clusters.cluster_update(m.context, row, 3, None, None)
        self.assertEqual("UPDATE_COMPLETE",
                         m.sync_until(cluster, {"UPDATE_COMPLETE"}))

    def test_refusal_keeps_an_update_complete_status_and_its_reason(self):
        m = self.magnum
        cluster = m.create_cluster(self.template)
        m.sync_until(cluster, {"CREATE_COMPLETE"})
        row = m.reload(cluster)
        row.status = "UPDATE_COMPLETE"
        row.status_reason = "resized by the operator"
        row.save()
        with self.assertRaises(exception.NotSupported):
            ca_conductor.Handler().rotate_ca_certificate(m.context,
                                                         m.reload(cluster))
        row = m.reload(cluster)
        self.assertEqual(("UPDATE_COMPLETE", "resized by the operator"),
                         (row.status, row.status_reason))


if __name__ == "__main__":
    unittest.main()
