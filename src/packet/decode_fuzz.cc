// libFuzzer target: arbitrary bytes through every link-type decoder.
// Byte 0 chooses how many bytes the "capture" cut off (0 = none); the rest
// is the frame. Each frame is decoded as every supported link type and one
// unsupported one, so a single input exercises every decoder path. Beyond
// ASan/UBSan, the target traps when a decoded Probe's payload is not inside
// the frame. Build and run: scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/decode.h"

namespace {

using portscope::packet::DecodeFrame;
using portscope::packet::Frame;
using portscope::packet::LinkType;
using portscope::packet::Probe;
using portscope::packet::Reject;

constexpr LinkType kLinks[] = {
    LinkType::kNull,      LinkType::kEthernet,        LinkType::kRaw,  LinkType::kLinktypeRaw,
    LinkType::kLoop,      LinkType::kLinuxSll,        LinkType::kIpv4, LinkType::kIpv6,
    LinkType::kLinuxSll2, static_cast<LinkType>(105),  // IEEE 802.11: unsupported
};

void Check(const Frame& frame) {
  Probe probe;
  const Reject r = DecodeFrame(frame, &probe);
  if (static_cast<size_t>(r) >= static_cast<size_t>(Reject::kCount)) std::abort();
  if (r != Reject::kNone) return;
  const uint8_t* begin = frame.bytes.data();
  const uint8_t* end = begin + frame.bytes.size();
  if (!probe.payload.empty() &&
      (probe.payload.data() < begin || probe.payload.data() + probe.payload.size() > end)) {
    std::abort();
  }
  if (probe.payload.size() > probe.payload_wire_len) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint32_t cut = uint32_t{data[0]} * 37;  // up to 9,435 bytes not captured
  Frame frame;
  frame.time_us = 1;
  frame.bytes = std::span<const uint8_t>(data + 1, size - 1);
  for (LinkType link : kLinks) {
    frame.link = link;
    frame.wire_len = static_cast<uint32_t>(frame.bytes.size());
    Check(frame);
    if (cut != 0) {
      frame.wire_len += cut;
      Check(frame);
    }
  }
  return 0;
}
