// GoogleTest helpers shared by the decoder tests.
#ifndef PORTSCOPE_PACKET_DECODE_TEST_UTIL_H_
#define PORTSCOPE_PACKET_DECODE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "packet/decode.h"
#include "packet/test_packets.h"

namespace portscope::packet::testing {

/// Decodes `bytes` as one fully captured frame of `link`.
inline Reject Decode(LinkType link, const Bytes& bytes, Probe* probe, uint32_t wire_len = 0) {
  Frame f;
  f.link = link;
  f.time_us = 1566411407841604;
  f.bytes = std::span<const uint8_t>(bytes.data(), bytes.size());
  f.wire_len = wire_len ? wire_len : static_cast<uint32_t>(bytes.size());
  return DecodeFrame(f, probe);
}

inline std::string Name(Reject r) { return std::string(RejectName(r)); }

/// Decodes every prefix of `full` (0 to all bytes), each from a heap buffer of
/// exactly that size so ASan sees any read past it, in two ways:
///  - as a whole frame (wire length = prefix): decodes iff the prefix holds
///    the IP datagram, which ends at `ip_end`;
///  - as a snapped capture (wire length = full size): decodes iff the prefix
///    holds every header, which end at `headers_end`, and is otherwise a
///    truncated_* reject.
/// A decoded Probe's payload must lie inside the prefix, and its ports must
/// be those of the full frame.
inline void CheckEveryTruncation(LinkType link, const Bytes& full, size_t headers_end,
                                 size_t ip_end) {
  Probe whole;
  ASSERT_EQ(Name(Decode(link, full, &whole)), "none");
  for (size_t n = 0; n <= full.size(); ++n) {
    std::unique_ptr<uint8_t[]> buf(new uint8_t[n]);
    if (n) std::memcpy(buf.get(), full.data(), n);
    for (bool snapped : {false, true}) {
      Frame f;
      f.link = link;
      f.bytes = std::span<const uint8_t>(buf.get(), n);
      f.wire_len = static_cast<uint32_t>(snapped ? full.size() : n);
      Probe p;
      const Reject r = DecodeFrame(f, &p);
      const bool want = n >= (snapped ? headers_end : ip_end);
      EXPECT_EQ(r == Reject::kNone, want) << "prefix " << n << " of " << full.size()
                                          << (snapped ? " (snapped)" : "") << ": " << RejectName(r);
      // A capture that cut a header short is truncation, whatever the layer.
      if (snapped && !want) {
        EXPECT_EQ(Name(r).rfind("truncated_", 0), 0u) << "prefix " << n << ": " << Name(r);
      }
      if (r != Reject::kNone) continue;
      EXPECT_EQ(p.sport, whole.sport) << n;
      EXPECT_EQ(p.dport, whole.dport) << n;
      EXPECT_EQ(p.transport, whole.transport) << n;
      EXPECT_EQ(p.payload_wire_len, whole.payload_wire_len) << n;
      if (!p.payload.empty()) {
        EXPECT_GE(p.payload.data(), buf.get()) << n;
        EXPECT_LE(p.payload.data() + p.payload.size(), buf.get() + n) << n;
      }
    }
  }
}

}  // namespace portscope::packet::testing

#endif  // PORTSCOPE_PACKET_DECODE_TEST_UTIL_H_
