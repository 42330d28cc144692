"""What only Magnum can reach: the OpenStack facts of one bridge call.

`resolve_facts` answers the image, network, volume-type, flavor and Keystone
questions of one cluster with the caller's context (the bridge never calls
OpenStack), through `openstack.Cloud`. Server groups for the
`server_group_policies` label are created here too; `delete_server_groups`
removes them once the cluster is gone. Every failure is a Magnum exception
naming the resource and the value.
"""

from magnum.common import clients
from magnum.common import exception
from magnum.common import neutron
from magnum.common import utils as magnum_utils
import magnum.conf
from oslo_utils import uuidutils

from magnum_capi_bridge import errors
from magnum_capi_bridge import openstack
from magnum_capi_bridge.pb import cluster_spec_pb2 as pb

CONF = magnum.conf.CONF

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SERVER_GROUP_LABEL = "server_group_policies"
CONTROL_PLANE_KEY = "control-plane"


class FactError(exception.MagnumException):
    message = "%(reason)s"


def _image_facts(cloud, image_ident):
    try:
        image = cloud.image(image_ident)
    except exception.MagnumException:
        raise
    except Exception as e:  # a client's own error type
        raise FactError(reason=errors.headline(
            "the cluster's image cannot be read from Glance",
            "Image %r: %s" % (image_ident, e)))
    return pb.ImageFacts(id=image.id, kube_version=image.kube_version,
                         os_distro=image.os_distro)


def _flavor_facts(cloud, flavor_ident):
    try:
        flavor = cloud.flavor(flavor_ident)
    except exception.Conflict as e:
        raise FactError(reason=errors.headline(
            "a flavor the cluster names is ambiguous in Nova", str(e)))
    except openstack.NotFound:
        raise FactError(reason=errors.headline(
            "a flavor the cluster names is not in Nova",
            "Flavor %r: not found" % flavor_ident))
    return pb.FlavorFacts(id=flavor.id, name=flavor.name,
                          ram_mb=flavor.ram_mb, vcpus=flavor.vcpus)


# The flavor extra spec naming the Kubernetes resource its GPUs appear as
# (default: nvidia.com/gpu, chosen by the bridge).
GPU_RESOURCE_SPEC = "capi_bridge:gpu_resource"


def gpus_of(extra_specs):
    """(count, resource) of the GPUs a flavor's extra specs give a server:
    `resources:VGPU`, else the counts of `pci_passthrough:alias`
    ("name:count,..."); (0, "") when they name none or do not parse."""
    def count(text):
        try:
            return max(int(str(text).strip()), 0)
        except ValueError:
            return 0
    gpus = count(extra_specs.get("resources:VGPU", 0))
    if not gpus:
        aliases = str(extra_specs.get("pci_passthrough:alias", ""))
        for alias in aliases.split(","):
            name, _, number = alias.partition(":")
            if name.strip():
                gpus += count(number or 1)
    if not gpus:
        return 0, ""
    return gpus, str(extra_specs.get(GPU_RESOURCE_SPEC, "")).strip()


def _add_gpu_facts(cloud, flavor_facts):
    """GPU facts where the flavor's extra specs have them; a cloud that will
    not show extra specs leaves them out (they are optional)."""
    try:
        specs = cloud.flavor_extra_specs(flavor_facts.id)
    except Exception:  # policy or client trouble: the facts are optional
        return
    flavor_facts.gpu_count, flavor_facts.gpu_type = gpus_of(specs)


def _effective_label(cluster, template, ng, key):
    for labels in (getattr(ng, "labels", None) if ng is not None else None,
                   cluster.labels, template.labels):
        if labels and key in labels:
            return labels[key]
    return ""


def server_group_name(cluster, key):
    return "magnum-%s-%s" % (cluster.uuid, key)


def _ensure_server_groups(cloud, cluster, template, nodegroups, facts,
                          create_missing=True):
    wanted = {}
    for ng in nodegroups:
        policy = _effective_label(cluster, template, ng, SERVER_GROUP_LABEL)
        if policy:
            key = CONTROL_PLANE_KEY if ng.role == "master" else ng.name
            wanted[key] = policy
    if not wanted:
        return
    existing = {g.name: g for g in cloud.server_groups()}
    for key, policy in sorted(wanted.items()):
        name = server_group_name(cluster, key)
        group = existing.get(name)
        if group is None:
            if not create_missing:
                continue
            group = cloud.create_server_group(name, policy)
        facts.server_group_ids[key] = group.id


def delete_server_groups(context, cluster):
    """Deletes the cluster's server groups. Raises when one could not be
    deleted (those already gone count as deleted), so a later call can
    try again."""
    cloud = openstack.Cloud(clients.OpenStackClients(context))
    prefix = server_group_name(cluster, "")
    for group in cloud.server_groups():
        if group.name.startswith(prefix):
            cloud.delete_server_group(group.id)


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


def keystone_facts(cloud):
    return pb.KeystoneFacts(
        auth_url=cloud.identity_url(), region_name=cloud.region_name(),
        interface=CONF.capi_bridge.app_cred_interface_type,
        verify_ca=bool(CONF.drivers.verify_ca))


def resolve_facts(context, cluster, template, nodegroups,
                  create_missing=True):
    """OpenStackFacts for one bridge call on `cluster`. With
    `create_missing` false (a dry run) nothing is created in OpenStack: a
    server group that does not exist yet is left out."""
    cloud = openstack.Cloud(clients.OpenStackClients(context))
    facts = pb.OpenStackFacts()
    facts.image.CopyFrom(_image_facts(cloud, template.image_id))
    for ng in nodegroups:
        image_id = getattr(ng, "image_id", None)
        if (image_id and image_id != template.image_id and
                image_id not in facts.node_group_images):
            facts.node_group_images[image_id].CopyFrom(
                _image_facts(cloud, image_id))
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
    _volume_types(cloud, facts)
    flavors = {cluster.master_flavor_id, cluster.flavor_id}
    flavors.update(ng.flavor_id for ng in nodegroups)
    for flavor in sorted(f for f in flavors if f):
        facts.flavors[flavor].CopyFrom(_flavor_facts(cloud, flavor))
    # GPUs, for the autoscaler's capacity annotations: worker flavors of
    # autoscaled clusters only (one more Nova call per flavor).
    if str(_effective_label(cluster, template, None,
                            "auto_scaling_enabled")).lower() == "true":
        workers = {cluster.flavor_id}
        workers.update(ng.flavor_id for ng in nodegroups
                       if ng.role != "master")
        for flavor in sorted(f for f in workers if f):
            _add_gpu_facts(cloud, facts.flavors[flavor])
    facts.keystone.CopyFrom(keystone_facts(cloud))
    _ensure_server_groups(cloud, cluster, template, nodegroups, facts,
                          create_missing)
    return facts


def _volume_types(cloud, facts):
    names = cloud.volume_types()
    facts.volume_types.extend(names)
    wanted = CONF.capi_bridge.csi_cinder_default_volume_type
    if wanted:
        if wanted not in names:
            raise FactError(reason=errors.headline(
                "[capi_bridge] csi_cinder_default_volume_type is not a "
                "Cinder volume type of this project",
                "%r; the project has: %s" % (
                    wanted, ", ".join(names) or "none")))
        facts.default_volume_type = wanted
        facts.default_volume_type_configured = True
        return
    try:
        default = cloud.default_volume_type()
    except Exception:
        default = None
    if default in names:
        facts.default_volume_type = default
