// Transport decoders: TCP flags and options, UDP lengths, ICMP and ICMPv6
// errors with their quoted datagram; named malformed cases and every
// truncation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "packet/decode.h"
#include "packet/decode_test_util.h"

namespace portscope::packet {
namespace {

using testing::Bytes;
using testing::Cat;
using testing::Decode;
using testing::Name;

// These build the packet in a temporary: p->payload dangles after the call
// (only its size may be read).
Reject DecodeV4(uint8_t proto, const Bytes& segment, Probe* p) {
  testing::Ipv4Spec ip;
  ip.proto = proto;
  return Decode(LinkType::kIpv4, testing::Ipv4(ip, segment), p);
}

Reject DecodeV6(uint8_t next, const Bytes& segment, Probe* p) {
  testing::Ipv6Spec ip;
  ip.next = next;
  return Decode(LinkType::kIpv6, testing::Ipv6(ip, segment), p);
}

TEST(DecodeTcp, OptionsOfANmapStyleSyn) {
  testing::TcpSpec tcp;
  tcp.flags = tcp_flags::kSyn | tcp_flags::kEce | tcp_flags::kCwr;
  tcp.window = 65535;
  // MSS 1460, NOP, window scale 10, SACK permitted, timestamps, end.
  tcp.options = {2, 4, 0x05, 0xb4, 1, 3, 3, 10, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  tcp.payload = {'h', 'i'};
  const Bytes packet = testing::Ipv4({}, testing::Tcp(tcp));  // outlives p.payload
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv4, packet, &p)), "none");
  EXPECT_EQ(p.tcp_flags, tcp_flags::kSyn | tcp_flags::kEce | tcp_flags::kCwr);
  EXPECT_EQ(p.window, 65535);
  EXPECT_EQ(p.mss, 1460);
  EXPECT_EQ(p.wscale, 10);
  EXPECT_TRUE(p.sack_permitted);
  EXPECT_TRUE(p.timestamps);
  EXPECT_EQ(p.tcp_option_count, 4);  // NOP and end-of-list are not counted
  EXPECT_FALSE(p.tcp_options_malformed);
  ASSERT_EQ(p.payload.size(), 2u);
  EXPECT_EQ(p.payload[0], 'h');
  EXPECT_EQ(p.payload_wire_len, 2u);
}

// ParseTcpOptions reads three common layouts whole (NOP, NOP, timestamps in
// 12 bytes; Linux's SYN options in 20; a lone MSS in 4). The same options after four NOPs take the
// general walk, which skips the NOPs: both must give the same probe, for
// those layouts, for byte strings that only start like them, and for random
// ones.
TEST(DecodeTcp, TheCommonOptionLayoutsDecodeAsTheWalkDoes) {
  auto decode = [](const Bytes& options) {
    testing::TcpSpec tcp;
    tcp.flags = tcp_flags::kAck;
    tcp.options = options;
    Probe p;
    EXPECT_EQ(Name(DecodeV4(6, testing::Tcp(tcp), &p)), "none");
    return p;
  };
  std::vector<Bytes> layouts = {
      {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8},  // NOP, NOP, timestamps
      {2, 4, 0x05, 0xb4},                     // MSS 1460
      {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7},  // Linux's SYN
      {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 2, 7},  // bad window scale length
      {2, 4, 0x05, 0xb4, 4, 3, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7},  // bad SACK-permitted length
      {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0, 3, 3, 7},  // end of list before it
      {2, 3, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7},  // bad MSS length
      {2, 4, 0, 0},                           // MSS 0
      {1, 1, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8},   // timestamps with a bad length
      {1, 1, 8, 11, 1, 2, 3, 4, 5, 6, 7, 8},  // timestamps running past the header
      {1, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8},  // NOP, then a 2-byte option 8
      {1, 1, 3, 10, 1, 2, 3, 4, 5, 6, 7, 8},  // window scale with a bad length
      {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7},     // 11 bytes
      {1, 1, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1},   // NOP, NOP, SACK permitted, NOPs
      {2, 3, 0x05, 0xb4},                     // MSS with a bad length
      {2, 5, 0x05, 0xb4},                     // runs past the header
      {3, 3, 7, 1},                           // window scale, NOP
  };
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 2000; ++i) {
    static constexpr size_t kSizes[] = {4, 12, 20};
    Bytes b(kSizes[i % 3]);
    for (uint8_t& byte : b) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      byte = static_cast<uint8_t>(x % 12);  // mostly option kinds and small lengths
    }
    if ((i / 3) % 2 == 0) {  // a fast path's fixed bytes, then random ones
      const Bytes& like = layouts[b.size() == 4 ? 1 : (b.size() == 12 ? 0 : 2)];
      for (size_t k = 0; k < b.size(); ++k) {
        if (k < 2 || (b.size() == 12 && k < 4) || (b.size() == 20 && (k == 4 || k == 5 || k == 6 || k == 7 || k >= 16))) {
          b[k] = like[k];
        }
      }
      if (x % 5 == 0) b[x % b.size()] ^= static_cast<uint8_t>(1 + (x >> 8) % 3);  // sometimes one fixed byte off
    }
    layouts.push_back(b);
  }
  for (const Bytes& options : layouts) {
    Bytes walked = {1, 1, 1, 1};
    walked.insert(walked.end(), options.begin(), options.end());
    const Probe fast = decode(options);
    const Probe walk = decode(walked);
    const std::string what = ::testing::PrintToString(options);
    EXPECT_EQ(fast.mss, walk.mss) << what;
    EXPECT_EQ(fast.wscale, walk.wscale) << what;
    EXPECT_EQ(fast.sack_permitted, walk.sack_permitted) << what;
    EXPECT_EQ(fast.timestamps, walk.timestamps) << what;
    EXPECT_EQ(fast.tcp_option_count, walk.tcp_option_count) << what;
    EXPECT_EQ(fast.tcp_options_malformed, walk.tcp_options_malformed) << what;
  }
  const Probe ts = decode(layouts[0]);
  EXPECT_TRUE(ts.timestamps);
  EXPECT_EQ(ts.tcp_option_count, 1);
  const Probe mss = decode(layouts[1]);
  EXPECT_EQ(mss.mss, 1460);
  EXPECT_EQ(mss.tcp_option_count, 1);
  const Probe syn = decode(layouts[2]);
  EXPECT_EQ(syn.mss, 1460);
  EXPECT_TRUE(syn.sack_permitted);
  EXPECT_TRUE(syn.timestamps);
  EXPECT_EQ(syn.wscale, 7);
  EXPECT_EQ(syn.tcp_option_count, 4);
}

