#include "server/api/cluster_driver_service.h"

#include <string>

#include "server/api/grpc_status.h"

namespace capi_bridge::api {
namespace {

// The client's deadline (InfiniteFuture when it set none).
absl::Time CallerDeadline(const grpc::ServerContext* context) {
  auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

}  // namespace

grpc::Status ClusterDriverService::NoClusters() const {
  return grpc::Status(
      grpc::StatusCode::FAILED_PRECONDITION,
      "no management cluster is configured: " + no_clusters_reason_);
}

grpc::Status ClusterDriverService::RenderValues(
    grpc::ServerContext* context, const v1::RenderValuesRequest* request,
    v1::RenderValuesResponse* response) {
  VerbCall call("RenderValues", context, request->spec(), policy_);
  if (grpc::Status denied = call.Authorize(); !denied.ok()) {
    return call.Finish(denied);
  }
  absl::StatusOr<v1::RenderValuesResponse> result = render_->Render(*request);
  if (!result.ok()) return call.Finish(ToGrpcStatus(result.status()));
  *response = std::move(*result);
  return call.Finish(grpc::Status::OK);
}

template <typename Request, typename Response>
grpc::Status ClusterDriverService::Lifecycle(
    const char* name, grpc::ServerContext* context,
    absl::StatusOr<Response> (lifecycle::ClusterService::*verb)(const Request&,
                                                                absl::Time),
    const Request& request, Response* response,
    std::vector<std::string> secrets) {
  VerbCall call(name, context, request.spec(), policy_, std::move(secrets));
  if (grpc::Status denied = call.Authorize(); !denied.ok()) {
    return call.Finish(denied);
  }
  if (clusters_ == nullptr) return call.Finish(NoClusters());
  absl::StatusOr<Response> result =
      (clusters_->*verb)(request, CallerDeadline(context));
  if (!result.ok()) return call.Finish(ToGrpcStatus(result.status()));
  *response = std::move(*result);
  return call.Finish(grpc::Status::OK);
}

grpc::Status ClusterDriverService::CreateCluster(
    grpc::ServerContext* context, const v1::CreateClusterRequest* request,
    v1::OperationResponse* response) {
  std::vector<std::string> secrets = SecretsOf(request->credential());
  for (std::string& key : SecretsOf(request->ca_certificates())) {
    secrets.push_back(std::move(key));
  }
  return Lifecycle("CreateCluster", context, &lifecycle::ClusterService::Create,
                   *request, response, std::move(secrets));
}

grpc::Status ClusterDriverService::UpdateCluster(
    grpc::ServerContext* context, const v1::UpdateClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("UpdateCluster", context, &lifecycle::ClusterService::Update,
                   *request, response);
}

grpc::Status ClusterDriverService::ResizeCluster(
    grpc::ServerContext* context, const v1::ResizeClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("ResizeCluster", context, &lifecycle::ClusterService::Resize,
                   *request, response);
}

grpc::Status ClusterDriverService::UpgradeCluster(
    grpc::ServerContext* context, const v1::UpgradeClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("UpgradeCluster", context,
                   &lifecycle::ClusterService::Upgrade, *request, response);
}

grpc::Status ClusterDriverService::DeleteCluster(
    grpc::ServerContext* context, const v1::DeleteClusterRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("DeleteCluster", context, &lifecycle::ClusterService::Delete,
                   *request, response);
}

grpc::Status ClusterDriverService::CreateNodeGroup(
    grpc::ServerContext* context, const v1::NodeGroupRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("CreateNodeGroup", context,
                   &lifecycle::ClusterService::CreateNodeGroup, *request,
                   response);
}

grpc::Status ClusterDriverService::UpdateNodeGroup(
    grpc::ServerContext* context, const v1::NodeGroupRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("UpdateNodeGroup", context,
                   &lifecycle::ClusterService::UpdateNodeGroup, *request,
                   response);
}

grpc::Status ClusterDriverService::DeleteNodeGroup(
    grpc::ServerContext* context, const v1::NodeGroupRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("DeleteNodeGroup", context,
                   &lifecycle::ClusterService::DeleteNodeGroup, *request,
                   response);
}

grpc::Status ClusterDriverService::RotateCredential(
    grpc::ServerContext* context, const v1::RotateCredentialRequest* request,
    v1::OperationResponse* response) {
  return Lifecycle("RotateCredential", context,
                   &lifecycle::ClusterService::RotateCredential, *request,
                   response, SecretsOf(request->credential()));
}

grpc::Status ClusterDriverService::DiffCluster(
    grpc::ServerContext* context, const v1::DiffClusterRequest* request,
    v1::DiffClusterResponse* response) {
  return Lifecycle("DiffCluster", context, &lifecycle::ClusterService::Diff,
                   *request, response);
}

grpc::Status ClusterDriverService::GetClusterStatus(
    grpc::ServerContext* context, const v1::GetClusterStatusRequest* request,
    v1::ClusterStatus* response) {
  VerbCall call("GetClusterStatus", context, request->spec(), policy_);
  if (grpc::Status denied = call.Authorize(); !denied.ok()) {
    return call.Finish(denied);
  }
  if (status_ == nullptr) return call.Finish(NoClusters());
  absl::StatusOr<v1::ClusterStatus> result = status_->Get(*request);
  if (!result.ok()) return call.Finish(ToGrpcStatus(result.status()));
  *response = std::move(*result);
  return call.Finish(grpc::Status::OK);
}

grpc::Status ClusterDriverService::WatchClusterStatus(
    grpc::ServerContext* context, const v1::GetClusterStatusRequest* request,
    grpc::ServerWriter<v1::ClusterStatus>* writer) {
  VerbCall call("WatchClusterStatus", context, request->spec(), policy_);
  if (grpc::Status denied = call.Authorize(); !denied.ok()) {
    return call.Finish(denied);
  }
  if (status_ == nullptr) return call.Finish(NoClusters());
  const std::atomic<bool>* stopping = policy_.stopping;
  auto is_stopping = [stopping] { return stopping && stopping->load(); };
  absl::Status result = status_->Watch(
      *request,
      [writer](const v1::ClusterStatus& status) {
        return writer->Write(status);
      },
      [context, &is_stopping] {
        return context->IsCancelled() || is_stopping();
      });
  if (absl::IsCancelled(result) && is_stopping()) {
    return call.Finish(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "the bridge is shutting down; watch again (another replica or "
        "after the restart)"));
  }
  return call.Finish(ToGrpcStatus(result));
}

}  // namespace capi_bridge::api
