"""`openstack coe ca rotate`, refused without leaving a trace.

Magnum's conductor regenerates the cluster's CA certificates (new refs on
the cluster object, new certificates in the certificate store) *before* it
calls the driver's `rotate_ca_certificate`, and on a driver error saves the
cluster with the new refs and UPDATE_FAILED. A Cluster API cluster keeps
its CA in the management cluster and its nodes trust only that one, so the
bridge cannot rotate it yet. `refuse` puts everything back: the new
certificates are deleted, the cluster keeps the refs and the status it had
in the database, and whatever Magnum saves after the refusal saves exactly
that. The operator reads the reason as the API's error.

The certificate fields are found by their shape (every `*cert_ref` field
Magnum's Cluster object has), not by Magnum's version.
"""

from magnum.common import cert_manager as cert_backends
from magnum.common import exception
from magnum import objects
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class CARotationRefused(exception.NotSupported):
    message = ("Rotating the CA certificate of cluster %(cluster)s is not "
               "supported by the capi-bridge driver: Cluster API keeps the "
               "cluster's CA on the management cluster and the nodes trust "
               "only that one. Nothing was changed: the cluster keeps its CA "
               "certificates (`openstack coe ca show` still returns the one "
               "in use) and its status %(status)s.")


def cert_fields(cluster):
    """The names of the cluster's certificate references."""
    return sorted(name for name in cluster.fields if name.endswith("cert_ref"))


def refuse(context, cluster):
    """Undoes what Magnum did before calling the driver and raises
    CARotationRefused. `cluster` is the object Magnum's handler holds."""
    stored = objects.Cluster.get_by_uuid(context, cluster.uuid)
    names = cert_fields(cluster)
    kept = {name: getattr(stored, name) for name in names}
    fresh = [ref for ref in (getattr(cluster, name) for name in names)
             if ref and ref not in kept.values()]
    for ref in fresh:
        _delete_certificate(context, cluster, ref)
    status, reason = stored.status, stored.status_reason

    def restore():
        for name in names:
            setattr(cluster, name, kept[name])
        cluster.status = status
        cluster.status_reason = reason

    restore()
    # Magnum's failure path sets UPDATE_FAILED and the error as the reason,
    # then saves this object: the save writes back what was stored.
    save = cluster.save

    def save_as_stored(*args, **kwargs):
        restore()
        return save(*args, **kwargs)

    cluster.save = save_as_stored
    LOG.warning("Cluster %s: CA rotation refused; %d new certificates "
                "deleted, CA and status %s kept", cluster.uuid, len(fresh),
                status)
    raise CARotationRefused(cluster=cluster.uuid, status=status)


def _delete_certificate(context, cluster, ref):
    try:
        cert_backends.get_backend().CertManager.delete_cert(
            ref, resource_ref=cluster.uuid, context=context)
    except Exception as e:  # the refusal stands; the leftover is named
        LOG.warning("Cluster %s: certificate %s that Magnum generated for "
                    "the refused CA rotation was not deleted: %s",
                    cluster.uuid, ref, e)
