// Scan types and shapes: each nmap scan type, played as packets in both
// directions (target answers included), is reported with the right kind.
#include <gtest/gtest.h>

#include "detect/engine.h"
#include "detect/test_probes.h"

namespace portscope::detect {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

const IpAddress kScanner = Ip("203.0.113.5");
const IpAddress kTarget = Ip("192.0.2.10");

bool Open(uint16_t port) { return port == 22 || port == 80 || port == 443; }

// Plays one scan of ports 1..n against kTarget, 10 ms apart, answering as a
// Linux host would, and returns the alerts after Finish().
template <typename ProbeFn>
CollectingSink Play(int n, ProbeFn probe) {
  Engine engine(Config{}, 1);
  CollectingSink sink;
  uint64_t t = kT0;
  for (uint16_t port = 1; port <= n; ++port, t += 10 * kMs) {
    for (const packet::Probe& p : probe(t, port)) engine.Process(p, sink);
  }
  engine.Finish(sink);
  return sink;
}

void ExpectOneScan(const CollectingSink& sink, ScanKind kind, uint32_t ports) {
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  const Alert a = sink.ended()[0];
  EXPECT_EQ(a.source, kScanner);
  EXPECT_EQ(ScanKindName(a.kind), ScanKindName(kind)) << sink.Summaries();
  EXPECT_EQ(a.ports_at_least, ports) << sink.Summaries();
  EXPECT_TRUE(a.ports_exact);
  EXPECT_EQ(a.hosts_at_least, 1u);
  EXPECT_EQ(a.shape, ScanShape::kVertical);
  EXPECT_EQ(a.end_reason, EndReason::kFinished);
  EXPECT_EQ(a.scan_id, sink.started()[0].scan_id);
}

// An alert lists the lowest ports (kAlertPorts, kAlertPortRanges runs), and
// during OnAlert its bitmap holds every one: here 1,000 ports in 1,000 runs,
// as nmap's default scan (636 runs) would overflow the lists.
TEST(EngineKinds, TheAlertsBitmapHoldsEveryPortOfTheScan) {
  Engine engine(Config{}, 1);
  CollectingSink sink;
  uint64_t t = kT0;
  std::vector<uint16_t> sent;
  for (uint32_t i = 0; i < 1000; ++i, t += 2 * kMs) {
    const uint16_t port = static_cast<uint16_t>(1000 + 3 * i);
    sent.push_back(port);
    engine.Process(NmapSyn(t, kScanner, 40000, kTarget, port), sink);
  }
  engine.Finish(sink);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  const size_t last = sink.alerts.size() - 1;
  const Alert& a = sink.alerts[last];
  EXPECT_EQ(a.ports_at_least, 1000u);
  EXPECT_EQ(a.ports_listed, kAlertPorts);
  EXPECT_TRUE(a.port_ranges_more);
  EXPECT_EQ(sink.bitmap_ports[last], sent);
  EXPECT_TRUE(a.port_bitmap.empty());  // the kept copy's view is cleared
}

TEST(EngineKinds, SynScanHalfOpen) {
  // nmap -sS: SYN; open ports answer SYN-ACK and the scanner's kernel resets;
  // closed ports answer RST.
  const CollectingSink sink = Play(30, [](uint64_t t, uint16_t port) {
    std::vector<packet::Probe> v{NmapSyn(t, kScanner, 40001, kTarget, port)};
    if (Open(port)) {
      v.push_back(SynAck(t + kMs, kTarget, port, kScanner, 40001));
      v.push_back(Tcp(t + 2 * kMs, kScanner, 40001, kTarget, port, tf::kRst));
    } else {
      v.push_back(Tcp(t + kMs, kTarget, port, kScanner, 40001, tf::kRst | tf::kAck));
    }
    return v;
  });
  ExpectOneScan(sink, ScanKind::kSyn, 30);
  EXPECT_EQ(sink.ended()[0].class_counts[static_cast<int>(ProbeClass::kSyn)], 30u);
}

TEST(EngineKinds, ConnectScan) {
  // nmap -sT: the OS's connect(); open ports complete the handshake and are
  // closed with RST at once, without data.
  const CollectingSink sink = Play(30, [](uint64_t t, uint16_t port) {
    const uint16_t sport = static_cast<uint16_t>(50000 + port);
    std::vector<packet::Probe> v{LinuxSyn(t, kScanner, sport, kTarget, port)};
    if (Open(port)) {
      v.push_back(SynAck(t + kMs, kTarget, port, kScanner, sport));
      v.push_back(Segment(t + 2 * kMs, kScanner, sport, kTarget, port, tf::kAck, 0));
      v.push_back(Segment(t + 3 * kMs, kScanner, sport, kTarget, port, tf::kRst | tf::kAck, 0));
    } else {
      v.push_back(Tcp(t + kMs, kTarget, port, kScanner, sport, tf::kRst | tf::kAck));
    }
    return v;
  });
  ExpectOneScan(sink, ScanKind::kConnect, 30);
}

// FIN, NULL, Xmas, ACK and Maimon probes: closed ports (and, for ACK, every
// unfiltered port) answer RST; open ports stay silent.
void StealthScan(uint8_t flags, ScanKind kind) {
  const CollectingSink sink = Play(30, [flags](uint64_t t, uint16_t port) {
    std::vector<packet::Probe> v{Tcp(t, kScanner, 40002, kTarget, port, flags)};
    const bool acks = flags & tf::kAck;
    if (acks || !Open(port)) v.push_back(Tcp(t + kMs, kTarget, port, kScanner, 40002, tf::kRst));
    return v;
  });
  SCOPED_TRACE(std::string(ScanKindName(kind)));
  ExpectOneScan(sink, kind, 30);
}

TEST(EngineKinds, FinScan) { StealthScan(tf::kFin, ScanKind::kFin); }
TEST(EngineKinds, NullScan) { StealthScan(0, ScanKind::kNull); }
TEST(EngineKinds, XmasScan) { StealthScan(tf::kFin | tf::kPsh | tf::kUrg, ScanKind::kXmas); }
TEST(EngineKinds, AckScan) { StealthScan(tf::kAck, ScanKind::kAck); }
TEST(EngineKinds, MaimonScan) { StealthScan(tf::kFin | tf::kAck, ScanKind::kMaimon); }

TEST(EngineKinds, UdpScanWithEmptyAndProtocolProbes) {
  // nmap -sU: empty datagrams, protocol payloads for known ports (53, 123);
  // closed ports answer ICMP port unreachable, DNS answers.
  const CollectingSink sink = Play(60, [](uint64_t t, uint16_t port) {
    const uint32_t payload = port == 53 ? 30 : (port == 123 ? 48 : 0);
    std::vector<packet::Probe> v{Udp(t, kScanner, 40003, kTarget, port, payload)};
    if (port == 53) {
      v.push_back(Udp(t + kMs, kTarget, 53, kScanner, 40003, 60));
    } else if (port % 3 != 0) {
      v.push_back(PortUnreachable(t + kMs, kTarget, kScanner, 40003, kTarget, port));
    }  // every third port is silent (open|filtered)
    return v;
  });
  // Port 53 answered: not evidence (a normal exchange), but the scan's own
  // host answered on it, so it is listed with the scan's ports: 60, not 59.
  ExpectOneScan(sink, ScanKind::kUdp, 60);
  EXPECT_EQ(sink.ended()[0].class_counts[static_cast<int>(ProbeClass::kUdp)], 59u);
}

// A scanning source's other answered traffic (its DNS lookups, as nmap
// makes) is not listed with the scan's targets: neither host nor port is the
// scan's.
TEST(EngineKinds, AnsweredTrafficOfAScannerToOtherHostsIsNotATarget) {
  const IpAddress resolver = Ip("198.51.100.53");
  const CollectingSink sink = Play(40, [&](uint64_t t, uint16_t port) {
    std::vector<packet::Probe> v{Tcp(t, kScanner, 40005, kTarget, static_cast<uint16_t>(1000 + port), tf::kSyn),
                                 Tcp(t + kMs, kTarget, static_cast<uint16_t>(1000 + port), kScanner, 40005, tf::kRst | tf::kAck)};
    if (port % 10 == 0) {
      v.push_back(Udp(t + 2 * kMs, kScanner, static_cast<uint16_t>(50000 + port), resolver, 53, 40));
      v.push_back(Udp(t + 3 * kMs, resolver, 53, kScanner, static_cast<uint16_t>(50000 + port), 90));
    }
    return v;
  });
  ExpectOneScan(sink, ScanKind::kSyn, 40);
}

TEST(EngineKinds, MixedScan) {
  const CollectingSink sink = Play(30, [](uint64_t t, uint16_t port) {
    const uint8_t flags = port % 2 ? tf::kSyn : tf::kFin;
    return std::vector<packet::Probe>{Tcp(t, kScanner, 40004, kTarget, port, flags)};
  });
  ExpectOneScan(sink, ScanKind::kMixed, 30);
}

// Shapes, one-way (no answers: every probe times out).
CollectingSink Grid(int hosts, int ports) {
  Engine engine(Config{}, 2);
  CollectingSink sink;
  uint64_t t = kT0;
  for (int h = 0; h < hosts; ++h) {
    for (int port = 0; port < ports; ++port, t += 5 * kMs) {
      const IpAddress host = IpAddress::V4(0xc0000200u + static_cast<uint32_t>(h));
      engine.Process(NmapSyn(t, kScanner, 40005, host, static_cast<uint16_t>(1000 + port)), sink);
    }
  }
  engine.Finish(sink);
  return sink;
}

TEST(EngineShapes, Vertical) {
  const CollectingSink sink = Grid(1, 40);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  EXPECT_EQ(sink.ended()[0].shape, ScanShape::kVertical);
  EXPECT_EQ(sink.ended()[0].ports_at_least, 40u);
  EXPECT_EQ(sink.ended()[0].hosts_at_least, 1u);
}

TEST(EngineShapes, Horizontal) {
  const CollectingSink sink = Grid(40, 1);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  const Alert a = sink.ended()[0];
  EXPECT_EQ(a.shape, ScanShape::kHorizontal);
  EXPECT_EQ(a.hosts_at_least, 40u);
  EXPECT_TRUE(a.hosts_exact);
  EXPECT_EQ(a.ports_at_least, 1u);
  ASSERT_EQ(a.hosts_listed, kAlertHosts);
  EXPECT_EQ(a.hosts[0], Ip("192.0.2.0"));
  EXPECT_EQ(a.hosts[1], Ip("192.0.2.1"));
}

TEST(EngineShapes, Block) {
  const CollectingSink sink = Grid(10, 5);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  EXPECT_EQ(sink.ended()[0].shape, ScanShape::kBlock);
  EXPECT_EQ(sink.ended()[0].hosts_at_least, 10u);
  EXPECT_EQ(sink.ended()[0].ports_at_least, 5u);
  EXPECT_EQ(sink.ended()[0].ports_listed, 5u);
  EXPECT_EQ(sink.ended()[0].ports[0], 1000);
}

TEST(EngineShapes, HostCountBeyondTheCapIsALowerBoundPlusAnEstimate) {
  const CollectingSink sink = Grid(2000, 1);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  const Alert a = sink.ended()[0];
  EXPECT_FALSE(a.hosts_exact);
  EXPECT_LE(a.hosts_at_least, 2000u);
  EXPECT_GE(a.hosts_at_least, kScanExactHosts / 2);
  EXPECT_NEAR(a.hosts_estimated, 2000.0, 2000 * 0.25);
  EXPECT_EQ(a.probes, 2000u);
}

// The sketch is filled from the exact set when the set overflows: the hosts
// seen before then must count in the estimate as much as those after. With
// 1,000 hosts, a sketch of only the later ones would estimate about 500.
TEST(EngineShapes, HostEstimateCountsTheHostsSeenBeforeTheSetOverflowed) {
  for (uint32_t hosts : {700u, 1000u, 4000u}) {
    const CollectingSink sink = Grid(hosts, 1);
    ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
    const Alert a = sink.ended()[0];
    EXPECT_FALSE(a.hosts_exact) << hosts;
    EXPECT_NEAR(a.hosts_estimated, hosts, hosts * 0.15) << hosts;
  }
}

}  // namespace
}  // namespace portscope::detect
