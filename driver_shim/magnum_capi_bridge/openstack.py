"""Every OpenStack call the driver makes, for both client generations.

Magnum's `OpenStackClients` hands out python-*client objects up to 2026.1
(`glance().images`, `nova().flavors`, `cinder().volume_types`,
`keystone().client.application_credentials`) and openstacksdk proxies on
master (`glance()` is `conn.image`, `nova()` is `conn.compute`, `cinder()`
is `conn.block_storage`, `keystone().client` is the identity proxy).
`Cloud` answers the driver's questions with whichever it is given, telling
them apart by the methods they have, never by Magnum's version.

Answers are plain records (`Image`, `Flavor`, `ServerGroup`,
`Credential`). A resource that is not there raises `NotFound` on lookups
and counts as done on deletions, so deletions can be retried. Other
failures propagate as the client raised them.
"""

import collections

from magnum.api import utils as api_utils
from magnum.common import exception

Image = collections.namedtuple("Image", "id name kube_version os_distro")
Flavor = collections.namedtuple("Flavor", "id name ram_mb vcpus")
ServerGroup = collections.namedtuple("ServerGroup", "id name")
Credential = collections.namedtuple("Credential", "id name secret")


class NotFound(exception.MagnumException):
    message = "%(reason)s"


def is_not_found(error):
    """True when `error` is any client's answer for a missing resource
    (an HTTP 404 under any of the attribute names the clients use)."""
    if isinstance(error, (NotFound, exception.ResourceNotFound)):
        return True
    try:  # openstacksdk's, raised without an HTTP response by find_*()
        from openstack import exceptions as sdk_exceptions
    except ImportError:
        sdk_exceptions = None
    if sdk_exceptions is not None and isinstance(
            error, sdk_exceptions.NotFoundException):
        return True
    for name in ("http_status", "status_code", "code"):
        if getattr(error, name, None) == 404:
            return True
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None) == 404


def _sdk_find(find, ident, what):
    """An openstacksdk find_*() by id or name; NotFound when absent."""
    try:
        return find(ident, ignore_missing=False)
    except Exception as e:
        if is_not_found(e):
            raise NotFound(reason="%s %r not found" % (what, ident))
        raise


def _text(value):
    return "" if value is None else str(value)


