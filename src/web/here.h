// What holds ports on this machine now, for the port pages' "here" section.
//
// One snapshot of every listening socket (TCP and UDP, with owning processes)
// serves every port page for `ttl`: a /proc walk costs milliseconds, and
// taking one per request would let anyone who can reach the server make it
// walk /proc thousands of times a second. While one request refreshes a stale
// snapshot, others are served the previous one. Thread-safe.
#ifndef PORTSCOPE_WEB_HERE_H_
#define PORTSCOPE_WEB_HERE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "base/status.h"
#include "sockets/socket_entry.h"

namespace portscope::web {

struct HereSnapshot {
  Status status;  // not ok: the socket table could not be read; `snapshot` is empty
  sockets::Snapshot snapshot;
  std::chrono::system_clock::time_point taken;
};

class HereSource {
 public:
  using Taker = std::function<Result<sockets::Snapshot>()>;
  /// `taker` empty: listening sockets of this machine (sockets::TakeSnapshot).
  explicit HereSource(std::chrono::milliseconds ttl, Taker taker = {});

  /// The current snapshot, taken now if the last one is older than the ttl.
  std::shared_ptr<const HereSnapshot> Get();

  uint64_t refreshes() const { return refreshes_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  const std::chrono::milliseconds ttl_;
  Taker taker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const HereSnapshot> current_;
  std::chrono::steady_clock::time_point current_at_;
  bool refreshing_ = false;
  std::atomic<uint64_t> refreshes_{0}, failures_{0};
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_HERE_H_
