// ClusterDriverService: the gRPC edge of the ClusterDriver API. Each verb
// delegates to the class owning its concern and maps absl::Status to a
// gRPC code. Every call goes through a VerbCall (bearer token, request id,
// log context, call statistics).
#ifndef CAPI_BRIDGE_SERVER_API_CLUSTER_DRIVER_SERVICE_H_
#define CAPI_BRIDGE_SERVER_API_CLUSTER_DRIVER_SERVICE_H_

#include <string>

#include "magnum/capi/bridge/v1/driver.grpc.pb.h"
#include "server/api/verb_call.h"
#include "server/lifecycle/cluster_service.h"
#include "server/lifecycle/status_service.h"
#include "server/rules/render_service.h"

namespace capi_bridge::api {

namespace v1 = magnum::capi::bridge::v1;

class ClusterDriverService final : public v1::ClusterDriver::Service {
 public:
  // `render` and `clusters` must outlive the service. `clusters` may be
  // null when no management cluster is configured; the lifecycle verbs
  // then answer FAILED_PRECONDITION with `no_clusters_reason`.
  // `status` likewise (null: the status verbs answer FAILED_PRECONDITION).
  ClusterDriverService(const rules::RenderService* render,
                       lifecycle::ClusterService* clusters,
                       lifecycle::StatusService* status,
                       std::string no_clusters_reason = "",
                       CallPolicy policy = {})
      : render_(render),
        clusters_(clusters),
        status_(status),
        no_clusters_reason_(std::move(no_clusters_reason)),
        policy_(std::move(policy)) {}

  grpc::Status RenderValues(grpc::ServerContext* context,
                            const v1::RenderValuesRequest* request,
                            v1::RenderValuesResponse* response) override;

  grpc::Status CreateCluster(grpc::ServerContext* context,
                             const v1::CreateClusterRequest* request,
                             v1::OperationResponse* response) override;
  grpc::Status UpdateCluster(grpc::ServerContext* context,
                             const v1::UpdateClusterRequest* request,
                             v1::OperationResponse* response) override;
  grpc::Status ResizeCluster(grpc::ServerContext* context,
                             const v1::ResizeClusterRequest* request,
                             v1::OperationResponse* response) override;
  grpc::Status UpgradeCluster(grpc::ServerContext* context,
                              const v1::UpgradeClusterRequest* request,
                              v1::OperationResponse* response) override;
  grpc::Status DeleteCluster(grpc::ServerContext* context,
                             const v1::DeleteClusterRequest* request,
                             v1::OperationResponse* response) override;
  grpc::Status CreateNodeGroup(grpc::ServerContext* context,
                               const v1::NodeGroupRequest* request,
                               v1::OperationResponse* response) override;
  grpc::Status UpdateNodeGroup(grpc::ServerContext* context,
                               const v1::NodeGroupRequest* request,
                               v1::OperationResponse* response) override;
  grpc::Status DeleteNodeGroup(grpc::ServerContext* context,
                               const v1::NodeGroupRequest* request,
                               v1::OperationResponse* response) override;
  grpc::Status DiffCluster(grpc::ServerContext* context,
                           const v1::DiffClusterRequest* request,
                           v1::DiffClusterResponse* response) override;
  grpc::Status RotateCredential(grpc::ServerContext* context,
                                const v1::RotateCredentialRequest* request,
                                v1::OperationResponse* response) override;
  grpc::Status GetClusterStatus(grpc::ServerContext* context,
                                const v1::GetClusterStatusRequest* request,
                                v1::ClusterStatus* response) override;
  grpc::Status WatchClusterStatus(
      grpc::ServerContext* context, const v1::GetClusterStatusRequest* request,
      grpc::ServerWriter<v1::ClusterStatus>* writer) override;

 private:
  // Runs one lifecycle verb of `clusters_` and maps its status.
  template <typename Request, typename Response>
  grpc::Status Lifecycle(const char* name, grpc::ServerContext* context,
                         absl::StatusOr<Response> (
                             lifecycle::ClusterService::*verb)(const Request&,
                                                               absl::Time),
                         const Request& request, Response* response,
                         std::vector<std::string> secrets = {});
  grpc::Status NoClusters() const;

  const rules::RenderService* render_;
  lifecycle::ClusterService* clusters_;
  lifecycle::StatusService* status_;
  std::string no_clusters_reason_;
  CallPolicy policy_;
};

}  // namespace capi_bridge::api

#endif  // CAPI_BRIDGE_SERVER_API_CLUSTER_DRIVER_SERVICE_H_
