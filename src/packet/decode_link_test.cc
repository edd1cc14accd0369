// Link-layer decoders: Ethernet and VLAN tags, Linux cooked v1/v2, raw IP,
// BSD loopback; named malformed cases and every truncation.
#include <gtest/gtest.h>

#include "packet/decode.h"
#include "packet/decode_test_util.h"

namespace portscope::packet {
namespace {

using testing::Bytes;
using testing::Decode;
using testing::Name;

Bytes SampleIpv4Tcp(uint16_t dport = 443) {
  testing::TcpSpec tcp;
  tcp.dport = dport;
  return testing::Ipv4({}, testing::Tcp(tcp));  // 40 bytes
}

Bytes SampleIpv6Udp() {
  testing::Ipv6Spec ip;
  ip.next = 17;
  return testing::Ipv6(ip, testing::Udp(5353, 53, {1, 2, 3, 4}));  // 52 bytes
}

TEST(DecodeLink, EthernetIpv4TcpSynFillsEveryField) {
  testing::Ipv4Spec ip;
  ip.ttl = 252;
  ip.id = 40004;
  testing::TcpSpec tcp;
  tcp.sport = 51406;
  tcp.dport = 697;
  tcp.seq = 2109343474;
  tcp.window = 1024;
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kEthernet,
                        testing::Ethernet(0x0800, testing::Ipv4(ip, testing::Tcp(tcp))), &p)),
            "none");
  EXPECT_EQ(p.time_us, 1566411407841604u);
  EXPECT_EQ(p.src.ToString(), "192.0.2.1");
  EXPECT_EQ(p.dst.ToString(), "198.51.100.7");
  EXPECT_EQ(p.transport, Transport::kTcp);
  EXPECT_EQ(p.ip_proto, 6);
  EXPECT_EQ(p.sport, 51406);
  EXPECT_EQ(p.dport, 697);
  EXPECT_EQ(p.ttl, 252);
  EXPECT_EQ(p.ip_id, 40004);
  EXPECT_FALSE(p.fragment);
  EXPECT_EQ(p.tcp_flags, tcp_flags::kSyn);
  EXPECT_EQ(p.seq, 2109343474u);
  EXPECT_EQ(p.ack, 0u);
  EXPECT_EQ(p.window, 1024);
  EXPECT_EQ(p.mss, 0);
  EXPECT_EQ(p.wscale, 0xff);
  EXPECT_EQ(p.tcp_option_count, 0);
  EXPECT_TRUE(p.payload.empty());
  EXPECT_EQ(p.payload_wire_len, 0u);
}

TEST(DecodeLink, EthernetPaddingIsNotPayload) {
  // 14 + 40 bytes padded to the 60-byte Ethernet minimum, as on the wire.
  Bytes frame = testing::Ethernet(0x0800, SampleIpv4Tcp(), {}, 60);
  frame.back() = 0xee;
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kEthernet, frame, &p)), "none");
  EXPECT_TRUE(p.payload.empty());
  EXPECT_EQ(p.payload_wire_len, 0u);
}

TEST(DecodeLink, VlanTagsAreWalked) {
  const std::vector<std::vector<uint16_t>> stacks = {
      {0x8100},
      {0x88a8, 0x8100},
      {0x9100, 0x8100},
      {0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100}};
  for (const auto& tags : stacks) {
    Probe p;
    EXPECT_EQ(
        Name(Decode(LinkType::kEthernet, testing::Ethernet(0x0800, SampleIpv4Tcp(), tags), &p)),
        "none")
        << tags.size() << " tags";
    EXPECT_EQ(p.dport, 443);
  }
  EXPECT_EQ(kMaxVlanTags, 8);
}

