// IPv4 and IPv6 decoders: length checks, options, fragments, the IPv6
// extension chain, snap length; named malformed cases and every truncation.
#include <gtest/gtest.h>

#include "packet/decode.h"
#include "packet/decode_test_util.h"

namespace portscope::packet {
namespace {

using testing::Bytes;
using testing::Cat;
using testing::Decode;
using testing::Name;

Bytes Tcp443() {
  testing::TcpSpec tcp;
  tcp.dport = 443;
  return testing::Tcp(tcp);
}

Bytes V4(testing::Ipv4Spec ip, const Bytes& payload) { return testing::Ipv4(ip, payload); }

Bytes Prefix(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + n); }

testing::Ipv4Spec V4Spec(void (*edit)(testing::Ipv4Spec&)) {
  testing::Ipv4Spec s;
  edit(s);
  return s;
}

TEST(DecodeIpv4, MalformedCases) {
  struct Case {
    const char* name;
    const char* want;
    Bytes packet;
  } cases[] = {
      {"19 bytes", "truncated_ipv4", Prefix(V4({}, {}), 19)},
      {"version 5", "bad_ipv4_version", V4(V4Spec([](auto& s) { s.version = 5; }), Tcp443())},
      {"IHL 4", "bad_ipv4_ihl", V4(V4Spec([](auto& s) { s.ihl = 4; }), Tcp443())},
      {"IHL 0", "bad_ipv4_ihl", V4(V4Spec([](auto& s) { s.ihl = 0; }), Tcp443())},
      {"IHL 15 past the end", "truncated_ipv4",
       V4(V4Spec([](auto& s) {
            s.ihl = 15;
            s.total_length = 40;
          }),
          Tcp443())},
      {"total length 19", "ipv4_total_length_short",
       V4(V4Spec([](auto& s) { s.total_length = 19; }), Tcp443())},
      {"total length below options", "ipv4_total_length_short",
       V4(V4Spec([](auto& s) {
            s.options = {1, 1, 1, 1};
            s.total_length = 22;
          }),
          Tcp443())},
      {"total length past the frame", "ipv4_total_length_long",
       V4(V4Spec([](auto& s) { s.total_length = 41; }), Tcp443())},
      {"total length 65535", "ipv4_total_length_long",
       V4(V4Spec([](auto& s) { s.total_length = 65535; }), Tcp443())},
      {"second fragment", "non_first_fragment",
       V4(V4Spec([](auto& s) { s.flags_offset = 0x0003; }), Bytes(24, 0))},
      {"last fragment", "non_first_fragment",
       V4(V4Spec([](auto& s) { s.flags_offset = 0x2001; }), Bytes(24, 0))},
      {"nmap -f: 8 bytes of TCP", "tiny_fragment",
       V4(V4Spec([](auto& s) { s.flags_offset = 0x2000; }), Prefix(Tcp443(), 8))},
      {"fragment cuts TCP options", "tiny_fragment",
       V4(V4Spec([](auto& s) { s.flags_offset = 0x2000; }),
          [] {
            testing::TcpSpec t;
            t.options = {2, 4, 5, 0xb4};
            Bytes b = testing::Tcp(t);
            b.resize(20);
            return b;
          }())},
      {"fragment of 4 UDP bytes", "tiny_fragment",
       V4(V4Spec([](auto& s) {
            s.proto = 17;
            s.flags_offset = 0x2000;
          }),
          Bytes{0, 53, 0, 53})},
      {"fragment of 4 ICMP bytes", "tiny_fragment",
       V4(V4Spec([](auto& s) {
            s.proto = 1;
            s.flags_offset = 0x2000;
          }),
          Bytes{8, 0, 0, 0})},
  };
  for (const auto& c : cases) {
    Probe p;
    EXPECT_EQ(Name(Decode(LinkType::kIpv4, c.packet, &p)), c.want) << c.name;
  }
}

TEST(DecodeIpv4, OptionsAreSkippedByTheHeaderLength) {
  testing::Ipv4Spec ip;
  ip.options = {0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, end
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv4, testing::Ipv4(ip, Tcp443()), &p)), "none");
  EXPECT_EQ(p.dport, 443);
  EXPECT_EQ(p.tcp_flags, tcp_flags::kSyn);
}

