#include "server/lifecycle/status_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/rules/cluster_objects.h"
#include "server/status/status_rules.h"

namespace capi_bridge::lifecycle {
namespace {

using json = nlohmann::json;

absl::StatusOr<v1::Status> ParseCurrent(const std::string& text) {
  if (text.empty()) return v1::STATUS_UNSPECIFIED;
  v1::Status status;
  if (v1::Status_Parse(text, &status) && status != v1::STATUS_UNSPECIFIED) {
    return status;
  }
  std::vector<std::string> accepted;
  for (int i = v1::Status_MIN + 1; i <= v1::Status_MAX; ++i) {
    if (v1::Status_IsValid(i)) {
      accepted.push_back(v1::Status_Name(static_cast<v1::Status>(i)));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("current_status: \"", text, "\" is not a Magnum status; ",
                   "accepted: ", absl::StrJoin(accepted, ", ")));
}

}  // namespace

StatusService::StatusService(const rules::RenderService* render,
                             kube::KubeClient* kube,
                             const status::ObjectStore* store,
                             const kube::WatchCache* cache,
                             const OperationTimes* times, StatusOptions options,
                             std::function<absl::Time()> now)
    : render_(render),
      kube_(kube),
      store_(store),
      cache_(cache),
      times_(times),
      options_(options),
      now_(std::move(now)) {}

absl::StatusOr<status::ClusterObjects> StatusService::ReadDirect(
    const std::string& ns, const std::string& release) {
  namespace k = kube::kinds;
  // A scratch store groups the objects the way the watch cache does.
  status::ObjectStore scratch;
  // Each kind in the version discovery chose; a group not served has no
  // objects; a failed discovery fails the read (UNAVAILABLE).
  auto read_as = [&](const kube::ResourceType& base)
      -> absl::StatusOr<kube::ResourceType> {
    if (options_.versions == nullptr) return base;
    return options_.versions->Resolve(base);
  };
  for (const kube::ResourceType* base : {&k::kCluster, &k::kOpenStackCluster}) {
    auto type = read_as(*base);
    if (absl::IsNotFound(type.status())) continue;
    if (!type.ok()) return type.status();
    auto object = kube_->Get(*type, ns, release);
    if (object.ok()) {
      scratch.Upsert(*type, *object);
    } else if (!absl::IsNotFound(object.status())) {
      return object.status();
    }
  }
  // Every object of the namespace, grouped by the store's own rules (the
  // CAPI label, else the chart's, else spec.clusterName): a selector on
  // one label would miss what only the chart labels (its
  // KubeadmControlPlane, for one), which the cache finds.
  for (const kube::ResourceType* base :
       {&k::kKubeadmControlPlane, &k::kMachineDeployment, &k::kMachine,
        &k::kHelmRelease, &k::kManifests, &k::kHelmChartProxy}) {
    auto type = read_as(*base);
    if (absl::IsNotFound(type.status())) continue;
    if (!type.ok()) return type.status();
    auto listed = kube_->ListEach(
        *type, ns, "", [&](json&& item) { scratch.Upsert(*type, item); });
    // A CRD that is not installed (HelmChartProxy) lists as 404.
    if (!listed.ok() && !absl::IsNotFound(listed.status())) {
      return listed.status();
    }
  }
  return scratch.Snapshot(ns, release).objects;
}

absl::Status StaleCache(const kube::WatchCache* cache, absl::Duration bound,
                        absl::Time now) {
  if (cache == nullptr || !cache->Ready()) return absl::OkStatus();
  const absl::Duration age = cache->Staleness(now);
  if (age <= bound) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "management cluster unreachable: not heard from for ",
      absl::ToInt64Seconds(age), "s (status.max_staleness_seconds ",
      absl::ToInt64Seconds(bound),
      "); status is not answered from data that old"));
}

absl::Time StatusService::OperationStarted(absl::Time recorded_in_cluster,
                                           const std::string& uuid) const {
  // The management cluster's record is the same for every replica; this
  // process's own, when later, covers a record that could not be written.
  absl::Time here = times_->Recorded(uuid);
  if (recorded_in_cluster == absl::InfinitePast() &&
      here == absl::InfinitePast()) {
    return times_->Since(uuid);  // the bridge's start
  }
  return std::max(recorded_in_cluster, here);
}

