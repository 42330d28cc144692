"""GPU facts of a flavor, for the cluster-autoscaler's capacity annotations:
read from the flavor's extra specs where present, absent otherwise."""

import unittest
from unittest import mock

from tests.shim import magnum_env  # noqa: F401  (configures Magnum first)

from magnum_capi_bridge import facts
from magnum_capi_bridge import openstack


class GpusOfTest(unittest.TestCase):

    def test_extra_specs_to_gpus(self):
        rows = [
            ({}, (0, "")),
            ({"hw:cpu_policy": "dedicated"}, (0, "")),
            ({"resources:VGPU": "1"}, (1, "")),
            ({"resources:VGPU": "2", facts.GPU_RESOURCE_SPEC: "nvidia.com/mig"},
             (2, "nvidia.com/mig")),
            ({"pci_passthrough:alias": "a100:2"}, (2, "")),
            ({"pci_passthrough:alias": "a100:2, t4:1"}, (3, "")),
            ({"pci_passthrough:alias": "a100"}, (1, "")),
            ({"resources:VGPU": "many"}, (0, "")),
            ({facts.GPU_RESOURCE_SPEC: "amd.com/gpu"}, (0, "")),
        ]
        for specs, expected in rows:
            with self.subTest(specs=specs):
                self.assertEqual(expected, facts.gpus_of(specs))


class _Clients:
    """Magnum's OpenStackClients, handing out one nova client."""

    def __init__(self, nova):
        self._nova = nova

    def nova(self):
        return self._nova


class AdapterExtraSpecsTest(unittest.TestCase):
    """The adapter reads extra specs through either client generation; a
    flavor that is gone has none. (The fake cloud serves no extra specs,
    so the clients are stood in for here.)"""

    def test_openstacksdk_proxy(self):
        nova = mock.Mock(spec=["fetch_flavor_extra_specs"])
        nova.fetch_flavor_extra_specs.return_value = mock.Mock(
            extra_specs={"resources:VGPU": "1"})
        cloud = openstack.Cloud(_Clients(nova))
        self.assertEqual({"resources:VGPU": "1"},
                         cloud.flavor_extra_specs("f-gpu"))
        nova.fetch_flavor_extra_specs.assert_called_once_with("f-gpu")

    def test_python_novaclient(self):
        nova = mock.Mock(spec=["flavors"])
        nova.flavors.get.return_value.get_keys.return_value = {
            "pci_passthrough:alias": "a100:2"}
        cloud = openstack.Cloud(_Clients(nova))
        self.assertEqual((2, ""),
                         facts.gpus_of(cloud.flavor_extra_specs("f-gpu")))

    def test_a_flavor_that_is_gone_has_no_extra_specs(self):
        nova = mock.Mock(spec=["flavors"])
        nova.flavors.get.side_effect = openstack.NotFound(reason="gone")
        cloud = openstack.Cloud(_Clients(nova))
        self.assertEqual({}, cloud.flavor_extra_specs("f-gone"))


if __name__ == "__main__":
    unittest.main()
