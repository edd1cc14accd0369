#include "cli/analyze_collector.h"

#include <gtest/gtest.h>

#include <array>

namespace portscope::cli {
namespace {

using detect::Alert;
using detect::AlertPhase;

// An ended alert whose bitmap holds `runs` runs: ports 0, 2, 4, ... (each a
// run of one), with the alert's own list full, as the engine leaves it for a
// scan with more runs than it lists.
struct Scan {
  std::array<uint64_t, 1024> bits{};
  Alert alert;
  Scan(uint64_t id, uint32_t runs, AlertPhase phase = AlertPhase::kEnded) {
    for (uint32_t i = 0; i < runs; ++i) bits[(2 * i) >> 6] |= uint64_t{1} << ((2 * i) & 63);
    alert.scan_id = id;
    alert.phase = phase;
    alert.port_ranges_more = runs > detect::kAlertPortRanges;
    alert.port_bitmap = bits;
  }
};

TEST(AnalyzeCollector, KeepsTheLongRunListOfAnEndedScan) {
  Collector c;
  Scan s(1, 700);
  c.OnAlert(s.alert);
  ASSERT_NE(c.runs(1), nullptr);
  EXPECT_EQ(c.runs(1)->runs.size(), 700u);
  EXPECT_TRUE(c.runs(1)->complete);
  EXPECT_EQ(c.runs(1)->runs[699].first, 1398);
  EXPECT_TRUE(c.scans().at(1).port_bitmap.empty());  // the view is not kept
}

TEST(AnalyzeCollector, OnlyTheEndedAlertIsRead) {
  Collector c;
  Scan started(1, 700, AlertPhase::kStarted);
  c.OnAlert(started.alert);
  EXPECT_EQ(c.runs(1), nullptr);
  Scan few(2, 10);  // the alert's own list is complete
  c.OnAlert(few.alert);
  EXPECT_EQ(c.runs(2), nullptr);
}

TEST(AnalyzeCollector, ARunListIsCutAtThePerScanCap) {
  Collector c(Collector::Limits{.max_scans = 10, .max_runs = 100, .runs_budget = 1000});
  Scan s(1, 150);
  c.OnAlert(s.alert);
  ASSERT_NE(c.runs(1), nullptr);
  EXPECT_EQ(c.runs(1)->runs.size(), 100u);
  EXPECT_FALSE(c.runs(1)->complete);
}

TEST(AnalyzeCollector, PastTheBudgetScansKeepTheAlertsOwnRuns) {
  Collector c(Collector::Limits{.max_scans = 10, .max_runs = 100, .runs_budget = 250});
  Scan a(1, 100), b(2, 100), d(3, 100), e(4, 40);
  c.OnAlert(a.alert);
  c.OnAlert(b.alert);
  c.OnAlert(d.alert);  // 300 > 250: not kept
  c.OnAlert(e.alert);  // 240 <= 250: still fits
  EXPECT_NE(c.runs(1), nullptr);
  EXPECT_NE(c.runs(2), nullptr);
  EXPECT_EQ(c.runs(3), nullptr);
  ASSERT_NE(c.runs(4), nullptr);
  EXPECT_EQ(c.runs(4)->runs.size(), 40u);
  // What the output then shows for scan 3: the alert's own runs, marked
  // incomplete.
  const RunList shown = RunsOf(c.scans().at(3), c.runs(3));
  EXPECT_FALSE(shown.complete);
  EXPECT_EQ(c.scans().size(), 4u);
}

TEST(AnalyzeCollector, ScansPastTheListCapAreCountedNotKept) {
  Collector c(Collector::Limits{.max_scans = 2, .max_runs = 100, .runs_budget = 1000});
  Scan a(1, 5), b(2, 5), d(3, 5);
  c.OnAlert(a.alert);
  c.OnAlert(b.alert);
  c.OnAlert(d.alert);
  c.OnAlert(d.alert);
  EXPECT_EQ(c.scans().size(), 2u);
  EXPECT_EQ(c.scans().count(3), 0u);
  EXPECT_EQ(c.not_listed(), 2u);  // alerts, as the summary counts them
  c.OnAlert(a.alert);  // a listed scan is still updated
  EXPECT_EQ(c.not_listed(), 2u);
}


TEST(AnalyzeTables, SizedToWhatTheFilesCanHold) {
  const detect::Config full;
  const detect::Config small = SizedForFiles(full, 71'688);  // tests/captures/benign.pcap
  EXPECT_EQ(small.max_sources, 71'688u / 40 + 1);
  EXPECT_EQ(small.max_flows, 71'688u / 40 + 1);
  EXPECT_EQ(small.max_scans, full.max_scans);  // 1,024 < 1,793
  const detect::Config tiny = SizedForFiles(full, 1'082);  // nmap-T1.pcap
  EXPECT_EQ(tiny.max_scans, 28u);
  // Big files keep the configured sizes; so do smaller configured ones.
  const detect::Config big = SizedForFiles(full, uint64_t{1} << 30);
  EXPECT_EQ(big.max_sources, full.max_sources);
  EXPECT_EQ(big.max_flows, full.max_flows);
  detect::Config mine;
  mine.max_sources = 100;
  EXPECT_EQ(SizedForFiles(mine, 1'000'000).max_sources, 100u);
  // An empty file still gets a table of one.
  EXPECT_EQ(SizedForFiles(full, 0).max_flows, 1u);
  EXPECT_TRUE(SizedForFiles(full, 0).Validate().ok());
}

}  // namespace
}  // namespace portscope::cli
