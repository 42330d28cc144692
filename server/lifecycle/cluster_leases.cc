#include "server/lifecycle/cluster_leases.h"

#include <sys/random.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "server/rules/cluster_objects.h"
#include "server/util/kube_time.h"

namespace capi_bridge::lifecycle {
namespace {

using nlohmann::json;

constexpr char kVerbAnnotation[] = "capi-bridge.magnum.openstack.org/verb";
constexpr char kRequestAnnotation[] =
    "capi-bridge.magnum.openstack.org/request-id";
constexpr int kAcquireAttempts = 3;

std::string Seconds(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Seconds(d), "s");
}

}  // namespace

struct ClusterLeases::Held::Entry {
  absl::Mutex mu;  // serialises renewal and release of this Lease
  std::string ns;
  std::string uuid;
  std::string verb;
  std::string request_id;
  absl::Time acquired;
  int transitions = 0;
  std::string resource_version ABSL_GUARDED_BY(mu);
  bool released ABSL_GUARDED_BY(mu) = false;
  bool lost ABSL_GUARDED_BY(mu) = false;
};

std::string LeaseName(const std::string& cluster_uuid) {
  return absl::StrCat("capi-bridge-", cluster_uuid);
}

LeaseView ReadLease(const json& lease) {
  LeaseView view;
  const json spec = lease.value("spec", json::object());
  view.holder = spec.value("holderIdentity", "");
  view.acquired = util::ParseKubeTime(spec.value("acquireTime", ""));
  view.renewed = util::ParseKubeTime(spec.value("renewTime", ""));
  view.duration = absl::Seconds(spec.value("leaseDurationSeconds", 0));
  view.transitions = spec.value("leaseTransitions", 0);
  const json meta = lease.value("metadata", json::object());
  view.resource_version = meta.value("resourceVersion", "");
  const json annotations = meta.value("annotations", json::object());
  view.verb = annotations.value(kVerbAnnotation, "");
  view.request_id = annotations.value(kRequestAnnotation, "");
  return view;
}

bool LeaseFree(const LeaseView& lease, const std::string& identity,
               absl::Time now) {
  if (lease.holder.empty() || lease.holder == identity) return true;
  return lease.renewed + lease.duration < now;
}

std::string LeaseHeldMessage(const LeaseView& lease,
                             const std::string& cluster_uuid, absl::Time now) {
  std::string since =
      lease.acquired == absl::InfinitePast()
          ? std::string("an unknown time")
          : Seconds(std::max(absl::ZeroDuration(), now - lease.acquired));
  return absl::StrCat(
      "cluster ", cluster_uuid, " is busy: ",
      lease.verb.empty() ? std::string("an operation") : lease.verb,
      " by bridge replica ", lease.holder, " has held its Lease ",
      LeaseName(cluster_uuid), " for ", since,
      "; retry when it has finished (a replica that stops renewing loses "
      "the Lease ",
      Seconds(lease.duration), " after its last renewal)");
}

std::string DefaultLeaseIdentity() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "capi-bridge");
  }
  uint32_t random = 0;
  if (getrandom(&random, sizeof(random), 0) != sizeof(random)) {
    random = static_cast<uint32_t>(getpid());
  }
  return absl::StrFormat("%s_%08x", host, random);
}

ClusterLeases::ClusterLeases(kube::KubeClient* kube, LeaseOptions options)
    : kube_(kube), options_(std::move(options)) {
  if (options_.identity.empty()) options_.identity = DefaultLeaseIdentity();
  log::Info("per-cluster Leases",
            {{"identity", options_.identity},
             {"lease_duration_s", absl::ToInt64Seconds(options_.duration)}});
  thread_ = std::thread([this] { Run(); });
}

ClusterLeases::~ClusterLeases() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

json ClusterLeases::LeaseObject(const std::string& ns, const std::string& uuid,
                                const std::string& verb,
                                const std::string& request_id,
                                absl::Time acquired, int transitions,
                                const std::string& resource_version) const {
  json meta = {{"name", LeaseName(uuid)},
               {"namespace", ns},
               {"labels", {{rules::kClusterUuidLabel, uuid}}},
               {"annotations",
                {{kVerbAnnotation, verb}, {kRequestAnnotation, request_id}}}};
  if (!resource_version.empty()) meta["resourceVersion"] = resource_version;
  return {{"apiVersion", kube::kinds::kLease.ApiVersion()},
          {"kind", kube::kinds::kLease.kind},
          {"metadata", meta},
          {"spec",
           {{"holderIdentity", options_.identity},
            {"leaseDurationSeconds",
             std::max<int64_t>(1, absl::ToInt64Seconds(options_.duration))},
            {"acquireTime", util::KubeMicroTime(acquired)},
            {"renewTime", util::KubeMicroTime(absl::Now())},
            {"leaseTransitions", transitions}}}};
}

