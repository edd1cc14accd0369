// Internals shared by the decoder files (decode_link.cc, decode_ip.cc,
// decode_transport.cc) and their tests. Not part of packet/'s API.
#ifndef PORTSCOPE_PACKET_DECODE_INTERNAL_H_
#define PORTSCOPE_PACKET_DECODE_INTERNAL_H_

#include <cstdint>
#include <span>

#include "packet/probe.h"
#include "packet/reject.h"

namespace portscope::packet::internal {

inline constexpr uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr uint16_t kEthertypeIpv6 = 0x86dd;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

/// IPv4 packet at the start of `bytes`; `cut` bytes of it were not captured.
Reject DecodeIpv4(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe);
/// IPv6 packet at the start of `bytes`; `cut` bytes of it were not captured.
Reject DecodeIpv6(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe);

/// The transport segment an IP header delimits.
struct Segment {
  std::span<const uint8_t> held;  // the segment's bytes held in the capture
  uint32_t wire_len = 0;          // the length the IP header gives it (for a
                                  // first fragment: this fragment's share)
  bool first_fragment = false;    // more of the datagram follows in fragments
};

/// Decodes the transport header `proto` (IP protocol number) into `*probe`,
/// which already holds the IP layer's fields. Unknown protocols give
/// transport kOther and no ports.
Reject DecodeTransport(uint8_t proto, const Segment& segment, Probe* probe);

/// The datagram an ICMP or ICMPv6 error quotes: fills probe->quoted_* and sets
/// quoted_valid when the quoted IP header is whole and, for TCP and UDP, both
/// ports are present. A malformed quote is not a reject; it only leaves
/// quoted_valid false.
void DecodeQuotedIpv4(std::span<const uint8_t> bytes, Probe* probe);
void DecodeQuotedIpv6(std::span<const uint8_t> bytes, Probe* probe);

}  // namespace portscope::packet::internal

#endif  // PORTSCOPE_PACKET_DECODE_INTERNAL_H_
