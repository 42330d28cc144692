#include "server/status/object_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace capi_bridge::status {
namespace {

using json = nlohmann::json;

std::string KeyOf(const RecordMeta& meta) {
  return absl::StrCat(meta.ns, "/", meta.cluster);
}

bool Empty(const ClusterObjects& o) {
  return !o.cluster && !o.infrastructure && o.control_planes.empty() &&
         o.deployments.empty() && o.machines.empty() && o.addons.empty();
}

// Replaces the record named like `record` in `records`, or appends it.
template <typename R>
void Put(std::vector<R>* records, R record) {
  for (R& held : *records) {
    if (held.meta.name == record.meta.name) {
      held = std::move(record);
      return;
    }
  }
  records->push_back(std::move(record));
}

template <typename R>
void Drop(std::vector<R>* records, const std::string& name) {
  records->erase(
      std::remove_if(records->begin(), records->end(),
                     [&](const R& r) { return r.meta.name == name; }),
      records->end());
}

bool IsAddon(const std::string& kind) {
  return kind == "HelmRelease" || kind == "Manifests" ||
         kind == "HelmChartProxy";
}

}  // namespace

std::vector<kube::ResourceType> WatchedTypes() {
  namespace k = kube::kinds;
  return {k::kCluster,           k::kOpenStackCluster, k::kKubeadmControlPlane,
          k::kMachineDeployment, k::kMachine,          k::kHelmRelease,
          k::kManifests,         k::kHelmChartProxy};
}

template <typename F>
void ObjectStore::Change(const std::string& key, F&& change) {
  Entry& entry = clusters_[key];
  change(&entry.objects);
  if (Empty(entry.objects)) {
    clusters_.erase(key);
  } else {
    entry.version = ++counter_;
  }
  changed_.SignalAll();
}

namespace {

// An object projected into its record, with where it goes.
struct Projected {
  std::string key;   // "<namespace>/<cluster>"
  std::string name;  // the object's
  std::function<void(ClusterObjects*)> put;
};

template <typename R, typename Place>
std::optional<Projected> Placed(std::optional<R> record, Place place) {
  if (!record) return std::nullopt;
  Projected out{KeyOf(record->meta), record->meta.name, nullptr};
  out.put = [r = std::move(*record), place](ClusterObjects* o) mutable {
    place(o, std::move(r));
  };
  return out;
}

// The one dispatch from a kind to its projection and its place. `type` is
// the resource type the object was read as (its version tells a v1beta2
// object without an apiVersion from a v1beta1 one).
std::optional<Projected> Project(const kube::ResourceType& type,
                                 const json& object) {
  const std::string& kind = type.kind;
  const std::string& read_as = type.version;
  if (kind == "Cluster") {
    return Placed(ProjectCluster(object, read_as),
                  [](ClusterObjects* o, auto r) { o->cluster = std::move(r); });
  }
  if (kind == "OpenStackCluster") {
    return Placed(ProjectInfrastructure(object), [](ClusterObjects* o, auto r) {
      o->infrastructure = std::move(r);
    });
  }
  if (kind == "KubeadmControlPlane") {
    return Placed(ProjectControlPlane(object, read_as),
                  [](ClusterObjects* o, auto r) {
                    Put(&o->control_planes, std::move(r));
                  });
  }
  if (kind == "MachineDeployment") {
    return Placed(
        ProjectMachineDeployment(object, read_as),
        [](ClusterObjects* o, auto r) { Put(&o->deployments, std::move(r)); });
  }
  if (kind == "Machine") {
    return Placed(
        ProjectMachine(object, read_as),
        [](ClusterObjects* o, auto r) { Put(&o->machines, std::move(r)); });
  }
  if (IsAddon(kind)) {
    std::optional<AddonRecord> record = ProjectAddon(object);
    if (record) record->kind = kind;  // list items need not carry their kind
    return Placed(std::move(record), [](ClusterObjects* o, AddonRecord r) {
      for (AddonRecord& held : o->addons) {
        if (held.meta.name == r.meta.name && held.kind == r.kind) {
          held = std::move(r);
          return;
        }
      }
      o->addons.push_back(std::move(r));
    });
  }
  return std::nullopt;
}

}  // namespace

void ObjectStore::Upsert(const kube::ResourceType& type, const json& object) {
  // Project outside the lock; only the insertion holds it.
  std::optional<Projected> p = Project(type, object);
  if (!p) return;
  absl::MutexLock lock(&mu_);
  auto stale = stale_.find(type.kind);
  if (stale != stale_.end()) stale->second.erase(Held{p->key, p->name});
  Change(p->key, p->put);
}

