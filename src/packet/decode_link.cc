// Link-layer decoders: from the first byte of a captured frame to the first
// byte of its IP header. Each one reads its fixed header, finds the network
// protocol (an ethertype or an address family), and hands the rest of the
// frame to the IPv4 or IPv6 decoder together with how much the capture cut.
#include <cstddef>

#include "base/byte_reader.h"
#include "packet/decode.h"
#include "packet/decode_internal.h"

namespace portscope::packet {

using internal::DecodeIpv4;
using internal::DecodeIpv6;

namespace {

constexpr uint16_t kEthertypeVlan = 0x8100;     // 802.1Q
constexpr uint16_t kEthertypeQinQ = 0x88a8;     // 802.1ad service tag
constexpr uint16_t kEthertypeQinQOld = 0x9100;  // pre-standard QinQ, still seen

// Address families as BSD-derived loopback headers carry them. IPv6 has a
// different number on each OS family; the capture may come from any of them.
constexpr uint32_t kAfInet = 2;
constexpr uint32_t kAfInet6Linux = 10;
constexpr uint32_t kAfInet6Bsd = 24;      // NetBSD, OpenBSD, BSD/OS
constexpr uint32_t kAfInet6FreeBsd = 28;  // FreeBSD, DragonFly BSD
constexpr uint32_t kAfInet6Darwin = 30;   // macOS, iOS

std::span<const uint8_t> Rest(ByteReader& r) {
  std::span<const uint8_t> rest;
  (void)r.Bytes(r.remaining(), &rest);  // cannot fail: takes what remains
  return rest;
}

bool IsVlanTag(uint16_t type) {
  return type == kEthertypeVlan || type == kEthertypeQinQ || type == kEthertypeQinQOld;
}

// `type` was just read from `r`; walks any VLAN tags (each a 2-byte TCI and
// the next ethertype) and dispatches on the innermost ethertype. Linux cooked
// captures can carry tags too: libpcap puts the stripped tag back in.
Reject DecodeEthertype(uint16_t type, ByteReader& r, uint32_t cut, Probe* probe) {
  for (int tags = 0; IsVlanTag(type); ++tags) {
    if (tags == kMaxVlanTags) return Reject::kTooManyVlanTags;
    if (!r.Skip(2) || !r.U16Be(&type)) return Reject::kTruncatedVlan;
  }
  switch (type) {
    case internal::kEthertypeIpv4:
      return DecodeIpv4(Rest(r), cut, probe);
    case internal::kEthertypeIpv6:
      return DecodeIpv6(Rest(r), cut, probe);
    default:
      return Reject::kNotIp;  // ARP, LLDP, 802.3 length fields, ...
  }
}

Reject DecodeEthernet(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  ByteReader r(bytes);
  uint16_t type = 0;
  if (!r.Skip(12) || !r.U16Be(&type)) return Reject::kTruncatedEthernet;  // two MACs, type
  return DecodeEthertype(type, r, cut, probe);
}

// Cooked v1: packet type, ARPHRD type, address length, 8 address bytes,
// protocol (an ethertype for the link types that matter here).
Reject DecodeLinuxSll(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  ByteReader r(bytes);
  uint16_t protocol = 0;
  if (!r.Skip(14) || !r.U16Be(&protocol)) return Reject::kTruncatedSll;
  return DecodeEthertype(protocol, r, cut, probe);
}

// Cooked v2: protocol, reserved, interface index, ARPHRD type, packet type,
// address length, 8 address bytes.
Reject DecodeLinuxSll2(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  ByteReader r(bytes);
  uint16_t protocol = 0;
  if (!r.U16Be(&protocol) || !r.Skip(18)) return Reject::kTruncatedSll2;
  return DecodeEthertype(protocol, r, cut, probe);
}

Reject DecodeAddressFamily(uint32_t family, ByteReader& r, uint32_t cut, Probe* probe) {
  switch (family) {
    case kAfInet:
      return DecodeIpv4(Rest(r), cut, probe);
    case kAfInet6Linux:
    case kAfInet6Bsd:
    case kAfInet6FreeBsd:
    case kAfInet6Darwin:
      return DecodeIpv6(Rest(r), cut, probe);
    default:
      return Reject::kNotIp;
  }
}

// DLT_NULL stores the family in the capturing host's byte order, which the
// file does not record. Families are small numbers, so a value with bits in
// the upper half was written big-endian (Wireshark's heuristic).
Reject DecodeNull(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  ByteReader r(bytes);
  uint32_t family = 0;
  if (!r.U32Le(&family)) return Reject::kTruncatedLoopback;
  if (family & 0xffff0000u) {
    family = ((family & 0xff) << 24) | ((family & 0xff00) << 8) | ((family >> 8) & 0xff00) |
             (family >> 24);
  }
  return DecodeAddressFamily(family, r, cut, probe);
}

Reject DecodeLoop(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  ByteReader r(bytes);
  uint32_t family = 0;
  if (!r.U32Be(&family)) return Reject::kTruncatedLoopback;
  return DecodeAddressFamily(family, r, cut, probe);
}

}  // namespace

Reject DecodeIp(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  if (bytes.empty()) return Reject::kTruncatedIp;
  switch (bytes[0] >> 4) {
    case 4:
      return DecodeIpv4(bytes, cut, probe);
    case 6:
      return DecodeIpv6(bytes, cut, probe);
    default:
      return Reject::kBadIpVersion;
  }
}

Reject DecodeFrame(const Frame& frame, Probe* probe) {
  // Copied from a constant rather than value-initialised: GCC builds Probe{}
  // on the stack with `rep stos` and byte stores, then copies it out, and
  // the store-forwarding stalls made the reset half of the decode time.
  static const Probe kEmpty{};
  *probe = kEmpty;
  probe->time_us = frame.time_us;
  const std::span<const uint8_t> bytes = frame.bytes;
  const uint32_t cut =
      frame.wire_len > bytes.size() ? static_cast<uint32_t>(frame.wire_len - bytes.size()) : 0;
  switch (frame.link) {
    case LinkType::kEthernet:
      return DecodeEthernet(bytes, cut, probe);
    case LinkType::kLinuxSll:
      return DecodeLinuxSll(bytes, cut, probe);
    case LinkType::kLinuxSll2:
      return DecodeLinuxSll2(bytes, cut, probe);
    case LinkType::kRaw:
    case LinkType::kLinktypeRaw:
      return DecodeIp(bytes, cut, probe);
    case LinkType::kIpv4:
      return DecodeIpv4(bytes, cut, probe);
    case LinkType::kIpv6:
      return DecodeIpv6(bytes, cut, probe);
    case LinkType::kNull:
      return DecodeNull(bytes, cut, probe);
    case LinkType::kLoop:
      return DecodeLoop(bytes, cut, probe);
  }
  return Reject::kUnsupportedLinktype;
}

bool IsSupportedLinkType(LinkType link) { return LinkTypeName(link) != "unsupported"; }

std::string_view LinkTypeName(LinkType link) {
  switch (link) {
    case LinkType::kNull:
      return "NULL";
    case LinkType::kEthernet:
      return "EN10MB";
    case LinkType::kRaw:
    case LinkType::kLinktypeRaw:
      return "RAW";
    case LinkType::kLoop:
      return "LOOP";
    case LinkType::kLinuxSll:
      return "LINUX_SLL";
    case LinkType::kIpv4:
      return "IPV4";
    case LinkType::kIpv6:
      return "IPV6";
    case LinkType::kLinuxSll2:
      return "LINUX_SLL2";
  }
  return "unsupported";
}

}  // namespace portscope::packet
