"""The services of the operator's path, each a real process on loopback,
started and stopped by the test, each logging to its own file under one
directory (kept when a test fails):

- `RabbitMQ`: Debian's rabbitmq-server as a node of its own (own epmd
  port, node name, data directory, AMQP port), oslo.messaging's transport.
- `Keystone`: the release's keystone (sqlite, fernet tokens) served by
  gunicorn, bootstrapped with `keystone-manage` and provisioned through its
  API: the service project and Magnum's service user, a project with a
  member user, and the catalog (Magnum, and the fake cloud's Glance, Nova,
  Cinder and Neutron).
- `Magnum`: magnum-api (the release's WSGI application under gunicorn) and
  magnum-conductor (its console script), one magnum.conf and one sqlite
  database, with the capi-bridge driver found through the build's
  dist-info entry point.

Every wait is for a state (a line, a port answering, an API answering),
bounded only so that a broken service fails the test instead of hanging.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
BIN = os.path.join(VENV, "bin")
WSGI_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "wsgi_server.py")
REGION = "RegionOne"

# Who is who in Keystone (names; Keystone makes the ids).
ADMIN_PASSWORD = "keystone-admin-secret"
MAGNUM_USER, MAGNUM_PASSWORD = "magnum", "magnum-service-secret"
DEMO_PROJECT = "demo"
DEMO_USER, DEMO_PASSWORD = "demo", "demo-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what, timeout, process=None, log=None):
    """Polls `predicate` until it returns something true; fails at once if
    `process` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise RuntimeError("%s: the process exited (%s)%s" % (
                what, process.returncode, tail(log)))
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %s%s" % (
                what, tail(log)))
        time.sleep(0.2)


def tail(path, lines=40):
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return "\n--- last lines of %s ---\n%s" % (
            path, "".join(f.readlines()[-lines:]))


class Background:
    """Runs `start` in a thread; join() re-raises what it raised."""

    def __init__(self, start):
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(start,))
        self.thread.start()

    def _run(self, start):
        try:
            start()
        except BaseException as e:  # handed to join()
            self.error = e

    def join(self):
        self.thread.join()
        if self.error is not None:
            raise self.error


class Process:
    """A child process in a session of its own, its output in `log`,
    killed when the thread that started it ends (the kernel's parent-death
    signal, set by util-linux's setpriv before exec): a test killed by
    ctest's timeout leaves no service behind. Start processes only from
    the thread that lives as long as they should (the test's)."""

    def __init__(self, name, argv, log, env=None):
        self.name = name
        self.log = log
        with open(log, "a") as out:
            self.popen = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", "--"] + list(argv),
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def lines(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_for_line(self, pattern, timeout=120):
        """The first match of `pattern` in the log (the process must stay
        up meanwhile)."""
        return wait_until(lambda: re.search(pattern, self.lines()),
                          "%s to log %r" % (self.name, pattern), timeout,
                          self.popen, self.log)

    def stop(self, grace=30):
        """SIGTERM to the process's group, SIGKILL after `grace`."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever it left in its group
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()


def run(argv, log, env=None, input=None):
    """Runs a setup command to its end, its output appended to `log`."""
    with open(log, "a") as out:
        out.write("$ %s\n" % " ".join(argv))
        out.flush()
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                              env=env, input=input, text=True)
    if done.returncode:
        raise RuntimeError("%s exited %d%s" % (argv[0], done.returncode,
                                               tail(log)))


class RabbitMQ:
    """Debian's RabbitMQ server as a node of its own on loopback."""

    SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self, directory, logs):
        self.dir = os.path.join(directory, "rabbitmq")
        self.logs = logs
        self.processes = []

    def start(self):
        return self.launch().wait()

    def launch(self):
        """Starts the node (from the test's thread: see Process); `wait`
        waits until it takes logins."""
        os.makedirs(self.dir)
        self.port = free_port()
        epmd_port = free_port()
        dist_port = free_port()
        conf_env = os.path.join(self.dir, "rabbitmq-env.conf")
        open(conf_env, "w").close()  # not /etc/rabbitmq's
        plugins = os.path.join(self.dir, "enabled_plugins")
        with open(plugins, "w") as f:
            f.write("[].\n")
        config = os.path.join(self.dir, "rabbitmq.conf")
        with open(config, "w") as f:
            f.write("listeners.tcp.default = 127.0.0.1:%d\n"
                    "disk_free_limit.absolute = 1MB\n" % self.port)
        env = dict(os.environ, HOME=self.dir,
                   ERL_EPMD_PORT=str(epmd_port),
                   ERL_EPMD_ADDRESS="127.0.0.1",
                   RABBITMQ_NODENAME="capi-operator-%d@localhost" %
                   os.getpid(),
                   RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                   RABBITMQ_NODE_PORT=str(self.port),
                   RABBITMQ_DIST_PORT=str(dist_port),
                   RABBITMQ_CONF_ENV_FILE=conf_env,
                   RABBITMQ_CONFIG_FILE=config,
                   RABBITMQ_ENABLED_PLUGINS_FILE=plugins,
                   RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                   RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
                   RABBITMQ_PID_FILE=os.path.join(self.dir, "pid"),
                   RABBITMQ_LOGS="-",
                   # The script execs the Erlang VM instead of waiting on
                   # it as a child (which would outlive a killed script).
                   RUNNING_UNDER_SYSTEMD="true")
        log = os.path.join(self.logs, "rabbitmq.log")
        # The node's own epmd, a child of ours (erl would leave a daemon).
        self.processes.append(Process(
            "epmd", ["epmd", "-port", str(epmd_port), "-address",
                     "127.0.0.1"], os.path.join(self.logs, "epmd.log"),
            env))
        self.processes.append(Process("rabbitmq-server", [self.SERVER], log,
                                      env))
        return self

    def wait(self):
        server = self.processes[-1]
        wait_until(self._answers, "RabbitMQ to accept a login", 180,
                   server.popen, server.log)
        return self

    @property
    def transport_url(self):
        return "rabbit://guest:guest@127.0.0.1:%d/" % self.port

    def _answers(self):
        import amqp
        connection = amqp.Connection(host="127.0.0.1:%d" % self.port,
                                     userid="guest", password="guest",
                                     connect_timeout=2)
        try:
            connection.connect()
            return True
        except Exception:
            return False
        finally:
            try:
                connection.collect()
            except Exception:
                pass

    def stop(self):
        for process in reversed(self.processes):
            process.stop(grace=60)


