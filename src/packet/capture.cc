// ReplayCapture: the loop shared by every capture source.
#include "packet/capture.h"

#include <algorithm>

namespace portscope::packet {

CaptureReport ReplayCapture(CaptureSource& source, const FrameHandler& handler) {
  CaptureReport report;
  report.link_type = source.link_type();
  Frame frame;
  Probe probe;
  while (true) {
    Result<bool> next = source.Next(&frame);
    if (!next.ok()) {
      report.complete = false;
      report.note = next.status().message();
      break;
    }
    if (!*next) break;
    ++report.packets;
    report.captured_bytes += frame.bytes.size();
    report.wire_bytes += std::max<uint64_t>(frame.wire_len, frame.bytes.size());
    if (report.packets == 1) {
      report.first_time_us = report.last_time_us = frame.time_us;
    } else {
      report.first_time_us = std::min(report.first_time_us, frame.time_us);
      report.last_time_us = std::max(report.last_time_us, frame.time_us);
    }
    const Reject reject = DecodeFrame(frame, &probe);
    if (reject == Reject::kNone) {
      ++report.probes;
    } else {
      report.rejects.Add(reject);
    }
    if (handler) handler(frame, reject, probe);
  }
  return report;
}

}  // namespace portscope::packet