TEST(DecodeTcp, MalformedOptionsMarkTheProbeButKeepIt) {
  struct Case {
    const char* name;
    Bytes options;
    uint8_t count;
    uint16_t mss;
  } cases[] = {
      {"length 1", {2, 1, 0, 0}, 0, 0},
      {"length 0", {8, 0, 0, 0}, 0, 0},
      {"past the header", {2, 4, 5, 0xb4, 8, 10, 0, 0}, 1, 1460},
      {"MSS of length 3", {2, 3, 5, 3, 3, 7}, 2, 0},
      {"window scale of length 4", {3, 4, 1, 2}, 1, 0},
      {"SACK-permitted of length 3", {4, 3, 0, 2, 4, 5, 0xb4}, 2, 1460},
      {"timestamps of length 6", {8, 6, 0, 0, 0, 0}, 1, 0},
  };
  for (const auto& c : cases) {
    testing::TcpSpec tcp;
    tcp.options = c.options;
    Probe p;
    ASSERT_EQ(Name(DecodeV4(6, testing::Tcp(tcp), &p)), "none") << c.name;
    EXPECT_TRUE(p.tcp_options_malformed) << c.name;
    EXPECT_EQ(p.tcp_option_count, c.count) << c.name;
    EXPECT_EQ(p.mss, c.mss) << c.name;
    EXPECT_FALSE(p.sack_permitted) << c.name;
    EXPECT_FALSE(p.timestamps) << c.name;
  }
}

TEST(DecodeTcp, MalformedCases) {
  testing::TcpSpec offset4;
  offset4.data_offset = 4;
  testing::TcpSpec offset15;  // 60-byte header in a 20-byte segment
  offset15.data_offset = 15;
  testing::TcpSpec offset6;  // 24-byte header in a 22-byte segment
  offset6.data_offset = 6;
  offset6.payload = {0, 0};
  Probe p;
  EXPECT_EQ(Name(DecodeV4(6, Bytes(19, 0), &p)), "truncated_tcp");
  EXPECT_EQ(Name(DecodeV4(6, {}, &p)), "truncated_tcp");
  EXPECT_EQ(Name(DecodeV4(6, testing::Tcp(offset4), &p)), "bad_tcp_data_offset");
  EXPECT_EQ(Name(DecodeV4(6, testing::Tcp(offset15), &p)), "bad_tcp_data_offset");
  EXPECT_EQ(Name(DecodeV4(6, testing::Tcp(offset6), &p)), "bad_tcp_data_offset");
  EXPECT_EQ(Name(DecodeV6(6, testing::Tcp(offset4), &p)), "bad_tcp_data_offset");
}