class Keystone:
    """The release's Keystone on loopback, sqlite for identity."""

    def __init__(self, directory, logs):
        self.dir = os.path.join(directory, "keystone")
        self.logs = logs
        self.log = os.path.join(logs, "keystone.log")
        self.process = None

    def start(self):
        os.makedirs(self.dir)
        self.conf = os.path.join(self.dir, "keystone.conf")
        with open(self.conf, "w") as f:
            f.write("[DEFAULT]\nuse_stderr = true\n"
                    "[database]\nconnection = sqlite:///%s\n"
                    "[fernet_tokens]\nkey_repository = %s\n"
                    "[fernet_receipts]\nkey_repository = %s\n"
                    "[credential]\nkey_repository = %s\n" % (
                        os.path.join(self.dir, "keystone.sqlite"),
                        os.path.join(self.dir, "fernet-keys"),
                        os.path.join(self.dir, "fernet-keys"),
                        os.path.join(self.dir, "credential-keys")))
        manage = [os.path.join(BIN, "keystone-manage"), "--config-file",
                  self.conf]
        setup_log = os.path.join(self.logs, "keystone-manage.log")
        user = ["--keystone-user", str(os.getuid()),
                "--keystone-group", str(os.getgid())]
        run(manage + ["db_sync"], setup_log)
        run(manage + ["fernet_setup"] + user, setup_log)
        run(manage + ["credential_setup"] + user, setup_log)
        self.process = Process(
            "keystone", [sys.executable, WSGI_SERVER, "keystone",
                         "keystone.wsgi.api:application"], self.log,
            dict(os.environ, OS_KEYSTONE_CONFIG_FILES=self.conf))
        self.url = self.process.wait_for_line(
            r"listening on (http://\S+)").group(1)
        self.auth_url = self.url + "/v3"
        run(manage + ["bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
                      "--bootstrap-region-id", REGION,
                      "--bootstrap-admin-url", self.auth_url,
                      "--bootstrap-internal-url", self.auth_url,
                      "--bootstrap-public-url", self.auth_url], setup_log)
        wait_until(self._answers, "Keystone to issue a token", 120,
                   self.process.popen, self.log)
        return self

    def connection(self, user="admin", password=ADMIN_PASSWORD,
                   project="admin"):
        import openstack
        return openstack.connect(
            auth_url=self.auth_url, username=user, password=password,
            project_name=project, user_domain_id="default",
            project_domain_id="default", region_name=REGION,
            identity_interface="public")

    def _answers(self):
        try:
            self.connection().authorize()
            return True
        except Exception:
            return False

    def provision(self, cloud):
        """The service project and Magnum's user (admin there, as a
        deployment makes it), the demo project and its member, and the
        fake cloud's services in the catalog."""
        conn = self.connection()
        identity = conn.identity
        roles = {r.name: r for r in identity.roles()}
        for name in ("member", "reader"):
            if name not in roles:
                roles[name] = identity.create_role(name=name)
        service_project = identity.create_project(
            name="service", domain_id="default")
        magnum = identity.create_user(name=MAGNUM_USER,
                                      password=MAGNUM_PASSWORD,
                                      domain_id="default")
        identity.assign_project_role_to_user(service_project, magnum,
                                             roles["admin"])
        demo_project = identity.create_project(name=DEMO_PROJECT,
                                               domain_id="default")
        demo = identity.create_user(name=DEMO_USER, password=DEMO_PASSWORD,
                                    domain_id="default")
        for role in ("member", "reader"):
            identity.assign_project_role_to_user(demo_project, demo,
                                                 roles[role])
        self.demo_project_id = demo_project.id
        self.demo_user_id = demo.id
        for kind, name, url in cloud.services():
            self.register(kind, name, url)
        return self

    def register(self, kind, name, url):
        """A service and its public, internal and admin endpoints."""
        identity = self.connection().identity
        service = identity.create_service(type=kind, name=name)
        for interface in ("public", "internal", "admin"):
            identity.create_endpoint(service_id=service.id,
                                     interface=interface, url=url,
                                     region_id=REGION)

    def stop(self):
        if self.process:
            self.process.stop()


