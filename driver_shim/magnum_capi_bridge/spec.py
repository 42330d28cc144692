"""Magnum objects → the bridge's ClusterSpec (pure; no I/O).

Works on Magnum's versioned objects and on anything with the same
attributes. Unset object fields read as their empty value.
"""

from magnum_capi_bridge.pb import cluster_spec_pb2 as pb


def _get(obj, name, default=None):
    """obj.name, or default when the field is unset or absent (older
    Magnum objects lack newer fields; unset versioned fields raise)."""
    try:
        value = getattr(obj, name)
    except (AttributeError, NotImplementedError):
        return default
    return default if value is None else value


def _text(value):
    """A field as text; absent or None (a taint without a value) is ""."""
    return "" if value is None else str(value)


def _labels(value):
    return {str(k): str(v) for k, v in (value or {}).items()}


def cluster_message(cluster, create_timeout=None):
    timeout = create_timeout if create_timeout else _get(
        cluster, "create_timeout", 0)
    return pb.Cluster(
        uuid=_get(cluster, "uuid", ""),
        name=_get(cluster, "name", ""),
        project_id=_get(cluster, "project_id", ""),
        user_id=_get(cluster, "user_id", ""),
        stack_id=_get(cluster, "stack_id", ""),
        keypair=_get(cluster, "keypair", ""),
        master_flavor_id=_get(cluster, "master_flavor_id", ""),
        flavor_id=_get(cluster, "flavor_id", ""),
        labels=_labels(_get(cluster, "labels")),
        create_timeout_minutes=int(timeout or 0),
        fixed_network=_get(cluster, "fixed_network", ""),
        fixed_subnet=_get(cluster, "fixed_subnet", ""),
        master_lb_enabled=bool(_get(cluster, "master_lb_enabled", False)),
        floating_ip_enabled=bool(_get(cluster, "floating_ip_enabled", True)))


def template_message(template):
    return pb.ClusterTemplate(
        uuid=_get(template, "uuid", ""),
        name=_get(template, "name", ""),
        image_id=_get(template, "image_id", ""),
        external_network_id=_get(template, "external_network_id", ""),
        fixed_network=_get(template, "fixed_network", ""),
        fixed_subnet=_get(template, "fixed_subnet", ""),
        dns_nameserver=_get(template, "dns_nameserver", ""),
        network_driver=_get(template, "network_driver", ""),
        volume_driver=_get(template, "volume_driver", ""),
        apiserver_port=int(_get(template, "apiserver_port", 0) or 0),
        labels=_labels(_get(template, "labels")),
        master_lb_enabled=bool(_get(template, "master_lb_enabled", False)),
        floating_ip_enabled=bool(_get(template, "floating_ip_enabled", True)),
        http_proxy=_get(template, "http_proxy", ""),
        https_proxy=_get(template, "https_proxy", ""),
        no_proxy=_get(template, "no_proxy", ""),
        coe=str(_get(template, "coe", "")),
        server_type=_get(template, "server_type", ""),
        cluster_distro=_get(template, "cluster_distro", ""))


def node_group_message(ng):
    message = pb.NodeGroup(
        uuid=_get(ng, "uuid", ""),
        name=_get(ng, "name", ""),
        role=_get(ng, "role", ""),
        flavor_id=_get(ng, "flavor_id", ""),
        image_id=_get(ng, "image_id", ""),
        node_count=int(_get(ng, "node_count", 0)),
        min_node_count=int(_get(ng, "min_node_count", 0)),
        is_default=bool(_get(ng, "is_default", False)),
        labels=_labels(_get(ng, "labels")),
        node_labels=_labels(_get(ng, "node_labels")),
        status=str(_get(ng, "status", "")))
    max_count = _get(ng, "max_node_count")
    if max_count is not None:
        message.max_node_count = int(max_count)
    for taint in _get(ng, "node_taints", []) or []:
        message.node_taints.add(key=_text(taint.get("key")),
                                value=_text(taint.get("value")),
                                effect=_text(taint.get("effect")))
    return message


def _add_node_groups(spec, nodegroups):
    """The control plane first (reads best), otherwise in the order given."""
    ordered = sorted(nodegroups,
                     key=lambda ng: 0 if _get(ng, "role") == "master" else 1)
    for ng in ordered:
        spec.node_groups.append(node_group_message(ng))


def build_spec(cluster, template, nodegroups, facts=None,
               create_timeout=None):
    """The ClusterSpec of `cluster` with `template` and `nodegroups`."""
    spec = pb.ClusterSpec(cluster=cluster_message(cluster, create_timeout),
                          template=template_message(template))
    _add_node_groups(spec, nodegroups)
    if facts is not None:
        spec.facts.CopyFrom(facts)
    return spec


def status_spec(cluster, nodegroups):
    """The ClusterSpec of a status or health request: the cluster and its
    node groups, what GetClusterStatus reads (see its request in
    driver.proto). The template is left out: the bridge never reads it for
    a status, and Magnum loads it from the database on first use (one
    more read per status sync)."""
    spec = pb.ClusterSpec(cluster=cluster_message(cluster))
    _add_node_groups(spec, nodegroups)
    return spec
