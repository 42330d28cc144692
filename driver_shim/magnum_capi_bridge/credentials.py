"""Keystone application credentials and the cluster CAs, as the reference
driver names and handles them (clusters move between the drivers).

A credential is created with the requesting user's token, for that user,
named `magnum-<cluster uuid>-<8 hex>`; it is deleted with an admin context
and only when its name carries the cluster's prefix. Secrets are never
logged.
"""

import secrets

from magnum.common import clients
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common.x509 import operations as x509
from magnum.conductor.handlers.common import cert_manager
from oslo_log import log as logging
from oslo_utils import encodeutils

from magnum_capi_bridge import errors
from magnum_capi_bridge import facts
from magnum_capi_bridge import green
from magnum_capi_bridge import openstack
from magnum_capi_bridge.pb import cluster_spec_pb2 as pb

LOG = logging.getLogger(__name__)


class CredentialError(exception.MagnumException):
    message = "%(reason)s"


def name_prefix(cluster):
    return "magnum-%s" % cluster.uuid


def create(context, cluster):
    """A new application credential for the cluster, as CredentialMaterial."""
    cloud = openstack.Cloud(clients.OpenStackClients(context))
    name = "%s-%s" % (name_prefix(cluster), secrets.token_hex(4))
    try:
        credential = cloud.create_application_credential(
            context.user_id, name,
            "Magnum cluster (%s)" % (cluster.name or cluster.uuid))
    except Exception as e:
        raise CredentialError(reason=errors.headline(
            "cannot create the application credential of cluster %s for "
            "user %s" % (cluster.uuid, context.user_id), str(e)))
    return pb.CredentialMaterial(
        application_credential_id=credential.id,
        application_credential_secret=credential.secret,
        ca_bundle=facts.ca_bundle())


def delete(cluster, credential_ids=None, user=None):
    """Deletes credentials of `user` (default: the cluster's owner) with an
    admin context: those listed, or every one named with the cluster's
    prefix. Those already gone count as deleted. Returns a problem text
    for status_reason, or "" when none is left."""
    prefix = name_prefix(cluster)
    user = user or cluster.user_id
    try:
        cloud = openstack.Cloud(clients.OpenStackClients(
            magnum_context.make_admin_context()))
        if credential_ids:
            found = [c for c in (cloud.application_credential(user, i)
                                 for i in credential_ids) if c is not None]
        else:
            found = cloud.application_credentials(user)
        for credential in found:
            if credential.name.startswith(prefix):
                cloud.delete_application_credential(user, credential.id)
            elif credential_ids:
                return ("application credential %s not deleted: it is not "
                        "managed by Magnum" % credential.id)
    except Exception as e:
        LOG.warning("Cluster %s: application credential not deleted: %s",
                    cluster.uuid, e)
        return "application credential not deleted: %s" % e
    return ""


def _key_pair(cert):
    # Loading an RSA key checks it: ~0.1 s of CPU that would stop the
    # conductor's hub under eventlet.
    key = green.offload(x509.decrypt_key, cert.get_private_key(),
                        cert.get_private_key_passphrase())
    return pb.KeyPair(
        certificate_pem=encodeutils.safe_decode(cert.get_certificate()),
        private_key_pem=encodeutils.safe_decode(key))


def ca_certificates(context, cluster):
    """Magnum's four cluster CAs, decrypted, for the CA Secrets."""
    return pb.CaCertificates(
        ca=_key_pair(cert_manager.get_cluster_ca_certificate(
            cluster, context)),
        etcd=_key_pair(cert_manager.get_cluster_ca_certificate(
            cluster, context, "etcd")),
        front_proxy=_key_pair(cert_manager.get_cluster_ca_certificate(
            cluster, context, "front_proxy")),
        service_account=_key_pair(cert_manager.get_cluster_magnum_cert(
            cluster, context)))
