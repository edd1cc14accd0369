// Blocker: the canary's optional response (--block). On the start of a scan
// it adds the scanning source to the nftables block set of portscope's table
// (nft.h) with a timeout, so its packets are dropped until the timeout ends;
// sources in the allowlist are never blocked, nor ignored ones (--ignore:
// recorded, never acted on).
//
// OnAlert runs on the detection thread and only queues: nft runs on the
// blocker's own thread, from a bounded queue (overflow dropped and counted).
// A source is queued once while pending, and not again while its last block
// has more than half its timeout to run.
//
// Needs CAP_NET_ADMIN for nft (DropTo::keep_net_admin keeps it past the
// privilege drop). Thread safety: every public member may be called from any thread.
#ifndef PORTSCOPE_CANARY_BLOCKER_H_
#define PORTSCOPE_CANARY_BLOCKER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/cidr.h"
#include "base/ip_address.h"
#include "base/status.h"
#include "canary/alert_listener.h"
#include "canary/nft.h"

namespace portscope::canary {

struct BlockOptions {
  uint32_t timeout_s = 3600;   // how long a block lasts (nft's set timeout)
  std::vector<Cidr> allow;     // never blocked
  /// Never blocked either. The canary leaves it empty: its Daemon keeps
  /// ignored sources from raising alerts at all, with reloads applied.
  std::vector<Cidr> ignore;
  /// Sources waiting for nft; a few bytes each. Past it they are dropped and counted.
  size_t queue_capacity = 1024;
};

/// The most sources remembered as blocked (for dedup, ~64 bytes each); past
/// it the one blocked longest ago is forgotten (and may be blocked again).
inline constexpr size_t kMaxRememberedBlocks = 65536;

struct BlockerStats {
  uint64_t alerts_seen = 0;
  uint64_t queued = 0;
  uint64_t blocked = 0;             // nft added the source
  uint64_t failed = 0;              // nft failed; see last_error
  uint64_t skipped_allowed = 0;     // in the allowlist
  uint64_t skipped_ignored = 0;
  uint64_t skipped_duplicate = 0;   // pending, or blocked recently
  uint64_t dropped_queue_full = 0;
  std::string last_error;
};

class Blocker : public AlertListener {
 public:
  /// Adds one source to the block set; BlockSource by default, a fake in unit tests.
  using Apply = std::function<Status(const IpAddress& source, uint32_t timeout_s)>;

  /// Starts the nft thread. REQUIRES: the table was installed with
  /// block_sets; constructed after DropPrivileges (capabilities, the ambient
  /// CAP_NET_ADMIN nft inherits among them, are per thread and copied when
  /// the thread starts).
  explicit Blocker(BlockOptions options, Apply apply = BlockSource);
  /// Stops after the nft command in progress; what is still queued is not applied.
  ~Blocker() override;

  void OnAlert(const store::AlertRecord& alert) override;
  BlockerStats stats() const;
  /// Waits until nothing is queued or running; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  using Clock = std::chrono::steady_clock;
  void Run();

  const BlockOptions options_;
  const Apply apply_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<IpAddress> queue_;
  std::set<IpAddress> pending_;                     // in queue_ or being applied
  std::map<IpAddress, Clock::time_point> applied_;  // when each source was last blocked
  bool busy_ = false;
  bool stop_ = false;
  BlockerStats stats_;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_BLOCKER_H_
