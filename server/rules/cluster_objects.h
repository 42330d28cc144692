// The Kubernetes objects the bridge writes itself, beside the helm
// release: the project Namespace and the cluster's Secrets, with the
// reference driver's names, types, keys and labels so that clusters it
// created are adopted unchanged (see docs/migrating-from-magnum-capi-helm.md).
//
// Pure: every function returns an object ready for server-side apply.
// The documents hold secret material; never log them.
#ifndef CAPI_BRIDGE_SERVER_RULES_CLUSTER_OBJECTS_H_
#define CAPI_BRIDGE_SERVER_RULES_CLUSTER_OBJECTS_H_

#include <string>
#include <vector>

#include "magnum/capi/bridge/v1/driver.pb.h"
#include "nlohmann/json.hpp"

namespace capi_bridge::rules {

namespace v1 = magnum::capi::bridge::v1;

// Label keys on every Secret the bridge writes.
inline constexpr char kProjectLabel[] = "magnum.openstack.org/project-id";
inline constexpr char kUserLabel[] = "magnum.openstack.org/user-id";
inline constexpr char kClusterUuidLabel[] = "magnum.openstack.org/cluster-uuid";
inline constexpr char kClusterNameLabel[] = "cluster.x-k8s.io/cluster-name";

// The cloud name inside clouds.yaml (CAPO, the CCM and CSI look for it).
inline constexpr char kCloudName[] = "openstack";

struct ClusterIdentity {
  std::string release;
  std::string namespace_name;
  std::string cluster_uuid;
  std::string project_id;
  std::string user_id;
};

// A value as it is stored in the Secrets' labels (cut to 63 characters).
std::string LabelValue(const std::string& value);

// "magnum.openstack.org/cluster-uuid=<uuid>": selects every Secret of
// the cluster (for the delete-collection once the Cluster is gone).
std::string ClusterSecretsSelector(const std::string& cluster_uuid);

// The value of label `key` of a Kubernetes object; "" when absent.
std::string LabelOf(const nlohmann::json& object, const char* key);

nlohmann::json NamespaceObject(const std::string& name);

// `<release>-cloud-credentials`: clouds.yaml with one cloud "openstack"
// using the application credential, and `cacert` (the CA bundle).
nlohmann::json CloudCredentialsSecret(const ClusterIdentity& id,
                                      const v1::KeystoneFacts& keystone,
                                      const v1::CredentialMaterial& credential);

// `<release>-ca`, `-etcd`, `-proxy`, `-sa` (type cluster.x-k8s.io/secret,
// keys tls.crt and tls.key). Key pairs left empty in `cas` are skipped:
// CAPI then generates its own.
std::vector<nlohmann::json> CaSecrets(const ClusterIdentity& id,
                                      const v1::CaCertificates& cas);

// `<release>-etcd-key`: the etcd encryption key (key = base64 of 32 random
// bytes) the chart looks up when etcd encryption is on. Written once; a
// new key would make existing data unreadable.
nlohmann::json EtcdKeySecret(const ClusterIdentity& id,
                             const std::string& random_32_bytes);

// Reads the application-credential id back from a credentials Secret (as
// the API returns it); "" when absent.
std::string CredentialIdOf(const nlohmann::json& secret);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_CLUSTER_OBJECTS_H_
