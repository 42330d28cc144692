#include "server/service/cluster_driver_service.h"

#include <string>

#include "server/service/grpc_status.h"

namespace capi_bridge::service {
namespace {

grpc::Status NotYet(const char* verb, const char* part) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      std::string(verb) +
                          " is not served by this bridge version yet: it "
                          "needs " +
                          part + ". RenderValues (dry run) is available.");
}

constexpr char kLifecycle[] =
    "the management-cluster client and helm runner (lifecycle verbs)";
constexpr char kStatus[] = "the status engine (watch cache and status rules)";

}  // namespace

grpc::Status ClusterDriverService::RenderValues(
    grpc::ServerContext*, const v1::RenderValuesRequest* request,
    v1::RenderValuesResponse* response) {
  absl::StatusOr<v1::RenderValuesResponse> result = render_->Render(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status ClusterDriverService::CreateCluster(
    grpc::ServerContext*, const v1::CreateClusterRequest*,
    v1::OperationResponse*) {
  return NotYet("CreateCluster", kLifecycle);
}
grpc::Status ClusterDriverService::UpdateCluster(
    grpc::ServerContext*, const v1::UpdateClusterRequest*,
    v1::OperationResponse*) {
  return NotYet("UpdateCluster", kLifecycle);
}
grpc::Status ClusterDriverService::ResizeCluster(
    grpc::ServerContext*, const v1::ResizeClusterRequest*,
    v1::OperationResponse*) {
  return NotYet("ResizeCluster", kLifecycle);
}
grpc::Status ClusterDriverService::UpgradeCluster(
    grpc::ServerContext*, const v1::UpgradeClusterRequest*,
    v1::OperationResponse*) {
  return NotYet("UpgradeCluster", kLifecycle);
}
grpc::Status ClusterDriverService::DeleteCluster(
    grpc::ServerContext*, const v1::DeleteClusterRequest*,
    v1::OperationResponse*) {
  return NotYet("DeleteCluster", kLifecycle);
}
grpc::Status ClusterDriverService::CreateNodeGroup(grpc::ServerContext*,
                                                   const v1::NodeGroupRequest*,
                                                   v1::OperationResponse*) {
  return NotYet("CreateNodeGroup", kLifecycle);
}
grpc::Status ClusterDriverService::UpdateNodeGroup(grpc::ServerContext*,
                                                   const v1::NodeGroupRequest*,
                                                   v1::OperationResponse*) {
  return NotYet("UpdateNodeGroup", kLifecycle);
}
grpc::Status ClusterDriverService::DeleteNodeGroup(grpc::ServerContext*,
                                                   const v1::NodeGroupRequest*,
                                                   v1::OperationResponse*) {
  return NotYet("DeleteNodeGroup", kLifecycle);
}
grpc::Status ClusterDriverService::RotateCredential(
    grpc::ServerContext*, const v1::RotateCredentialRequest*,
    v1::OperationResponse*) {
  return NotYet("RotateCredential", kLifecycle);
}
grpc::Status ClusterDriverService::GetClusterStatus(
    grpc::ServerContext*, const v1::GetClusterStatusRequest*,
    v1::ClusterStatus*) {
  return NotYet("GetClusterStatus", kStatus);
}
grpc::Status ClusterDriverService::WatchClusterStatus(
    grpc::ServerContext*, const v1::GetClusterStatusRequest*,
    grpc::ServerWriter<v1::ClusterStatus>*) {
  return NotYet("WatchClusterStatus", kStatus);
}

}  // namespace capi_bridge::service
