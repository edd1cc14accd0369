// Stealth mode's probe feed: a live capture (packet/live_capture.h) joined to
// the canary daemon. Every captured probe of a watched port goes to
// Daemon::OnPacketProbe (the engine, and the store with its first bytes);
// libpcap's counters are read once per flush interval, and a rise in drops
// is reported through `log`.
//
// Single-threaded: everything runs on the daemon's thread.
#ifndef PORTSCOPE_CANARY_STEALTH_FEED_H_
#define PORTSCOPE_CANARY_STEALTH_FEED_H_

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "canary/daemon.h"
#include "packet/live_capture.h"

namespace portscope::canary {

class StealthFeed {
 public:
  /// Opens the capture (needs CAP_NET_RAW).
  static Result<std::unique_ptr<StealthFeed>> Open(const packet::LiveCaptureOptions& options);
  /// Adds the capture to `daemon`'s loop. REQUIRES: before daemon.Run();
  /// this outlives the daemon.
  Status Attach(Daemon* daemon, std::function<void(const std::string&)> log = {});
  /// Reads the counters now (libpcap's and the capture's own).
  Result<packet::LiveCaptureStats> Stats() const { return capture_->Stats(); }
  const packet::LiveCapture& capture() const { return *capture_; }

 private:
  explicit StealthFeed(std::unique_ptr<packet::LiveCapture> capture) : capture_(std::move(capture)) {}
  std::unique_ptr<packet::LiveCapture> capture_;
  uint64_t reported_drops_ = 0;
};

/// One line for the operator: "capture on any: 1,234 received, 0 dropped, ...".
std::string DescribeCaptureStats(const std::string& interface, const packet::LiveCaptureStats& s);

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_STEALTH_FEED_H_
