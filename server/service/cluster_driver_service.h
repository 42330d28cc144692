// ClusterDriverService: the gRPC edge of the ClusterDriver API. Each verb
// delegates to the class owning its concern and maps absl::Status to a
// gRPC code. Verbs whose issue has not landed answer UNIMPLEMENTED saying
// which part of the bridge will serve them.
#ifndef CAPI_BRIDGE_SERVER_SERVICE_CLUSTER_DRIVER_SERVICE_H_
#define CAPI_BRIDGE_SERVER_SERVICE_CLUSTER_DRIVER_SERVICE_H_

#include "magnum/capi/bridge/v1/driver.grpc.pb.h"
#include "server/service/render_service.h"

namespace capi_bridge::service {

class ClusterDriverService final : public v1::ClusterDriver::Service {
 public:
  // `render` must outlive the service.
  explicit ClusterDriverService(const RenderService* render)
      : render_(render) {}

  grpc::Status RenderValues(grpc::ServerContext* context,
                            const v1::RenderValuesRequest* request,
                            v1::RenderValuesResponse* response) override;

  grpc::Status CreateCluster(grpc::ServerContext*,
                             const v1::CreateClusterRequest*,
                             v1::OperationResponse*) override;
  grpc::Status UpdateCluster(grpc::ServerContext*,
                             const v1::UpdateClusterRequest*,
                             v1::OperationResponse*) override;
  grpc::Status ResizeCluster(grpc::ServerContext*,
                             const v1::ResizeClusterRequest*,
                             v1::OperationResponse*) override;
  grpc::Status UpgradeCluster(grpc::ServerContext*,
                              const v1::UpgradeClusterRequest*,
                              v1::OperationResponse*) override;
  grpc::Status DeleteCluster(grpc::ServerContext*,
                             const v1::DeleteClusterRequest*,
                             v1::OperationResponse*) override;
  grpc::Status CreateNodeGroup(grpc::ServerContext*,
                               const v1::NodeGroupRequest*,
                               v1::OperationResponse*) override;
  grpc::Status UpdateNodeGroup(grpc::ServerContext*,
                               const v1::NodeGroupRequest*,
                               v1::OperationResponse*) override;
  grpc::Status DeleteNodeGroup(grpc::ServerContext*,
                               const v1::NodeGroupRequest*,
                               v1::OperationResponse*) override;
  grpc::Status RotateCredential(grpc::ServerContext*,
                                const v1::RotateCredentialRequest*,
                                v1::OperationResponse*) override;
  grpc::Status GetClusterStatus(grpc::ServerContext*,
                                const v1::GetClusterStatusRequest*,
                                v1::ClusterStatus*) override;
  grpc::Status WatchClusterStatus(
      grpc::ServerContext*, const v1::GetClusterStatusRequest*,
      grpc::ServerWriter<v1::ClusterStatus>*) override;

 private:
  const RenderService* render_;
};

}  // namespace capi_bridge::service

#endif  // CAPI_BRIDGE_SERVER_SERVICE_CLUSTER_DRIVER_SERVICE_H_