void ObjectStore::RemoveLocked(const std::string& kind, const std::string& key,
                               const std::string& name) {
  if (!clusters_.contains(key)) return;
  Change(key, [&](ClusterObjects* o) {
    if (kind == "Cluster") {
      o->cluster.reset();
    } else if (kind == "OpenStackCluster") {
      o->infrastructure.reset();
    } else if (kind == "KubeadmControlPlane") {
      Drop(&o->control_planes, name);
    } else if (kind == "MachineDeployment") {
      Drop(&o->deployments, name);
    } else if (kind == "Machine") {
      Drop(&o->machines, name);
    } else if (IsAddon(kind)) {
      o->addons.erase(std::remove_if(o->addons.begin(), o->addons.end(),
                                     [&](const AddonRecord& r) {
                                       return r.kind == kind &&
                                              r.meta.name == name;
                                     }),
                      o->addons.end());
    }
  });
}

void ObjectStore::Remove(const kube::ResourceType& type, const json& object) {
  // The projection finds the cluster the object was grouped under.
  std::optional<Projected> p = Project(type, object);
  if (!p) return;
  absl::MutexLock lock(&mu_);
  RemoveLocked(type.kind, p->key, p->name);
}

std::vector<ObjectStore::Held> ObjectStore::HeldOf(
    const std::string& kind) const {
  std::vector<Held> out;
  for (const auto& [key, entry] : clusters_) {
    const ClusterObjects& o = entry.objects;
    // (C++17 lambdas cannot capture structured bindings.)
    const std::string& cluster_key = key;
    auto add = [&](const RecordMeta& meta) {
      out.emplace_back(cluster_key, meta.name);
    };
    if (kind == "Cluster" && o.cluster) add(o.cluster->meta);
    if (kind == "OpenStackCluster" && o.infrastructure) {
      add(o.infrastructure->meta);
    }
    if (kind == "KubeadmControlPlane") {
      for (const auto& r : o.control_planes) add(r.meta);
    }
    if (kind == "MachineDeployment") {
      for (const auto& r : o.deployments) add(r.meta);
    }
    if (kind == "Machine") {
      for (const auto& r : o.machines) add(r.meta);
    }
    for (const auto& r : o.addons) {
      if (r.kind == kind) add(r.meta);
    }
  }
  return out;
}

void ObjectStore::BeginResync(const kube::ResourceType& type) {
  absl::MutexLock lock(&mu_);
  auto& stale = stale_[type.kind];
  stale.clear();
  for (Held& held : HeldOf(type.kind)) stale.insert(std::move(held));
}

void ObjectStore::EndResync(const kube::ResourceType& type) {
  absl::MutexLock lock(&mu_);
  auto it = stale_.find(type.kind);
  if (it == stale_.end()) return;
  for (const Held& held : it->second) {
    RemoveLocked(type.kind, held.first, held.second);
  }
  stale_.erase(it);
}

void ObjectStore::AbortResync(const kube::ResourceType& type) {
  absl::MutexLock lock(&mu_);
  stale_.erase(type.kind);
}

ObjectStore::View ObjectStore::Snapshot(const std::string& ns,
                                        const std::string& release) const {
  View view;
  absl::ReaderMutexLock lock(&mu_);
  auto it = clusters_.find(absl::StrCat(ns, "/", release));
  if (it == clusters_.end()) return view;
  view.objects = it->second.objects;
  view.version = it->second.version;
  return view;
}

uint64_t ObjectStore::WaitForChange(const std::string& ns,
                                    const std::string& release, uint64_t seen,
                                    absl::Time deadline) const {
  const std::string key = absl::StrCat(ns, "/", release);
  absl::MutexLock lock(&mu_);
  auto version = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = clusters_.find(key);
    return it == clusters_.end() ? uint64_t{0} : it->second.version;
  };
  while (version() == seen) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return version();
}

size_t ObjectStore::ClusterCount() const {
  absl::ReaderMutexLock lock(&mu_);
  return clusters_.size();
}

size_t ObjectStore::RecordCount() const {
  absl::ReaderMutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, entry] : clusters_) {
    const ClusterObjects& o = entry.objects;
    n += (o.cluster ? 1 : 0) + (o.infrastructure ? 1 : 0) +
         o.control_planes.size() + o.deployments.size() + o.machines.size() +
         o.addons.size();
  }
  return n;
}

}  // namespace capi_bridge::status
