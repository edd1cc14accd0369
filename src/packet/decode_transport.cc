// Transport decoders: TCP (flags, window, options), UDP, ICMP and ICMPv6
// (with the datagram an error quotes, which tells a closed UDP port).
//
// The IP layer hands over a Segment: the bytes held and the length the IP
// header claims. A header that the claimed length cannot hold is malformed;
// one the claimed length holds but the capture cut is truncated. In the first
// fragment of a datagram the claim is only this fragment's share, so a
// transport header split across fragments (nmap -f) is kTinyFragment: an
// evasion, counted as such.
#include <algorithm>

#include "base/byte_reader.h"
#include "packet/decode_internal.h"

namespace portscope::packet::internal {

namespace {

constexpr size_t kTcpMinHeader = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kIcmpHeader = 8;

// TCP option kinds (IANA "TCP Option Kind Numbers").
constexpr uint8_t kOptEnd = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptMss = 2;
constexpr uint8_t kOptWindowScale = 3;
constexpr uint8_t kOptSackPermitted = 4;
constexpr uint8_t kOptTimestamps = 8;

// The walk follows Linux's tcp_parse_options: a known option with the wrong
// length is ignored; a length below 2 or past the header ends the walk. Both
// mark the probe, since stacks and scanners never send them by accident.
void ParseTcpOptions(std::span<const uint8_t> options, Probe* probe) {
  // Three layouts make up most segments on real networks and are read whole,
  // with what the walk below would find: NOP, NOP, timestamps (every Linux
  // and BSD segment after the handshake); Linux's SYN and SYN-ACK (MSS,
  // SACK permitted, timestamps, NOP, window scale); a lone MSS (masscan's and
  // nmap's SYNs). tests/captures/benign.pcap and nmap-sS.pcap show them.
  // Probe is fresh: the fields are unset.
  const size_t n = options.size();
  if (n == 20 && options[0] == kOptMss && options[1] == 4 && options[4] == kOptSackPermitted && options[5] == 2 &&
      options[6] == kOptTimestamps && options[7] == 10 && options[16] == kOptNop &&
      options[17] == kOptWindowScale && options[18] == 3) {
    probe->mss = static_cast<uint16_t>(options[2] << 8 | options[3]);
    probe->sack_permitted = true;
    probe->timestamps = true;
    probe->wscale = options[19];
    probe->tcp_option_count = 4;
    return;
  }
  if (n == 12 && options[0] == kOptNop && options[1] == kOptNop && options[2] == kOptTimestamps &&
      options[3] == 10) {
    probe->timestamps = true;
    probe->tcp_option_count = 1;
    return;
  }
  if (n == 4 && options[0] == kOptMss && options[1] == 4) {
    probe->mss = static_cast<uint16_t>(options[2] << 8 | options[3]);
    probe->tcp_option_count = 1;
    return;
  }
  ByteReader r(options);
  uint8_t kind = 0;
  while (r.U8(&kind)) {
    if (kind == kOptEnd) break;
    if (kind == kOptNop) continue;
    uint8_t len = 0;
    std::span<const uint8_t> body;
    if (!r.U8(&len) || len < 2 || !r.Bytes(len - 2u, &body)) {
      probe->tcp_options_malformed = true;
      return;
    }
    if (probe->tcp_option_count < 0xff) ++probe->tcp_option_count;
    ByteReader b(body);
    switch (kind) {
      case kOptMss:
        if (len != 4 || !b.U16Be(&probe->mss)) probe->tcp_options_malformed = true;
        break;
      case kOptWindowScale:
        if (len != 3 || !b.U8(&probe->wscale)) probe->tcp_options_malformed = true;
        break;
      case kOptSackPermitted:
        if (len == 2) {
          probe->sack_permitted = true;
        } else {
          probe->tcp_options_malformed = true;
        }
        break;
      case kOptTimestamps:
        if (len == 10) {
          probe->timestamps = true;
        } else {
          probe->tcp_options_malformed = true;
        }
        break;
      default:
        break;
    }
  }
}

// The payload after a `header_len`-byte header: the bytes held, capped at
// the length the headers claim.
void SetPayload(const Segment& s, size_t header_len, uint32_t claimed, Probe* probe) {
  const size_t held = s.held.size() - header_len;
  probe->payload = s.held.subspan(header_len, std::min<size_t>(held, claimed));
  probe->payload_wire_len = claimed;
}

Reject DecodeTcp(const Segment& s, Probe* probe) {
  probe->transport = Transport::kTcp;
  if (s.wire_len < kTcpMinHeader) {
    return s.first_fragment ? Reject::kTinyFragment : Reject::kTruncatedTcp;
  }
  ByteReader r(s.held);
  FixedBytes<kTcpMinHeader> h;
  if (!r.Fixed(&h)) return Reject::kTruncatedTcp;
  probe->sport = h.U16Be<0>();
  probe->dport = h.U16Be<2>();
  probe->seq = h.U32Be<4>();
  probe->ack = h.U32Be<8>();
  const uint8_t offset_byte = h.U8<12>();
  probe->tcp_flags = h.U8<13>();
  probe->window = h.U16Be<14>();  // then the checksum and urgent pointer, unused
  const size_t header_len = static_cast<size_t>(offset_byte >> 4) * 4;
  if (header_len < kTcpMinHeader) return Reject::kBadTcpDataOffset;
  if (header_len > s.wire_len) {
    return s.first_fragment ? Reject::kTinyFragment : Reject::kBadTcpDataOffset;
  }
  std::span<const uint8_t> options;
  if (!r.Bytes(header_len - kTcpMinHeader, &options)) return Reject::kTruncatedTcp;
  ParseTcpOptions(options, probe);
  SetPayload(s, header_len, static_cast<uint32_t>(s.wire_len - header_len), probe);
  return Reject::kNone;
}

Reject DecodeUdp(const Segment& s, Probe* probe) {
  probe->transport = Transport::kUdp;
  if (s.wire_len < kUdpHeader) {
    return s.first_fragment ? Reject::kTinyFragment : Reject::kTruncatedUdp;
  }
  ByteReader r(s.held);
  uint16_t length = 0, checksum = 0;
  if (!r.U16Be(&probe->sport) || !r.U16Be(&probe->dport) || !r.U16Be(&length) ||
      !r.U16Be(&checksum)) {
    return Reject::kTruncatedUdp;
  }
  // The UDP length covers the whole datagram, which a first fragment holds
  // only part of; otherwise it must fit what IP delivered (shorter is padding).
  if (length < kUdpHeader) return Reject::kBadUdpLength;
  if (!s.first_fragment && length > s.wire_len) return Reject::kBadUdpLength;
  SetPayload(s, kUdpHeader, length - static_cast<uint32_t>(kUdpHeader), probe);
  return Reject::kNone;
}

// ICMP and ICMPv6 share the 8-byte header layout: type, code, checksum and
// four bytes that depend on the type; an error quotes the offending datagram
// after them.
Reject DecodeIcmp(const Segment& s, bool v6, Probe* probe) {
  probe->transport = v6 ? Transport::kIcmpv6 : Transport::kIcmp;
  const Reject truncated = v6 ? Reject::kTruncatedIcmpv6 : Reject::kTruncatedIcmp;
  if (s.wire_len < kIcmpHeader) return s.first_fragment ? Reject::kTinyFragment : truncated;
  ByteReader r(s.held);
  if (!r.U8(&probe->icmp_type) || !r.U8(&probe->icmp_code) || !r.Skip(6)) return truncated;
  const uint8_t t = probe->icmp_type;
  // ICMPv6 errors are types below 128 (RFC 4443 2.1). ICMPv4 errors:
  // destination unreachable, source quench, redirect, time exceeded,
  // parameter problem.
  const bool error = v6 ? t < 128 : (t == 3 || t == 4 || t == 5 || t == 11 || t == 12);
  SetPayload(s, kIcmpHeader, static_cast<uint32_t>(s.wire_len - kIcmpHeader), probe);
  if (error) {
    if (v6) {
      DecodeQuotedIpv6(probe->payload, probe);
    } else {
      DecodeQuotedIpv4(probe->payload, probe);
    }
  }
  return Reject::kNone;
}

}  // namespace

Reject DecodeTransport(uint8_t proto, const Segment& segment, Probe* probe) {
  switch (proto) {
    case kProtoTcp:
      return DecodeTcp(segment, probe);
    case kProtoUdp:
      return DecodeUdp(segment, probe);
    case kProtoIcmp:
      return DecodeIcmp(segment, false, probe);
    case kProtoIcmpv6:
      return DecodeIcmp(segment, true, probe);
    default:
      // SCTP, GRE, ESP, no-next-header, ...: no ports, but still a probe (an
      // IP protocol scan is made of these).
      probe->transport = Transport::kOther;
      SetPayload(segment, 0, segment.wire_len, probe);
      return Reject::kNone;
  }
}

}  // namespace portscope::packet::internal
