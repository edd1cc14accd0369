#include "notify/webhook.h"

#include <httplib.h>

#include <algorithm>

#include "base/text.h"

namespace portscope::notify {
namespace {

using store::AlertPhase;
using store::AlertRecord;

constexpr size_t kMaxUrl = 2048;

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

Status BadUrl(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("bad webhook URL '" + EscapeForTerminal(url.substr(0, 80)) + "': " + std::string(why));
}

enum class Outcome : uint8_t { kDelivered, kRetry, kRejected };

// One POST. 408, 429 and 5xx are worth retrying (the receiver is busy or
// restarting); any other non-2xx answer would come again for the same body.
Outcome Post(httplib::Client& client, const std::string& path, const std::string& body, std::string* error,
             std::chrono::seconds* retry_after) {
  httplib::Headers headers = {{"User-Agent", "portscope/" PORTSCOPE_VERSION}};
  auto res = client.Post(path, headers, body, "application/json");
  if (!res) {
    *error = "no answer: " + httplib::to_string(res.error());  // "Connection", "Read", "SSLServerVerification", ...
    // SSLServerVerification (untrusted certificate) stays wrong until someone
    // fixes it, but retrying costs little and keeps what is queued.
    return Outcome::kRetry;
  }
  int code = res->status;
  if (code >= 200 && code < 300) return Outcome::kDelivered;
  *error = "HTTP " + std::to_string(code);
  if (code == 408 || code == 429 || code >= 500) {
    if (auto v = ParseUint(res->get_header_value("Retry-After"), 86400)) *retry_after = std::chrono::seconds(*v);
    return Outcome::kRetry;
  }
  return Outcome::kRejected;
}

}  // namespace

Result<WebhookUrl> WebhookUrl::Parse(std::string_view url) {
  if (url.empty()) return BadUrl(url, "empty");
  if (url.size() > kMaxUrl) return BadUrl(url, "longer than 2048 bytes");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return BadUrl(url, "contains spaces or control characters");
  WebhookUrl u;
  std::string_view rest;
  if (url.starts_with("https://")) {
    u.https = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return BadUrl(url, "must start with http:// or https://");
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (tail.find('#') != std::string_view::npos) return BadUrl(url, "a fragment (#) is never sent to the server");
  if (authority.find('@') != std::string_view::npos) return BadUrl(url, "user:password@ is not supported");
  std::string_view port_text;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unclosed [ in the host");
    auto v6 = IpAddress::Parse(authority.substr(1, close - 1));
    if (!v6 || v6->is_v4()) return BadUrl(url, "not an IPv6 address between [ and ]");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return BadUrl(url, "junk after ]");
    if (!after.empty()) port_text = after.substr(1);
    if (!after.empty() && port_text.empty()) return BadUrl(url, "empty port");
  } else {
    size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return BadUrl(url, "empty port");
    }
    if (u.host.empty()) return BadUrl(url, "no host");
    if (!std::all_of(u.host.begin(), u.host.end(), HostChar)) return BadUrl(url, "the host is not a name or an address");
  }
  if (!port_text.empty()) {
    auto p = ParseUint(port_text, 65535);
    if (!p || *p == 0) return BadUrl(url, "the port is not a number from 1 to 65535");
    u.port = static_cast<uint16_t>(*p);
  } else {
    u.port = u.https ? 443 : 80;
  }
  u.path = tail.empty() ? "/" : std::string(tail);
  if (u.path.front() == '?') u.path = "/" + u.path;
  return u;
}

std::string WebhookUrl::Redacted() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (https ? "https://" : "http://") + h + ":" + std::to_string(port) + (path == "/" ? "/" : "/…");
}

