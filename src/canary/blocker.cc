#include "canary/blocker.h"

#include <algorithm>

namespace portscope::canary {
namespace {

bool InAny(const std::vector<Cidr>& list, const IpAddress& a) {
  return std::any_of(list.begin(), list.end(), [&](const Cidr& c) { return c.Contains(a); });
}

}  // namespace

Blocker::Blocker(BlockOptions options, Apply apply)
    : options_(std::move(options)), apply_(std::move(apply)), thread_([this] { Run(); }) {}

Blocker::~Blocker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Blocker::OnAlert(const store::AlertRecord& alert) {
  if (alert.phase != store::AlertPhase::kStarted) return;
  std::lock_guard lock(mu_);
  ++stats_.alerts_seen;
  const IpAddress& src = alert.source;
  if (InAny(options_.allow, src)) {
    ++stats_.skipped_allowed;
    return;
  }
  if (InAny(options_.ignore, src)) {
    ++stats_.skipped_ignored;
    return;
  }
  // Blocked recently: the set still holds it for more than half the timeout.
  auto it = applied_.find(src);
  bool fresh = it != applied_.end() && Clock::now() - it->second < std::chrono::seconds(options_.timeout_s) / 2;
  if (pending_.count(src) || fresh) {
    ++stats_.skipped_duplicate;
    return;
  }
  if (queue_.size() >= options_.queue_capacity) {
    ++stats_.dropped_queue_full;
    return;
  }
  queue_.push_back(src);
  pending_.insert(src);
  ++stats_.queued;
  wake_.notify_one();
}

BlockerStats Blocker::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Blocker::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

void Blocker::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) break;
    IpAddress src = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Status s = apply_(src, options_.timeout_s);  // spawns nft: never under the lock
    lock.lock();
    busy_ = false;
    pending_.erase(src);
    if (s.ok()) {
      ++stats_.blocked;
      auto now = Clock::now();
      if (applied_.size() >= kMaxRememberedBlocks && !applied_.count(src)) {
        // Forget expired blocks first, else the oldest one.
        std::erase_if(applied_, [&](const auto& e) { return now - e.second >= std::chrono::seconds(options_.timeout_s); });
        if (applied_.size() >= kMaxRememberedBlocks)
          applied_.erase(std::min_element(applied_.begin(), applied_.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; }));
      }
      applied_[src] = now;
    } else {
      ++stats_.failed;
      stats_.last_error = s.message();
    }
    if (queue_.empty()) idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace portscope::canary