TEST(DecodeUdp, PortsPayloadAndLengths) {
  Probe p;
  ASSERT_EQ(Name(DecodeV4(17, testing::Udp(40000, 161, {0x30, 0x26}), &p)), "none");
  EXPECT_EQ(p.transport, Transport::kUdp);
  EXPECT_EQ(p.sport, 40000);
  EXPECT_EQ(p.dport, 161);
  EXPECT_EQ(p.payload.size(), 2u);
  // A UDP length shorter than IP's: the rest is padding, not payload.
  ASSERT_EQ(Name(DecodeV4(17, testing::Udp(1, 2, Bytes(10, 7), 12), &p)), "none");
  EXPECT_EQ(p.payload.size(), 4u);
  EXPECT_EQ(p.payload_wire_len, 4u);

  EXPECT_EQ(Name(DecodeV4(17, Bytes(7, 0), &p)), "truncated_udp");
  EXPECT_EQ(Name(DecodeV4(17, testing::Udp(1, 2, {}, 7), &p)), "bad_udp_length");
  EXPECT_EQ(Name(DecodeV4(17, testing::Udp(1, 2, {}, 0), &p)), "bad_udp_length");
  EXPECT_EQ(Name(DecodeV4(17, testing::Udp(1, 2, {1}, 10), &p)), "bad_udp_length");
  EXPECT_EQ(Name(DecodeV6(17, testing::Udp(1, 2, {1}, 10), &p)), "bad_udp_length");
}

// An ICMP port unreachable quoting the UDP probe: how a closed UDP port shows.
Bytes QuotedUdpProbe() {
  testing::Ipv4Spec probe_ip;
  probe_ip.src = {198, 51, 100, 7};
  probe_ip.dst = {192, 0, 2, 1};
  probe_ip.proto = 17;
  Bytes quote = testing::Ipv4(probe_ip, testing::Udp(53124, 161, Bytes(30, 0)));
  quote.resize(28);  // RFC 792: the IP header and 8 bytes of the datagram
  return quote;
}

TEST(DecodeIcmp, PortUnreachableQuotesTheProbe) {
  Probe p;
  ASSERT_EQ(Name(DecodeV4(1, testing::Icmp(3, 3, QuotedUdpProbe()), &p)), "none");
  EXPECT_EQ(p.transport, Transport::kIcmp);
  EXPECT_EQ(p.icmp_type, 3);
  EXPECT_EQ(p.icmp_code, 3);
  ASSERT_TRUE(p.quoted_valid);
  EXPECT_EQ(p.quoted_transport, Transport::kUdp);
  EXPECT_EQ(p.quoted_src.ToString(), "198.51.100.7");
  EXPECT_EQ(p.quoted_dst.ToString(), "192.0.2.1");
  EXPECT_EQ(p.quoted_sport, 53124);
  EXPECT_EQ(p.quoted_dport, 161);
}

TEST(DecodeIcmp, QuotesThatTellNothing) {
  const Bytes quote = QuotedUdpProbe();
  struct Case {
    const char* name;
    Bytes body;
  } cases[] = {
      {"no quote", {}},
      {"IP header only", Bytes(quote.begin(), quote.begin() + 20)},
      {"half the ports", Bytes(quote.begin(), quote.begin() + 22)},
      {"not IPv4", Cat(Bytes{0x65}, Bytes(quote.begin() + 1, quote.end()))},
      {"IHL 3", Cat(Bytes{0x43}, Bytes(quote.begin() + 1, quote.end()))},
      {"IHL past the quote", Cat(Bytes{0x4f}, Bytes(quote.begin() + 1, quote.end()))},
      {"a later fragment", Cat(Bytes(quote.begin(), quote.begin() + 7),
                               Cat(Bytes{0x05}, Bytes(quote.begin() + 8, quote.end())))},
  };
  for (const auto& c : cases) {
    Probe p;
    ASSERT_EQ(Name(DecodeV4(1, testing::Icmp(3, 3, c.body), &p)), "none") << c.name;
    EXPECT_FALSE(p.quoted_valid) << c.name;
  }
  // An echo request is no error: whatever follows is not a quote.
  Probe p;
  ASSERT_EQ(Name(DecodeV4(1, testing::Icmp(8, 0, quote), &p)), "none");
  EXPECT_FALSE(p.quoted_valid);
  EXPECT_EQ(p.payload.size(), quote.size());
  // Time exceeded quoting a TCP probe; a quoted ICMP has no ports but is valid.
  testing::Ipv4Spec tcp_ip;
  Bytes tcp_quote = testing::Ipv4(tcp_ip, Bytes(8, 0));
  tcp_quote[23] = 80;
  ASSERT_EQ(Name(DecodeV4(1, testing::Icmp(11, 0, tcp_quote), &p)), "none");
  ASSERT_TRUE(p.quoted_valid);
  EXPECT_EQ(p.quoted_transport, Transport::kTcp);
  EXPECT_EQ(p.quoted_dport, 80);
  tcp_ip.proto = 1;
  ASSERT_EQ(Name(DecodeV4(1, testing::Icmp(3, 1, testing::Ipv4(tcp_ip, {})), &p)), "none");
  EXPECT_TRUE(p.quoted_valid);
  EXPECT_EQ(p.quoted_transport, Transport::kIcmp);

  EXPECT_EQ(Name(DecodeV4(1, Bytes(7, 0), &p)), "truncated_icmp");
}