absl::StatusOr<v1::ClusterStatus> StatusService::Evaluate(
    const v1::GetClusterStatusRequest& request, uint64_t* version) {
  const v1::ClusterSpec& spec = request.spec();
  auto current = ParseCurrent(request.current_status());
  if (!current.ok()) return current.status();
  const std::string& release = spec.cluster().stack_id();
  if (release.empty()) {
    return absl::InvalidArgumentError(
        "spec.cluster.stack_id: empty: the cluster has no helm release to "
        "report on (the release name CreateCluster returned)");
  }
  if (spec.cluster().uuid().empty()) {
    return absl::InvalidArgumentError("spec.cluster.uuid: empty: required");
  }
  const std::string ns = render_->NamespaceOf(spec);

  status::ClusterObjects objects;
  *version = 0;
  if (store_ != nullptr && cache_ != nullptr && cache_->Ready()) {
    absl::Status fresh = StaleCache(cache_, options_.max_staleness, now_());
    if (!fresh.ok()) return fresh;
    status::ObjectStore::View view = store_->Snapshot(ns, release);
    objects = std::move(view.objects);
    *version = view.version;
    stats_.from_cache.fetch_add(1, std::memory_order_relaxed);
  } else {
    auto read = ReadDirect(ns, release);
    if (!read.ok()) return read.status();
    objects = *std::move(read);
    stats_.direct_reads.fetch_add(1, std::memory_order_relaxed);
  }

  // Magnum always says which operation it waits for; another caller (an
  // operator's CLI) may leave it to the objects. Only Magnum's own
  // DELETE_IN_PROGRESS removes the cluster's Secrets below.
  const v1::Status evaluated = *current == v1::STATUS_UNSPECIFIED
                                   ? status::InferCurrent(objects)
                                   : *current;
  status::StatusInput input;
  input.spec = &spec;
  input.current = evaluated;
  input.objects = &objects;
  input.now = now_();
  const std::string& uuid = spec.cluster().uuid();
  switch (evaluated) {
    case v1::CREATE_IN_PROGRESS:
      input.timeout =
          spec.cluster().create_timeout_minutes() > 0
              ? absl::Minutes(spec.cluster().create_timeout_minutes())
              : options_.create_timeout;
      input.operation_started =
          objects.cluster &&
                  objects.cluster->meta.created != absl::InfinitePast()
              ? objects.cluster->meta.created
              : times_->Since(uuid);
      break;
    case v1::UPDATE_IN_PROGRESS:
      input.timeout = options_.update_timeout;
      input.operation_started =
          OperationStarted(objects.cluster ? objects.cluster->operation_started
                                           : absl::InfinitePast(),
                           uuid);
      break;
    case v1::DELETE_IN_PROGRESS:
      input.timeout = options_.delete_timeout;
      input.operation_started =
          OperationStarted(objects.cluster ? objects.cluster->meta.deleted
                                           : absl::InfinitePast(),
                           uuid);
      break;
    default:
      break;
  }
  v1::ClusterStatus result = status::EvaluateStatus(input);
  result.set_evaluated_as(evaluated);

  if (result.status() == v1::DELETE_COMPLETE &&
      *current == v1::DELETE_IN_PROGRESS) {
    absl::Status removed = kube_->DeleteCollection(
        kube::kinds::kSecret, ns, rules::ClusterSecretsSelector(uuid));
    if (!removed.ok() && !absl::IsNotFound(removed)) {
      result.set_status(v1::DELETE_IN_PROGRESS);
      result.set_status_reason(absl::StrCat(
          "the Cluster API cluster is gone; removing its Secrets failed, "
          "retrying: ",
          removed.message()));
    }
  }
  return result;
}

absl::StatusOr<v1::ClusterStatus> StatusService::Get(
    const v1::GetClusterStatusRequest& request) {
  uint64_t version;
  return Evaluate(request, &version);
}

absl::Status StatusService::Watch(
    const v1::GetClusterStatusRequest& request,
    const std::function<bool(const v1::ClusterStatus&)>& send,
    const std::function<bool()>& cancelled) {
  const std::string ns = render_->NamespaceOf(request.spec());
  const std::string& release = request.spec().cluster().stack_id();
  std::optional<v1::ClusterStatus> last;
  uint64_t version = 0;
  while (!cancelled()) {
    auto status = Evaluate(request, &version);
    if (!status.ok()) return status.status();
    if (!last ||
        !google::protobuf::util::MessageDifferencer::Equals(*last, *status)) {
      if (!send(*status)) return absl::OkStatus();
      last = *status;
    }
    if (status::IsTerminal(status->status())) return absl::OkStatus();
    absl::Time deadline = now_() + options_.watch_tick;
    if (store_ != nullptr && cache_ != nullptr && cache_->Ready()) {
      store_->WaitForChange(ns, release, version, deadline);
    } else {
      absl::SleepFor(options_.watch_tick);
    }
  }
  return absl::CancelledError("the caller cancelled the watch");
}

}  // namespace capi_bridge::lifecycle