TEST(DecodeLink, EthernetMalformedCases) {
  struct Case {
    const char* want;
    Bytes frame;
  } cases[] = {
      {"truncated_ethernet", Bytes(13, 0)},
      {"truncated_vlan", Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x00, 0x00, 0x05, 0x08}},
      {"too_many_vlan_tags",
       testing::Ethernet(0x0800, SampleIpv4Tcp(), std::vector<uint16_t>(9, 0x8100))},
      {"not_ip", testing::Ethernet(0x0806, Bytes(28, 0))},  // ARP
      {"not_ip", testing::Ethernet(0x002e, Bytes(46, 0))},  // 802.3 length field
      {"not_ip", testing::Ethernet(0x88cc, Bytes(46, 0))},  // LLDP
      {"bad_ipv4_version", testing::Ethernet(0x0800, SampleIpv6Udp())},
      {"bad_ipv6_version", testing::Ethernet(0x86dd, SampleIpv4Tcp())},
  };
  for (const auto& c : cases) {
    Probe p;
    EXPECT_EQ(Name(Decode(LinkType::kEthernet, c.frame, &p)), c.want);
  }
}

TEST(DecodeLink, LinuxCookedV1AndV2) {
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kLinuxSll, testing::LinuxSll(0x0800, SampleIpv4Tcp()), &p)),
            "none");
  EXPECT_EQ(p.dport, 443);
  // libpcap puts a stripped VLAN tag back after the cooked header.
  ASSERT_EQ(Name(Decode(LinkType::kLinuxSll,
                        testing::LinuxSll(0x8100, Bytes{0x00, 0x07, 0x08, 0x00}), &p)),
            "truncated_ipv4");
  Bytes tagged = {0x00, 0x07, 0x08, 0x00};
  testing::Append(tagged, SampleIpv4Tcp(8080));
  ASSERT_EQ(Name(Decode(LinkType::kLinuxSll, testing::LinuxSll(0x8100, tagged), &p)), "none");
  EXPECT_EQ(p.dport, 8080);
  ASSERT_EQ(Name(Decode(LinkType::kLinuxSll2, testing::LinuxSll2(0x86dd, SampleIpv6Udp()), &p)),
            "none");
  EXPECT_EQ(p.transport, Transport::kUdp);
  EXPECT_EQ(p.src.ToString(), "2001:db8::1");
  EXPECT_EQ(p.dport, 53);
  EXPECT_EQ(p.payload.size(), 4u);

  EXPECT_EQ(Name(Decode(LinkType::kLinuxSll, Bytes(15, 0), &p)), "truncated_sll");
  EXPECT_EQ(Name(Decode(LinkType::kLinuxSll2, Bytes(19, 0), &p)), "truncated_sll2");
  EXPECT_EQ(Name(Decode(LinkType::kLinuxSll, testing::LinuxSll(0x0806, Bytes(28, 0)), &p)),
            "not_ip");
  EXPECT_EQ(Name(Decode(LinkType::kLinuxSll2, testing::LinuxSll2(0x0004, Bytes(28, 0)), &p)),
            "not_ip");  // LINUX_SLL_P_802_2
}

TEST(DecodeLink, BsdLoopbackFamiliesInEitherByteOrder) {
  Probe p;
  // DLT_NULL: host order of whoever captured; both must work.
  for (bool big : {false, true}) {
    ASSERT_EQ(Name(Decode(LinkType::kNull, testing::Loopback(2, SampleIpv4Tcp(), big), &p)), "none")
        << big;
    EXPECT_EQ(p.dport, 443);
    for (uint32_t af6 : {10u, 24u, 28u, 30u}) {
      ASSERT_EQ(Name(Decode(LinkType::kNull, testing::Loopback(af6, SampleIpv6Udp(), big), &p)),
                "none")
          << af6;
      EXPECT_EQ(p.dport, 53);
    }
  }
  // DLT_LOOP: always network order.
  ASSERT_EQ(Name(Decode(LinkType::kLoop, testing::Loopback(2, SampleIpv4Tcp(), true), &p)), "none");
  ASSERT_EQ(Name(Decode(LinkType::kLoop, testing::Loopback(24, SampleIpv6Udp(), true), &p)),
            "none");
  EXPECT_EQ(Name(Decode(LinkType::kLoop, testing::Loopback(2, SampleIpv4Tcp(), false), &p)),
            "not_ip");
  EXPECT_EQ(Name(Decode(LinkType::kNull, testing::Loopback(7, SampleIpv4Tcp(), false), &p)),
            "not_ip");
  EXPECT_EQ(Name(Decode(LinkType::kNull, Bytes{2, 0, 0}, &p)), "truncated_loopback");
  EXPECT_EQ(Name(Decode(LinkType::kLoop, Bytes{}, &p)), "truncated_loopback");
}

