#include "server/lifecycle/cluster_writer.h"

#include "absl/strings/str_cat.h"
#include "server/rules/cluster_objects.h"

namespace capi_bridge::lifecycle {

using nlohmann::json;

ClusterWriter::ClusterWriter(kube::KubeClient* kube, std::string field_manager,
                             std::function<std::string(size_t)> random_bytes)
    : kube_(kube),
      field_manager_(std::move(field_manager)),
      random_bytes_(std::move(random_bytes)) {}

absl::Status ClusterWriter::Write(const ClusterWrites& writes,
                                  VerbScope* scope) const {
  const std::string& ns = scope->ns();
  auto applied = kube_->Apply(kube::kinds::kNamespace,
                              rules::NamespaceObject(ns), field_manager_);
  if (!applied.ok()) return applied.status();
  if (scope->lease_deferred()) {
    if (absl::Status lease = scope->TakeDeferredLease(); !lease.ok()) {
      return lease;
    }
    // Observe saw an empty namespace; another replica that created the
    // cluster in between has labelled its Secrets by now.
    auto secrets = kube_->List(kube::kinds::kSecret, ns,
                               rules::ClusterSecretsSelector(scope->uuid()));
    if (!secrets.ok()) return secrets.status();
    for (const auto& secret : (*secrets)["items"]) {
      std::string other = rules::LabelOf(secret, rules::kClusterNameLabel);
      if (!other.empty() && other != writes.release) {
        return absl::AbortedError(
            absl::StrCat("cluster ", scope->uuid(), " was created as release ",
                         other, " by another replica while this ",
                         scope->verb(), " ran; retry it"));
      }
    }
  }
  return WriteClusterObjects(writes, ns);
}

absl::Status ClusterWriter::WriteClusterObjects(const ClusterWrites& writes,
                                                const std::string& ns) const {
  const v1::ClusterSpec& spec = *writes.spec;
  rules::ClusterIdentity id{writes.release, ns, spec.cluster().uuid(),
                            spec.cluster().project_id(),
                            spec.cluster().user_id()};
  if (writes.credential != nullptr) {
    auto applied =
        kube_->Apply(kube::kinds::kSecret,
                     rules::CloudCredentialsSecret(id, spec.facts().keystone(),
                                                   *writes.credential),
                     field_manager_);
    if (!applied.ok()) return applied.status();
  }
  if (writes.cas != nullptr) {
    for (const json& secret : rules::CaSecrets(id, *writes.cas)) {
      auto applied = kube_->Apply(kube::kinds::kSecret, secret, field_manager_);
      if (!applied.ok()) return applied.status();
    }
  }
  if (writes.values != nullptr &&
      writes.values->value("/etcd/encryption/enabled"_json_pointer, false)) {
    std::string name = absl::StrCat(writes.release, "-etcd-key");
    auto key = kube_->Get(kube::kinds::kSecret, ns, name);
    if (!key.ok() && absl::IsNotFound(key.status())) {
      auto applied = kube_->Apply(kube::kinds::kSecret,
                                  rules::EtcdKeySecret(id, random_bytes_(32)),
                                  field_manager_);
      if (!applied.ok()) return applied.status();
    } else if (!key.ok()) {
      return key.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace capi_bridge::lifecycle
