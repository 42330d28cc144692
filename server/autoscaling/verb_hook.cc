#include "server/autoscaling/verb_hook.h"

#include "absl/strings/str_cat.h"
#include "server/autoscaling/autoscaling_objects.h"
#include "server/log/log.h"

namespace capi_bridge::autoscaling {
namespace {

namespace v1 = magnum::capi::bridge::v1;

void Report(const absl::Status& status, const std::string& ns, const char* what,
            v1::OperationResponse* reply) {
  if (status.ok()) return;
  log::Warn(absl::StrCat("autoscaling: ", what, " failed"),
            {{"namespace", ns}, {"error", std::string(status.message())}});
  v1::Warning* warning = reply->add_warnings();
  warning->set_field("autoscaling");
  warning->set_message(absl::StrCat(what, " failed (", status.message(),
                                    "); the next operation tries again"));
}

}  // namespace

void AfterReleaseApplied(kube::KubeClient& kube, const v1::ClusterSpec& spec,
                         const std::string& release, const std::string& ns,
                         const nlohmann::json& values,
                         v1::OperationResponse* reply) {
  Report(SyncAutoscalingObjects(kube, {release, ns, spec.cluster().uuid()},
                                values, FlavorCapacities(spec.facts())),
         ns,
         "writing the cluster-autoscaler's template-reading Role and the "
         "capacity annotations",
         reply);
}

void AfterReleaseUninstalled(kube::KubeClient& kube,
                             const v1::ClusterSpec& spec,
                             const std::string& release, const std::string& ns,
                             v1::OperationResponse* reply) {
  Report(RemoveAutoscalingObjects(kube, {release, ns, spec.cluster().uuid()}),
         ns, "removing the cluster-autoscaler's template-reading Role", reply);
}

}  // namespace capi_bridge::autoscaling
