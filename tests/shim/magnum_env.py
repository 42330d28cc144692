"""Debian's Magnum (python3-magnum) in-process for the shim's tests:
in-memory sqlite, x509keypair certificates in the DB, notifications on the
fake transport, the shim registered through its dist-info entry point, and
OpenStack a loopback fake cloud (`tests/support/fake_cloud`) reached through
the real client libraries of one generation, chosen by CAPI_SHIM_CLIENTS:
"classic" (python-*clients, Magnum up to 2026.1, the default) or "sdk"
(openstacksdk proxies as Magnum master builds them). Magnum's own conductor
handlers and periodic tasks drive the driver.

Import this module before anything else from Magnum: it configures the
process once (oslo.config is global).
"""

import os
import sys
import tempfile
import time
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))

# The shim's sources and the build's generated stubs + dist-info.
sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(ROOT, "driver_shim"))
sys.path.insert(0, ROOT)
# stevedore caches entry points keyed on sys.path mtimes: a private cache.
_CACHE = tempfile.TemporaryDirectory(prefix="shim-entrypoints-")
os.environ["XDG_CACHE_HOME"] = _CACHE.name

import magnum.conf  # noqa: E402
from magnum.common import config as magnum_config  # noqa: E402

CONF = magnum.conf.CONF
# In memory unless a test needs the rows shared between real threads.
CONF.set_default("connection", os.environ.get("CAPI_SHIM_DB", "sqlite://"),
                 group="database")
magnum_config.parse_args([], default_config_files=[])
CONF.set_override("cert_manager_type", "x509keypair", group="certificates")
CONF.set_override("transport_url", "fake:/")

from magnum.common import clients  # noqa: E402
from magnum.common import context as magnum_context  # noqa: E402
from magnum.common import rpc  # noqa: E402
from magnum.conductor.handlers import cluster_conductor  # noqa: E402
from magnum.conductor.handlers import nodegroup_conductor  # noqa: E402
from magnum.conductor.handlers.common import trust_manager  # noqa: E402
from magnum.db.sqlalchemy import api as db_api  # noqa: E402
from magnum.db.sqlalchemy import models  # noqa: E402
from magnum.drivers.common import driver as magnum_driver  # noqa: E402
from magnum import objects  # noqa: E402
from magnum.service import periodic  # noqa: E402

from tests.shim import cloud_clients  # noqa: E402
from tests.support import fake_cloud  # noqa: E402

# Which client generation OpenStackClients hands the driver.
CLIENTS = os.environ.get("CAPI_SHIM_CLIENTS", "classic")

if CLIENTS == "sdk":
    # Magnum master has no Keystone trusts: for the driver (which imports
    # trust_manager only where it uses it) the module is gone. Magnum 15's
    # own conductor handlers, which this harness runs, keep the reference
    # they imported above.
    import magnum.conductor.handlers.common as _common  # noqa: E402
    delattr(_common, "trust_manager")
    sys.modules["magnum.conductor.handlers.common.trust_manager"] = None
    # Debian's Heat drivers import trust_manager: disabled, as an operator
    # switching to this driver disables every other one (Magnum loads only
    # the drivers it has not been told to skip).
    from importlib.metadata import entry_points  # noqa: E402
    CONF.set_default(
        "disabled_drivers",
        [e.name for e in entry_points(group="magnum.drivers")
         if e.name != "k8s_capi_bridge_v1"], group="drivers")
# The fake cloud of the current test (patch_openstack makes a new one).
CLOUD = None


def _engine():
    """Magnum's database engine: `get_engine()` up to 19.x, oslo.db's
    enginefacade from 20.0.0 on."""
    get_engine = getattr(db_api, "get_engine", None)
    if get_engine is not None:
        return get_engine()
    from oslo_db.sqlalchemy import enginefacade
    return enginefacade.writer.get_engine()


def _serialize_sqlite(engine):
    """A file database shared by real threads: one connection in use at a
    time (a server database would take them all; sqlite answers "database
    is locked" when two transactions both try to write)."""
    import threading
    from sqlalchemy import event
    lock = threading.RLock()
    event.listen(engine, "checkout", lambda *_: lock.acquire())
    event.listen(engine, "checkin", lambda *_: lock.release())


rpc.init(CONF)
ENGINE = _engine()
if ENGINE.url.database:
    _serialize_sqlite(ENGINE)
models.Base.metadata.create_all(ENGINE)

PROJECT = fake_cloud.PROJECT
USER = fake_cloud.USER
OTHER_USER = fake_cloud.OTHER_USER


def configure_bridge(endpoint, **options):
    """Points the [capi_bridge] options at a bridge (plaintext unless TLS
    options are given)."""
    from magnum_capi_bridge import client
    from magnum_capi_bridge import conf  # registers the group
    client.reset()
    for name in ("tls_ca_file", "tls_cert_file", "tls_key_file",
                 "tls_server_name", "token_file"):
        CONF.clear_override(name, group=conf.GROUP)
    CONF.set_override("endpoint", endpoint, group=conf.GROUP)
    CONF.set_override("insecure", "tls_ca_file" not in options,
                      group=conf.GROUP)
    for name, value in options.items():
        CONF.set_override(name, value, group=conf.GROUP)