absl::StatusOr<std::unique_ptr<ClusterLeases::Held>> ClusterLeases::Acquire(
    const std::string& ns, const std::string& uuid, const std::string& verb) {
  const std::string name = LeaseName(uuid);
  const log::Context* context = log::CurrentContext();
  const std::string request_id = context ? context->request_id : "";
  for (int attempt = 0; attempt < kAcquireAttempts; ++attempt) {
    const absl::Time now = absl::Now();
    auto current = kube_->Get(kube::kinds::kLease, ns, name);
    absl::StatusOr<json> taken;
    int transitions = 0;
    if (absl::IsNotFound(current.status())) {
      taken =
          kube_->Create(kube::kinds::kLease,
                        LeaseObject(ns, uuid, verb, request_id, now, 0, ""));
      // Someone created it first (or our own create was retried): look.
      if (absl::IsAlreadyExists(taken.status())) continue;
    } else if (!current.ok()) {
      return current.status();
    } else {
      LeaseView view = ReadLease(*current);
      if (!LeaseFree(view, options_.identity, now)) {
        return absl::AbortedError(LeaseHeldMessage(view, uuid, now));
      }
      transitions = view.transitions;
      if (!view.holder.empty() && view.holder != options_.identity) {
        ++transitions;
        log::Warn("taking over a Lease its holder stopped renewing",
                  {{"namespace", ns},
                   {"lease", name},
                   {"holder", view.holder},
                   {"renewed_ago", Seconds(now - view.renewed)}});
      }
      taken = kube_->Replace(kube::kinds::kLease,
                             LeaseObject(ns, uuid, verb, request_id, now,
                                         transitions, view.resource_version));
      if (absl::IsAborted(taken.status())) continue;  // changed meanwhile
    }
    if (!taken.ok()) return taken.status();
    auto entry = std::make_shared<Held::Entry>();
    entry->ns = ns;
    entry->uuid = uuid;
    entry->verb = verb;
    entry->request_id = request_id;
    entry->acquired = now;
    entry->transitions = transitions;
    {
      absl::MutexLock lock(&entry->mu);
      entry->resource_version =
          taken->value("/metadata/resourceVersion"_json_pointer, "");
    }
    absl::MutexLock lock(&mu_);
    held_[entry.get()] = entry;
    return std::unique_ptr<Held>(new Held(this, entry));
  }
  // Every attempt lost a race: another replica took it in the same instant.
  auto current = kube_->Get(kube::kinds::kLease, ns, name);
  if (current.ok()) {
    return absl::AbortedError(
        LeaseHeldMessage(ReadLease(*current), uuid, absl::Now()));
  }
  return absl::AbortedError(absl::StrCat("cluster ", uuid,
                                         " is busy: its Lease ", name,
                                         " changed under every attempt"));
}

ClusterLeases::Held::~Held() { owner_->Release(entry_); }

void ClusterLeases::Release(const std::shared_ptr<Held::Entry>& entry) {
  {
    absl::MutexLock lock(&mu_);
    held_.erase(entry.get());
  }
  absl::MutexLock lock(&entry->mu);
  entry->released = true;
  if (entry->lost) return;
  json released =
      LeaseObject(entry->ns, entry->uuid, entry->verb, entry->request_id,
                  entry->acquired, entry->transitions, entry->resource_version);
  released["spec"].erase("holderIdentity");
  released["spec"].erase("acquireTime");
  auto done = kube_->Replace(kube::kinds::kLease, released);
  if (!done.ok()) {
    // It expires by itself; a conflict means another replica took it over.
    log::Warn("releasing a cluster Lease failed",
              {{"namespace", entry->ns},
               {"lease", LeaseName(entry->uuid)},
               {"error", std::string(done.status().message())}});
  }
}

void ClusterLeases::RenewOnce() {
  std::vector<std::shared_ptr<Held::Entry>> entries;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, entry] : held_) entries.push_back(entry);
  }
  for (const auto& entry : entries) {
    absl::MutexLock lock(&entry->mu);
    if (entry->released || entry->lost) continue;
    auto renewed = kube_->Replace(
        kube::kinds::kLease,
        LeaseObject(entry->ns, entry->uuid, entry->verb, entry->request_id,
                    entry->acquired, entry->transitions,
                    entry->resource_version));
    if (renewed.ok()) {
      entry->resource_version =
          renewed->value("/metadata/resourceVersion"_json_pointer, "");
      continue;
    }
    if (absl::IsAborted(renewed.status()) ||
        absl::IsNotFound(renewed.status())) {
      // Someone else changed it: we were too slow to renew and it was
      // taken over. The verb runs on; nothing more can be done here.
      entry->lost = true;
      log::Error("lost a cluster Lease while its verb runs",
                 {{"namespace", entry->ns},
                  {"lease", LeaseName(entry->uuid)},
                  {"verb", entry->verb}});
    } else {
      log::Warn("renewing a cluster Lease failed, will retry",
                {{"namespace", entry->ns},
                 {"lease", LeaseName(entry->uuid)},
                 {"error", std::string(renewed.status().message())}});
    }
  }
}

void ClusterLeases::Run() {
  const absl::Duration every =
      std::max(absl::Milliseconds(100), options_.duration / 3);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]()
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), every);
      if (stop_) return;
      if (held_.empty()) continue;
    }
    RenewOnce();
  }
}

}  // namespace capi_bridge::lifecycle