Status ValidateWebhookOptions(const WebhookOptions& o) {
  auto url = WebhookUrl::Parse(o.url);
  if (!url.ok()) return url.status();
  if (o.rate_limit && o.rate_window_ms == 0) return Status::InvalidArgument("the webhook rate window must be > 0");
  if (o.queue_capacity == 0) return Status::InvalidArgument("the webhook queue capacity must be > 0");
  if (o.initial_backoff_ms == 0 || o.max_backoff_ms < o.initial_backoff_ms)
    return Status::InvalidArgument("webhook backoff: need 0 < initial <= max");
  if (o.timeout_ms == 0) return Status::InvalidArgument("the webhook timeout must be > 0");
  if (!o.ca_file.empty()) {
    if (!url->https) return Status::InvalidArgument("a webhook CA file needs an https:// URL");
    if (access(o.ca_file.c_str(), R_OK) != 0)
      return Status::PosixError("cannot read the webhook CA file " + EscapeForTerminal(o.ca_file), errno);
  }
  return Status::Ok();
}

Result<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(const WebhookOptions& o) {
  if (Status s = ValidateWebhookOptions(o); !s.ok()) return s;
  return std::unique_ptr<WebhookNotifier>(new WebhookNotifier(o, *WebhookUrl::Parse(o.url)));
}

WebhookNotifier::WebhookNotifier(const WebhookOptions& o, WebhookUrl url)
    : options_(o), url_(std::move(url)), thread_([this] { Run(); }) {}

WebhookNotifier::~WebhookNotifier() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    drain_deadline_ = Clock::now() + std::chrono::milliseconds(options_.drain_ms);
  }
  wake_.notify_all();
  thread_.join();
}

void WebhookNotifier::OnAlert(const AlertRecord& a) {
  std::lock_guard lock(mu_);
  ++stats_.alerts_seen;
  auto now = Clock::now();
  auto it = scans_.find(a.scan_id);
  switch (a.phase) {
    case AlertPhase::kStarted:
      if (it != scans_.end()) return;  // told already (a repeated start)
      break;
    case AlertPhase::kUpdated:
      // Never one per probe: the start said a scan is on, the end will say
      // how it went. An update of a scan we have not heard of (the listener
      // came late) is its first news, though.
      if (it != scans_.end()) {
        ++stats_.updates_folded;
        return;
      }
      break;
    case AlertPhase::kEnded:
      if (it != scans_.end()) {
        Seen seen = it->second;
        scans_.erase(it);
        if (seen == Seen::kHeld) {
          // Its start went into a digest: so does its end, without a message of its own.
          Hold(a);
          MaybeQueueDigest(now);
          return;
        }
        Notify(a, now);
        return;
      }
      break;
  }
  // The first news of this scan.
  bool held = !digest_.empty() || !TakeSlot(now);
  if (held) {
    Hold(a);
    MaybeQueueDigest(now);
  } else {
    Enqueue(Message{a});
  }
  if (a.phase != AlertPhase::kEnded) Remember(a.scan_id, held ? Seen::kHeld : Seen::kNotified);
}

void WebhookNotifier::Notify(const AlertRecord& a, Clock::time_point now) {
  // Held notifications go out first (as the digest), so nothing overtakes them.
  if (digest_.empty() && TakeSlot(now)) {
    Enqueue(Message{a});
    return;
  }
  Hold(a);
  MaybeQueueDigest(now);
}

bool WebhookNotifier::TakeSlot(Clock::time_point now) {
  if (options_.rate_limit == 0) return true;
  auto window = std::chrono::milliseconds(options_.rate_window_ms);
  while (!slots_.empty() && now - slots_.front() >= window) slots_.pop_front();
  if (slots_.size() >= options_.rate_limit) return false;
  slots_.push_back(now);
  return true;
}

void WebhookNotifier::Hold(const AlertRecord& a) {
  ++stats_.held_by_rate_cap;
  Digest& d = digest_;
  if (d.held == 0) {
    d.first_us = a.time_us;
    d.sensor = a.sensor;
  }
  ++d.held;
  if (a.phase == AlertPhase::kEnded) ++d.scans_ended;
  else ++d.scans_started;
  d.first_us = std::min(d.first_us, a.time_us);
  d.last_us = std::max(d.last_us, a.time_us);
  if (std::find(d.sources.begin(), d.sources.end(), a.source) == d.sources.end()) {
    if (d.sources.size() < kDigestSources) d.sources.push_back(a.source);
    else ++d.sources_unlisted;
  }
}

