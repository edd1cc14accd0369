// Which algorithm recognises what: fast and slow windows, TRW, watched ports,
// and the alert lifecycle (one start, one end, never one per probe).
#include <gtest/gtest.h>

#include "detect/engine.h"
#include "detect/test_probes.h"

namespace portscope::detect {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

const IpAddress kScanner = Ip("198.51.100.77");
const IpAddress kTarget = Ip("192.0.2.20");

// Sends SYNs to ports 1000.. one every `gap_us`, no answers (a canary behind
// a filter), then Flush()es past the answer timeout.
CollectingSink OneWayScan(Engine& engine, int ports, uint64_t gap_us) {
  CollectingSink sink;
  uint64_t t = kT0;
  for (int i = 0; i < ports; ++i, t += gap_us) {
    engine.Process(NmapSyn(t, kScanner, 41000, kTarget, static_cast<uint16_t>(1000 + i)), sink);
  }
  engine.Flush(t + 10 * kSec, sink);
  return sink;
}

TEST(EngineWindows, FastScanFiresTheFastWindow) {
  // With the defaults the slow rule (5 ports) fires before the fast one (6);
  // raise it to see the fast rule alone.
  Config config;
  config.slow.min_ports = 10;
  Engine engine(config, 3);
  CollectingSink sink = OneWayScan(engine, 20, 50 * kMs);
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  const Alert a = sink.started()[0];
  EXPECT_EQ(a.algorithm, Algorithm::kFastWindow);
  EXPECT_EQ(a.fast.ports, kDefaultFastMinPorts);
  EXPECT_LT(a.fast.span_us, kDefaultFastWindowUs);
  EXPECT_EQ(a.kind, ScanKind::kSyn);
  EXPECT_NE(DescribeEvidence(a).find("fast-window: 6 ports on 1 host (6 targets)"), std::string::npos) << DescribeEvidence(a);
}

TEST(EngineWindows, NmapT1IsASlowScan) {
  // -T1: one probe every 15 s: never 6 in 5 s, but 5 within the slow window.
  Engine engine(Config{}, 3);
  CollectingSink sink = OneWayScan(engine, 10, 15 * kSec);
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  const Alert a = sink.started()[0];
  EXPECT_EQ(a.algorithm, Algorithm::kSlowWindow);
  EXPECT_FALSE(a.fired(Algorithm::kFastWindow));
  EXPECT_EQ(a.slow.ports, kDefaultSlowMinPorts);
  EXPECT_EQ(a.slow.span_us, (kDefaultSlowMinPorts - 1) * 15 * kSec);
}

TEST(EngineWindows, NmapT0OverTwoHoursIsOneSlowScanInFixedMemory) {
  // -T0: one probe every 5 minutes, 25 ports over 2 hours.
  Engine engine(Config{}, 3);
  const size_t memory = engine.memory_bytes();
  CollectingSink sink = OneWayScan(engine, 25, 5 * 60 * kSec);
  engine.Finish(sink);
  EXPECT_EQ(engine.memory_bytes(), memory);
  EXPECT_EQ(engine.counters().sources_tracked, 1u);
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  EXPECT_EQ(sink.started()[0].algorithm, Algorithm::kSlowWindow);
  const Alert end = sink.ended()[0];
  EXPECT_EQ(end.ports_at_least, 25u);
  EXPECT_EQ(end.probes, 25u);
  EXPECT_EQ(end.last_seen_us - end.first_seen_us, 24 * 5 * 60 * kSec);
  // Updates while it ran: at most one per update interval, not one per probe.
  EXPECT_LE(sink.Phase(AlertPhase::kUpdated).size(), 2 * 60 / 10u);
}

TEST(EngineWindows, FewPortsNeverAlert) {
  Engine engine(Config{}, 3);
  CollectingSink sink = OneWayScan(engine, kDefaultSlowMinPorts - 1, 100 * kMs);
  engine.Finish(sink);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_EQ(engine.counters().evidence, kDefaultSlowMinPorts - 1);
}

TEST(EngineLifecycle, OneStartAndOneEndPerScanNotOnePerProbe) {
  Engine engine(Config{}, 4);
  CollectingSink sink = OneWayScan(engine, 1000, 2 * kMs);
  EXPECT_EQ(sink.started().size(), 1u) << sink.Summaries();
  EXPECT_TRUE(sink.ended().empty());
  // The scan ends by itself once the source is silent for the idle timeout.
  engine.Flush(kT0 + 10 * 60 * kSec, sink);
  ASSERT_EQ(sink.alerts.size(), 2u) << sink.Summaries();
  const Alert end = sink.ended()[0];
  EXPECT_EQ(end.end_reason, EndReason::kIdle);
  EXPECT_EQ(end.scan_id, sink.started()[0].scan_id);
  EXPECT_EQ(end.ports_at_least, 1000u);
  EXPECT_EQ(end.probes, 1000u);
  EXPECT_EQ(engine.counters().scans_active, 0u);
  // Finishing later says nothing more.
  engine.Finish(sink);
  EXPECT_EQ(sink.alerts.size(), 2u);
}

TEST(EngineLifecycle, ANewScanAfterTheEndIsANewAlert) {
  Engine engine(Config{}, 4);
  CollectingSink sink;
  for (int round = 0; round < 2; ++round) {
    const uint64_t base = kT0 + round * kHourUs;
    for (uint16_t port = 1; port <= 20; ++port) {
      engine.Process(NmapSyn(base + port * 10 * kMs, kScanner, 41001, kTarget, port), sink);
    }
    engine.Flush(base + 30 * 60 * kSec, sink);
  }
  ASSERT_EQ(sink.started().size(), 2u) << sink.Summaries();
  ASSERT_EQ(sink.ended().size(), 2u) << sink.Summaries();
  EXPECT_NE(sink.started()[0].scan_id, sink.started()[1].scan_id);
  EXPECT_EQ(sink.ended()[1].ports_at_least, 20u);
}

TEST(EngineTrw, FlagsAfterFourRefusedFirstContacts) {
  Engine engine(Config{}, 5);
  CollectingSink sink;
  uint64_t t = kT0;
  for (uint32_t i = 1; i <= 5; ++i, t += 2 * kSec) {
    const IpAddress host = IpAddress::V4(0xc0000200u + i);
    engine.Process(LinuxSyn(t, kScanner, static_cast<uint16_t>(42000 + i), host, 22), sink);
    engine.Process(Tcp(t + kMs, host, 22, kScanner, static_cast<uint16_t>(42000 + i), tf::kRst | tf::kAck), sink);
    if (i == 3) {
      EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
    }
  }
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  const Alert a = sink.started()[0];
  EXPECT_EQ(a.algorithm, Algorithm::kTrw);
  EXPECT_EQ(a.trw_fired.failures, 4u);
  EXPECT_EQ(a.trw_fired.successes, 0u);
  EXPECT_DOUBLE_EQ(a.trw_fired.likelihood_ratio, 256);
  EXPECT_NEAR(a.trw_fired.threshold, 99, 1e-9);
  EXPECT_EQ(a.shape, ScanShape::kHorizontal);
  EXPECT_EQ(a.hosts_at_least, 4u);
  // The decision stands: the fifth failure does not move the evidence.
  engine.Finish(sink);
  ASSERT_EQ(sink.ended().size(), 1u);
  EXPECT_EQ(sink.ended()[0].trw_fired.failures, 4u);
  EXPECT_EQ(sink.ended()[0].hosts_at_least, 5u);
}

TEST(EngineTrw, UnansweredAttemptsAreFailuresWhenAnswersAreVisible) {
  Config config;
  config.visibility = Visibility::kBothDirections;
  Engine engine(config, 5);
  CollectingSink sink;
  for (uint32_t i = 1; i <= 4; ++i) {
    engine.Process(NmapSyn(kT0 + i * 10 * kSec, kScanner, 42100, IpAddress::V4(0xc0000200u + i), 3389), sink);
  }
  engine.Flush(kT0 + 60 * kSec, sink);
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  EXPECT_EQ(sink.started()[0].algorithm, Algorithm::kTrw);
}

TEST(EngineTrw, SuccessesDelayTheDecisionAndAClientThatSucceedsIsNeverFlagged) {
  Engine engine(Config{}, 6);
  CollectingSink sink;
  uint64_t t = kT0;
  uint16_t sport = 43000;
  auto attempt = [&](uint32_t host_index, bool ok) {
    const IpAddress host = IpAddress::V4(0xc0000300u + host_index);
    engine.Process(LinuxSyn(t, kScanner, sport, host, 443), sink);
    if (ok) {
      engine.Process(SynAck(t + kMs, host, 443, kScanner, sport), sink);
      engine.Process(Segment(t + 2 * kMs, kScanner, sport, host, 443, tf::kAck | tf::kPsh, 517), sink);
    } else {
      engine.Process(Tcp(t + kMs, host, 443, kScanner, sport, tf::kRst | tf::kAck), sink);
    }
    ++sport;
    t += 3 * kSec;
  };
  // A client: 200 first contacts, one in ten refused, spread out in time.
  for (uint32_t i = 0; i < 200; ++i) attempt(i, i % 10 != 9);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
  EXPECT_GT(engine.counters().trw_benign_decisions, 0u);
  // Then it turns: two successes, then failures. Each block of ten above
  // leaves the walk at ratio 1, so it takes 2 + 4 failures to reach 4^4.
  attempt(1000, true);
  attempt(1001, true);
  for (uint32_t i = 0; i < 5; ++i) attempt(2000 + i, false);
  EXPECT_TRUE(sink.started().empty()) << sink.Summaries();
  attempt(2005, false);
  ASSERT_EQ(sink.started().size(), 1u) << sink.Summaries();
  const TrwEvidence e = sink.started()[0].trw_fired;
  EXPECT_EQ(e.failures - e.successes, 4u);
  EXPECT_NEAR(e.likelihood_ratio, 256, 1e-6);
}

// Every touch of a watched port counts in the scan's type by its class,
// even one that is a normal exchange for the engine (a connection that sends
// data): 11 connections and 3 datagrams are a mixed scan, not a UDP one.
TEST(EngineWatched, TouchesCountInTheScansTypeOnce) {
  Config config;
  for (uint16_t p = 40010; p <= 40020; ++p) {
    config.watched_tcp_ports.push_back(p);
    config.watched_udp_ports.push_back(p);
  }
  Engine engine(config, 8);
  CollectingSink sink;
  uint64_t t = kT0;
  for (uint16_t p = 40010; p <= 40020; ++p, t += 10 * kMs) {
    const uint16_t sport = static_cast<uint16_t>(50000 + p - 40010);
    engine.Process(LinuxSyn(t, kScanner, sport, kTarget, p), sink);
    engine.Process(SynAck(t + kMs, kTarget, p, kScanner, sport), sink);
    engine.Process(Segment(t + 2 * kMs, kScanner, sport, kTarget, p, tf::kAck | tf::kPsh, 14), sink);  // GET / ...
  }
  for (uint16_t p = 40010; p < 40013; ++p, t += 10 * kMs) engine.Process(Udp(t, kScanner, 51000, kTarget, p, 8), sink);
  engine.Finish(sink);
  ASSERT_EQ(sink.ended().size(), 1u) << sink.Summaries();
  const Alert a = sink.ended()[0];
  EXPECT_EQ(a.watched_touches, 14u);
  EXPECT_EQ(a.class_counts[static_cast<int>(ProbeClass::kConnect)], 11u);
  EXPECT_EQ(a.class_counts[static_cast<int>(ProbeClass::kUdp)], 3u);  // each once, though unanswered: evidence too
  EXPECT_EQ(a.kind, ScanKind::kMixed);
  EXPECT_NE(DescribeEvidence(a).find("watched-port: 14 touches of watched ports, the first on port 40010"),
            std::string::npos)
      << DescribeEvidence(a);
}

TEST(EngineWatched, OneTouchIsAnAlertAtOnce) {
  Config config;
  config.watched_tcp_ports = {2323};
  config.watched_udp_ports = {161};
  Engine engine(config, 7);
  CollectingSink sink;
  engine.Process(LinuxSyn(kT0, kScanner, 44000, kTarget, 2323), sink);
  ASSERT_EQ(sink.alerts.size(), 1u) << sink.Summaries();
  const Alert a = sink.alerts[0];
  EXPECT_EQ(a.phase, AlertPhase::kStarted);
  EXPECT_EQ(a.algorithm, Algorithm::kWatchedPort);
  EXPECT_EQ(a.watched_port, 2323);
  EXPECT_EQ(a.shape, ScanShape::kSingle);
  EXPECT_EQ(a.kind, ScanKind::kConnect);
  EXPECT_EQ(a.ports_at_least, 1u);
  // A retransmission and a UDP touch of a watched port add to the same scan.
  engine.Process(LinuxSyn(kT0 + kSec, kScanner, 44000, kTarget, 2323), sink);
  engine.Process(Udp(kT0 + 2 * kSec, kScanner, 44001, kTarget, 161, 40), sink);
  engine.Finish(sink);
  ASSERT_EQ(sink.alerts.size(), 2u) << sink.Summaries();
  EXPECT_EQ(sink.ended()[0].watched_touches, 2u);
  EXPECT_EQ(sink.ended()[0].probes, 3u);
  // The same port unwatched: nothing.
  Engine quiet(Config{}, 7);
  CollectingSink none;
  quiet.Process(LinuxSyn(kT0, kScanner, 44000, kTarget, 2323), none);
  quiet.Finish(none);
  EXPECT_TRUE(none.alerts.empty()) << none.Summaries();
}

TEST(EngineRateLimit, StartsBeyondTheBurstAreDeferredNotLost) {
  Config config;
  config.alert_burst = 2;
  config.alerts_per_minute = 60;  // one a second
  config.watched_tcp_ports = {23};
  Engine engine(config, 8);
  CollectingSink sink;
  for (uint32_t i = 0; i < 5; ++i) engine.Process(LinuxSyn(kT0, IpAddress::V4(0x0a000001u + i), 45000, kTarget, 23), sink);
  EXPECT_EQ(sink.started().size(), 2u);
  EXPECT_EQ(engine.counters().alerts_deferred, 3u);
  engine.Flush(kT0 + 2500 * kMs, sink);  // the bucket holds at most two
  EXPECT_EQ(sink.started().size(), 4u) << sink.Summaries();
  engine.Flush(kT0 + 4000 * kMs, sink);
  EXPECT_EQ(sink.started().size(), 5u) << sink.Summaries();
  EXPECT_EQ(engine.counters().alerts_dropped, 0u);
}


TEST(EngineClock, OlderProbesAreCountedAndLongGapsJudgeWaitingFlows) {
  Engine engine(Config{}, 9);
  CollectingSink sink;
  engine.Process(NmapSyn(kT0, kScanner, 46000, kTarget, 1), sink);
  engine.Process(NmapSyn(kT0 - kSec, kScanner, 46000, kTarget, 2), sink);  // reordered capture
  EXPECT_EQ(engine.counters().time_regressions, 1u);
  EXPECT_EQ(engine.now_us(), kT0);
  EXPECT_EQ(engine.counters().flows_tracked, 2u);
  // Sixty days later (past the 49.7-day wrap of flow time stamps).
  engine.Process(NmapSyn(kT0 + 60 * 24 * kHourUs, kScanner, 46000, kTarget, 3), sink);
  EXPECT_EQ(engine.counters().attempts_unanswered, 2u);
  EXPECT_EQ(engine.counters().flows_tracked, 1u);
  engine.Flush(kT0 + 60 * 24 * kHourUs + 10 * kSec, sink);
  EXPECT_EQ(engine.counters().attempts_unanswered, 3u);
  EXPECT_TRUE(sink.alerts.empty()) << sink.Summaries();
}

}  // namespace
}  // namespace portscope::detect
