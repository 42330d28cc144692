// StatusRules (pure): the Magnum status of a cluster and its node groups,
// from the cached Cluster API objects.
//
// The rules of magnum-capi-helm (the Python driver) with its
// defects fixed:
//  - failures are detected, not waited on for ever: an OpenStackCluster
//    failure reason or an Error-severity condition, a Cluster failure, a
//    failed MachineDeployment or Machine, a control plane with an
//    Error-severity condition, a failed addon all give *_FAILED with a
//    reason naming the object and what it reported;
//  - a create/update (and a delete) that exceeds its timeout gives
//    *_FAILED saying what is still pending;
//  - a group is READY only once it runs the requested replica count, and a
//    failed group fails the cluster;
//  - HelmChartProxy readiness comes from its Ready condition;
//  - v1beta1 and v1beta2 objects give the same results: condition names
//    (Ready/Available, ControlPlaneReady/ControlPlaneAvailable) and counts
//    (updatedReplicas/upToDateReplicas) of both are understood;
//    v1beta2's negative-polarity conditions (Deleting, Paused, RollingOut,
//    Scaling*, Remediating, Updating) do not make a healthy cluster
//    UNHEALTHY; and since v1beta2 conditions carry no severity, its
//    failures are read from status.deprecated.v1beta1 (failureReason,
//    Error-severity conditions) while CAPI writes it (capi_records.h).
#ifndef CAPI_BRIDGE_SERVER_STATUS_STATUS_RULES_H_
#define CAPI_BRIDGE_SERVER_STATUS_STATUS_RULES_H_

#include "absl/time/time.h"
#include "magnum/capi/bridge/v1/driver.pb.h"
#include "server/status/capi_records.h"

namespace capi_bridge::status {

namespace v1 = magnum::capi::bridge::v1;

struct StatusInput {
  // Release (spec.cluster.stack_id), node groups and their Magnum statuses.
  const v1::ClusterSpec* spec = nullptr;
  // The status Magnum has now.
  v1::Status current = v1::STATUS_UNSPECIFIED;
  // What is known about the release's objects.
  const ClusterObjects* objects = nullptr;
  absl::Time now;
  // When the running operation began (InfinitePast: unknown, no timeout).
  absl::Time operation_started = absl::InfinitePast();
  // How long it may take before it is declared failed.
  absl::Duration timeout = absl::Minutes(60);
};

// Status, reasons, addresses, versions, per-group states and health.
v1::ClusterStatus EvaluateStatus(const StatusInput& input);

// The operation a cluster is in when the caller does not say (an operator
// rather than Magnum): DELETE_IN_PROGRESS while the CAPI Cluster is being
// deleted; CREATE_IN_PROGRESS while the last verb that marked the Cluster
// was its create (the operation annotation; without one, a mark older
// than the Cluster), or nothing marked it, or there is no Cluster yet;
// UPDATE_IN_PROGRESS otherwise.
v1::Status InferCurrent(const ClusterObjects& objects);

// True for *_COMPLETE and *_FAILED.
bool IsTerminal(v1::Status status);

}  // namespace capi_bridge::status

#endif  // CAPI_BRIDGE_SERVER_STATUS_STATUS_RULES_H_
