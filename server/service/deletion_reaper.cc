#include "server/service/deletion_reaper.h"

#include <vector>

#include "server/log/log.h"
#include "server/service/cluster_objects.h"

namespace capi_bridge::service {

DeletionReaper::DeletionReaper(kube::KubeClient* kube, absl::Duration interval)
    : kube_(kube), interval_(interval), thread_([this] { Run(); }) {}

DeletionReaper::~DeletionReaper() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void DeletionReaper::Add(const std::string& namespace_name,
                         const std::string& release,
                         const std::string& cluster_uuid) {
  absl::MutexLock lock(&mu_);
  const log::Context* context = log::CurrentContext();
  pending_[cluster_uuid] = Item{namespace_name, release, cluster_uuid,
                                context ? context->request_id : ""};
}

int DeletionReaper::Pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(pending_.size());
}

int DeletionReaper::CheckOnce() {
  std::vector<Item> items;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, item] : pending_) items.push_back(item);
  }
  int finished = 0;
  for (const Item& item : items) {
    // Lines carry the request id of the delete that queued the cluster.
    log::Context context;
    context.request_id = item.request_id;
    context.verb = "DeleteCluster";
    context.cluster_uuid = item.cluster_uuid;
    context.release = item.release;
    log::ScopedContext scope(std::move(context));
    auto cluster =
        kube_->Get(kube::kinds::kCluster, item.namespace_name, item.release);
    if (cluster.ok() || !absl::IsNotFound(cluster.status())) continue;
    absl::Status deleted =
        kube_->DeleteCollection(kube::kinds::kSecret, item.namespace_name,
                                ClusterSecretsSelector(item.cluster_uuid));
    if (!deleted.ok()) {
      log::Warn("removing the deleted cluster's Secrets failed, will retry",
                {{"namespace", item.namespace_name},
                 {"error", std::string(deleted.message())}});
      continue;
    }
    log::Info("cluster gone, its Secrets removed",
              {{"namespace", item.namespace_name}});
    absl::MutexLock lock(&mu_);
    pending_.erase(item.cluster_uuid);
    ++finished;
  }
  return finished;
}

void DeletionReaper::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]()
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), interval_);
      if (stop_) return;
      if (pending_.empty()) continue;
    }
    CheckOnce();
  }
}

}  // namespace capi_bridge::service
