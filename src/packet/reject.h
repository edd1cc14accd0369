// Reject: why a captured frame did not become a Probe.
//
// Hostile input is not an error (STYLE.md section 3): every frame a decoder
// turns down gets one named reason, and the caller counts it, like Zeek's
// Weird("truncated_IP"). The names are stable identifiers for reports,
// metrics and JSON; never reorder the enumerators' names without updating
// RejectName() (reject_test.cc checks the table is complete and unique).
#ifndef PORTSCOPE_PACKET_REJECT_H_
#define PORTSCOPE_PACKET_REJECT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portscope::packet {

enum class Reject : uint8_t {
  kNone = 0,  // not a reject: the frame decoded into a Probe

  // Link layer.
  kUnsupportedLinktype,
  kTruncatedEthernet,
  kTruncatedVlan,
  kTooManyVlanTags,
  kTruncatedSll,
  kTruncatedSll2,
  kTruncatedLoopback,  // DLT_NULL / DLT_LOOP address-family header
  kNotIp,              // ethertype, SLL protocol or address family is not IPv4/IPv6
  kTruncatedIp,        // raw IP link with no bytes to read the version from
  kBadIpVersion,       // raw IP link whose version nibble is neither 4 nor 6

  // IPv4.
  kTruncatedIpv4,
  kBadIpv4Version,
  kBadIpv4Ihl,
  kIpv4TotalLengthShort,  // total_length < header length
  kIpv4TotalLengthLong,   // total_length > the bytes the frame held on the wire

  // IPv6.
  kTruncatedIpv6,
  kBadIpv6Version,
  kIpv6PayloadLengthLong,  // payload_length > the bytes the frame held on the wire
  kTruncatedIpv6Ext,
  kIpv6ExtChainTooLong,
  kIpv6HopByHopNotFirst,

  // Fragments (IPv4 and IPv6).
  kNonFirstFragment,  // carries no ports; counted, not decoded
  kTinyFragment,      // first fragment too short to hold the transport header

  // Transport.
  kTruncatedTcp,
  kBadTcpDataOffset,
  kTruncatedUdp,
  kBadUdpLength,
  kTruncatedIcmp,
  kTruncatedIcmpv6,

  kCount  // number of enumerators; not a reason
};

inline constexpr size_t kRejectCount = static_cast<size_t>(Reject::kCount);

/// The stable snake_case name of a reason, e.g. "truncated_ipv4"; "none" for
/// kNone and "unknown" for a value out of range.
std::string_view RejectName(Reject r);

/// Per-reason counts. Plain data: cheap to copy, add and compare.
struct RejectCounters {
  std::array<uint64_t, kRejectCount> counts{};

  void Add(Reject r) {
    size_t i = static_cast<size_t>(r);
    if (i < kRejectCount) ++counts[i];
  }
  uint64_t operator[](Reject r) const {
    size_t i = static_cast<size_t>(r);
    return i < kRejectCount ? counts[i] : 0;
  }
  /// Every reject, kNone excluded.
  uint64_t total() const {
    uint64_t n = 0;
    for (size_t i = 1; i < kRejectCount; ++i) n += counts[i];
    return n;
  }
  RejectCounters& operator+=(const RejectCounters& o) {
    for (size_t i = 0; i < kRejectCount; ++i) counts[i] += o.counts[i];
    return *this;
  }
  friend bool operator==(const RejectCounters&, const RejectCounters&) = default;
};

}  // namespace portscope::packet

#endif  // PORTSCOPE_PACKET_REJECT_H_