class Magnum:
    """magnum-api and magnum-conductor of the release, one magnum.conf."""

    def __init__(self, directory, logs, keystone, transport_url,
                 bridge_address):
        self.dir = os.path.join(directory, "magnum")
        self.logs = logs
        self.keystone = keystone
        self.transport_url = transport_url
        self.bridge_address = bridge_address
        self.api = self.conductor = None

    def _conf(self):
        ks = self.keystone
        service_user = ("auth_type = password\nauth_url = %s\n"
                        "username = %s\npassword = %s\n"
                        "project_name = service\n"
                        "user_domain_id = default\n"
                        "project_domain_id = default\n" % (
                            ks.auth_url, MAGNUM_USER, MAGNUM_PASSWORD))
        return (
            "[DEFAULT]\ndebug = true\nuse_stderr = true\n"
            "host = operator-test\ntransport_url = %(transport)s\n"
            "periodic_interval_max = 1\ngraceful_shutdown_timeout = 5\n"
            "[api]\napi_paste_config = %(paste)s\n"
            "[database]\nconnection = sqlite:///%(db)s\n"
            "[keystone_authtoken]\nwww_authenticate_uri = %(auth_url)s\n"
            "%(service_user)s"
            "[keystone_auth]\n%(service_user)s"
            "[certificates]\ncert_manager_type = x509keypair\n"
            "[cinder_client]\nregion_name = %(region)s\n"
            "[kubernetes]\nhealth_polling_interval = 2\n"
            "[oslo_concurrency]\nlock_path = %(locks)s\n"
            "[oslo_messaging_notifications]\ndriver = noop\n"
            "[capi_bridge]\nendpoint = %(bridge)s\ninsecure = true\n"
            "call_timeout = 120\nsync_call_timeout = 60\n"
            "status_timeout = 20\n" % {
                "transport": self.transport_url,
                "paste": os.path.join(VENV, "etc", "magnum",
                                      "api-paste.ini"),
                "db": os.path.join(self.dir, "magnum.sqlite"),
                "auth_url": ks.auth_url, "service_user": service_user,
                "region": REGION, "locks": os.path.join(self.dir, "locks"),
                "bridge": self.bridge_address})

    def env(self):
        """The services' environment: the driver's sources, the build's
        stubs and its dist-info (the `magnum.drivers` entry point)."""
        path = [os.path.join(BUILD, "python"),
                os.path.join(ROOT, "driver_shim")]
        return dict(os.environ, PYTHONPATH=os.pathsep.join(path),
                    PYTHONDONTWRITEBYTECODE="1")

    def start(self):
        os.makedirs(os.path.join(self.dir, "locks"))
        self.conf = os.path.join(self.dir, "magnum.conf")
        with open(self.conf, "w") as f:
            f.write(self._conf())
        env = self.env()
        self._create_schema(env)
        self.conductor = Process(
            "magnum-conductor", [os.path.join(BIN, "magnum-conductor"),
                                 "--config-file", self.conf],
            os.path.join(self.logs, "magnum-conductor.log"), env)
        self.api = Process(
            "magnum-api", [sys.executable, WSGI_SERVER, "magnum-api",
                           "magnum.wsgi.api:application", "--config-file",
                           self.conf],
            os.path.join(self.logs, "magnum-api.log"), env)
        self.url = self.api.wait_for_line(
            r"listening on (http://\S+)").group(1)
        self.keystone.register("container-infra", "magnum",
                               self.url + "/v1")
        wait_until(self._answers, "magnum-api to answer", 120,
                   self.api.popen, self.api.log)
        return self

    def _create_schema(self, env):
        """Magnum's tables from its models, stamped at the newest
        migration (its migrations ALTER constraints, which sqlite cannot;
        Magnum's own tests make sqlite databases this way)."""
        import sqlalchemy
        from magnum.db.sqlalchemy import models
        engine = sqlalchemy.create_engine(
            "sqlite:///" + os.path.join(self.dir, "magnum.sqlite"))
        models.Base.metadata.create_all(engine)
        engine.dispose()
        run([os.path.join(BIN, "magnum-db-manage"), "--config-file",
             self.conf, "stamp", "head"],
            os.path.join(self.logs, "magnum-db-manage.log"), env)

    def _answers(self):
        import urllib.request
        try:
            with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                return r.status == 200
        except Exception:
            return False

    def stop(self):
        for process in (self.api, self.conductor):
            if process:
                process.stop()