TEST(DecodeIpv4, FirstFragmentCarriesPorts) {
  testing::Ipv4Spec ip;
  ip.proto = 17;
  ip.flags_offset = 0x2000;
  // The UDP length covers the whole datagram; this fragment holds 16 bytes.
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv4,
                        testing::Ipv4(ip, testing::Udp(1234, 161, Bytes(8, 0x30), 3000)), &p)),
            "none");
  EXPECT_TRUE(p.fragment);
  EXPECT_EQ(p.dport, 161);
  EXPECT_EQ(p.payload.size(), 8u);
  EXPECT_EQ(p.payload_wire_len, 2992u);
  // Don't-fragment alone is no fragment.
  ip.flags_offset = 0x4000;
  ASSERT_EQ(Name(Decode(LinkType::kIpv4, testing::Ipv4(ip, testing::Udp(1234, 161, {})), &p)),
            "none");
  EXPECT_FALSE(p.fragment);
}

TEST(DecodeIpv4, SnapLengthAllowsALongerPacketOnlyByWhatWasCut) {
  testing::TcpSpec tcp;
  tcp.payload = Bytes(1000, 'x');
  const Bytes full = testing::Ipv4({}, testing::Tcp(tcp));  // 1040 bytes
  const Bytes snapped(full.begin(), full.begin() + 96);
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv4, snapped, &p, 1040)), "none");
  EXPECT_EQ(p.payload.size(), 56u);
  EXPECT_EQ(p.payload_wire_len, 1000u);
  // Not cut: a total length beyond the bytes is a lie.
  EXPECT_EQ(Name(Decode(LinkType::kIpv4, snapped, &p)), "ipv4_total_length_long");
  // Cut, but by less than the total length claims.
  EXPECT_EQ(Name(Decode(LinkType::kIpv4, snapped, &p, 1039)), "ipv4_total_length_long");
}

TEST(DecodeIpv4, OtherProtocolsAreProbesWithoutPorts) {
  testing::Ipv4Spec ip;
  ip.proto = 47;  // GRE
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv4, testing::Ipv4(ip, Bytes(4, 0)), &p)), "none");
  EXPECT_EQ(p.transport, Transport::kOther);
  EXPECT_EQ(p.ip_proto, 47);
  EXPECT_EQ(p.sport, 0);
  EXPECT_EQ(p.payload_wire_len, 4u);
}

testing::Ipv6Spec V6Next(uint8_t next) {
  testing::Ipv6Spec s;
  s.next = next;
  return s;
}

TEST(DecodeIpv6, ExtensionChainIsWalked) {
  // Hop-by-hop, routing, destination options, AH, atomic fragment, TCP.
  const Bytes chain =
      Cat(Cat(Cat(Cat(Cat(testing::Ipv6Ext(43, 1), testing::Ipv6Ext(60)), testing::Ipv6Ext(51, 2)),
                  testing::Ipv6Ah(44)),
              testing::Ipv6Frag(6, 0, false)),
          Tcp443());
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv6, testing::Ipv6(V6Next(0), chain), &p)), "none");
  EXPECT_EQ(p.transport, Transport::kTcp);
  EXPECT_EQ(p.ip_proto, 6);
  EXPECT_EQ(p.dport, 443);
  EXPECT_FALSE(p.fragment);
  EXPECT_EQ(p.ip_id, 0);
  EXPECT_EQ(p.ttl, 64);
}

Bytes DestOptsChain(int n, const Bytes& tail) {
  Bytes b;
  for (int i = 0; i < n; ++i) testing::Append(b, testing::Ipv6Ext(i + 1 < n ? 60 : 6));
  testing::Append(b, tail);
  return b;
}

TEST(DecodeIpv6, ChainIsCapped) {
  Probe p;
  ASSERT_EQ(
      Name(Decode(LinkType::kIpv6,
                  testing::Ipv6(V6Next(60), DestOptsChain(kMaxIpv6ExtHeaders, Tcp443())), &p)),
      "none");
  EXPECT_EQ(p.dport, 443);
  EXPECT_EQ(
      Name(Decode(LinkType::kIpv6,
                  testing::Ipv6(V6Next(60), DestOptsChain(kMaxIpv6ExtHeaders + 1, Tcp443())), &p)),
      "ipv6_ext_chain_too_long");
}