def patch_openstack():
    """A fresh fake cloud behind Magnum's OpenStackClients; returns the
    patchers to stop (the cloud stops with them)."""
    global CLOUD
    CLOUD = fake_cloud.FakeCloud().start()
    generation = cloud_clients.GENERATIONS[CLIENTS]

    def open_stack_clients(context):
        return generation(CLOUD, _user_name(context))

    patchers = [
        mock.patch.object(clients, "OpenStackClients", open_stack_clients),
        # Magnum 15 asks Keystone for a trustee and trust on create and
        # deletes them at DELETE_COMPLETE (the fake cloud has no trusts).
        mock.patch.object(trust_manager, "create_trustee_and_trust",
                          _fake_trust),
        mock.patch.object(trust_manager, "delete_trustee_and_trust",
                          _fake_trust_delete),
        _Stop(CLOUD),
    ]
    for p in patchers:
        p.start()
    magnum_driver.Driver.definitions = None
    return patchers


class _Stop:
    """Stops a fake cloud with the patchers."""

    def __init__(self, cloud):
        self.cloud = cloud

    def start(self):
        pass

    def stop(self):
        self.cloud.stop()


def _user_name(context):
    if getattr(context, "is_admin", False):
        return "admin"
    for name, (user_id, _) in fake_cloud.PASSWORDS.items():
        if user_id == context.user_id:
            return name
    raise AssertionError("no such user in the fake cloud: %s" %
                         context.user_id)


TRUSTS_DELETED = []


def _fake_trust(osc, cluster):
    cluster.trust_id = "trust-of-" + cluster.uuid[:8]
    cluster.trustee_user_id = "trustee-of-" + cluster.uuid[:8]


def _fake_trust_delete(osc, context, cluster):
    TRUSTS_DELETED.append(cluster.trust_id)


class Magnum:
    """One project's view of Magnum: objects, handlers and periodic tasks."""

    def __init__(self, user=USER):
        self.context = magnum_context.RequestContext(
            auth_token="token-of-" + user, user_id=user,
            project_id=PROJECT, is_admin=False)
        self.clusters = cluster_conductor.Handler()
        self.nodegroups = nodegroup_conductor.Handler()
        self.tasks = periodic.MagnumPeriodicTasks(CONF)

    def as_user(self, user):
        return Magnum(user)

    def create_template(self, name="k8s", image=fake_cloud.IMAGE_ID,
                        labels=None, **fields):
        template = objects.ClusterTemplate(
            self.context, name=name, image_id=image, coe="kubernetes",
            server_type="vm", cluster_distro="ubuntu", flavor_id="f-medium",
            master_flavor_id="f-medium", external_network_id="public",
            network_driver="calico", keypair_id="ops-key",
            labels=labels if labels is not None else {
                "kube_tag": "v1.33.4", "capi_helm_chart_version": "0.27.0"},
            project_id=PROJECT, user_id=self.context.user_id, public=False,
            master_lb_enabled=True, floating_ip_enabled=True, **fields)
        template.create()
        return template

    def create_cluster(self, template, name="web", masters=1, workers=2,
                       timeout=60, labels=None):
        cluster = objects.Cluster(
            self.context, name=name, cluster_template_id=template.uuid,
            project_id=PROJECT, user_id=self.context.user_id,
            keypair="ops-key", labels=labels or dict(template.labels),
            master_flavor_id=template.master_flavor_id,
            flavor_id=template.flavor_id, create_timeout=timeout,
            master_lb_enabled=True, floating_ip_enabled=True,
            docker_volume_size=None)
        try:
            self.clusters.cluster_create(self.context, cluster, masters,
                                         workers, timeout)
        except Exception:
            pass  # Magnum recorded CREATE_FAILED and the reason
        return self.reload(cluster)

    def reload(self, cluster):
        return objects.Cluster.get_by_uuid(self.context, cluster.uuid)

    def exists(self, cluster):
        try:
            self.reload(cluster)
            return True
        except Exception:
            return False

    def group(self, cluster, name):
        return objects.NodeGroup.get(self.context, cluster.uuid, name)

    def groups(self, cluster):
        return {ng.name: ng for ng in
                objects.NodeGroup.list(self.context, cluster.uuid)}

    def new_group(self, cluster, name, count=1, flavor="f-medium",
                  labels=None, min_count=0, max_count=None):
        ng = objects.NodeGroup(
            self.context, name=name, cluster_id=cluster.uuid,
            project_id=PROJECT, role="worker", node_count=count,
            min_node_count=min_count, max_node_count=max_count,
            flavor_id=flavor, image_id=cluster.cluster_template.image_id,
            labels=labels or dict(cluster.labels), is_default=False)
        return ng

    # ---- Magnum's periodic tasks, as magnum-conductor runs them ----------

    def sync_once(self):
        """One run of Magnum's periodic sync_cluster_status (its looping
        calls are green threads, run by yielding to eventlet)."""
        import eventlet
        self.tasks.sync_cluster_status(self.context)
        eventlet.sleep(0.05)

    def sync_until(self, cluster, wanted, timeout=30.0):
        """Runs the periodic status sync until the cluster's status is in
        `wanted` (or the cluster row is gone, for DELETE_COMPLETE)."""
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            self.sync_once()
            if not self.exists(cluster):
                return "DELETE_COMPLETE"
            status = self.reload(cluster).status
            if status in wanted:
                return status
            time.sleep(0.1)
        raise AssertionError("cluster %s stayed %s, wanted %s" % (
            cluster.name, status, wanted))

    def sync_health(self):
        import eventlet
        self.tasks.sync_cluster_health_status(self.context)
        eventlet.sleep(0.05)
