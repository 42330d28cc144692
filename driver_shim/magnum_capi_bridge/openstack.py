"""What only Magnum can reach: OpenStack lookups made before a bridge call.

`resolve_facts` answers the image, network, volume-type, flavor and Keystone
questions of one cluster with the caller's context (the bridge never calls
OpenStack). Server groups for the `server_group_policies` label are created
here too and removed by `delete_server_groups` once the cluster is gone.
Every failure is a Magnum exception naming the resource and the value.
"""

from magnum.api import utils as api_utils
from magnum.common import clients
from magnum.common import exception
from magnum.common import neutron
from magnum.common import utils as magnum_utils
import magnum.conf
from oslo_log import log as logging
from oslo_utils import uuidutils

from magnum_capi_bridge.pb import cluster_spec_pb2 as pb

CONF = magnum.conf.CONF
LOG = logging.getLogger(__name__)

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SERVER_GROUP_LABEL = "server_group_policies"
CONTROL_PLANE_KEY = "control-plane"


class FactError(exception.MagnumException):
    message = "%(reason)s"


def _image_facts(osc, image_ident):
    try:
        image = api_utils.get_openstack_resource(
            osc.glance().images, image_ident, "images")
    except exception.MagnumException:
        raise
    except Exception as e:  # glanceclient's NotFound and friends
        raise FactError(reason="image %r: %s" % (image_ident, e))
    return pb.ImageFacts(id=image.get("id", ""),
                         kube_version=str(image.get("kube_version", "") or ""),
                         os_distro=str(image.get("os_distro", "") or ""))


def _flavor_facts(osc, flavor_ident):
    nova = osc.nova()
    try:
        flavor = nova.flavors.get(flavor_ident)
    except Exception:
        matches = [f for f in nova.flavors.list()
                   if f.name == flavor_ident]
        if len(matches) != 1:
            raise FactError(reason=(
                "flavor %r: %s" % (flavor_ident,
                                   "not found" if not matches else
                                   "several flavors have this name; "
                                   "use the id")))
        flavor = matches[0]
    return pb.FlavorFacts(id=str(flavor.id), name=flavor.name,
                          ram_mb=int(flavor.ram), vcpus=int(flavor.vcpus))


def _effective_label(cluster, template, ng, key):
    for labels in (getattr(ng, "labels", None) if ng is not None else None,
                   cluster.labels, template.labels):
        if labels and key in labels:
            return labels[key]
    return ""


def server_group_name(cluster, key):
    return "magnum-%s-%s" % (cluster.uuid, key)


def _ensure_server_groups(osc, cluster, template, nodegroups, facts):
    wanted = {}
    for ng in nodegroups:
        policy = _effective_label(cluster, template, ng, SERVER_GROUP_LABEL)
        if policy:
            key = CONTROL_PLANE_KEY if ng.role == "master" else ng.name
            wanted[key] = policy
    if not wanted:
        return
    nova = osc.nova()
    existing = {g.name: g for g in nova.server_groups.list()}
    for key, policy in sorted(wanted.items()):
        name = server_group_name(cluster, key)
        group = existing.get(name)
        if group is None:
            group = nova.server_groups.create(name=name, policies=[policy])
        facts.server_group_ids[key] = group.id


def delete_server_groups(context, cluster):
    """Deletes the cluster's server groups; returns a problem text or ""."""
    try:
        nova = clients.OpenStackClients(context).nova()
        prefix = server_group_name(cluster, "")
        for group in nova.server_groups.list():
            if group.name.startswith(prefix):
                nova.server_groups.delete(group.id)
    except Exception as e:
        LOG.warning("Cluster %s: server groups not deleted: %s",
                    cluster.uuid, e)
        return "server groups not deleted: %s" % e
    return ""


def ca_bundle():
    """PEM bundle the cluster trusts for OpenStack endpoints."""
    bundle = magnum_utils.get_openstack_ca()
    if bundle:
        return bundle
    try:
        import certifi
        path = certifi.where()
    except ImportError:
        path = SYSTEM_CA_BUNDLE
    with open(path) as f:
        return f.read()


def keystone_facts(osc):
    return pb.KeystoneFacts(
        auth_url=osc.url_for(service_type="identity", interface="public"),
        region_name=osc.cinder_region_name() or "",
        interface=CONF.capi_bridge.app_cred_interface_type,
        verify_ca=bool(CONF.drivers.verify_ca))


def resolve_facts(context, cluster, template, nodegroups):
    """OpenStackFacts for one bridge call on `cluster`."""
    osc = clients.OpenStackClients(context)
    facts = pb.OpenStackFacts()
    facts.image.CopyFrom(_image_facts(osc, template.image_id))
    for ng in nodegroups:
        image_id = getattr(ng, "image_id", None)
        if (image_id and image_id != template.image_id and
                image_id not in facts.node_group_images):
            facts.node_group_images[image_id].CopyFrom(
                _image_facts(osc, image_id))
    if template.external_network_id:
        facts.external_network_id = neutron.get_external_network_id(
            context, template.external_network_id)
    network = cluster.fixed_network or template.fixed_network
    if network:
        facts.fixed_network_id = (
            network if uuidutils.is_uuid_like(network) else
            neutron.get_network(context, network, source="name",
                                target="id", external=False))
    subnet = cluster.fixed_subnet or template.fixed_subnet
    if subnet:
        facts.fixed_subnet_id = neutron.get_fixed_subnet_id(context, subnet)
    _volume_types(osc, facts)
    flavors = {cluster.master_flavor_id, cluster.flavor_id}
    flavors.update(ng.flavor_id for ng in nodegroups)
    for flavor in sorted(f for f in flavors if f):
        facts.flavors[flavor].CopyFrom(_flavor_facts(osc, flavor))
    facts.keystone.CopyFrom(keystone_facts(osc))
    _ensure_server_groups(osc, cluster, template, nodegroups, facts)
    return facts


def _volume_types(osc, facts):
    cinder = osc.cinder()
    names = [t.name for t in cinder.volume_types.list()]
    facts.volume_types.extend(names)
    wanted = CONF.capi_bridge.csi_cinder_default_volume_type
    if wanted:
        if wanted not in names:
            raise FactError(reason=(
                "[capi_bridge] csi_cinder_default_volume_type %r is not a "
                "Cinder volume type of this project (have: %s)" % (
                    wanted, ", ".join(names) or "none")))
        facts.default_volume_type = wanted
        return
    try:
        default = cinder.volume_types.default()
    except Exception:
        default = None
    if default is not None and default.name in names:
        facts.default_volume_type = default.name
