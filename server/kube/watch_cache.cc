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
  // The type as given, and as read (its version resolved).
  const ResourceType& base = loop->type;
  ResourceType type = base;
  absl::Duration backoff = options_.initial_backoff;
  bool counted_sync = false;
  bool first_list = true;
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

  // The group is not served (not installed): absent until rechecked.
  auto absent = [&] {
    note([](WatchState& s) {
      s.absent = true;
      s.last_error.clear();
    });
    mark_synced();
    return Pause(options_.absent_recheck);
  };
  // Whether `base`'s version comes from discovery.
  const bool discovered =
      options_.versions != nullptr && !UnderstoodVersions(base.group).empty();
  // The version to read `base` in now (`base` without discovery).
  auto resolve = [&]() -> absl::StatusOr<ResourceType> {
    if (!discovered) return base;
    return options_.versions->Resolve(base);
  };

  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<ResourceType> resolved = resolve();
    if (!resolved.ok()) {
      if (absl::IsNotFound(resolved.status())) {
        // The group is not served; ask again after the pause (it may have
        // been installed meanwhile).
        if (!absent()) return;
        options_.versions->Invalidate();
        continue;
      }
      if (!failed(resolved.status())) return;
      continue;
    }
    type = *std::move(resolved);
    // List, page by page, into a resync of the sink. The first attempt
    // may be answered from the API server's watch cache (cheap for it at
    // thousands of clusters; the watch that follows brings anything
    // newer), in one unpaged reply; every later list (after 410 Gone, an
    // error such as that reply cut at the server's request timeout, a new
    // version) is a consistent one, page by page, never older than what is
    // held.
    sink_->BeginResync(type);
    auto keep = [&](json&& item) {
      if (Keep(item)) sink_->Upsert(type, item);
    };
    auto version = first_list ? client_->ListEachCached(type, keep)
                              : client_->ListEach(type, "", "", keep);
    first_list = false;
    if (!version.ok()) {
      sink_->AbortResync(type);  // keep what we had: the best we know
      if (absl::IsNotFound(version.status())) {
        // The version may just have stopped being served (a CAPI
        // upgrade): discover again and relist in the one served now.
        if (discovered) {
          options_.versions->Invalidate();
          auto again = options_.versions->Resolve(base);
          if (again.ok() && again->version != type.version) continue;
        }
        if (!absent()) return;
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
    note([&](WatchState& s) {
      s.version = type.version;
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
      if (discovered) {
        if (absl::IsNotFound(status)) {
          // The version watched is no longer served.
          options_.versions->Invalidate();
          break;
        }
        auto now_read = options_.versions->Resolve(base);
        if (now_read.ok() && now_read->version != type.version) {
          log::Info("a newer API version is served, relisting",
                    {{"kind", type.kind},
                     {"was", type.version},
                     {"now", now_read->version}});
          break;
        }
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
