// ClusterWriter: the Write stage of a verb. Ensures, by server-side apply,
// the objects the bridge keeps beside the helm release: the project
// Namespace, then (taking a Lease Admit deferred because the namespace was
// missing) the cluster's Secrets: the cloud credential and CA pairs when
// the verb carries them, the etcd encryption key when the values enable
// encryption and none exists yet.
//
// Runs only after Render and Check succeeded: nothing here validates.
// Other per-cluster objects written beside the Secrets belong in
// WriteClusterObjects, after the Secrets and before helm.
//
// Thread-safe. `kube` must outlive it; the documents it writes hold
// secret material and are never logged.
#ifndef CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_WRITER_H_
#define CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_WRITER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "magnum/capi/bridge/v1/driver.pb.h"
#include "nlohmann/json.hpp"
#include "server/kube/kube_client.h"
#include "server/lifecycle/admission.h"

namespace capi_bridge::lifecycle {

namespace v1 = magnum::capi::bridge::v1;

// What a verb asks the Write stage to write; pointers may be null (write
// nothing of that kind) and must outlive the call.
struct ClusterWrites {
  const v1::ClusterSpec* spec = nullptr;
  std::string release;
  const v1::CredentialMaterial* credential = nullptr;
  const v1::CaCertificates* cas = nullptr;
  const nlohmann::json* values = nullptr;  // the rendered values
};

class ClusterWriter {
 public:
  // `random_bytes(n)` returns n bytes from a secure source (etcd keys).
  ClusterWriter(kube::KubeClient* kube, std::string field_manager,
                std::function<std::string(size_t)> random_bytes);

  // Writes the Namespace, takes a deferred Lease (ABORTED when another
  // replica wrote this cluster meanwhile), then the cluster's objects.
  absl::Status Write(const ClusterWrites& writes, VerbScope* scope) const;

 private:
  absl::Status WriteClusterObjects(const ClusterWrites& writes,
                                   const std::string& ns) const;

  kube::KubeClient* kube_;
  std::string field_manager_;
  std::function<std::string(size_t)> random_bytes_;
};

}  // namespace capi_bridge::lifecycle

#endif  // CAPI_BRIDGE_SERVER_LIFECYCLE_CLUSTER_WRITER_H_
