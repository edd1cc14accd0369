// Bounded state, determinism, seed independence, and tool hints.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <span>

#include "detect/engine.h"
#include "detect/test_probes.h"

namespace portscope::detect {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

const IpAddress kScanner = Ip("203.0.113.99");
const IpAddress kCanary = Ip("192.0.2.1");

// 10,000 sources each touching the canary once or twice (below every
// threshold), with one real scanner among them sending every fourth probe.
void Flood(Engine& engine, AlertSink& sink) {
  uint64_t t = kT0;
  uint16_t next_port = 1;
  for (uint32_t i = 0; i < 10000; ++i, t += kMs) {
    const IpAddress noise = IpAddress::V4(0x0b000000u + i * 13);
    engine.Process(NmapSyn(t, noise, 40000, kCanary, static_cast<uint16_t>(i % 2 ? 22 : 23)), sink);
    if (i % 3 == 0) engine.Process(NmapSyn(t, noise, 40000, kCanary, 80), sink);
    if (i % 4 == 0 && next_port < 200) engine.Process(NmapSyn(t, kScanner, 45555, kCanary, next_port++), sink);
  }
}

TEST(EngineCapacity, TinyTablesStayFixedCountEvictionsAndStillCatchAnActiveScanner) {
  Config config;
  config.max_sources = 16;
  config.max_flows = 64;
  config.max_scans = 2;
  Engine engine(config, 21);
  const size_t memory = engine.memory_bytes();
  CollectingSink sink;
  Flood(engine, sink);
  engine.Finish(sink);
  EXPECT_EQ(engine.memory_bytes(), memory);
  const Counters& c = engine.counters();
  EXPECT_LE(c.sources_tracked, 16u);
  EXPECT_LE(c.flows_tracked, 64u);
  EXPECT_GT(c.sources_evicted, 9000u);
  EXPECT_GT(c.flows_evicted, 9000u);
  EXPECT_EQ(c.sources_dropped + c.flows_dropped, 0u);
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  const Alert a = sink.started()[0];
  EXPECT_EQ(a.source, kScanner);
  EXPECT_EQ(a.kind, ScanKind::kSyn);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  EXPECT_GE(sink.ended()[0].ports_at_least, 150u);
}

TEST(EngineCapacity, AFullScanTableEndsTheOldestScanEarly) {
  Config config;
  config.max_scans = 2;
  Engine engine(config, 22);
  CollectingSink sink;
  for (uint32_t s = 0; s < 3; ++s) {
    const IpAddress scanner = IpAddress::V4(0xcb007100u + s);
    for (uint16_t port = 1; port <= 10; ++port) {
      engine.Process(NmapSyn(kT0 + s * kSec + port * kMs, scanner, 40000, kCanary, port), sink);
    }
    engine.Flush(kT0 + s * kSec + 500 * kMs + kDefaultAnswerTimeoutUs, sink);
  }
  EXPECT_EQ(engine.counters().scans_evicted, 1u);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  EXPECT_EQ(sink.ended()[0].end_reason, EndReason::kEvicted);
  EXPECT_EQ(sink.ended()[0].source, Ip("203.0.113.0"));
  engine.Finish(sink);
  EXPECT_EQ(sink.started().size(), 3u);
  EXPECT_EQ(sink.ended().size(), 3u);
}

// A varied input: scans of several kinds, benign traffic, noise.
std::vector<packet::Probe> MixtureProbes() {
  std::vector<packet::Probe> v;
  uint64_t t = kT0;
  uint16_t next_port = 1;
  for (uint32_t i = 0; i < 10000; ++i, t += kMs) {
    const IpAddress noise = IpAddress::V4(0x0b000000u + i * 13);
    v.push_back(NmapSyn(t, noise, 40000, kCanary, static_cast<uint16_t>(i % 2 ? 22 : 23)));
    if (i % 3 == 0) v.push_back(NmapSyn(t, noise, 40000, kCanary, 80));
    if (i % 4 == 0 && next_port < 200) v.push_back(NmapSyn(t, kScanner, 45555, kCanary, next_port++));
  }
  t = kT0 + 20 * kSec;
  for (uint16_t port = 1; port <= 40; ++port, t += 20 * kMs) {
    v.push_back(Tcp(t, Ip("198.51.100.1"), 50001, kCanary, port, tf::kFin));
    v.push_back(Udp(t, Ip("198.51.100.2"), 50002, IpAddress::V4(0xc0000200u + port), 161, 0));
    v.push_back(LinuxSyn(t, Ip("198.51.100.3"), static_cast<uint16_t>(50003 + port), kCanary, 443));
    v.push_back(SynAck(t + kMs, kCanary, 443, Ip("198.51.100.3"), static_cast<uint16_t>(50003 + port)));
    v.push_back(PortUnreachable(t + kMs, IpAddress::V4(0xc0000200u + port), Ip("198.51.100.2"), 50002,
                                IpAddress::V4(0xc0000200u + port), 161));
  }
  return v;
}

std::string Transcript(uint64_t seed, bool batch = false) {
  Config config;
  config.max_sources = 64;
  config.max_flows = 256;
  Engine engine(config, seed);
  CollectingSink sink;
  const std::vector<packet::Probe> probes = MixtureProbes();
  if (batch) {
    for (size_t i = 0; i < probes.size(); i += 100) {
      engine.ProcessBatch(std::span(probes).subspan(i, std::min<size_t>(100, probes.size() - i)), sink);
    }
  } else {
    for (const packet::Probe& p : probes) engine.Process(p, sink);
  }
  engine.Flush(probes.back().time_us + 5 * 60 * kSec, sink);
  engine.Finish(sink);
  const Counters& c = engine.counters();
  return sink.Summaries() + "evidence " + std::to_string(c.evidence) + " evicted " +
         std::to_string(c.sources_evicted) + " " + std::to_string(c.flows_evicted) + " answers " +
         std::to_string(c.answers) + " refused " + std::to_string(c.attempts_refused);
}

TEST(EngineDeterminism, SameInputSameAlerts) {
  const std::string a = Transcript(7);
  if (std::getenv("PORTSCOPE_SHOW_TRANSCRIPT")) std::printf("%s\n", a.c_str());
  EXPECT_NE(a.find("scan 3 ended"), std::string::npos) << a;
  EXPECT_EQ(a, Transcript(7));
}

TEST(EngineDeterminism, TheSeedChangesNothingObservable) {
  const std::string a = Transcript(1);
  EXPECT_EQ(a, Transcript(2));
  EXPECT_EQ(a, Transcript(0xfeedfacecafebeefULL));
}

TEST(EngineDeterminism, BatchesGiveTheSameResultAsSingleProbes) {
  EXPECT_EQ(Transcript(3, /*batch=*/true), Transcript(3, /*batch=*/false));
}

TEST(EngineDeterminism, TheSeedChangesTheKey) {
  EXPECT_NE(KeyedHash(1).Address(kCanary), KeyedHash(2).Address(kCanary));
}

Alert ScanWith(const std::function<packet::Probe(uint64_t, uint16_t)>& syn) {
  Engine engine(Config{}, 31);
  CollectingSink sink;
  for (uint16_t port = 1; port <= 25; ++port) engine.Process(syn(kT0 + port * 5 * kMs, port), sink);
  engine.Finish(sink);
  EXPECT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  return sink.ended().empty() ? Alert{} : sink.ended()[0];
}

TEST(EngineHints, Masscan) {
  const Alert a = ScanWith([](uint64_t t, uint16_t port) { return MasscanSyn(t, kScanner, kCanary, port); });
  EXPECT_EQ(a.hint, ToolHint::kMasscan);
  EXPECT_EQ(a.hint_matches, 25u);
  EXPECT_EQ(a.hint_checked, 25u);
  EXPECT_NE(DescribeHint(a).find("likely masscan: 25 of 25 SYN probes"), std::string::npos) << DescribeHint(a);
}

TEST(EngineHints, MasscanWithAnMssOption) {
  const Alert a = ScanWith([](uint64_t t, uint16_t port) {
    packet::Probe p = MasscanSyn(t, kScanner, kCanary, port);
    p.mss = 1460;
    p.tcp_option_count = 1;
    return p;
  });
  EXPECT_EQ(a.hint, ToolHint::kMasscan);
}

TEST(EngineHints, NmapSynScan) {
  const Alert a = ScanWith([](uint64_t t, uint16_t port) {
    packet::Probe p = NmapSyn(t, kScanner, 62011, kCanary, port);
    p.window = static_cast<uint16_t>(1024 * (1 + port % 4));
    return p;
  });
  EXPECT_EQ(a.hint, ToolHint::kNmapSyn);
  EXPECT_EQ(a.kind, ScanKind::kSyn);
  EXPECT_NE(DescribeHint(a).find("likely nmap -sS"), std::string::npos);
}

TEST(EngineHints, NmapProfileNeedsAFixedSourcePort) {
  const Alert a = ScanWith([](uint64_t t, uint16_t port) {
    return NmapSyn(t, kScanner, static_cast<uint16_t>(30000 + port), kCanary, port);
  });
  EXPECT_EQ(a.hint, ToolHint::kNone);
}

TEST(EngineHints, LinuxClientSynsAreNoTool) {
  const Alert a = ScanWith([](uint64_t t, uint16_t port) {
    return LinuxSyn(t, kScanner, static_cast<uint16_t>(30000 + port), kCanary, port);
  });
  EXPECT_EQ(a.hint, ToolHint::kNone);
  EXPECT_EQ(a.kind, ScanKind::kConnect);
  EXPECT_EQ(DescribeHint(a), "");
}

TEST(EngineHints, MasscanIpIdMustMatch) {
  const Alert a = ScanWith([](uint64_t t, uint16_t port) {
    packet::Probe p = MasscanSyn(t, kScanner, kCanary, port);
    p.ip_id ^= 0x5a5a;
    return p;
  });
  EXPECT_EQ(a.hint, ToolHint::kNone);
}

TEST(EngineIpv6, ScansOverIpv6AreCountedByHashedHosts) {
  Engine engine(Config{}, 41);
  CollectingSink sink;
  const IpAddress scanner = Ip("2001:db8::bad");
  for (uint16_t i = 0; i < 30; ++i) {
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(1 + i % 3)};
    engine.Process(NmapSyn(kT0 + i * 10 * kMs, scanner, 40000, IpAddress::V6(b), static_cast<uint16_t>(i / 3 + 1)),
                   sink);
  }
  engine.Finish(sink);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  EXPECT_EQ(sink.ended()[0].hosts_at_least, 3u);
  EXPECT_EQ(sink.ended()[0].ports_at_least, 10u);
  EXPECT_EQ(sink.ended()[0].shape, ScanShape::kBlock);
}

}  // namespace
}  // namespace portscope::detect
