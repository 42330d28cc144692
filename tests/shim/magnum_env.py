"""A Magnum release in-process for the shim's tests: Debian's
python3-magnum (15.0.1) under /usr/bin/python3, or the release of the venv
whose interpreter runs the tests (tests/support/magnum_releases: 2024.1 to
2026.2 from PyPI). In-memory sqlite (a file where the release runs its
periodic jobs in OS threads), x509keypair certificates in the DB,
notifications on the fake transport, the shim registered through its
dist-info entry point, and OpenStack a loopback fake cloud
(`tests/support/fake_cloud`) reached through the release's own
`OpenStackClients`: python-*clients or openstacksdk proxies, whichever the
release builds. Magnum's own loader, conductor handlers and periodic tasks
drive the driver.

Everything that differs between releases is told by its shape, never by a
version number: Keystone trusts where `trust_manager` exists, the periodic
jobs' concurrency from the looping call oslo.service gives the release.

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
# Bound on the waits for a state: a healthy run reaches each in seconds; a
# loaded 2-core CI machine running other suites beside may take minutes.
SETTLE = 300.0

# The shim's sources and the build's generated stubs + dist-info.
sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(ROOT, "driver_shim"))
sys.path.insert(0, ROOT)
# stevedore caches entry points keyed on sys.path mtimes: a private cache.
_CACHE = tempfile.TemporaryDirectory(prefix="shim-entrypoints-")
os.environ["XDG_CACHE_HOME"] = _CACHE.name

import magnum  # noqa: E402,F401  (picks the release's oslo.service backend)
import magnum.conf  # noqa: E402
from magnum.common import config as magnum_config  # noqa: E402
from oslo_service import loopingcall  # noqa: E402


def _green_looping_calls():
    """True when the release's periodic jobs run as eventlet green threads
    (oslo.service's eventlet looping call), False for OS threads."""
    module = sys.modules[loopingcall.FixedIntervalLoopingCall.__module__]
    return any(getattr(value, "__name__", "").startswith("eventlet")
               for value in vars(module).values())


# The release's own concurrency model for its periodic jobs.
GREEN = _green_looping_calls()
THREADED = not GREEN

CONF = magnum.conf.CONF
# In memory unless the rows are shared between real threads (in-memory
# sqlite is one database per thread).
_DB = os.environ.get("CAPI_SHIM_DB")
if not _DB and THREADED:
    _DB_DIR = tempfile.TemporaryDirectory(prefix="shim-db-")
    _DB = "sqlite:///" + os.path.join(_DB_DIR.name, "magnum.sqlite")
CONF.set_default("connection", _DB or "sqlite://", group="database")
magnum_config.parse_args([], default_config_files=[])
CONF.set_override("cert_manager_type", "x509keypair", group="certificates")
CONF.set_override("transport_url", "fake:/")

from magnum.common import context as magnum_context  # noqa: E402
from magnum.common import rpc  # noqa: E402
from magnum.conductor.handlers import cluster_conductor  # noqa: E402
from magnum.conductor.handlers import nodegroup_conductor  # noqa: E402
try:  # Keystone trusts: every release up to 2026.1
    from magnum.conductor.handlers.common import trust_manager  # noqa: E402
except ImportError:
    trust_manager = None
from magnum.db.sqlalchemy import api as db_api  # noqa: E402
from magnum.db.sqlalchemy import models  # noqa: E402
from magnum.drivers.common import driver as magnum_driver  # noqa: E402
from magnum import objects  # noqa: E402
from magnum.service import periodic  # noqa: E402

from tests.support import fake_cloud  # noqa: E402

from keystoneauth1 import loading as ka_loading  # noqa: E402

# Magnum creates a Keystone trust per cluster and deletes it (the conductor
# before 18.0.0 through the driver, later its status sync) where it has
# trusts, and the driver sees them.
TRUSTS = trust_manager is not None
# The fake cloud of the current test (patch_openstack makes a new one).
CLOUD = None
# Magnum's service user ([keystone_auth], what an admin context uses):
# password options registered now so that they can be set per cloud.
CONF.register_opts(ka_loading.get_auth_plugin_conf_options("password"),
                   group="keystone_auth")


def _engine():
    """Magnum's database engine: its `get_engine()` where it has one
    (Debian's 15.0.1), oslo.db's enginefacade, as Magnum's own migrations
    use it, where not (18.0.1 on)."""
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


def _point_magnum_at(cloud):
    """magnum.conf as an operator writes it for `cloud`: Keystone for the
    users' tokens ([keystone_authtoken]), the service user for admin
    contexts ([keystone_auth]), the region Cinder is in."""
    if "keystone_authtoken" in CONF:  # Keystone's URL up to 2026.1
        CONF.set_override("www_authenticate_uri", cloud.auth_url,
                          group="keystone_authtoken")
    _, password = fake_cloud.PASSWORDS["admin"]
    for name, value in (("auth_type", "password"),
                        ("auth_url", cloud.auth_url),
                        ("username", "admin"), ("password", password),
                        ("project_id", fake_cloud.PROJECT),
                        ("user_domain_id", "default")):
        CONF.set_override(name, value, group="keystone_auth")
    CONF.set_override("region_name", fake_cloud.REGION,
                      group="cinder_client")
    if "trust" in CONF:
        # Magnum's DB layer asks for the trustee domain's id (every
        # release with trusts).
        user, password = fake_cloud.PASSWORDS["trustee_domain_admin"]
        for name, value in (("trustee_domain_id", fake_cloud.TRUSTEE_DOMAIN),
                            ("trustee_domain_admin_id", user),
                            ("trustee_domain_admin_password", password)):
            CONF.set_override(name, value, group="trust")


def patch_openstack():
    """A fresh fake cloud behind Magnum's OpenStackClients; returns the
    patchers to stop (the cloud stops with them)."""
    global CLOUD
    CLOUD = fake_cloud.FakeCloud().start()
    _point_magnum_at(CLOUD)
    patchers = [_Stop(CLOUD)]
    if trust_manager is not None:
        # Magnum asks Keystone for a trustee and trust on create and
        # deletes them at DELETE_COMPLETE (the fake cloud has no trusts).
        patchers += [
            mock.patch.object(trust_manager, "create_trustee_and_trust",
                              _fake_trust),
            mock.patch.object(trust_manager, "delete_trustee_and_trust",
                              _fake_trust_delete)]
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
            auth_token=fake_cloud.user_token(user), user_id=user,
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

    def _start(self, task):
        """Runs one of Magnum's periodic tasks; returns the looping calls it
        started (green threads where the release runs eventlet, OS threads
        where it does not), still running."""
        started = []
        real = periodic.loopingcall.FixedIntervalLoopingCall

        def recorded(*args, **kwargs):
            call = real(*args, **kwargs)
            started.append(call)
            return call

        with mock.patch.object(periodic.loopingcall,
                               "FixedIntervalLoopingCall", recorded):
            task(self.context)
        return started

    @staticmethod
    def wait(calls):
        """Waits for looping calls to end (under eventlet, waiting lets the
        hub run them)."""
        for call in calls:
            try:
                call.wait()
            except Exception:
                pass  # logged by Magnum; the rows say what happened

    def _run(self, task):
        self.wait(self._start(task))

    def start_sync(self):
        """Starts one run of Magnum's periodic sync_cluster_status, as the
        conductor does every period, without waiting for its jobs; returns
        them for `wait`."""
        return self._start(self.tasks.sync_cluster_status)

    def sync_once(self):
        """One run of Magnum's periodic sync_cluster_status, its per-cluster
        jobs run to their end."""
        self._run(self.tasks.sync_cluster_status)

    def sync_until(self, cluster, wanted, timeout=None):
        """Runs the periodic status sync until the cluster's status is in
        `wanted` (or the cluster row is gone, for DELETE_COMPLETE);
        `timeout` (default SETTLE) only bounds a test that would hang."""
        timeout = SETTLE if timeout is None else timeout
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
        """One run of Magnum's periodic sync_cluster_health_status."""
        self._run(self.tasks.sync_cluster_health_status)


def count_status_syncs(test):
    """Wraps the driver's update_cluster_status for the duration of
    `test`; returns the list each finished status sync appends its
    cluster's uuid to (whether the sync worked or not)."""
    from magnum_capi_bridge import driver as shim_driver
    finished = []
    real = shim_driver.Driver.update_cluster_status

    def counted(driver, *args, **kwargs):
        try:
            return real(driver, *args, **kwargs)
        finally:
            finished.append(args[1].uuid)

    patcher = mock.patch.object(shim_driver.Driver, "update_cluster_status",
                                counted)
    patcher.start()
    test.addCleanup(patcher.stop)
    return finished


def pause(seconds):
    """Sleeps the way the release's periodic jobs do: yielding to the hub
    under eventlet, an OS thread's sleep where the jobs are threads."""
    if GREEN:
        import eventlet
        eventlet.sleep(seconds)
    else:
        time.sleep(seconds)


def wait_for(predicate, what, timeout=None):
    """Lets Magnum's periodic jobs run (under eventlet, by yielding to its
    hub) until `predicate()` holds; `timeout` only bounds a test that
    would otherwise hang (default SETTLE)."""
    deadline = time.monotonic() + (SETTLE if timeout is None else timeout)
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        pause(0.01)