TEST(DecodeIpv6, MalformedCases) {
  testing::Ipv6Spec v7;
  v7.version = 7;
  testing::Ipv6Spec long_payload;
  long_payload.payload_length = 21;
  testing::Ipv6Spec routing_8;  // payload length 8 ahead of a 16-byte header
  routing_8.next = 43;
  routing_8.payload_length = 8;
  struct Case {
    const char* name;
    const char* want;
    Bytes packet;
  } cases[] = {
      {"39 bytes", "truncated_ipv6", Prefix(testing::Ipv6({}, {}), 39)},
      {"version 7", "bad_ipv6_version", testing::Ipv6(v7, Tcp443())},
      {"payload length past the frame", "ipv6_payload_length_long",
       testing::Ipv6(long_payload, Bytes(20, 0))},
      {"ext header longer than the payload length", "truncated_ipv6_ext",
       testing::Ipv6(routing_8, Cat(testing::Ipv6Ext(6, 1), Tcp443()))},
      {"ext header cut", "truncated_ipv6_ext", testing::Ipv6(V6Next(60), Bytes{6})},
      {"AH cut", "truncated_ipv6_ext", testing::Ipv6(V6Next(51), Bytes{6, 4, 0, 0, 0, 0, 0, 0})},
      {"fragment header cut", "truncated_ipv6_ext", testing::Ipv6(V6Next(44), Bytes{6, 0, 0, 0})},
      {"hop-by-hop second", "ipv6_hop_by_hop_not_first",
       testing::Ipv6(V6Next(60), Cat(testing::Ipv6Ext(0), Cat(testing::Ipv6Ext(6), Tcp443())))},
      {"second fragment", "non_first_fragment",
       testing::Ipv6(V6Next(44), Cat(testing::Ipv6Frag(6, 181, true), Bytes(16, 0)))},
      {"first fragment of 8 TCP bytes", "tiny_fragment",
       testing::Ipv6(V6Next(44), Cat(testing::Ipv6Frag(6, 0, true), Bytes(8, 0)))},
      {"TCP header past payload length", "truncated_tcp", testing::Ipv6(V6Next(6), Bytes(12, 0))},
  };
  for (const auto& c : cases) {
    Probe p;
    EXPECT_EQ(Name(Decode(LinkType::kIpv6, c.packet, &p)), c.want) << c.name;
  }
}

TEST(DecodeIpv6, FirstFragmentAndNoNextHeader) {
  Probe p;
  ASSERT_EQ(
      Name(Decode(LinkType::kIpv6,
                  testing::Ipv6(V6Next(44), Cat(testing::Ipv6Frag(6, 0, true), Tcp443())), &p)),
      "none");
  EXPECT_TRUE(p.fragment);
  EXPECT_EQ(p.dport, 443);
  ASSERT_EQ(Name(Decode(LinkType::kIpv6, testing::Ipv6(V6Next(59), {}), &p)), "none");
  EXPECT_EQ(p.transport, Transport::kOther);
  EXPECT_EQ(p.ip_proto, 59);
}

TEST(DecodeIpv6, PayloadLengthShrinksTheView) {
  testing::Ipv6Spec ip;
  ip.next = 17;
  Bytes packet = testing::Ipv6(ip, testing::Udp(1, 2, {9, 9}));
  packet.resize(packet.size() + 10, 0xee);  // trailer beyond the payload length
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kIpv6, packet, &p)), "none");
  EXPECT_EQ(p.payload.size(), 2u);
}

TEST(DecodeIp, EveryTruncation) {
  testing::Ipv4Spec opts;
  opts.options = {0x94, 0x04, 0, 0};
  testing::TcpSpec tcp;
  tcp.options = {2, 4, 5, 0xb4, 4, 2, 1, 0};
  tcp.payload = {'G', 'E', 'T'};
  testing::CheckEveryTruncation(LinkType::kIpv4, testing::Ipv4(opts, testing::Tcp(tcp)), 52, 55);
  testing::Ipv4Spec frag;
  frag.flags_offset = 0x2000;
  frag.proto = 17;
  testing::CheckEveryTruncation(LinkType::kRaw,
                                testing::Ipv4(frag, testing::Udp(7, 9, Bytes(4, 1), 400)), 28, 32);
  const Bytes chain =
      Cat(Cat(testing::Ipv6Ext(60), testing::Ipv6Ext(51)),
          Cat(testing::Ipv6Ah(44, 1), Cat(testing::Ipv6Frag(6, 0, true), Tcp443())));
  ASSERT_EQ(chain.size(), 8 + 8 + 12 + 8 + 20u);
  testing::CheckEveryTruncation(LinkType::kIpv6, testing::Ipv6(V6Next(0), chain), 40 + chain.size(),
                                40 + chain.size());
}

}  // namespace
}  // namespace portscope::packet