TEST(DecodeIcmpv6, PortUnreachableQuotesTheProbeThroughItsChain) {
  testing::Ipv6Spec probe_ip;
  probe_ip.next = 60;
  const Bytes quote =
      testing::Ipv6(probe_ip, Cat(testing::Ipv6Ext(17), testing::Udp(53124, 5353, Bytes(4, 0))));
  Probe p;
  ASSERT_EQ(Name(DecodeV6(58, testing::Icmp(1, 4, quote), &p)), "none");
  EXPECT_EQ(p.transport, Transport::kIcmpv6);
  EXPECT_EQ(p.icmp_type, 1);
  EXPECT_EQ(p.icmp_code, 4);
  ASSERT_TRUE(p.quoted_valid);
  EXPECT_EQ(p.quoted_transport, Transport::kUdp);
  EXPECT_EQ(p.quoted_src.ToString(), "2001:db8::1");
  EXPECT_EQ(p.quoted_sport, 53124);
  EXPECT_EQ(p.quoted_dport, 5353);

  // Cut inside the chain, or a later fragment: nothing to tell.
  ASSERT_EQ(Name(DecodeV6(58, testing::Icmp(1, 4, Bytes(quote.begin(), quote.begin() + 44)), &p)),
            "none");
  EXPECT_FALSE(p.quoted_valid);
  testing::Ipv6Spec frag_ip;
  frag_ip.next = 44;
  ASSERT_EQ(
      Name(DecodeV6(
          58,
          testing::Icmp(1, 4,
                        testing::Ipv6(frag_ip, Cat(testing::Ipv6Frag(17, 9, false), Bytes(8, 0)))),
          &p)),
      "none");
  EXPECT_FALSE(p.quoted_valid);
  // Echo request (128) is informational.
  ASSERT_EQ(Name(DecodeV6(58, testing::Icmp(128, 0, quote), &p)), "none");
  EXPECT_FALSE(p.quoted_valid);
  EXPECT_EQ(Name(DecodeV6(58, Bytes(7, 0), &p)), "truncated_icmpv6");
}

TEST(DecodeTransport, EveryTruncation) {
  testing::TcpSpec tcp;
  tcp.options = {2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
  tcp.payload = {1, 2, 3};
  const Bytes tcp_bytes = testing::Tcp(tcp);  // 40-byte header
  testing::CheckEveryTruncation(LinkType::kEthernet,
                                testing::Ethernet(0x0800, testing::Ipv4({}, tcp_bytes)), 74, 77);
  testing::Ipv4Spec udp_ip;
  udp_ip.proto = 17;
  testing::CheckEveryTruncation(LinkType::kIpv4, testing::Ipv4(udp_ip, testing::Udp(5, 6, {7})), 28,
                                29);
  testing::Ipv4Spec icmp_ip;
  icmp_ip.proto = 1;
  testing::CheckEveryTruncation(
      LinkType::kIpv4, testing::Ipv4(icmp_ip, testing::Icmp(3, 3, QuotedUdpProbe())), 28, 56);
  testing::Ipv6Spec icmp6_ip;
  icmp6_ip.next = 58;
  testing::Ipv6Spec quoted_ip;
  quoted_ip.next = 6;
  testing::CheckEveryTruncation(
      LinkType::kIpv6,
      testing::Ipv6(icmp6_ip, testing::Icmp(1, 4, testing::Ipv6(quoted_ip, tcp_bytes))), 48,
      48 + 40 + 43);
}

}  // namespace
}  // namespace portscope::packet
