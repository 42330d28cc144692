"""A bridge ClusterStatus reply → Magnum's cluster and node-group rows.

`apply_status` changes only what the reply says differently and saves only
objects that changed; node groups deleted one by one are destroyed once the
bridge reports them gone (default groups are left to Magnum, which removes
every row at DELETE_COMPLETE).
"""

from oslo_log import log as logging

from magnum_capi_bridge.pb import driver_pb2

LOG = logging.getLogger(__name__)

HEALTH = {driver_pb2.HEALTHY: "HEALTHY", driver_pb2.UNHEALTHY: "UNHEALTHY",
          driver_pb2.UNKNOWN: "UNKNOWN"}


def status_name(value):
    """Magnum's name of a bridge Status, or None when unspecified."""
    if value == driver_pb2.STATUS_UNSPECIFIED:
        return None
    return driver_pb2.Status.Name(value)


def _set(obj, name, value, changed):
    if getattr(obj, name) != value:
        setattr(obj, name, value)
        changed.add(id(obj))


def apply_node_groups(cluster, nodegroups, reply):
    """Applies the reply's node groups; returns the groups still present
    in Magnum (destroyed ones left out)."""
    by_name = {ng.name: ng for ng in nodegroups}
    kept = list(nodegroups)
    for group in reply.node_groups:
        ng = by_name.get(group.name)
        if ng is None:
            continue
        changed = set()
        wanted = status_name(group.status)
        if wanted == "DELETE_COMPLETE":
            if not ng.is_default:
                LOG.info("Cluster %s: node group %s is gone; removing it",
                         cluster.uuid, ng.name)
                ng.destroy()
                kept.remove(ng)
            continue
        if wanted is not None:
            _set(ng, "status", wanted, changed)
        _set(ng, "status_reason", group.status_reason or None, changed)
        addresses = list(group.node_addresses)
        if addresses:
            _set(ng, "node_addresses", addresses, changed)
        # An autoscaler moved the group: Magnum shows the real size.
        if (group.present and ng.status.endswith("_COMPLETE") and
                group.desired_nodes != ng.node_count and
                group.desired_nodes >= (ng.min_node_count or 0)):
            _set(ng, "node_count", group.desired_nodes, changed)
        if changed:
            ng.save()
    return kept


def apply_cluster(cluster, reply):
    """Copies status, reason, API address and version; True if changed."""
    changed = set()
    wanted = status_name(reply.status)
    if wanted is not None:
        _set(cluster, "status", wanted, changed)
    _set(cluster, "status_reason", reply.status_reason or None, changed)
    if reply.api_address:
        _set(cluster, "api_address", reply.api_address, changed)
    if reply.coe_version:
        _set(cluster, "coe_version", reply.coe_version, changed)
    return bool(changed)


def health(reply):
    """(health_status, health_status_reason) of a reply."""
    return (HEALTH.get(reply.health_status, "UNKNOWN"),
            dict(reply.health_status_reason))
