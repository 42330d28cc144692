"""The kolla/kayobe role (driver_shim/kolla), run with Debian's ansible
against a temporary kayobe configuration tree: the files it writes, that
they load as kolla-ansible and the shim read them, idempotence, refusal of
bad input, and that switching it off restores the operator's files."""

import configparser
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import jinja2
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, "driver_shim", "kolla", "magnum-capi-bridge.yml")
ANSIBLE = shutil.which("ansible-playbook") or "/usr/bin/ansible-playbook"

MAGNUM_CONF = textwrap.dedent("""\
    [DEFAULT]
    debug = True

    [drivers]
    verify_ca = false
    """)
GLOBALS = "kolla_base_distro: ubuntu\nenable_magnum: true\n"
KOLLA_YML = "kolla_openstack_release: \"2025.1\"\n"
KUBECONFIG = textwrap.dedent("""\
    apiVersion: v1
    kind: Config
    clusters:
      - name: mgmt
        cluster:
          server: https://mgmt.example.com:6443
          insecure-skip-tls-verify: true
    users:
      - name: magnum
        user:
          token: kubeconfig-token-for-tests
    contexts:
      - name: mgmt
        context: {cluster: mgmt, user: magnum}
    current-context: mgmt
    """)
BUILD = os.environ.get("CAPI_BRIDGE_BUILD_DIR", os.path.join(ROOT, "build"))
SERVER = os.path.join(BUILD, "server", "capi-bridge-server")
HELM = os.environ.get("CAPI_BRIDGE_HELM",
                      os.path.join(ROOT, ".tools", "bin", "helm"))


class KollaRoleTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="kayobe-")
        self.addCleanup(self.tmp.cleanup)
        self.kayobe = os.path.join(self.tmp.name, "etc", "kayobe")
        self.kolla_config = os.path.join(self.kayobe, "kolla", "config")
        tls = os.path.join(self.kolla_config, "magnum", "capi-bridge")
        os.makedirs(tls)
        self.write(os.path.join(self.kolla_config, "magnum.conf"),
                   MAGNUM_CONF)
        self.write(os.path.join(self.kayobe, "kolla", "globals.yml"),
                   GLOBALS)
        self.write(os.path.join(self.kayobe, "kolla.yml"), KOLLA_YML)
        for name in ("ca.crt", "tls.crt", "tls.key"):
            self.write(os.path.join(tls, name), "PEM of %s\n" % name)
        self.host_dir = os.path.join(self.tmp.name, "host",
                                     "magnum-capi-bridge")
        self.local_dir = os.path.join(self.tmp.name, "host", "capi-bridge")
        self.local_cache = os.path.join(self.tmp.name, "host", "cache")
        self.systemd_dir = os.path.join(self.tmp.name, "host", "systemd")
        os.makedirs(self.systemd_dir)
        self.inventory = os.path.join(self.tmp.name, "hosts")
        self.write(self.inventory,
                   "[controllers]\nlocalhost ansible_connection=local "
                   "ansible_python_interpreter=/usr/bin/python3\n")

    @staticmethod
    def write(path, text):
        with open(path, "w") as f:
            f.write(text)

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def run_role(self, enabled, **extra):
        variables = {
            "magnum_capi_helm_driver_enabled": enabled,
            "magnum_capi_bridge_kayobe_config_path": self.kayobe,
            "magnum_capi_bridge_endpoint": "capi-bridge.mgmt.example:50051",
            "magnum_capi_bridge_host_tls_dir": self.host_dir,
            "magnum_capi_bridge_tls_owner": str(os.getuid()),
            "magnum_capi_bridge_tls_group": str(os.getgid()),
            "magnum_capi_bridge_become": False,
            # A local bridge's files go to the temporary tree too, and no
            # unit is started here.
            "magnum_capi_bridge_local_dir": self.local_dir,
            "magnum_capi_bridge_local_cache_dir": self.local_cache,
            "magnum_capi_bridge_systemd_dir": self.systemd_dir,
            "magnum_capi_bridge_local_owner": str(os.getuid()),
            "magnum_capi_bridge_local_group": str(os.getgid()),
            "magnum_capi_bridge_manage_service": False,
        }
        variables.update(extra)
        extra_vars = os.path.join(self.tmp.name, "vars.yml")
        self.write(extra_vars, yaml.safe_dump(variables))
        env = dict(os.environ, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.tmp.name, "tmp"),
                   ANSIBLE_HOME=os.path.join(self.tmp.name, "ansible"),
                   ANSIBLE_RETRY_FILES_ENABLED="0")
        return subprocess.run(
            [ANSIBLE, "-i", self.inventory, PLAYBOOK, "-e", "@" + extra_vars],
            capture_output=True, text=True, env=env, timeout=300)

    def assert_ran(self, result):
        self.assertEqual(0, result.returncode,
                         result.stdout[-4000:] + result.stderr[-2000:])

    def magnum_conf(self):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.kolla_config, "magnum.conf"))
        return parser

    def test_enable_writes_what_kolla_and_the_shim_read(self):
        self.assert_ran(self.run_role(True))

        conf = self.magnum_conf()
        self.assertEqual("True", conf["DEFAULT"]["debug"])
        self.assertEqual("false", conf["drivers"]["verify_ca"])
        self.assertEqual(
            "k8s_capi_helm_v1,k8s_cluster_api_ubuntu,"
            "k8s_cluster_api_ubuntu_focal,k8s_cluster_api_debian,"
            "k8s_cluster_api_flatcar,k8s_cluster_api_rockylinux",
            conf["drivers"]["disabled_drivers"])
        section = conf["capi_bridge"]
        self.assertEqual("capi-bridge.mgmt.example:50051",
                         section["endpoint"])
        self.assertEqual("/etc/magnum/capi-bridge/tls.key",
                         section["tls_key_file"])

        # oslo.config reads the fragment with the shim's own options.
        import sys
        sys.path.insert(0, os.path.join(ROOT, "driver_shim"))
        from oslo_config import cfg
        from magnum_capi_bridge import conf as shim_conf
        opts = cfg.ConfigOpts()
        shim_conf.register_opts(opts)
        opts(args=[], default_config_files=[
            os.path.join(self.kolla_config, "magnum.conf")])
        self.assertEqual("capi-bridge.mgmt.example:50051",
                         opts.capi_bridge.endpoint)
        self.assertEqual(20, opts.capi_bridge.sync_call_timeout)
        self.assertEqual("/etc/magnum/capi-bridge/ca.crt",
                         opts.capi_bridge.tls_ca_file)

        # kolla-ansible: the TLS directory mounted read-only into the
        # conductor, the operator's globals kept.
        globals_yml = yaml.safe_load(self.read(
            os.path.join(self.kayobe, "kolla", "globals.yml")))
        self.assertEqual("ubuntu", globals_yml["kolla_base_distro"])
        self.assertEqual(
            "{{ magnum_extra_volumes + ['%s:/etc/magnum/capi-bridge:ro'] }}"
            % self.host_dir, globals_yml["magnum_conductor_extra_volumes"])

        # The image build: kayobe evaluates the value (the raw block keeps
        # kolla's macros for kolla), kolla renders the rest.
        kolla_yml = yaml.safe_load(self.read(
            os.path.join(self.kayobe, "kolla.yml")))
        self.assertEqual("2025.1", kolla_yml["kolla_openstack_release"])
        footer = jinja2.Template(
            kolla_yml["kolla_build_blocks"]["magnum_base_footer"]).render()
        self.assertIn("{% set magnum_capi_bridge_packages = "
                      "['magnum-capi-bridge==0.1.0'] %}", footer)
        self.assertIn('RUN {{ macros.install_pip(magnum_capi_bridge_packages '
                      '| customizable("pip_packages")) }}', footer)
        self.assertEqual(["magnum-cluster-api"], kolla_yml[
            "kolla_build_customizations"]["magnum_base_pip_packages_remove"])

        # TLS material on the controller, the key private.
        for name, mode in (("ca.crt", 0o644), ("tls.crt", 0o644),
                           ("tls.key", 0o600)):
            path = os.path.join(self.host_dir, name)
            self.assertEqual("PEM of %s\n" % name, self.read(path))
            self.assertEqual(mode, os.stat(path).st_mode & 0o777, name)

        # A second run changes nothing.
        again = self.run_role(True)
        self.assert_ran(again)
        self.assertRegex(again.stdout, r"localhost\s+: ok=\d+\s+changed=0 ")

    def test_token_and_token_only_bridges(self):
        tls = os.path.join(self.kolla_config, "magnum", "capi-bridge")
        self.write(os.path.join(tls, "token"), "s3cr3t-token-0123456789\n")
        result = self.run_role(True)
        self.assert_ran(result)
        self.assertNotIn("s3cr3t-token", result.stdout + result.stderr)
        section = self.magnum_conf()["capi_bridge"]
        self.assertEqual("/etc/magnum/capi-bridge/token",
                         section["token_file"])
        token = os.path.join(self.host_dir, "token")
        self.assertEqual("s3cr3t-token-0123456789\n", self.read(token))
        self.assertEqual(0o600, os.stat(token).st_mode & 0o777)

        # A bridge without mutual TLS: no client certificate to send.
        os.remove(os.path.join(tls, "tls.crt"))
        os.remove(os.path.join(tls, "tls.key"))
        self.assert_ran(self.run_role(True))
        section = self.magnum_conf()["capi_bridge"]
        self.assertNotIn("tls_cert_file", section)
        self.assertNotIn("tls_key_file", section)
        self.assertEqual("/etc/magnum/capi-bridge/ca.crt",
                         section["tls_ca_file"])
        self.assertFalse(os.path.exists(os.path.join(self.host_dir,
                                                     "tls.key")))

    def test_the_shim_from_the_wheel_make_builds(self):
        wheels = os.path.join(self.tmp.name, "dist")
        os.makedirs(wheels)
        self.write(os.path.join(
            wheels, "magnum_capi_bridge-0.1.0-py3-none-any.whl"), "zip")
        self.assert_ran(self.run_role(
            True, magnum_capi_bridge_wheel_dir=wheels))
        kolla_yml = yaml.safe_load(self.read(
            os.path.join(self.kayobe, "kolla.yml")))
        # kolla copies the directory into the build as
        # additions/<its name>/ (its "additions" sources).
        self.assertEqual({"type": "local", "location": wheels},
                         kolla_yml["kolla_sources"][
                             "magnum-base-additions-capi-bridge"])
        footer = jinja2.Template(
            kolla_yml["kolla_build_blocks"]["magnum_base_footer"]).render()
        self.assertIn("ADD additions-archive /", footer)
        self.assertIn("['/additions/dist/magnum_capi_bridge-0.1.0-py3-none-"
                      "any.whl']", footer)

        # Two wheels (or none): refused, naming the make target.
        self.write(os.path.join(
            wheels, "magnum_capi_bridge-0.2.0-py3-none-any.whl"), "zip")
        refused = self.run_role(True, magnum_capi_bridge_wheel_dir=wheels)
        self.assertNotEqual(0, refused.returncode)
        self.assertIn("make shim-wheel", refused.stdout)

    def test_the_kayobe_kubeconfig_runs_the_bridge_on_the_controllers(self):
        # What kayobe operators already do for a CAPI driver: the
        # management cluster's kubeconfig in kolla/config/magnum.
        kubeconfig = KUBECONFIG
        self.write(os.path.join(self.kolla_config, "magnum", "kubeconfig"),
                   kubeconfig)
        image = "registry.example.com/capi-bridge:0.1.0"
        result = self.run_role(True, magnum_capi_bridge_endpoint="",
                               magnum_capi_bridge_image=image)
        self.assert_ran(result)

        # The conductor talks to the bridge on loopback with the token the
        # role made; no TLS material is needed.
        section = self.magnum_conf()["capi_bridge"]
        self.assertEqual("127.0.0.1:50051", section["endpoint"])
        self.assertEqual("true", section["insecure"])
        self.assertEqual("/etc/magnum/capi-bridge/token",
                         section["token_file"])
        self.assertNotIn("tls_ca_file", section)
        self.assertNotIn("tls_cert_file", section)
        token = self.read(os.path.join(self.host_dir, "token"))
        self.assertRegex(token, r"^[A-Za-z0-9]{48}\n$")
        self.assertNotIn(token.strip(), result.stdout)
        self.assertEqual(token, self.read(os.path.join(self.local_dir,
                                                       "token")))
        for name in ("token", "kubeconfig"):
            self.assertEqual(0o600, os.stat(os.path.join(
                self.local_dir, name)).st_mode & 0o777, name)
        self.assertEqual(kubeconfig, self.read(
            os.path.join(self.local_dir, "kubeconfig")))

        # The bridge's config: loopback, the token, the kubeconfig; the
        # real server accepts it (paths moved from the container's to the
        # host's for the check).
        config_text = self.read(os.path.join(self.local_dir, "bridge.yaml"))
        config = yaml.safe_load(config_text)
        self.assertEqual("127.0.0.1:50051", config["listen"])
        self.assertIs(True, config["insecure"])
        self.assertEqual("/etc/capi-bridge/kubeconfig",
                         config["management"]["kubeconfig"])
        host_config = os.path.join(self.tmp.name, "check.yaml")
        self.write(host_config, config_text.replace(
            "/etc/capi-bridge", self.local_dir).replace(
            "/var/cache/capi-bridge", self.local_cache))
        checked = subprocess.run(
            [SERVER, "--config", host_config, "--check-config"],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PATH=os.path.dirname(HELM) + ":" +
                     os.environ.get("PATH", "")))
        self.assertEqual(0, checked.returncode, checked.stderr)

        # The unit runs the image with those files and stops it gracefully.
        unit = self.read(os.path.join(self.systemd_dir,
                                      "capi-bridge.service"))
        self.assertIn("run --rm --name capi_bridge --network host", unit)
        self.assertIn("--volume %s:/etc/capi-bridge:ro" % self.local_dir,
                      unit)
        self.assertIn("%s --config /etc/capi-bridge/bridge.yaml" % image,
                      unit)
        self.assertIn("stop --time 40 capi_bridge", unit)
        self.assertIn("TimeoutStopSec=50", unit)

        # Idempotent, the same token on every run.
        again = self.run_role(True, magnum_capi_bridge_endpoint="",
                              magnum_capi_bridge_image=image)
        self.assert_ran(again)
        self.assertRegex(again.stdout, r"localhost\s+: ok=\d+\s+changed=0 ")

        # Off: the unit, the bridge's files and the token go.
        self.assert_ran(self.run_role(False, magnum_capi_bridge_endpoint=""))
        self.assertFalse(os.path.exists(os.path.join(
            self.systemd_dir, "capi-bridge.service")))
        self.assertFalse(os.path.exists(self.local_dir))
        self.assertFalse(os.path.exists(os.path.join(
            self.kolla_config, "magnum", "capi-bridge", "local-bridge-token")))
        self.assertNotIn("capi_bridge", self.magnum_conf())

    def test_a_local_bridge_needs_its_image(self):
        self.write(os.path.join(self.kolla_config, "magnum", "kubeconfig"),
                   KUBECONFIG)
        result = self.run_role(True, magnum_capi_bridge_endpoint="")
        self.assertNotEqual(0, result.returncode)
        self.assertIn("magnum_capi_bridge_image is empty", result.stdout)
        self.assertEqual(MAGNUM_CONF, self.read(
            os.path.join(self.kolla_config, "magnum.conf")))

    def test_disable_restores_the_operators_files(self):
        self.assert_ran(self.run_role(True))
        self.assert_ran(self.run_role(False))
        conf = self.magnum_conf()
        self.assertNotIn("capi_bridge", conf)
        self.assertNotIn("disabled_drivers", conf["drivers"])
        self.assertEqual("false", conf["drivers"]["verify_ca"])
        self.assertEqual(GLOBALS, self.read(
            os.path.join(self.kayobe, "kolla", "globals.yml")))
        self.assertEqual(KOLLA_YML, self.read(
            os.path.join(self.kayobe, "kolla.yml")))
        self.assertFalse(os.path.exists(self.host_dir))

    def test_disabled_on_a_tree_never_enabled_changes_nothing(self):
        self.assert_ran(self.run_role(False))
        self.assertEqual(MAGNUM_CONF, self.read(
            os.path.join(self.kolla_config, "magnum.conf")))
        self.assertEqual(KOLLA_YML, self.read(
            os.path.join(self.kayobe, "kolla.yml")))

    def test_bad_endpoint_is_named_and_nothing_written(self):
        result = self.run_role(True, magnum_capi_bridge_endpoint="https://x")
        self.assertNotEqual(0, result.returncode)
        self.assertIn('magnum_capi_bridge_endpoint is \\"https://x\\"',
                      result.stdout)
        self.assertIn("host:port", result.stdout)
        self.assertEqual(MAGNUM_CONF, self.read(
            os.path.join(self.kolla_config, "magnum.conf")))

    def test_missing_key_is_named(self):
        os.remove(os.path.join(self.kolla_config, "magnum", "capi-bridge",
                               "tls.key"))
        result = self.run_role(True)
        self.assertNotEqual(0, result.returncode)
        self.assertIn("capi-bridge/tls.key is missing", result.stdout)
        self.assertEqual(MAGNUM_CONF, self.read(
            os.path.join(self.kolla_config, "magnum.conf")))

    def test_existing_build_blocks_are_not_shadowed(self):
        self.write(os.path.join(self.kayobe, "kolla.yml"),
                   "kolla_build_blocks:\n  base_footer: RUN true\n")
        result = self.run_role(True)
        self.assertNotEqual(0, result.returncode)
        self.assertIn("already defines kolla_build_blocks", result.stdout)


if __name__ == "__main__":
    unittest.main()
