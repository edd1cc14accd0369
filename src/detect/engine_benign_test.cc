// Benign traffic never alerts, and answers are attributed to the attempts
// they answer: a server answering many clients is not scanning them.
#include <gtest/gtest.h>

#include "detect/engine.h"
#include "detect/test_probes.h"

namespace portscope::detect {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

const IpAddress kClient = Ip("10.1.2.3");
const IpAddress kServer = Ip("93.184.216.34");
const IpAddress kResolver = Ip("10.1.0.53");

// One HTTP exchange as a capture of both directions shows it.
void HttpExchange(Engine& engine, AlertSink& sink, uint64_t t, const IpAddress& client, uint16_t cport,
                  const IpAddress& server, uint16_t port) {
  engine.Process(LinuxSyn(t, client, cport, server, port), sink);
  engine.Process(SynAck(t + 20 * kMs, server, port, client, cport), sink);
  engine.Process(Segment(t + 21 * kMs, client, cport, server, port, tf::kAck, 0), sink);
  engine.Process(Segment(t + 22 * kMs, client, cport, server, port, tf::kAck | tf::kPsh, 320), sink);
  engine.Process(Segment(t + 45 * kMs, server, port, client, cport, tf::kAck | tf::kPsh, 1400), sink);
  engine.Process(Segment(t + 46 * kMs, client, cport, server, port, tf::kAck, 0), sink);
  engine.Process(Segment(t + 50 * kMs, client, cport, server, port, tf::kFin | tf::kAck, 0), sink);
  engine.Process(Segment(t + 70 * kMs, server, port, client, cport, tf::kFin | tf::kAck, 0), sink);
  engine.Process(Segment(t + 71 * kMs, client, cport, server, port, tf::kAck, 0), sink);
}

void DnsExchange(Engine& engine, AlertSink& sink, uint64_t t, uint16_t cport) {
  engine.Process(Udp(t, kClient, cport, kResolver, 53, 40), sink);
  engine.Process(Udp(t + 3 * kMs, kResolver, 53, kClient, cport, 120), sink);
}

TEST(EngineBenign, BusyClientNeverAlerts) {
  Engine engine(Config{}, 11);
  CollectingSink sink;
  uint64_t t = kT0;
  for (uint32_t i = 0; i < 500; ++i, t += 100 * kMs) {
    HttpExchange(engine, sink, t, kClient, static_cast<uint16_t>(33000 + i), kServer, 80);
    DnsExchange(engine, sink, t + 50 * kMs, static_cast<uint16_t>(50000 + i));
  }
  // Browsing: 60 different sites on 443 within 3 seconds, all answered.
  for (uint32_t i = 0; i < 60; ++i) {
    HttpExchange(engine, sink, t + i * 50 * kMs, kClient, static_cast<uint16_t>(40000 + i),
                 IpAddress::V4(0x5db80000u + i * 3), 443);
  }
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  const Counters& c = engine.counters();
  EXPECT_EQ(c.evidence, 0u);
  EXPECT_EQ(c.benign, 1060u);
  EXPECT_EQ(c.attempts, 1060u);
  EXPECT_EQ(c.unmatched_answers, 0u);
  // The servers' answers made no sources: only the client is tracked.
  EXPECT_EQ(c.sources_tracked, 1u);
  EXPECT_TRUE(c.two_way);
}

TEST(EngineBenign, ClientSeenOnlyInboundIsJudgedByItsOwnPackets) {
  // A capture of one direction: the client's handshake ACK and data show the
  // connections were used, though no SYN-ACK is visible.
  Engine engine(Config{}, 12);
  CollectingSink sink;
  for (uint32_t i = 0; i < 40; ++i) {
    const uint64_t t = kT0 + i * 30 * kMs;
    const IpAddress server = IpAddress::V4(0x5db80000u + i);
    const uint16_t cport = static_cast<uint16_t>(41000 + i);
    engine.Process(LinuxSyn(t, kClient, cport, server, 443), sink);
    engine.Process(Segment(t + 20 * kMs, kClient, cport, server, 443, tf::kAck, 0), sink);
    engine.Process(Segment(t + 21 * kMs, kClient, cport, server, 443, tf::kAck | tf::kPsh, 517), sink);
  }
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_EQ(engine.counters().evidence, 0u);
  EXPECT_FALSE(engine.counters().two_way);
}

TEST(EngineBenign, ServerAnsweringManyClientsIsNotAScanner) {
  // 300 clients connect to one server; some to closed ports (RST), some get
  // ICMP errors. The server sends SYN-ACKs, RSTs and data to 300 client
  // ports: all answers, none a probe.
  Engine engine(Config{}, 13);
  CollectingSink sink;
  for (uint32_t i = 0; i < 300; ++i) {
    const uint64_t t = kT0 + i * 10 * kMs;
    const IpAddress client = IpAddress::V4(0x0a020000u + i);
    const uint16_t cport = static_cast<uint16_t>(50000 + i);
    if (i % 3 == 0) {
      engine.Process(LinuxSyn(t, client, cport, kServer, 8081), sink);
      engine.Process(Tcp(t + kMs, kServer, 8081, client, cport, tf::kRst | tf::kAck), sink);
    } else if (i % 3 == 1) {
      engine.Process(Udp(t, client, cport, kServer, 5353, 30), sink);
      engine.Process(PortUnreachable(t + kMs, kServer, client, cport, kServer, 5353), sink);
    } else {
      HttpExchange(engine, sink, t, client, cport, kServer, 80);
    }
  }
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_EQ(engine.counters().sources_tracked, 300u);
  EXPECT_EQ(engine.counters().attempts_refused, 200u);
  EXPECT_EQ(engine.counters().unmatched_answers, 0u);
}

TEST(EngineBenign, BackscatterAndStrayAnswersAreNotProbes) {
  // SYN-ACKs and RSTs from victims of a spoofed flood, and ICMP errors about
  // packets we never saw, reach the canary: none is a probe.
  Engine engine(Config{}, 14);
  CollectingSink sink;
  for (uint32_t i = 0; i < 200; ++i) {
    const uint64_t t = kT0 + i * kMs;
    const IpAddress victim = IpAddress::V4(0xc6336400u + (i % 7));
    const uint16_t port = static_cast<uint16_t>(1024 + i);
    engine.Process(SynAck(t, victim, 80, kClient, port), sink);
    engine.Process(Tcp(t, victim, 443, kClient, port, tf::kRst | tf::kAck), sink);
    engine.Process(PortUnreachable(t, victim, kClient, port, victim, 53), sink);
    engine.Process(Udp(t, victim, 53, kClient, static_cast<uint16_t>(40000 + i), 90), sink);  // stray reply
  }
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_EQ(engine.counters().sources_tracked, 0u);
  EXPECT_EQ(engine.counters().unmatched_answers, 800u);
}

TEST(EngineBenign, MidStreamTrafficOfUnseenConnectionsIsNotAnAckScan) {
  // The capture starts while 50 connections are open: their segments carry
  // data or TCP timestamps, and answers to a bare ACK continue a connection.
  Engine engine(Config{}, 15);
  CollectingSink sink;
  for (uint32_t i = 0; i < 50; ++i) {
    const uint64_t t = kT0 + i * 5 * kMs;
    const IpAddress peer = IpAddress::V4(0x5db80100u + i);
    const uint16_t cport = static_cast<uint16_t>(45000 + i);
    engine.Process(Segment(t, peer, 443, kClient, cport, tf::kAck | tf::kPsh, 1200), sink);
    engine.Process(Segment(t + kMs, kClient, cport, peer, 443, tf::kAck, 0), sink);
    engine.Process(Tcp(t + 2 * kMs, kClient, cport, peer, 443, tf::kAck), sink);  // no options
    engine.Process(Segment(t + 3 * kMs, peer, 443, kClient, cport, tf::kAck | tf::kPsh, 1200), sink);
  }
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_EQ(engine.counters().evidence, 0u);
}

TEST(EngineBenign, MulticastAndBroadcastDestinationsAreIgnored) {
  // A laptop waking up: SSDP, mDNS, LLMNR, NetBIOS and DHCP to group addresses.
  Engine engine(Config{}, 16);
  CollectingSink sink;
  const uint16_t ports[] = {1900, 5353, 5355, 137, 138, 67, 3702, 1234};
  const char* groups[] = {"239.255.255.250", "224.0.0.251", "224.0.0.252", "255.255.255.255", "ff02::fb"};
  uint64_t t = kT0;
  for (const char* g : groups) {
    for (uint16_t port : ports) {
      const IpAddress src = Ip(g).is_v4() ? kClient : Ip("fe80::1");
      engine.Process(Udp(t += kMs, src, 50000, Ip(g), port, 50), sink);
    }
  }
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_EQ(engine.counters().ignored, 40u);
}

TEST(EngineBenign, OnlyUnspecifiedGroupAndBroadcastAddressesAreIgnored) {
  // The edges of each ignored range, against their neighbours that are not.
  Engine engine(Config{}, 17);
  CollectingSink sink;
  const char* ignored[] = {"0.0.0.0", "224.0.0.0", "239.255.255.255", "255.255.255.255", "::", "ff00::", "ff05::2"};
  const char* kept[] = {"0.0.0.1", "223.255.255.255", "240.0.0.1", "255.255.255.254", "::1", "fe80::1", "::ffff:0:1"};
  uint64_t t = kT0;
  for (const char* a : ignored) engine.Process(Udp(t += kMs, kClient, 50000, Ip(a), 9, 50), sink);
  EXPECT_EQ(engine.counters().ignored, 7u);
  for (const char* a : kept) engine.Process(Udp(t += kMs, kClient, 50000, Ip(a), 9, 50), sink);
  EXPECT_EQ(engine.counters().ignored, 7u);
  // As sources too.
  engine.Process(Udp(t += kMs, Ip("0.0.0.0"), 68, Ip("192.0.2.1"), 67, 300), sink);
  engine.Process(Udp(t += kMs, Ip("::"), 546, Ip("2001:db8::1"), 547, 100), sink);
  EXPECT_EQ(engine.counters().ignored, 9u);
}

}  // namespace
}  // namespace portscope::detect
