// Naming rules shared with the reference driver (openstack/magnum-capi-helm),
// kept identical so that clusters it created can be adopted: the namespace
// per project, the release name stored in Magnum's stack_id, and the
// sanitised node-group names that become MachineDeployment names.
#ifndef CAPI_BRIDGE_SERVER_RENDER_NAMING_H_
#define CAPI_BRIDGE_SERVER_RENDER_NAMING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace capi_bridge::render {

// Lower-cases, turns every run of characters outside [a-z0-9] into one '-',
// and strips leading and trailing '-'. "GPU_Pool 1" -> "gpu-pool-1".
std::string SanitizedName(absl::string_view name);

// "<prefix>-<project id lower-cased, keeping only [a-z0-9]>".
std::string NamespaceName(absl::string_view prefix,
                          absl::string_view project_id);

// Magnum's short id: 12 lower-case base32 characters from the 60 low bits
// of `random_bits` (magnum/common/short_id.py takes them from a UUID4).
std::string ShortId(uint64_t random_bits);

// The release name generated once for a new cluster:
// SanitizedName(cluster_name) cut to 30 characters, "-", ShortId. A name
// that sanitises to nothing becomes "cluster".
std::string GenerateReleaseName(absl::string_view cluster_name,
                                uint64_t random_bits);

// Helm's limit on release names.
inline constexpr size_t kMaxReleaseNameLength = 53;
// Kubernetes' limit on names used as label values and by the chart.
inline constexpr size_t kMaxObjectNameLength = 63;

// Helm's release-name rule: lower-case alphanumerics and '-', starting and
// ending with an alphanumeric, at most kMaxReleaseNameLength characters.
bool IsReleaseName(absl::string_view name);

// A Magnum cluster UUID the bridge accepts (it names the cluster's Lease
// and labels its Secrets), and what the refusal says is accepted.
bool IsClusterUuid(absl::string_view uuid);
inline constexpr char kClusterUuidAccepted[] =
    "a UUID as Magnum writes it: at most 63 lower-case letters, digits and "
    "'-' (it names the cluster's Lease and labels its Secrets)";

// Suffixes and Secret names of the reference driver.
std::string CloudCredentialsSecretName(absl::string_view release);

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_NAMING_H_
