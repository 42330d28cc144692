#include "server/kube/watch_cache.h"

#include <malloc.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "server/log/log.h"

namespace capi_bridge::kube {

using json = nlohmann::json;

struct WatchCache::Loop {
  ResourceType type;
  std::thread thread;
  mutable absl::Mutex mu;
  WatchState state ABSL_GUARDED_BY(mu);
};

WatchCache::WatchCache(KubeClient* client, std::vector<ResourceType> types,
                       WatchSink* sink, WatchCacheOptions options)
    : client_(client),
      sink_(sink),
      options_(std::move(options)),
      ns_prefix_(options_.namespace_prefix + "-") {
  for (ResourceType& type : types) {
    auto loop = std::make_unique<Loop>();
    loop->type = std::move(type);
    loop->state.kind = loop->type.kind;
    loops_.push_back(std::move(loop));
  }
  unsynced_ = static_cast<int>(loops_.size());
}

WatchCache::~WatchCache() { Stop(); }

void WatchCache::Start() {
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    l->thread = std::thread([this, l] { Run(l); });
  }
  heartbeat_ = std::thread([this] { Heartbeat(); });
}

void WatchCache::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  if (heartbeat_.joinable()) heartbeat_.join();
}

void WatchCache::Heartbeat() {
  while (Pause(options_.heartbeat_interval)) {
    // Any answer means the server is there (the object need not exist).
    auto answer = client_->Get(kinds::kNamespace, "", "kube-system");
    const bool reached = answer.ok() || absl::IsNotFound(answer.status()) ||
                         absl::IsPermissionDenied(answer.status());
    if (!reached) continue;
    const absl::Time now = absl::Now();
    for (auto& loop : loops_) {
      absl::MutexLock lock(&loop->mu);
      if (loop->state.connected) loop->state.heard = now;
    }
  }
}

absl::Duration WatchCache::Staleness(absl::Time now) const {
  absl::Duration worst = absl::ZeroDuration();
  for (const auto& loop : loops_) {
    absl::MutexLock lock(&loop->mu);
    if (loop->state.absent || !loop->state.synced) continue;
    worst = std::max(worst, now - loop->state.heard);
  }
  return worst;
}

bool WatchCache::Ready() const {
  absl::MutexLock lock(&mu_);
  return unsynced_ == 0;
}

bool WatchCache::WaitReady(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return unsynced_ == 0;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return unsynced_ == 0;
}

std::vector<WatchState> WatchCache::States() const {
  std::vector<WatchState> out;
  for (const auto& loop : loops_) {
    absl::MutexLock lock(&loop->mu);
    out.push_back(loop->state);
  }
  return out;
}

bool WatchCache::Keep(const json& object) const {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return false;
  auto ns = meta->find("namespace");
  return ns != meta->end() && ns->is_string() &&
         absl::StartsWith(ns->get_ref<const std::string&>(), ns_prefix_);
}

bool WatchCache::Pause(absl::Duration d) {
  return !stop_.WaitForNotificationWithTimeout(d);
}

void WatchCache::Run(Loop* loop) {
  const ResourceType& type = loop->type;
  absl::Duration backoff = options_.initial_backoff;
  bool counted_sync = false;
  auto mark_synced = [&] {
    if (counted_sync) return;
    counted_sync = true;
    absl::MutexLock lock(&mu_);
    --unsynced_;
  };
  auto note = [&](auto&& change) {
    absl::MutexLock lock(&loop->mu);
    change(loop->state);
  };
  auto failed = [&](const absl::Status& status) {
    log::Warn("watch of a kind failed, retrying",
              {{"kind", type.kind},
               {"error", std::string(status.message())},
               {"retry_in_ms", absl::ToInt64Milliseconds(backoff)}});
    note([&](WatchState& s) {
      s.connected = false;
      s.last_error = std::string(status.message());
    });
    bool go_on = Pause(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
    return go_on;
  };

  while (!stop_.HasBeenNotified()) {
    // List, page by page, into a resync of the sink.
    sink_->BeginResync(type);
    auto version = client_->ListEach(type, "", "", [&](json&& item) {
      if (Keep(item)) sink_->Upsert(type, item);
    });
    if (!version.ok()) {
      sink_->AbortResync(type);  // keep what we had: the best we know
      if (absl::IsNotFound(version.status())) {
        note([](WatchState& s) {
          s.absent = true;
          s.last_error.clear();
        });
        mark_synced();
        if (!Pause(options_.absent_recheck)) return;
        continue;
      }
      if (absl::IsCancelled(version.status())) return;
      if (!failed(version.status())) return;
      continue;
    }
    sink_->EndResync(type);
    // A large list leaves its parse buffers freed but mapped (glibc keeps
    // them for reuse); hand them back so RSS reflects what is held.
    malloc_trim(0);
    note([](WatchState& s) {
      s.absent = false;
      s.synced = true;
      s.connected = true;
      s.last_error.clear();
      ++s.lists;
      s.heard = absl::Now();
    });
    mark_synced();
    backoff = options_.initial_backoff;

    // Watch from the list's version until 410 Gone forces a relist.
    std::string rv = *version;
    while (!stop_.HasBeenNotified()) {
      absl::Status status = client_->Watch(
          type, "", "", rv, options_.watch_timeout,
          [&](const WatchEvent& event) {
            if (stop_.HasBeenNotified()) return false;
            auto meta = event.object.find("metadata");
            if (meta != event.object.end() && meta->is_object()) {
              std::string next = meta->value("resourceVersion", "");
              if (!next.empty()) rv = next;
            }
            if (event.type == "BOOKMARK") {
              note([](WatchState& s) { s.heard = absl::Now(); });
              return true;
            }
            note([](WatchState& s) {
              ++s.events;
              s.heard = absl::Now();
            });
            if (!Keep(event.object)) return true;
            if (event.type == "DELETED") {
              sink_->Remove(type, event.object);
            } else {
              sink_->Upsert(type, event.object);
            }
            return true;
          });
      if (stop_.HasBeenNotified() || absl::IsCancelled(status)) return;
      if (absl::IsOutOfRange(status)) {
        note([](WatchState& s) { ++s.relists_gone; });
        log::Info("watch expired (410 Gone), relisting", {{"kind", type.kind}});
        break;
      }
      note([](WatchState& s) { ++s.reconnects; });
      if (!status.ok()) {
        if (!failed(status)) return;
      } else {
        backoff = options_.initial_backoff;
        note([](WatchState& s) {
          s.connected = true;
          s.heard = absl::Now();
        });
      }
    }
  }
}

}  // namespace capi_bridge::kube
