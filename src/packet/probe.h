// Probe: one packet's worth of evidence about who is knocking, decoded from
// the wire (packet/), a connect-mode listener (canary/), or a capture file.
// detect/ consumes Probes; it never sees raw bytes.
//
// A Probe is a value type. `payload` is a view into the buffer it was decoded
// from and is valid only until that buffer is reused (the callback that
// receives the Probe must copy what it keeps).
#ifndef PORTSCOPE_PACKET_PROBE_H_
#define PORTSCOPE_PACKET_PROBE_H_

#include <cstdint>
#include <span>

#include "base/ip_address.h"

namespace portscope::packet {

enum class Transport : uint8_t { kTcp, kUdp, kIcmp, kIcmpv6, kOther };

/// TCP flag bits as on the wire (RFC 9293), low byte of the flags field.
namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace tcp_flags

struct Probe {
  uint64_t time_us = 0;  // capture time, microseconds since the Unix epoch
  IpAddress src;
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  Transport transport = Transport::kOther;

  // IP header facts scanners give themselves away by.
  uint8_t ttl = 0;       // IPv4 TTL or IPv6 hop limit
  uint16_t ip_id = 0;    // IPv4 identification (0 for IPv6)
  bool fragment = false; // the first fragment of a fragmented datagram
  /// IPv4 protocol or the IPv6 upper-layer header after the extension chain
  /// (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...); tells an IP protocol scan when
  /// transport == kOther.
  uint8_t ip_proto = 0;

  // TCP (transport == kTcp).
  uint8_t tcp_flags = 0;
  uint16_t window = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t mss = 0;          // 0 when no MSS option
  uint8_t wscale = 0xff;     // 0xff when no window-scale option
  bool sack_permitted = false;
  bool timestamps = false;
  uint8_t tcp_option_count = 0;  // options other than NOP and end-of-list
  /// An option had a bad length (ignored) or ran past the header (the walk
  /// stopped there), as Linux's tcp_parse_options treats them; the segment
  /// still counts as a probe.
  bool tcp_options_malformed = false;

  // ICMP / ICMPv6 (transport == kIcmp or kIcmpv6).
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  /// For an ICMP error (e.g. port unreachable): the datagram it quotes.
  /// `quoted_valid` is false when the quote was absent or too short.
  bool quoted_valid = false;
  Transport quoted_transport = Transport::kOther;
  IpAddress quoted_src;
  IpAddress quoted_dst;
  uint16_t quoted_sport = 0;
  uint16_t quoted_dport = 0;

  /// Transport payload as captured (may be shorter than on the wire).
  std::span<const uint8_t> payload;
  uint32_t payload_wire_len = 0;  // payload length the headers claim
};

}  // namespace portscope::packet

#endif  // PORTSCOPE_PACKET_PROBE_H_