void WebhookNotifier::MaybeQueueDigest(Clock::time_point now) {
  if (digest_.empty() || !TakeSlot(now)) return;
  ++stats_.digests_queued;
  Enqueue(Message{std::move(digest_)});
  digest_ = Digest{};
}

void WebhookNotifier::Enqueue(Message m) {
  if (queue_.size() >= options_.queue_capacity) {
    ++stats_.dropped_queue_full;
    return;
  }
  queue_.push_back(std::move(m));
  ++stats_.queued;
  wake_.notify_one();
}

void WebhookNotifier::Remember(uint64_t scan_id, Seen seen) {
  if (scans_.size() >= kMaxTrackedScans) {
    scans_.erase(scans_.begin());
    ++stats_.scans_forgotten;
  }
  scans_[scan_id] = seen;
}

WebhookStats WebhookNotifier::stats() const {
  std::lock_guard lock(mu_);
  WebhookStats s = stats_;
  s.queue_depth = queue_.size();
  return s;
}

bool WebhookNotifier::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && !in_flight_ && digest_.empty(); });
}

void WebhookNotifier::Run() {
  std::string origin = std::string(url_.https ? "https://" : "http://") +
                       (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host) + ":" +
                       std::to_string(url_.port);
  httplib::Client client(origin);
  auto secs = [](uint32_t ms) { return std::pair<time_t, time_t>(ms / 1000, (ms % 1000) * 1000); };
  auto [ts, tus] = secs(options_.timeout_ms);
  client.set_connection_timeout(ts, tus);
  client.set_read_timeout(ts, tus);
  client.set_write_timeout(ts, tus);
  if (!options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file);
  client.enable_server_certificate_verification(true);

  const auto initial = std::chrono::milliseconds(options_.initial_backoff_ms);
  const auto max_backoff = std::chrono::milliseconds(options_.max_backoff_ms);
  std::unique_lock lock(mu_);
  backoff_ = initial;
  for (;;) {
    auto now = Clock::now();
    MaybeQueueDigest(now);
    if (stop_ && !digest_.empty()) {
      // Last chance: the digest goes out past the cap rather than not at all.
      ++stats_.digests_queued;
      Enqueue(Message{std::move(digest_)});
      digest_ = Digest{};
    }
    if (stop_ && (queue_.empty() || now >= drain_deadline_)) break;
    if (queue_.empty()) {
      idle_.notify_all();
      if (!digest_.empty() && !slots_.empty()) {
        // Room returns when the oldest send leaves the window.
        wake_.wait_until(lock, slots_.front() + std::chrono::milliseconds(options_.rate_window_ms));
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    if (now < next_attempt_) {
      wake_.wait_until(lock, stop_ ? std::min(next_attempt_, drain_deadline_) : next_attempt_);
      continue;
    }
    // Rendered here, off the detection thread; the message stays queued until delivered.
    std::string body = std::visit(
        [&](const auto& b) {
          if constexpr (std::is_same_v<std::decay_t<decltype(b)>, Digest>) return RenderDigest(options_.format, b);
          else return RenderAlert(options_.format, b);
        },
        queue_.front().body);
    in_flight_ = true;
    lock.unlock();
    std::string error;
    std::chrono::seconds retry_after{0};
    Outcome outcome = Post(client, url_.path, body, &error, &retry_after);
    lock.lock();
    in_flight_ = false;
    if (outcome == Outcome::kRetry) {
      ++stats_.failed_attempts;
      stats_.last_error = error;
      next_attempt_ = Clock::now() + std::max<Clock::duration>(backoff_, std::min<Clock::duration>(retry_after, max_backoff));
      backoff_ = std::min<Clock::duration>(backoff_ * 2, max_backoff);
      continue;
    }
    if (outcome == Outcome::kDelivered) ++stats_.delivered;
    else {
      ++stats_.rejected;
      stats_.last_error = error;
    }
    queue_.pop_front();
    backoff_ = initial;
    next_attempt_ = {};
  }
  idle_.notify_all();
}

}  // namespace portscope::notify