TEST(DecodeLink, RawIpLinks) {
  Probe p;
  for (LinkType link : {LinkType::kRaw, LinkType::kLinktypeRaw}) {
    ASSERT_EQ(Name(Decode(link, SampleIpv4Tcp(), &p)), "none");
    EXPECT_TRUE(p.src.is_v4());
    ASSERT_EQ(Name(Decode(link, SampleIpv6Udp(), &p)), "none");
    EXPECT_FALSE(p.src.is_v4());
    EXPECT_EQ(Name(Decode(link, Bytes{}, &p)), "truncated_ip");
    EXPECT_EQ(Name(Decode(link, Bytes{0x50, 0, 0, 0}, &p)), "bad_ip_version");
  }
  ASSERT_EQ(Name(Decode(LinkType::kIpv4, SampleIpv4Tcp(), &p)), "none");
  ASSERT_EQ(Name(Decode(LinkType::kIpv6, SampleIpv6Udp(), &p)), "none");
  EXPECT_EQ(Name(Decode(LinkType::kIpv4, SampleIpv6Udp(), &p)), "bad_ipv4_version");
  EXPECT_EQ(Name(Decode(LinkType::kIpv6, SampleIpv4Tcp(), &p)), "bad_ipv6_version");
}

TEST(DecodeLink, UnsupportedLinkTypes) {
  Probe p;
  for (int dlt : {105 /* 802.11 */, 127 /* radiotap */, 9 /* PPP */, 65535}) {
    EXPECT_EQ(Name(Decode(static_cast<LinkType>(dlt), SampleIpv4Tcp(), &p)),
              "unsupported_linktype");
    EXPECT_FALSE(IsSupportedLinkType(static_cast<LinkType>(dlt)));
  }
  EXPECT_TRUE(IsSupportedLinkType(LinkType::kLinuxSll2));
  EXPECT_EQ(LinkTypeName(LinkType::kEthernet), "EN10MB");
}

TEST(DecodeLink, ProbeIsResetBetweenFrames) {
  testing::TcpSpec with_options;
  with_options.options = {2, 4, 0x05, 0xb4, 3, 3, 7};
  Probe p;
  ASSERT_EQ(Name(Decode(LinkType::kRaw, testing::Ipv4({}, testing::Tcp(with_options)), &p)),
            "none");
  EXPECT_EQ(p.mss, 1460);
  EXPECT_EQ(p.wscale, 7);
  ASSERT_EQ(Name(Decode(LinkType::kRaw, SampleIpv4Tcp(), &p)), "none");
  EXPECT_EQ(p.mss, 0);
  EXPECT_EQ(p.wscale, 0xff);
  EXPECT_EQ(p.tcp_option_count, 0);
}

// Every prefix of a frame of each link type (headers_end, ip_end).
TEST(DecodeLink, EveryTruncation) {
  const Bytes v4 = SampleIpv4Tcp();  // 40 bytes, all headers
  const Bytes v6 = SampleIpv6Udp();  // 52 bytes: 48 of headers, 4 of payload
  testing::CheckEveryTruncation(LinkType::kEthernet, testing::Ethernet(0x0800, v4, {}, 60), 54, 54);
  testing::CheckEveryTruncation(LinkType::kEthernet,
                                testing::Ethernet(0x0800, v4, {0x88a8, 0x8100}), 62, 62);
  testing::CheckEveryTruncation(LinkType::kEthernet, testing::Ethernet(0x86dd, v6), 62, 66);
  testing::CheckEveryTruncation(LinkType::kLinuxSll, testing::LinuxSll(0x0800, v4), 56, 56);
  testing::CheckEveryTruncation(LinkType::kLinuxSll2, testing::LinuxSll2(0x86dd, v6), 68, 72);
  testing::CheckEveryTruncation(LinkType::kNull, testing::Loopback(30, v6, false), 52, 56);
  testing::CheckEveryTruncation(LinkType::kLoop, testing::Loopback(2, v4, true), 44, 44);
  testing::CheckEveryTruncation(LinkType::kRaw, v6, 48, 52);
  testing::CheckEveryTruncation(LinkType::kIpv4, v4, 40, 40);
}

}  // namespace
}  // namespace portscope::packet
