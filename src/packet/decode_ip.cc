// IPv4 and IPv6 decoders, and the lenient parse of the datagram an ICMP error
// quotes.
//
// Each length field is checked against the bytes held (STYLE.md section 4):
// IPv4 version, IHL >= 5 and held, total_length >= IHL and no longer than the
// frame was on the wire; then the view shrinks to total_length so link-layer
// padding (Ethernet pads to 60 bytes) never reads as payload. IPv6 walks its
// extension-header chain with a cap. Only a first fragment carries ports;
// later fragments are rejected as kNonFirstFragment so they are counted.
#include <algorithm>

#include "base/byte_reader.h"
#include "base/ip_address.h"
#include "packet/decode.h"
#include "packet/decode_internal.h"

namespace portscope::packet::internal {

namespace {

constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4OffsetMask = 0x1fff;

// IPv6 next-header values of the extension headers walked here.
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Ah = 51;
constexpr uint8_t kIpv6DestOpts = 60;

Transport TransportOf(uint8_t proto) {
  switch (proto) {
    case kProtoTcp:
      return Transport::kTcp;
    case kProtoUdp:
      return Transport::kUdp;
    case kProtoIcmp:
      return Transport::kIcmp;
    case kProtoIcmpv6:
      return Transport::kIcmpv6;
    default:
      return Transport::kOther;
  }
}

// Where the IPv6 extension chain ends.
struct Ipv6Upper {
  uint8_t proto = 0;  // the upper-layer protocol
  size_t offset = 0;  // its offset in the payload
  bool first_fragment = false;
};

// Walks the extension headers at the start of `payload` (the bytes after the
// fixed header), `next` being the fixed header's next-header field. ESP and
// unknown values end the walk: what follows them cannot be parsed.
Reject WalkIpv6Chain(std::span<const uint8_t> payload, uint8_t next, Ipv6Upper* out) {
  ByteReader r(payload);
  for (int n = 0;; ++n) {
    size_t skip = 0;
    uint8_t len = 0;
    switch (next) {
      case kIpv6HopByHop:
        // RFC 8200 4.1: hop-by-hop options only ever come first.
        if (n != 0) return Reject::kIpv6HopByHopNotFirst;
        [[fallthrough]];
      case kIpv6Routing:
      case kIpv6DestOpts:
        if (n == kMaxIpv6ExtHeaders) return Reject::kIpv6ExtChainTooLong;
        if (!r.U8(&next) || !r.U8(&len)) return Reject::kTruncatedIpv6Ext;
        skip = (size_t{len} + 1) * 8 - 2;  // length in 8-octet units, first excluded
        break;
      case kIpv6Ah:
        if (n == kMaxIpv6ExtHeaders) return Reject::kIpv6ExtChainTooLong;
        if (!r.U8(&next) || !r.U8(&len)) return Reject::kTruncatedIpv6Ext;
        skip = (size_t{len} + 2) * 4 - 2;  // RFC 4302: 4-octet units, minus 2
        break;
      case kIpv6Fragment: {
        if (n == kMaxIpv6ExtHeaders) return Reject::kIpv6ExtChainTooLong;
        uint8_t reserved = 0;
        uint16_t offset_flags = 0;
        uint32_t id = 0;
        if (!r.U8(&next) || !r.U8(&reserved) || !r.U16Be(&offset_flags) || !r.U32Be(&id)) {
          return Reject::kTruncatedIpv6Ext;
        }
        if ((offset_flags >> 3) != 0) return Reject::kNonFirstFragment;
        // An atomic fragment (offset 0, M clear, RFC 6946) is a whole datagram.
        if (offset_flags & 1) out->first_fragment = true;
        continue;
      }
      default:
        out->proto = next;
        out->offset = r.position();
        return Reject::kNone;
    }
    if (!r.Skip(skip)) return Reject::kTruncatedIpv6Ext;
  }
}

}  // namespace

Reject DecodeIpv4(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  if (bytes.empty()) return Reject::kTruncatedIpv4;
  if ((bytes[0] >> 4) != 4) return Reject::kBadIpv4Version;
  ByteReader r(bytes);
  FixedBytes<kIpv4MinHeader> h;
  if (!r.Fixed(&h)) return Reject::kTruncatedIpv4;
  const uint8_t version_ihl = h.U8<0>();  // then the type of service, unused
  const uint16_t total_length = h.U16Be<2>();
  const uint16_t id = h.U16Be<4>();
  const uint16_t flags_offset = h.U16Be<6>();
  const uint8_t ttl = h.U8<8>();
  const uint8_t proto = h.U8<9>();  // then the checksum, unused
  const uint8_t* src = h.At<12, 4>();
  const uint8_t* dst = h.At<16, 4>();
  const size_t header_len = size_t{version_ihl & 0x0fu} * 4;
  if (header_len < kIpv4MinHeader) return Reject::kBadIpv4Ihl;
  if (header_len > bytes.size()) return Reject::kTruncatedIpv4;  // options not held
  if (total_length < header_len) return Reject::kIpv4TotalLengthShort;
  if (total_length > bytes.size() + size_t{cut}) return Reject::kIpv4TotalLengthLong;
  if ((flags_offset & kIpv4OffsetMask) != 0) return Reject::kNonFirstFragment;

  probe->src = IpAddress::V4(src);
  probe->dst = IpAddress::V4(dst);
  probe->ttl = ttl;
  probe->ip_id = id;
  probe->ip_proto = proto;
  probe->fragment = (flags_offset & kIpv4MoreFragments) != 0;

  // Options were bounds-checked with the IHL and are skipped: no scanner
  // signal this module reports lives in them.
  const size_t held = std::min<size_t>(total_length, bytes.size());
  Segment segment;
  segment.held = bytes.subspan(header_len, held - header_len);
  segment.wire_len = static_cast<uint32_t>(total_length - header_len);
  segment.first_fragment = probe->fragment;
  return DecodeTransport(proto, segment, probe);
}

Reject DecodeIpv6(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe) {
  if (bytes.empty()) return Reject::kTruncatedIpv6;
  if ((bytes[0] >> 4) != 6) return Reject::kBadIpv6Version;
  ByteReader r(bytes);
  uint32_t version_class_flow = 0;
  uint16_t payload_length = 0;
  uint8_t next = 0, hop_limit = 0;
  std::span<const uint8_t> src, dst;
  if (!r.U32Be(&version_class_flow) || !r.U16Be(&payload_length) || !r.U8(&next) ||
      !r.U8(&hop_limit) || !r.Bytes(16, &src) || !r.Bytes(16, &dst)) {
    return Reject::kTruncatedIpv6;
  }
  const size_t after_header = bytes.size() - kIpv6Header;
  // A zero payload length with a jumbo option (RFC 2675) needs a > 64 KiB
  // link; it is treated as what it says, an empty payload.
  if (payload_length > after_header + size_t{cut}) return Reject::kIpv6PayloadLengthLong;
  const std::span<const uint8_t> payload =
      bytes.subspan(kIpv6Header, std::min<size_t>(payload_length, after_header));

  Ipv6Upper upper;
  if (Reject rej = WalkIpv6Chain(payload, next, &upper); rej != Reject::kNone) return rej;

  probe->src = IpAddress::V6(src.data());
  probe->dst = IpAddress::V6(dst.data());
  probe->ttl = hop_limit;
  probe->ip_proto = upper.proto;
  probe->fragment = upper.first_fragment;

  Segment segment;
  segment.held = payload.subspan(upper.offset);
  segment.wire_len = static_cast<uint32_t>(payload_length - upper.offset);
  segment.first_fragment = upper.first_fragment;
  return DecodeTransport(upper.proto, segment, probe);
}

// A quote is what a router or host copied back: often only the IP header and
// the first 8 transport bytes (RFC 792), so its length fields are not held
// against the bytes, only the headers read are.
void DecodeQuotedIpv4(std::span<const uint8_t> bytes, Probe* probe) {
  ByteReader r(bytes);
  uint8_t version_ihl = 0, proto = 0;
  uint16_t flags_offset = 0;
  std::span<const uint8_t> src, dst;
  if (!r.U8(&version_ihl) || !r.Skip(5) || !r.U16Be(&flags_offset) || !r.Skip(1) || !r.U8(&proto) ||
      !r.Skip(2) || !r.Bytes(4, &src) || !r.Bytes(4, &dst)) {
    return;
  }
  const size_t header_len = size_t{version_ihl & 0x0fu} * 4;
  if ((version_ihl >> 4) != 4 || header_len < kIpv4MinHeader) return;
  if (!r.Skip(header_len - kIpv4MinHeader)) return;
  probe->quoted_src = IpAddress::V4(src.data());
  probe->quoted_dst = IpAddress::V4(dst.data());
  probe->quoted_transport = TransportOf(proto);
  if (proto == kProtoTcp || proto == kProtoUdp) {
    if ((flags_offset & kIpv4OffsetMask) != 0) return;  // no ports in a later fragment
    if (!r.U16Be(&probe->quoted_sport) || !r.U16Be(&probe->quoted_dport)) return;
  }
  probe->quoted_valid = true;
}

void DecodeQuotedIpv6(std::span<const uint8_t> bytes, Probe* probe) {
  ByteReader r(bytes);
  uint8_t version = 0, next = 0;
  std::span<const uint8_t> src, dst;
  if (!r.U8(&version) || !r.Skip(5) || !r.U8(&next) || !r.Skip(1) || !r.Bytes(16, &src) ||
      !r.Bytes(16, &dst)) {
    return;
  }
  if ((version >> 4) != 6) return;
  const std::span<const uint8_t> payload = bytes.subspan(kIpv6Header);
  Ipv6Upper upper;
  if (WalkIpv6Chain(payload, next, &upper) != Reject::kNone) return;
  probe->quoted_src = IpAddress::V6(src.data());
  probe->quoted_dst = IpAddress::V6(dst.data());
  probe->quoted_transport = TransportOf(upper.proto);
  if (upper.proto == kProtoTcp || upper.proto == kProtoUdp) {
    ByteReader ports(payload.subspan(upper.offset));
    if (!ports.U16Be(&probe->quoted_sport) || !ports.U16Be(&probe->quoted_dport)) return;
  }
  probe->quoted_valid = true;
}

}  // namespace portscope::packet::internal
