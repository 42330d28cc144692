// The section renderers of ValuesRenderer, one per area of the values
// document. Each reads the spec and labels from the context, adds its keys
// to ctx->values and records problems and warnings. Internal to
// server/render.
#ifndef CAPI_BRIDGE_SERVER_RENDER_SECTIONS_H_
#define CAPI_BRIDGE_SERVER_RENDER_SECTIONS_H_

#include "server/render/render_context.h"

namespace capi_bridge::render {

// kubernetesVersion, machineImageId, osDistro, machineSSHKeyName,
// cloudCredentialsSecretName. Sets ctx->kube_version. (sections_cluster.cc)
void RenderImageAndIdentity(RenderContext* ctx);
// etcd.blockDevice, etcd.encryption. (sections_cluster.cc)
void RenderEtcd(RenderContext* ctx);
// oidc.* (sections_cluster.cc)
void RenderOidc(RenderContext* ctx);
// registryMirrors, autoscaler.image.tag (sections_cluster.cc)
void RenderRegistryAndAutoscaler(RenderContext* ctx);
// kubeadmConfigSpec fragments: cert SANs, cipher suites, admission plugins.
// (sections_cluster.cc)
void RenderKubeadm(RenderContext* ctx);

// clusterNetworking.*, kubeNetwork.*; sets ctx->node_cidr when CAPO
// creates the network. (sections_network.cc)
void RenderNetworking(RenderContext* ctx);
// apiServer.* (needs RenderNetworking first). (sections_network.cc)
void RenderApiServer(RenderContext* ctx);

// controlPlane.*, nodeGroupDefaults.*, nodeGroups[]. (sections_node_groups.cc)
void RenderNodeGroups(RenderContext* ctx);

// addons.* and authWebhook. (sections_addons.cc)
void RenderAddons(RenderContext* ctx);
// Checks that need the final document (after operator overrides).
// (sections_addons.cc)
void CheckMergedValues(RenderContext* ctx);

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_SECTIONS_H_
