#include "server/kube/kube_client.h"

namespace capi_bridge::kube::kinds {

const ResourceType kNamespace{"", "v1", "namespaces", "Namespace", false};
const ResourceType kSecret{"", "v1", "secrets", "Secret", true};
const ResourceType kCluster{"cluster.x-k8s.io", "v1beta1", "clusters",
                            "Cluster", true};
const ResourceType kMachineDeployment{"cluster.x-k8s.io", "v1beta1",
                                      "machinedeployments", "MachineDeployment",
                                      true};
const ResourceType kMachine{"cluster.x-k8s.io", "v1beta1", "machines",
                            "Machine", true};
const ResourceType kKubeadmControlPlane{"controlplane.cluster.x-k8s.io",
                                        "v1beta1", "kubeadmcontrolplanes",
                                        "KubeadmControlPlane", true};
const ResourceType kOpenStackCluster{"infrastructure.cluster.x-k8s.io",
                                     "v1beta1", "openstackclusters",
                                     "OpenStackCluster", true};
const ResourceType kHelmRelease{"addons.stackhpc.com", "v1alpha1",
                                "helmreleases", "HelmRelease", true};
const ResourceType kManifests{"addons.stackhpc.com", "v1alpha1", "manifests",
                              "Manifests", true};
const ResourceType kHelmChartProxy{"addons.cluster.x-k8s.io", "v1alpha1",
                                   "helmchartproxies", "HelmChartProxy", true};

const ResourceType kLease{"coordination.k8s.io", "v1", "leases", "Lease", true};

}  // namespace capi_bridge::kube::kinds
