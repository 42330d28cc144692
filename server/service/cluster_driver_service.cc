#include "server/service/cluster_driver_service.h"

#include <string>

#include "server/service/grpc_status.h"

namespace capi_bridge::service {

grpc::Status ClusterDriverService::RenderValues(
    grpc::ServerContext*, const v1::RenderValuesRequest* request,
    v1::RenderValuesResponse* response) {
  absl::StatusOr<v1::RenderValuesResponse> result = render_->Render(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

template <typename Request>
grpc::Status ClusterDriverService::Lifecycle(
    absl::StatusOr<v1::OperationResponse> (ClusterService::*verb)(
        const Request&),
    const Request& request, v1::OperationResponse* response) {
  if (clusters_ == nullptr) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        "no management cluster is configured: " + no_clusters_reason_);
  }
  absl::StatusOr<v1::OperationResponse> result = (clusters_->*verb)(request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status ClusterDriverService::CreateCluster(
    grpc::ServerContext*, const v1::CreateClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::Create, *request, response);
}

grpc::Status ClusterDriverService::UpdateCluster(
    grpc::ServerContext*, const v1::UpdateClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::Update, *request, response);
}

grpc::Status ClusterDriverService::ResizeCluster(
    grpc::ServerContext*, const v1::ResizeClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::Resize, *request, response);
}

grpc::Status ClusterDriverService::UpgradeCluster(
    grpc::ServerContext*, const v1::UpgradeClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::Upgrade, *request, response);
}

grpc::Status ClusterDriverService::DeleteCluster(
    grpc::ServerContext*, const v1::DeleteClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::Delete, *request, response);
}

grpc::Status ClusterDriverService::CreateNodeGroup(
    grpc::ServerContext*, const v1::NodeGroupRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::CreateNodeGroup, *request, response);
}

grpc::Status ClusterDriverService::UpdateNodeGroup(
    grpc::ServerContext*, const v1::NodeGroupRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::UpdateNodeGroup, *request, response);
}

grpc::Status ClusterDriverService::DeleteNodeGroup(
    grpc::ServerContext*, const v1::NodeGroupRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::DeleteNodeGroup, *request, response);
}

grpc::Status ClusterDriverService::RotateCredential(
    grpc::ServerContext*, const v1::RotateCredentialRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle(&ClusterService::RotateCredential, *request, response);
}

grpc::Status ClusterDriverService::GetClusterStatus(
    grpc::ServerContext*, const v1::GetClusterStatusRequest* request,
    v1::ClusterStatus* response) {
  if (status_ == nullptr) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        "no management cluster is configured: " + no_clusters_reason_);
  }
  absl::StatusOr<v1::ClusterStatus> result = status_->Get(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status ClusterDriverService::WatchClusterStatus(
    grpc::ServerContext* context, const v1::GetClusterStatusRequest* request,
    grpc::ServerWriter<v1::ClusterStatus>* writer) {
  if (status_ == nullptr) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        "no management cluster is configured: " + no_clusters_reason_);
  }
  absl::Status result = status_->Watch(
      *request,
      [writer](const v1::ClusterStatus& status) {
        return writer->Write(status);
      },
      [context] { return context->IsCancelled(); });
  return ToGrpcStatus(result);
}

}  // namespace capi_bridge::service
