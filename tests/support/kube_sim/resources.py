"""The API resources the simulator serves, as discovery describes them."""

import collections

Resource = collections.namedtuple(
    "Resource", "group version kind plural namespaced status short_names")


def _r(group, version, kind, plural, namespaced=True, status=False,
       short_names=()):
    return Resource(group, version, kind, plural, namespaced, status,
                    tuple(short_names))


CAPI = "cluster.x-k8s.io"

RESOURCES = [
    _r("", "v1", "Namespace", "namespaces", namespaced=False, status=True,
       short_names=["ns"]),
    _r("", "v1", "Secret", "secrets"),
    _r("", "v1", "ConfigMap", "configmaps", short_names=["cm"]),
    _r("", "v1", "ServiceAccount", "serviceaccounts", short_names=["sa"]),
    _r("", "v1", "Service", "services", status=True, short_names=["svc"]),
    _r("apps", "v1", "Deployment", "deployments", status=True,
       short_names=["deploy"]),
    _r("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _r("coordination.k8s.io", "v1", "Lease", "leases"),
    _r("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _r(CAPI, "v1beta1", "Cluster", "clusters", status=True,
       short_names=["cl"]),
    _r(CAPI, "v1beta1", "MachineDeployment", "machinedeployments",
       status=True, short_names=["md"]),
    _r(CAPI, "v1beta1", "Machine", "machines", status=True,
       short_names=["ma"]),
    _r(CAPI, "v1beta1", "MachineHealthCheck", "machinehealthchecks",
       status=True, short_names=["mhc"]),
    _r("controlplane." + CAPI, "v1beta1", "KubeadmControlPlane",
       "kubeadmcontrolplanes", status=True, short_names=["kcp"]),
    _r("bootstrap." + CAPI, "v1beta1", "KubeadmConfigTemplate",
       "kubeadmconfigtemplates"),
    _r("infrastructure." + CAPI, "v1beta1", "OpenStackCluster",
       "openstackclusters", status=True, short_names=["osc"]),
    _r("infrastructure." + CAPI, "v1beta1", "OpenStackMachineTemplate",
       "openstackmachinetemplates"),
    _r("addons.stackhpc.com", "v1alpha1", "HelmRelease", "helmreleases",
       status=True),
    _r("addons.stackhpc.com", "v1alpha1", "Manifests", "manifests",
       status=True),
]

# Kinds whose objects the CAPI controllers of the simulator play with.
CAPI_KINDS = {"Cluster", "MachineDeployment", "Machine", "MachineHealthCheck",
              "KubeadmControlPlane", "KubeadmConfigTemplate",
              "OpenStackCluster", "OpenStackMachineTemplate", "HelmRelease",
              "Manifests"}

BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND = {(r.group, r.kind): r for r in RESOURCES}


def api_version(resource):
    return resource.version if not resource.group else \
        "%s/%s" % (resource.group, resource.version)


def groups():
    """Group name → versions, in discovery order (core group excluded)."""
    result = collections.OrderedDict()
    for r in RESOURCES:
        if r.group:
            result.setdefault(r.group, [])
            if r.version not in result[r.group]:
                result[r.group].append(r.version)
    return result


def resource_list(group, version):
    """The APIResourceList of one group version, or None."""
    entries = []
    for r in RESOURCES:
        if r.group != group or r.version != version:
            continue
        verbs = ["create", "delete", "deletecollection", "get", "list",
                 "patch", "update", "watch"]
        entries.append({"name": r.plural, "singularName": r.kind.lower(),
                        "namespaced": r.namespaced, "kind": r.kind,
                        "verbs": verbs, "shortNames": list(r.short_names)})
        if r.status:
            entries.append({"name": r.plural + "/status", "singularName": "",
                            "namespaced": r.namespaced, "kind": r.kind,
                            "verbs": ["get", "patch", "update"]})
    if not entries:
        return None
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": api_version(Resource(group, version, "", "", True,
                                                 False, ())),
            "resources": entries}
