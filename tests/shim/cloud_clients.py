"""Both generations of what `magnum.common.clients.OpenStackClients` hands a
driver, built from the real client libraries against `fake_cloud`, for
`test_openstack` (the driver's adapter in both generations on one
Python); the shim's other suites use each release's own `OpenStackClients`
instead:

- `ClassicClients`: python-glanceclient, novaclient, cinderclient and
  keystoneclient objects on one keystoneauth session (Magnum up to 2026.1);
- `SdkClients`: openstacksdk proxies, built as master's
  `magnum/common/clients.py` builds them (`Connection(session=...,
  <service>_endpoint_override=<catalog URL>)`), with the identity proxy as
  `keystone().client`.

Both keep `url_for()` and `cinder_region_name()`, which did not change.
`neutron()` is python-neutronclient in both: the driver reaches Neutron
only through Magnum's own helpers, and each Magnum's helpers expect that
Magnum's own client (Debian's Magnum 15 the python-neutronclient one).
"""

import types

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.support import fake_cloud


def session(cloud, user="demo"):
    """A keystoneauth session of `user` ("demo" or "admin")."""
    _, password = fake_cloud.PASSWORDS[user]
    auth = v3.Password(auth_url=cloud.auth_url, username=user,
                       password=password, project_id=fake_cloud.PROJECT,
                       user_domain_id="default")
    return ks_session.Session(auth=auth)


def _keystone(client):
    """What Magnum's KeystoneClientV3 offers besides `client`: Magnum's DB
    layer reads the trustee domain."""
    return types.SimpleNamespace(client=client,
                                 trustee_domain_id="magnum-trustee-domain")


class _Clients:
    def __init__(self, cloud, user="demo"):
        self.session = session(cloud, user)

    def url_for(self, **kwargs):
        return self.session.get_endpoint(**kwargs)

    def cinder_region_name(self):
        return fake_cloud.REGION

    def neutron(self):
        from neutronclient.v2_0 import client
        return client.Client(session=self.session)


class ClassicClients(_Clients):

    def glance(self):
        import glanceclient
        return glanceclient.Client("2", session=self.session)

    def nova(self):
        from novaclient import client
        return client.Client("2.1", session=self.session)

    def cinder(self):
        from cinderclient import client
        return client.Client("3", session=self.session)

    def keystone(self):
        from keystoneclient.v3 import client
        return _keystone(client.Client(session=self.session))


class SdkClients(_Clients):

    def _proxy(self, service_type, attribute, option):
        from openstack import connection
        endpoint = self.url_for(service_type=service_type,
                                interface="public")
        conn = connection.Connection(session=self.session,
                                     **{option: endpoint})
        return getattr(conn, attribute)

    def glance(self):
        return self._proxy("image", "image", "image_endpoint_override")

    def nova(self):
        return self._proxy("compute", "compute", "compute_endpoint_override")

    def cinder(self):
        return self._proxy("block-storage", "block_storage",
                           "block_storage_endpoint_override")

    def keystone(self):
        from openstack import connection
        return _keystone(connection.Connection(session=self.session).identity)


GENERATIONS = {"classic": ClassicClients, "sdk": SdkClients}
