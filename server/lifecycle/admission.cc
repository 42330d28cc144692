#include "server/lifecycle/admission.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/render/naming.h"
#include "server/render/problems.h"

namespace capi_bridge::lifecycle {

VerbScope::VerbScope(Admission* admission, AdmitRequest request,
                     OperationLocks::Guard guard)
    : admission_(admission),
      request_(std::move(request)),
      started_(absl::Now()),
      guard_(std::move(guard)) {}

// The Lease goes first (its destructor writes to the management cluster),
// then the lock, so no second verb of this process starts meanwhile.
VerbScope::~VerbScope() { lease_.reset(); }

absl::Status VerbScope::TakeDeferredLease() {
  if (!lease_deferred_) return absl::OkStatus();
  auto held = admission_->leases_->Acquire(ns(), uuid(), verb());
  if (!held.ok()) return held.status();
  lease_ = *std::move(held);
  lease_deferred_ = false;
  return absl::OkStatus();
}

absl::Status VerbScope::EnoughTimeLeft(const char* stage) const {
  return admission_->EnoughTimeLeft(deadline(), stage);
}

Admission::Admission(kube::KubeClient* kube, LeaseOptions leases,
                     absl::Duration min_time_to_start)
    : leases_(leases.duration > absl::ZeroDuration()
                  ? std::make_unique<ClusterLeases>(kube, std::move(leases))
                  : nullptr),
      min_time_to_start_(min_time_to_start) {}

absl::Status Admission::EnoughTimeLeft(absl::Time deadline,
                                       const char* stage) const {
  if (deadline == absl::InfiniteFuture()) return absl::OkStatus();
  const absl::Duration left = deadline - absl::Now();
  if (left >= min_time_to_start_) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      "the caller's deadline leaves ",
      absl::FormatDuration(absl::Trunc(std::max(left, absl::ZeroDuration()),
                                       absl::Milliseconds(100))),
      ", less than the ", absl::FormatDuration(min_time_to_start_),
      " a verb needs to start helm; ", stage,
      ": retry with a longer deadline"));
}

absl::StatusOr<std::unique_ptr<VerbScope>> Admission::Admit(
    AdmitRequest request) {
  // The cluster UUID keys the per-cluster lock and labels the Secrets.
  if (request.uuid.empty()) {
    return absl::InvalidArgumentError(
        "spec.cluster.uuid: missing: the Magnum cluster UUID identifies the "
        "cluster");
  }
  // It names the Lease, written before the spec is validated.
  if (!render::IsClusterUuid(request.uuid)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.cluster.uuid: ", render::QuoteForMessage(request.uuid),
        "; accepted: ", render::kClusterUuidAccepted));
  }
  if (absl::Status time =
          EnoughTimeLeft(request.deadline, request.nothing_done);
      !time.ok()) {
    return time;
  }
  auto guard = locks_.TryAcquire(request.uuid, request.verb);
  if (!guard.ok()) return guard.status();
  std::unique_ptr<VerbScope> scope(
      new VerbScope(this, std::move(request), *std::move(guard)));
  if (leases_ == nullptr) return scope;
  auto held = leases_->Acquire(scope->ns(), scope->uuid(), scope->verb());
  if (absl::IsNotFound(held.status())) {
    scope->lease_deferred_ = true;
    return scope;
  }
  if (!held.ok()) return held.status();
  scope->lease_ = *std::move(held);
  return scope;
}

}  // namespace capi_bridge::lifecycle