class Cloud:
    """The driver's view of OpenStack through one `OpenStackClients`."""

    def __init__(self, osc):
        self._osc = osc

    # ---- Glance ------------------------------------------------------------

    def image(self, ident):
        """The image with id or name `ident`, with the properties the
        driver reads."""
        glance = self._osc.glance()
        if hasattr(glance, "find_image"):  # openstacksdk image proxy
            image = _sdk_find(glance.find_image, ident, "image")
            extra = getattr(image, "properties", None) or {}
            return Image(
                id=image.id, name=_text(image.name),
                kube_version=_text(extra.get("kube_version")),
                os_distro=_text(getattr(image, "os_distro", None) or
                                extra.get("os_distro")))
        image = api_utils.get_openstack_resource(glance.images, ident,
                                                 "images")
        return Image(id=image.get("id", ""), name=_text(image.get("name")),
                     kube_version=_text(image.get("kube_version")),
                     os_distro=_text(image.get("os_distro")))

    # ---- Nova --------------------------------------------------------------

    def flavor(self, ident):
        """The flavor with id or name `ident`."""
        nova = self._osc.nova()
        if hasattr(nova, "find_flavor"):  # openstacksdk compute proxy
            flavor = _sdk_find(nova.find_flavor, ident, "flavor")
        else:
            try:
                flavor = nova.flavors.get(ident)
            except Exception as e:
                if not is_not_found(e):
                    raise
                matches = [f for f in nova.flavors.list()
                           if f.name == ident]
                if not matches:
                    raise NotFound(reason="flavor %r not found" % ident)
                if len(matches) > 1:
                    raise exception.Conflict(
                        "flavor %r: several flavors have this name; use "
                        "the id" % ident)
                flavor = matches[0]
        return Flavor(id=str(flavor.id), name=_text(flavor.name),
                      ram_mb=int(flavor.ram), vcpus=int(flavor.vcpus))

    def flavor_extra_specs(self, flavor_id):
        """The flavor's extra specs (a dict; {} when Nova has none or the
        flavor is gone)."""
        nova = self._osc.nova()
        try:
            if hasattr(nova, "fetch_flavor_extra_specs"):  # openstacksdk
                specs = nova.fetch_flavor_extra_specs(flavor_id).extra_specs
            else:
                specs = nova.flavors.get(flavor_id).get_keys()
        except Exception as e:
            if not is_not_found(e):
                raise
            return {}
        return dict(specs or {})

    def server_groups(self):
        nova = self._osc.nova()
        groups = (nova.server_groups() if callable(nova.server_groups)
                  else nova.server_groups.list())
        return [ServerGroup(id=g.id, name=_text(g.name)) for g in groups]

    def create_server_group(self, name, policy):
        nova = self._osc.nova()
        if hasattr(nova, "create_server_group"):
            group = nova.create_server_group(name=name, policies=[policy])
        else:
            group = nova.server_groups.create(name=name, policies=[policy])
        return ServerGroup(id=group.id, name=_text(group.name))

    def delete_server_group(self, ident):
        """Deletes it; one already gone counts as deleted."""
        nova = self._osc.nova()
        try:
            if hasattr(nova, "delete_server_group"):
                nova.delete_server_group(ident, ignore_missing=True)
            else:
                nova.server_groups.delete(ident)
        except Exception as e:
            if not is_not_found(e):
                raise

    # ---- Cinder ------------------------------------------------------------

    def volume_types(self):
        """Names of the volume types the project can use."""
        cinder = self._osc.cinder()
        if hasattr(cinder, "types"):  # openstacksdk block-storage proxy
            return [t.name for t in cinder.types()]
        return [t.name for t in cinder.volume_types.list()]

    def default_volume_type(self):
        """The name of Cinder's default type, or None if it has none."""
        cinder = self._osc.cinder()
        try:
            if hasattr(cinder, "get_type"):
                default = cinder.get_type("default")
            else:
                default = cinder.volume_types.default()
        except Exception as e:
            if is_not_found(e):
                return None
            raise
        return getattr(default, "name", None) if default else None

    # ---- Keystone ----------------------------------------------------------

    def _identity(self):
        return self._osc.keystone().client

    def create_application_credential(self, user, name, description):
        identity = self._identity()
        if hasattr(identity, "create_application_credential"):
            made = identity.create_application_credential(
                user, name=name, description=description)
        else:
            made = identity.application_credentials.create(
                user=user, name=name, description=description)
        return Credential(id=made.id, name=_text(made.name),
                          secret=_text(made.secret))

    def application_credential(self, user, ident):
        """`user`'s credential `ident`, or None when it is not there."""
        identity = self._identity()
        try:
            if hasattr(identity, "get_application_credential"):
                found = identity.get_application_credential(user, ident)
            else:
                found = identity.application_credentials.get(
                    ident, user=user)
        except Exception as e:
            if is_not_found(e):
                return None
            raise
        return Credential(id=found.id, name=_text(found.name), secret="")

    def application_credentials(self, user):
        identity = self._identity()
        if hasattr(identity, "application_credentials") and callable(
                identity.application_credentials):
            found = identity.application_credentials(user)
        else:
            found = identity.application_credentials.list(user=user)
        return [Credential(id=c.id, name=_text(c.name), secret="")
                for c in found]

    def delete_application_credential(self, user, ident):
        """Deletes it; one already gone counts as deleted."""
        identity = self._identity()
        try:
            if hasattr(identity, "delete_application_credential"):
                identity.delete_application_credential(
                    user, ident, ignore_missing=True)
            else:
                identity.application_credentials.delete(ident, user=user)
        except Exception as e:
            if not is_not_found(e):
                raise

    def identity_url(self):
        return self._osc.url_for(service_type="identity", interface="public")

    def region_name(self):
        return self._osc.cinder_region_name() or ""
