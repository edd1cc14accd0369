#include "web/here.h"

#include "sockets/socket_table.h"

namespace portscope::web {

HereSource::HereSource(std::chrono::milliseconds ttl, Taker taker) : ttl_(ttl), taker_(std::move(taker)) {
  if (!taker_)
    taker_ = [] {
      sockets::Query q;
      q.listening_only = true;
      return sockets::TakeSnapshot(q);
    };
}

std::shared_ptr<const HereSnapshot> HereSource::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  if (current_ && std::chrono::steady_clock::now() - current_at_ < ttl_) return current_;
  if (refreshing_) {
    if (current_) return current_;  // stale by less than one refresh: good enough
    cv_.wait(lock, [&] { return !refreshing_; });
    return current_;
  }
  refreshing_ = true;
  lock.unlock();

  auto fresh = std::make_shared<HereSnapshot>();
  Result<sockets::Snapshot> r = taker_();
  if (r.ok()) {
    fresh->snapshot = std::move(r).value();
  } else {
    fresh->status = r.status();
    failures_.fetch_add(1, std::memory_order_relaxed);
  }
  fresh->taken = std::chrono::system_clock::now();
  refreshes_.fetch_add(1, std::memory_order_relaxed);

  lock.lock();
  current_ = std::move(fresh);
  current_at_ = std::chrono::steady_clock::now();
  refreshing_ = false;
  cv_.notify_all();
  return current_;
}

}  // namespace portscope::web
