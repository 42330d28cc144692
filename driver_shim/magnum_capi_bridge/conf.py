"""Options of the `[capi_bridge]` group in magnum.conf.

Registered on import (Magnum's CONF is oslo.config's global CONF) and listed
for oslo-config-generator through the `oslo.config.opts` entry point
`capi_bridge = magnum_capi_bridge.conf:list_opts`.
"""

from oslo_config import cfg

GROUP = "capi_bridge"

capi_bridge_group = cfg.OptGroup(
    name=GROUP, title="Options for the capi-bridge Magnum driver",
    help="How magnum-conductor reaches the capi-bridge service, which "
         "renders and applies the Cluster API resources of each cluster.")

opts = [
    cfg.StrOpt(
        "endpoint", default="",
        help="Address of the bridge's gRPC service: host:port, or "
             "unix:/path/to.sock. Required."),
    cfg.BoolOpt(
        "insecure", default=False,
        help="Talk plaintext to the bridge, without TLS. Only for a bridge "
             "on loopback or a unix socket; never across a network."),
    cfg.StrOpt(
        "tls_ca_file", default="/etc/magnum/capi-bridge/ca.crt",
        help="PEM CA bundle that signed the bridge's server certificate. "
             "gRPC does not read the system trust store."),
    cfg.StrOpt(
        "tls_cert_file", default="/etc/magnum/capi-bridge/tls.crt",
        help="PEM client certificate presented to the bridge (mTLS). Used "
             "when the file exists."),
    cfg.StrOpt(
        "tls_key_file", default="/etc/magnum/capi-bridge/tls.key",
        help="PEM private key of tls_cert_file."),
    cfg.StrOpt(
        "tls_server_name", default="",
        help="Name checked in the bridge's certificate instead of the "
             "endpoint's host."),
    cfg.StrOpt(
        "token_file", default="",
        help="File holding the bearer token the bridge requires (the "
             "bridge's auth.token_file). Empty = send no token."),
    cfg.IntOpt(
        "call_timeout", default=30, min=1,
        help="Deadline in seconds of the bridge calls made by asynchronous "
             "verbs: create, update, resize, delete, node-group verbs."),
    cfg.IntOpt(
        "sync_call_timeout", default=20, min=1,
        help="Deadline in seconds of the bridge calls made inside "
             "synchronous Magnum RPCs (upgrade, credential rotation), "
             "which block magnum-api while they run."),
    cfg.IntOpt(
        "status_timeout", default=5, min=1,
        help="Deadline in seconds of status and health calls (the periodic "
             "status sync and health polling)."),
    cfg.StrOpt(
        "app_cred_interface_type", default="public",
        choices=["public", "internal", "admin"],
        help="Endpoint interface written into the cluster's clouds.yaml."),
    cfg.StrOpt(
        "csi_cinder_default_volume_type", default=None,
        help="Cinder volume type of the cluster's default StorageClass; "
             "unset = Cinder's default type. Must exist when set."),
]


def register_opts(conf):
    conf.register_group(capi_bridge_group)
    conf.register_opts(opts, group=capi_bridge_group)


def list_opts():
    return [(capi_bridge_group, opts)]


register_opts(cfg.CONF)
