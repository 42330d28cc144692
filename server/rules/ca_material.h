// CheckCaMaterial: the cluster CAs a create sends, parsed before they are
// written into the CA Secrets (a "certificate" that is not one would reach
// CAPI and break the cluster's bootstrap much later, far from its cause).
//
// Each non-empty pair needs a PEM certificate (a PEM public key is also
// accepted for the service-account pair, which only signs tokens) and an
// unencrypted PEM private key that belongs to it. Pure (OpenSSL parsing
// only); never puts key material in a message.
#ifndef CAPI_BRIDGE_SERVER_RULES_CA_MATERIAL_H_
#define CAPI_BRIDGE_SERVER_RULES_CA_MATERIAL_H_

#include "absl/status/status.h"
#include "magnum/capi/bridge/v1/cluster_spec.pb.h"

namespace capi_bridge::rules {

// OK, or INVALID_ARGUMENT naming every bad field and what is accepted.
absl::Status CheckCaMaterial(
    const magnum::capi::bridge::v1::CaCertificates& cas);

}  // namespace capi_bridge::rules

#endif  // CAPI_BRIDGE_SERVER_RULES_CA_MATERIAL_H_
