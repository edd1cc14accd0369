#include "canary/stealth_feed.h"

#include <fmt/format.h>

namespace portscope::canary {

Result<std::unique_ptr<StealthFeed>> StealthFeed::Open(const packet::LiveCaptureOptions& options) {
  auto capture = packet::LiveCapture::Open(options);
  if (!capture.ok()) return capture.status();
  return std::unique_ptr<StealthFeed>(new StealthFeed(std::move(*capture)));
}

Status StealthFeed::Attach(Daemon* daemon, std::function<void(const std::string&)> log) {
  auto on_readable = [this, daemon]() -> Status {
    auto n = capture_->Dispatch([daemon](std::span<const packet::Probe> probes) {
      for (const packet::Probe& p : probes) daemon->OnPacketProbe(p);
    });
    return n.ok() ? Status::Ok() : n.status();
  };
  auto on_tick = [this, log = std::move(log)]() {
    auto s = capture_->Stats();
    if (!s.ok() || !log) return;
    uint64_t drops = s->dropped + s->if_dropped;
    if (drops > reported_drops_) {
      log(fmt::format("capture dropped {} more packets ({} in all): the kernel ring was full", drops - reported_drops_,
                      drops));
      reported_drops_ = drops;
    }
  };
  return daemon->AddFeed(capture_->fd(), std::move(on_readable), std::move(on_tick));
}

std::string DescribeCaptureStats(const std::string& interface, const packet::LiveCaptureStats& s) {
  return fmt::format(
      "capture on {}: {} received, {} dropped by the ring, {} by the interface; {} frames read, {} probes, {} rejected",
      interface, s.received, s.dropped, s.if_dropped, s.frames, s.probes, s.rejects.total());
}

}  // namespace portscope::canary
