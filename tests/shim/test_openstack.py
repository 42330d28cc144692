"""The driver's one OpenStack adapter (`magnum_capi_bridge.openstack`) with
both client generations Magnum hands out, over HTTP to a fake cloud, through
the real client libraries: python-*client objects (Magnum up to 2026.1) and
openstacksdk proxies (Magnum master). In a release's venv a generation
runs where that release's constraints install its libraries: both up to
2026.1, only openstacksdk from 2026.2 on (it ships no python-*clients)."""

import importlib.util
import unittest

from tests.shim import magnum_env  # noqa: F401  (configures Magnum first)
from tests.shim import cloud_clients
from tests.support import fake_cloud

from magnum.common import exception

from magnum_capi_bridge import openstack

USER = fake_cloud.USER


class AdapterContract:
    """Every operation, asserted on the adapter's answer and on the cloud's
    state. Subclasses name the generation."""

    generation = None

    def setUp(self):
        self.cloud = fake_cloud.FakeCloud().start()
        self.addCleanup(self.cloud.stop)
        clients = cloud_clients.GENERATIONS[self.generation]
        self.adapter = openstack.Cloud(clients(self.cloud))
        self.admin = openstack.Cloud(clients(self.cloud, "admin"))

    def test_image_by_id_and_by_name_with_its_properties(self):
        image = self.adapter.image(fake_cloud.IMAGE_ID)
        self.assertEqual((fake_cloud.IMAGE_ID, "v1.33.4", "ubuntu"),
                         (image.id, image.kube_version, image.os_distro))
        image = self.adapter.image("ubuntu-2204-kube-v1.34.3")
        self.assertEqual((fake_cloud.IMAGE_V2_ID, "v1.34.3"),
                         (image.id, image.kube_version))

    def test_a_missing_image_is_named(self):
        for ident in ("00000000-0000-4000-8000-000000000000", "no-such"):
            with self.subTest(ident=ident):
                with self.assertRaises(Exception) as caught:
                    self.adapter.image(ident)
                self.assertTrue(openstack.is_not_found(caught.exception),
                                repr(caught.exception))

    def test_flavor_by_id_and_by_name(self):
        by_id = self.adapter.flavor("f-medium")
        by_name = self.adapter.flavor("m1.medium")
        self.assertEqual(("f-medium", "m1.medium", 4096, 2), tuple(by_id))
        self.assertEqual(by_id, by_name)
        with self.assertRaises(openstack.NotFound):
            self.adapter.flavor("m9.huge")

    def test_volume_types_and_cinders_default(self):
        self.assertEqual({"standard", "fast"},
                         set(self.adapter.volume_types()))
        # Cinder's default, not the first type listed.
        self.assertEqual("fast", self.adapter.default_volume_type())
        self.cloud.default_volume_type = "gone"
        self.assertIsNone(self.adapter.default_volume_type())

    def test_server_groups_create_list_delete(self):
        made = self.adapter.create_server_group("magnum-u-gpu",
                                                "anti-affinity")
        self.assertEqual("anti-affinity",
                         self.cloud.server_groups[made.id]["policy"])
        self.assertIn(made, self.adapter.server_groups())
        self.adapter.delete_server_group(made.id)
        self.assertEqual({}, self.cloud.server_groups)
        self.adapter.delete_server_group(made.id)  # already gone: done

    def test_application_credentials_create_get_list_delete(self):
        made = self.adapter.create_application_credential(
            USER, "magnum-u-1234abcd", "Magnum cluster (web)")
        stored = self.cloud.app_creds[made.id]
        self.assertEqual((USER, stored["secret"]),
                         (stored["user_id"], made.secret))
        # The admin sees and deletes the owner's credential by naming the
        # owner.
        self.assertEqual("magnum-u-1234abcd",
                         self.admin.application_credential(USER,
                                                           made.id).name)
        self.assertEqual([made.id], [
            c.id for c in self.admin.application_credentials(USER)])
        self.assertIsNone(self.admin.application_credential(
            fake_cloud.ADMIN, made.id))
        self.admin.delete_application_credential(USER, made.id)
        self.assertEqual([made.id], self.cloud.deleted_app_creds)
        self.assertIsNone(self.admin.application_credential(USER, made.id))
        self.admin.delete_application_credential(USER, made.id)  # gone

    def test_a_failed_deletion_raises_so_it_can_be_retried(self):
        made = self.adapter.create_application_credential(USER, "magnum-u-1",
                                                          "")
        self.cloud.fail[("DELETE", "/identity/v3/users")] = 503
        with self.assertRaises(Exception) as caught:
            self.admin.delete_application_credential(USER, made.id)
        self.assertFalse(openstack.is_not_found(caught.exception))
        self.assertIn(made.id, self.cloud.app_creds)
        group = self.adapter.create_server_group("magnum-u-cp", "affinity")
        self.cloud.fail[("DELETE", "/compute")] = 503
        with self.assertRaises(Exception):
            self.adapter.delete_server_group(group.id)
        self.assertIn(group.id, self.cloud.server_groups)

    def test_keystone_facts(self):
        self.assertEqual(self.cloud.auth_url,
                         self.adapter.identity_url().rstrip("/"))
        self.assertEqual(fake_cloud.REGION, self.adapter.region_name())


CLASSIC_LIBRARIES = ("glanceclient", "novaclient", "cinderclient",
                     "keystoneclient")


@unittest.skipUnless(
    all(importlib.util.find_spec(name) for name in CLASSIC_LIBRARIES),
    "this Magnum release installs no python-*clients (its OpenStackClients "
    "hands out openstacksdk proxies)")
class ClassicClientsTest(AdapterContract, unittest.TestCase):
    generation = "classic"


class SdkClientsTest(AdapterContract, unittest.TestCase):
    generation = "sdk"


class NotFoundTest(unittest.TestCase):

    def test_missing_resources_of_every_client_are_recognised(self):
        self.assertTrue(openstack.is_not_found(
            exception.ResourceNotFound(name="images", id="x")))
        self.assertFalse(openstack.is_not_found(RuntimeError("503")))


if __name__ == "__main__":
    unittest.main()
