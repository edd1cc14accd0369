// WebhookNotifier: tells people about port scans by POSTing JSON to a
// webhook (HTTP or HTTPS): one notification when a scan is recognised and at
// most one update when it ends, never one per probe (`updated` phases are
// folded away), under a global rate cap whose held-back notifications go out
// as one digest when room returns.
//
// OnAlert runs on the canary's detection thread and only takes a short lock:
// rendering and delivery happen on the notifier's own thread, from a bounded
// queue (overflow dropped and counted). A failed POST (no connection, 408,
// 429, 5xx) is retried with exponential backoff and stays at the head of the
// queue, so while the receiver is down what is queued waits and is delivered
// once it is back; a receiver that refuses a body (any other 4xx) will refuse
// it again, so that one is dropped and counted.
//
// Thread safety: OnAlert, stats() and WaitIdle() may be called from any thread.
#ifndef PORTSCOPE_NOTIFY_WEBHOOK_H_
#define PORTSCOPE_NOTIFY_WEBHOOK_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "base/status.h"
#include "canary/alert_listener.h"
#include "notify/templates.h"
#include "store/event.h"

namespace portscope::notify {

/// A webhook address, checked: http or https, a host, an optional port and a path.
struct WebhookUrl {
  bool https = false;
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 0;
  std::string path;  // starts with '/', query included
  /// "https://hooks.example.com:443/…": the path of a webhook URL is often its
  /// secret, so messages and logs show this form only.
  std::string Redacted() const;
  static Result<WebhookUrl> Parse(std::string_view url);
};

struct WebhookOptions {
  std::string url;
  Template format = Template::kGeneric;
  /// At most this many notifications (digests included) per rate_window_ms;
  /// 0 for no cap. Past it, notifications are held and summed into a digest.
  uint32_t rate_limit = 10;
  uint32_t rate_window_ms = 60'000;
  /// Notifications waiting for delivery; each holds one AlertRecord (~1 KiB
  /// with ports and evidence). Past it new ones are dropped and counted.
  size_t queue_capacity = 256;
  /// Backoff after a failed attempt: doubles from initial to max.
  uint32_t initial_backoff_ms = 1'000;
  uint32_t max_backoff_ms = 60'000;
  uint32_t timeout_ms = 5'000;  // connect, and then read and write, per attempt
  /// PEM file of CA certificates that verify an https receiver; "" for the system's.
  std::string ca_file;
  /// On destruction, how long to keep trying to deliver what is queued.
  uint32_t drain_ms = 2'000;
};

/// Checks everything Create checks, without starting anything (--check-config).
Status ValidateWebhookOptions(const WebhookOptions& o);

/// Counters since start, for the canary's stats and /metrics.
struct WebhookStats {
  uint64_t alerts_seen = 0;       // OnAlert calls
  uint64_t updates_folded = 0;    // `updated` alerts that sent nothing
  uint64_t queued = 0;            // notifications (and digests) accepted for delivery
  uint64_t delivered = 0;         // acknowledged with a 2xx
  uint64_t digests_queued = 0;
  uint64_t held_by_rate_cap = 0;  // notifications summed into a digest instead
  uint64_t dropped_queue_full = 0;
  uint64_t rejected = 0;          // refused by the receiver for good (4xx), dropped
  uint64_t failed_attempts = 0;   // POSTs that failed and were retried
  uint64_t scans_forgotten = 0;   // scan states evicted to stay within kMaxTrackedScans
  size_t queue_depth = 0;         // waiting now
  std::string last_error;         // of the latest failed attempt, "" if none
};

/// Scans whose start was notified (or held), remembered until they end so
/// that the end is sent once; the oldest is forgotten past this.
inline constexpr size_t kMaxTrackedScans = 4096;

class WebhookNotifier : public canary::AlertListener {
 public:
  /// Validates the options and starts the delivery thread. Call after
  /// DropPrivileges: a thread keeps the capabilities it started with.
  static Result<std::unique_ptr<WebhookNotifier>> Create(const WebhookOptions& o);
  /// Stops the thread after trying to deliver what is queued for drain_ms.
  ~WebhookNotifier() override;

  void OnAlert(const store::AlertRecord& a) override;
  WebhookStats stats() const;
  /// Waits until nothing is queued, in flight or held for a digest; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  using Clock = std::chrono::steady_clock;
  struct Message {
    std::variant<store::AlertRecord, Digest> body;
  };
  enum class Seen : uint8_t { kNotified, kHeld };

  WebhookNotifier(const WebhookOptions& o, WebhookUrl url);
  void Run();
  // REQUIRES: mu_ held (all four).
  void Notify(const store::AlertRecord& a, Clock::time_point now);
  bool TakeSlot(Clock::time_point now);
  void Hold(const store::AlertRecord& a);
  void MaybeQueueDigest(Clock::time_point now);
  void Enqueue(Message m);
  void Remember(uint64_t scan_id, Seen seen);

  const WebhookOptions options_;
  const WebhookUrl url_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the delivery thread: work, room, stop
  std::condition_variable idle_;  // WaitIdle
  std::deque<Message> queue_;
  bool in_flight_ = false;
  bool stop_ = false;
  Clock::time_point drain_deadline_;
  Clock::time_point next_attempt_;
  Clock::duration backoff_{};
  std::deque<Clock::time_point> slots_;  // sends counted against the cap, within the window
  Digest digest_;
  // By scan_id, which the detector hands out in increasing order, so the
  // first entry is the oldest scan.
  std::map<uint64_t, Seen> scans_;
  WebhookStats stats_;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace portscope::notify

#endif  // PORTSCOPE_NOTIFY_WEBHOOK_H_
