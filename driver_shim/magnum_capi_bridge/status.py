"""A bridge ClusterStatus reply → Magnum's cluster and node-group rows.

`apply_node_groups` and `apply_cluster` change only what the reply says
differently, and the groups are saved only when the reply changed them;
node groups deleted one by one are destroyed once the bridge reports them
gone (default groups are left to Magnum, which removes every row at
DELETE_COMPLETE).
"""

from magnum.objects import fields
from oslo_log import log as logging

from magnum_capi_bridge.pb import driver_pb2

LOG = logging.getLogger(__name__)

# Every status a node group can be in while its own operation runs (a
# group's status is one of Magnum's ClusterStatus values).
IN_PROGRESS = [s for s in fields.ClusterStatus.ALL
               if s.endswith("_IN_PROGRESS")]

HEALTH = {driver_pb2.HEALTHY: "HEALTHY", driver_pb2.UNHEALTHY: "UNHEALTHY",
          driver_pb2.UNKNOWN: "UNKNOWN"}


def status_name(value):
    """Magnum's name of a bridge Status, or None when unspecified."""
    if value == driver_pb2.STATUS_UNSPECIFIED:
        return None
    return driver_pb2.Status.Name(value)


def _set(obj, name, value):
    """Assigns only a different value; True if it did (the object's own
    change tracking, obj_what_changed, then says the same)."""
    if getattr(obj, name) != value:
        setattr(obj, name, value)
        return True
    return False


def apply_node_groups(cluster, nodegroups, reply):
    """Applies the reply's node groups to `nodegroups` (as just read, with
    no change of their own), saving those the reply changed."""
    by_name = {ng.name: ng for ng in nodegroups}
    for group in reply.node_groups:
        ng = by_name.get(group.name)
        if ng is None:
            continue
        wanted = status_name(group.status)
        if wanted == "DELETE_COMPLETE":
            if not ng.is_default:
                LOG.info("Cluster %s: node group %s is gone; removing it",
                         cluster.uuid, ng.name)
                ng.destroy()
            continue
        # What the reply changes decides the save (cheaper than asking
        # the object: obj_what_changed walks every field).
        changed = False
        if wanted is not None:
            changed |= _set(ng, "status", wanted)
        changed |= _set(ng, "status_reason", group.status_reason or None)
        addresses = list(group.node_addresses)
        if addresses:
            changed |= _set(ng, "node_addresses", addresses)
        # An autoscaler moved the group: Magnum shows the real size.
        if (group.present and ng.status.endswith("_COMPLETE") and
                group.desired_nodes != ng.node_count and
                group.desired_nodes >= (ng.min_node_count or 0)):
            changed |= _set(ng, "node_count", group.desired_nodes)
        if changed:
            ng.save()


def apply_cluster(cluster, reply):
    """Copies status, reason, API address and version (only different
    values, so the cluster's change tracking says whether to save)."""
    wanted = status_name(reply.status)
    if wanted is not None:
        _set(cluster, "status", wanted)
    _set(cluster, "status_reason", reply.status_reason or None)
    if reply.api_address:
        _set(cluster, "api_address", reply.api_address)
    if reply.coe_version:
        _set(cluster, "coe_version", reply.coe_version)


def health(reply):
    """(health_status, health_status_reason) of a reply."""
    return (HEALTH.get(reply.health_status, "UNKNOWN"),
            dict(reply.health_status_reason))
