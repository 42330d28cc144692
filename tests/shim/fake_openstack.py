"""An in-memory OpenStack for the shim's tests: the subset of Glance,
Neutron, Cinder, Nova and Keystone clients the shim and Magnum's conductor
call, behind `magnum.common.clients.OpenStackClients`'s interface."""

import itertools
import types
import uuid

IMAGE_ID = "7a0b5b9e-1f57-4c2e-9a41-d5c1f4f0a001"
IMAGE_V2_ID = "7a0b5b9e-1f57-4c2e-9a41-d5c1f4f0a002"
EXTERNAL_NET_ID = "0f0e4a3a-7a1e-4b8f-9c55-0d7f6a1b2c01"


class Cloud:
    """The state every fake client shares; tests read and change it."""

    def __init__(self):
        self.images = {
            IMAGE_ID: {"id": IMAGE_ID, "name": "ubuntu-2204-kube-v1.33.4",
                       "kube_version": "v1.33.4", "os_distro": "ubuntu"},
            IMAGE_V2_ID: {"id": IMAGE_V2_ID,
                          "name": "ubuntu-2204-kube-v1.34.3",
                          "kube_version": "v1.34.3", "os_distro": "ubuntu"},
        }
        self.networks = [{"id": EXTERNAL_NET_ID, "name": "public",
                          "router:external": True}]
        self.subnets = []
        self.volume_types = ["standard", "fast"]
        self.default_volume_type = "standard"
        self.flavors = {
            "f-small": ("m1.small", 2048, 1),
            "f-medium": ("m1.medium", 4096, 2),
            "f-large": ("m1.large", 8192, 4),
        }
        self.server_groups = {}
        self.app_creds = {}
        self.deleted_app_creds = []
        self.fail_app_cred_create = False
        self.fail_app_cred_delete = False
        self.calls = []
        self._ids = itertools.count(1)

    def next_id(self, prefix):
        return "%s-%04d" % (prefix, next(self._ids))


CLOUD = Cloud()


class NotFound(Exception):
    """A client's 404, with the attributes python-*client errors carry."""
    code = http_status = 404


class _Images:
    def get(self, ident):
        CLOUD.calls.append(("glance.get", ident))
        if ident not in CLOUD.images:
            raise NotFound("No image with an ID of %s exists" % ident)
        return CLOUD.images[ident]

    def list(self, filters=None):
        name = (filters or {}).get("name")
        return [i for i in CLOUD.images.values() if i["name"] == name]


class _Neutron:
    def list_networks(self, **filters):
        CLOUD.calls.append(("neutron.list_networks", filters))
        return {"networks": [n for n in CLOUD.networks
                             if all(n.get(k) == v
                                    for k, v in filters.items())]}

    def list_subnets(self, **filters):
        return {"subnets": [s for s in CLOUD.subnets
                            if all(s.get(k) == v
                                   for k, v in filters.items())]}


class _VolumeTypes:
    def list(self):
        return [types.SimpleNamespace(name=n) for n in CLOUD.volume_types]

    def default(self):
        return types.SimpleNamespace(name=CLOUD.default_volume_type)


class _Flavors:
    def _flavor(self, ident):
        name, ram, vcpus = CLOUD.flavors[ident]
        return types.SimpleNamespace(id=ident, name=name, ram=ram,
                                     vcpus=vcpus)

    def get(self, ident):
        CLOUD.calls.append(("nova.flavors.get", ident))
        if ident not in CLOUD.flavors:
            raise NotFound("Flavor %s could not be found" % ident)
        return self._flavor(ident)

    def list(self):
        return [self._flavor(i) for i in CLOUD.flavors]


class _ServerGroups:
    def list(self):
        return list(CLOUD.server_groups.values())

    def create(self, name, policies):
        group = types.SimpleNamespace(id=CLOUD.next_id("sg"), name=name,
                                      policies=policies)
        CLOUD.server_groups[group.id] = group
        return group

    def delete(self, ident):
        CLOUD.server_groups.pop(ident)


class _AppCreds:
    def create(self, user, name, description):
        CLOUD.calls.append(("keystone.app_cred.create", user, name))
        if CLOUD.fail_app_cred_create:
            raise RuntimeError("Keystone refused: 403 Forbidden")
        cred = types.SimpleNamespace(
            id=CLOUD.next_id("ac"), name=name, user=user,
            description=description,
            secret="s3cr3t-" + uuid.uuid4().hex)
        CLOUD.app_creds[cred.id] = cred
        return cred

    def get(self, ident, user=None):
        cred = CLOUD.app_creds.get(ident)
        if cred is None or (user is not None and cred.user != user):
            raise NotFound("application credential %s" % ident)
        return cred

    def list(self, user=None):
        return [c for c in CLOUD.app_creds.values()
                if user is None or c.user == user]

    def delete(self, ident, user=None):
        if CLOUD.fail_app_cred_delete:
            raise RuntimeError("Keystone unavailable: 503")
        self.get(ident, user)
        CLOUD.app_creds.pop(ident)
        CLOUD.deleted_app_creds.append(ident)


class _Keystone:
    trustee_domain_id = "magnum-trustee-domain"

    def __init__(self):
        self.client = types.SimpleNamespace(
            application_credentials=_AppCreds())

    def create_trustee(self, username, password):
        return types.SimpleNamespace(name=username, id=CLOUD.next_id("tu"))

    def create_trust(self, trustee_user):
        return types.SimpleNamespace(id=CLOUD.next_id("trust"))

    def delete_trust(self, context, cluster):
        CLOUD.calls.append(("keystone.delete_trust", cluster.trust_id))

    def delete_trustee(self, trustee_id):
        CLOUD.calls.append(("keystone.delete_trustee", trustee_id))


class FakeOpenStackClients:
    """Stands in for magnum.common.clients.OpenStackClients."""

    def __init__(self, context):
        self.context = context

    def url_for(self, **kwargs):
        return "https://keystone.example.test:5000/v3"

    def cinder_region_name(self):
        return "RegionOne"

    def glance(self):
        return types.SimpleNamespace(images=_Images())

    def neutron(self):
        return _Neutron()

    def cinder(self):
        return types.SimpleNamespace(volume_types=_VolumeTypes())

    def nova(self):
        return types.SimpleNamespace(flavors=_Flavors(),
                                     server_groups=_ServerGroups())

    def keystone(self):
        return _Keystone()
