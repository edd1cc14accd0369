// Writing and reading the database: exact bytes, filters, one row per scan,
// summaries merged, the report's aggregates.
#include "store/database.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "store/port_set.h"
#include "store/time_text.h"
#include "store/test_util.h"

namespace portscope::store {
namespace {

using namespace testutil;

std::vector<std::string> HostilePayloads() {
  std::string invalid_utf8 = "\xff\xfe\xc0\xaf\xed\xa0\x80 \xe2\x82";
  std::string big(4096, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  return {std::string("a\0b\0", 4), "\x1b[31mred\x1b[0m\x1b]0;title\x07", "<script>alert(1)</script>",
          invalid_utf8, big, "", std::string(1, '\0'), "\r\n\t\\\"]'"};
}

TEST(Database, HostilePayloadsRoundTripAsExactBytes) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  ASSERT_TRUE(db);
  auto payloads = HostilePayloads();
  Batch b;
  for (size_t i = 0; i < payloads.size(); ++i) {
    Event e = MakeEvent(kT0 + i, "203.0.113.9", static_cast<uint16_t>(1000 + i), payloads[i]);
    e.sensor = "sensor\x1b[2J";
    e.action = i % 2 ? "datagram" : "connect";
    e.transport = i % 2 ? Transport::kUdp : Transport::kTcp;
    e.service = "svc" + std::to_string(i);
    e.payload_truncated = i == 3;
    b.events.push_back(e);
  }
  ASSERT_TRUE(db->Write(b).ok());
  auto back = db->QueryEvents({});
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Event& e = (*back)[i];
    EXPECT_EQ(e.payload, payloads[i]) << i;
    EXPECT_EQ(e.payload.size(), payloads[i].size()) << i;
    EXPECT_EQ(e.sensor, "sensor\x1b[2J");
    EXPECT_EQ(e.time_us, kT0 + i);
    EXPECT_EQ(e.src, Ip("203.0.113.9"));
    EXPECT_EQ(e.dst, Ip("192.0.2.1"));
    EXPECT_EQ(e.sport, 40000);
    EXPECT_EQ(e.dport, 1000 + i);
    EXPECT_EQ(e.transport, i % 2 ? Transport::kUdp : Transport::kTcp);
    EXPECT_EQ(e.tcp_flags, 0x02);
    EXPECT_EQ(e.service, "svc" + std::to_string(i));
    EXPECT_EQ(e.payload_truncated, i == 3);
    EXPECT_EQ(e.count, 1u);
    EXPECT_FALSE(e.summary());
    EXPECT_GT(e.id, 0);
  }
}

TEST(Database, PayloadLongerThanTheCapIsCutAndFlagged) {
  ScratchDir dir;
  OpenOptions o;
  o.max_payload = 100;
  auto db = OpenForWriting(dir.path("c.db"), o);
  ASSERT_TRUE(db);
  Batch b;
  b.events.push_back(MakeEvent(kT0, "203.0.113.9", 80, std::string(5000, 'A')));
  b.events.push_back(MakeEvent(kT0 + 1, "203.0.113.9", 80, std::string(100, 'B')));
  ASSERT_TRUE(db->Write(b).ok());
  auto back = db->QueryEvents({});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].payload, std::string(100, 'A'));
  EXPECT_TRUE((*back)[0].payload_truncated);
  EXPECT_EQ((*back)[1].payload, std::string(100, 'B'));
  EXPECT_FALSE((*back)[1].payload_truncated);
}

class Filters : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenForWriting(dir_.path("c.db"));
    ASSERT_TRUE(db_);
    Batch b;
    // 10.0.0.1..10.0.0.4 knock on 22 and 2244 once a minute for an hour; an
    // IPv6 source knocks on 53/udp.
    for (int minute = 0; minute < 60; ++minute)
      for (int s = 1; s <= 4; ++s) {
        std::string src = "10.0.0." + std::to_string(s);
        uint64_t t = kT0 + static_cast<uint64_t>(minute) * 60 * kSecond + static_cast<uint64_t>(s);
        b.events.push_back(MakeEvent(t, src.c_str(), minute % 2 ? 22 : 2244));
      }
    Event v6 = MakeEvent(kT0 + 30 * 60 * kSecond, "2001:db8::7", 53);
    v6.transport = Transport::kUdp;
    v6.action = "datagram";
    b.events.push_back(v6);
    // A summary of 10.0.0.9 over ports 1-1000, in the minute 40.
    Summary s;
    s.sensor = "test-sensor";
    s.src = Ip("10.0.0.9");
    s.dst = Ip("192.0.2.1");
    s.bucket_us = kT0 + 40 * 60 * kSecond;
    s.first_us = s.bucket_us + 5 * kSecond;
    s.last_us = s.bucket_us + 55 * kSecond;
    s.count = s.count_delta = 123456;
    for (uint16_t p = 1; p <= 1000; ++p) s.ports.Insert(p);
    b.summaries.push_back(s);
    ASSERT_TRUE(db_->Write(b).ok());
  }
  size_t Count(EventQuery q) {
    auto r = db_->QueryEvents(q);
    EXPECT_TRUE(r.ok()) << r.status().message();
    auto n = db_->CountEvents(q);
    EXPECT_TRUE(n.ok());
    q.limit = 0;
    EXPECT_EQ(*n, db_->QueryEvents(q)->size());
    return r.ok() ? r->size() : 0;
  }
  ScratchDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(Filters, ByTimeSourcePortActionAndTransport) {
  EXPECT_EQ(Count({}), 242u);
  EventQuery q;
  q.since_us = kT0 + 50 * 60 * kSecond;
  EXPECT_EQ(Count(q), 40u);  // minutes 50-59, 4 sources
  q.since_us = kT0 + 40 * 60 * kSecond + 30 * kSecond;  // inside the summary's span
  EXPECT_EQ(Count(q), 4u * 19 + 1);
  q = {};
  q.until_us = kT0 + 9 * 60 * kSecond + 59 * kSecond;
  EXPECT_EQ(Count(q), 40u);

  q = {};
  q.source = Cidr::Parse("10.0.0.2");
  EXPECT_EQ(Count(q), 60u);
  q.source = Cidr::Parse("10.0.0.0/30");  // .0-.3
  EXPECT_EQ(Count(q), 180u);
  q.source = Cidr::Parse("10.0.0.0/8");
  EXPECT_EQ(Count(q), 241u);
  q.source = Cidr::Parse("2001:db8::/32");
  EXPECT_EQ(Count(q), 1u);
  q.source = Cidr::Parse("::/0");
  EXPECT_EQ(Count(q), 242u);
  q.source = Cidr::Parse("11.0.0.0/8");
  EXPECT_EQ(Count(q), 0u);

  q = {};
  q.port = 22;
  EXPECT_EQ(Count(q), 120u + 1);  // the summary covers 22
  q.port = 2244;
  EXPECT_EQ(Count(q), 120u);
  q.port = 1000;
  EXPECT_EQ(Count(q), 1u);
  q.port = 1001;
  EXPECT_EQ(Count(q), 0u);
  q.port = 53;
  EXPECT_EQ(Count(q), 2u);

  q = {};
  q.action = "summary";
  auto s = db_->QueryEvents(q);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].count, 123456u);
  EXPECT_EQ((*s)[0].distinct_ports, 1000u);
  EXPECT_EQ((*s)[0].ports.size(), 1000u);
  EXPECT_EQ((*s)[0].ports.front(), 1);
  EXPECT_EQ((*s)[0].end_us(), kT0 + 40 * 60 * kSecond + 55 * kSecond);
  q.action = "datagram";
  EXPECT_EQ(Count(q), 1u);
  q = {};
  q.transport = Transport::kUdp;
  EXPECT_EQ(Count(q), 1u);

  q = {};
  q.source = Cidr::Parse("10.0.0.1");
  q.port = 22;
  q.since_us = kT0 + 30 * 60 * kSecond;
  EXPECT_EQ(Count(q), 15u);
}

TEST_F(Filters, LimitGivesTheNewestRowsOldestFirst) {
  EventQuery q;
  q.limit = 5;
  q.source = Cidr::Parse("10.0.0.0/24");
  auto r = db_->QueryEvents(q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  for (size_t i = 1; i < r->size(); ++i) EXPECT_LT((*r)[i - 1].time_us, (*r)[i].time_us);
  EXPECT_EQ(r->back().time_us, kT0 + 59 * 60 * kSecond + 4);
  EXPECT_EQ(*db_->CountEvents(q), 241u);
}

AlertRecord MakeAlert(uint64_t scan, AlertPhase phase, uint64_t t) {
  AlertRecord a;
  a.scan_id = scan;
  a.phase = phase;
  a.time_us = t;
  a.sensor = "test-sensor";
  a.source = Ip("198.51.100.7");
  a.kind = ScanKind::kSyn;
  a.shape = ScanShape::kVertical;
  a.algorithms = {"fast-window"};
  a.first_seen_us = kT0;
  a.last_seen_us = t;
  a.probes = (t - kT0) / kSecond * 100;
  a.port_count = 3;
  a.host_count = 1;
  a.ports = {443, 22, 80};
  a.hosts = {Ip("192.0.2.1")};
  a.evidence = "fast-window: 30 ports in 1 s";
  return a;
}

TEST(Database, AlertsKeepOneRowPerScanLatestPhaseWinsStartedTimeKept) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  ASSERT_TRUE(db);
  Batch b1;
  b1.alerts.push_back(MakeAlert(1, AlertPhase::kStarted, kT0 + 2 * kSecond));
  b1.alerts.push_back(MakeAlert(2, AlertPhase::kStarted, kT0 + 3 * kSecond));
  ASSERT_TRUE(db->Write(b1).ok());
  Batch b2;
  AlertRecord upd = MakeAlert(1, AlertPhase::kUpdated, kT0 + 10 * kSecond);
  upd.algorithms = {"fast-window", "trw"};
  upd.port_count = 5000;
  upd.ports = {};
  for (uint16_t p = 1; p <= 2000; ++p) upd.ports.push_back(p);  // more than the cap
  b2.alerts.push_back(upd);
  AlertRecord end = MakeAlert(1, AlertPhase::kEnded, kT0 + 20 * kSecond);
  end.ended_reason = "idle";
  end.tool_hint = "likely masscan: 20 of 20 SYN probes";
  end.algorithms = {"fast-window", "trw"};
  b2.alerts.push_back(end);
  ASSERT_TRUE(db->Write(b2).ok());

  auto all = db->QueryAlerts({});
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 2u);
  const AlertRecord& a = (*all)[0];
  EXPECT_EQ(a.scan_id, 1u);
  EXPECT_EQ(a.phase, AlertPhase::kEnded);
  EXPECT_EQ(a.started_us, kT0 + 2 * kSecond);
  EXPECT_EQ(a.time_us, kT0 + 20 * kSecond);
  EXPECT_EQ(a.last_seen_us, kT0 + 20 * kSecond);
  EXPECT_EQ(a.probes, 2000u);
  EXPECT_EQ(a.ended_reason, "idle");
  EXPECT_EQ(a.tool_hint, "likely masscan: 20 of 20 SYN probes");
  EXPECT_EQ(a.algorithms, (std::vector<std::string>{"fast-window", "trw"}));
  EXPECT_EQ(a.ports, (std::vector<uint16_t>{22, 80, 443}));
  EXPECT_EQ(a.hosts, std::vector<IpAddress>{Ip("192.0.2.1")});
  EXPECT_EQ((*all)[1].phase, AlertPhase::kStarted);

  AlertQuery q;
  q.kind = ScanKind::kSyn;
  EXPECT_EQ(db->QueryAlerts(q)->size(), 2u);
  q.kind = ScanKind::kUdp;
  EXPECT_EQ(db->QueryAlerts(q)->size(), 0u);
  q = {};
  q.port = 80;
  EXPECT_EQ(db->QueryAlerts(q)->size(), 2u);
  q.port = 1000;
  EXPECT_EQ(db->QueryAlerts(q)->size(), 0u);
  q = {};
  q.source = Cidr::Parse("198.51.100.0/24");
  EXPECT_EQ(db->QueryAlerts(q)->size(), 2u);
  q.source = Cidr::Parse("198.51.101.0/24");
  EXPECT_EQ(db->QueryAlerts(q)->size(), 0u);
  q = {};
  q.since_us = kT0 + 15 * kSecond;
  EXPECT_EQ(db->QueryAlerts(q)->size(), 1u);
  q = {};
  q.phase = AlertPhase::kEnded;
  EXPECT_EQ(*db->CountAlerts(q), 1u);
  q = {};
  q.limit = 1;
  auto newest = db->QueryAlerts(q);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].scan_id, 2u);

  // Another writer (a restarted canary) numbers scans from 1 again: new rows.
  db.reset();
  auto db2 = OpenForWriting(dir.path("c.db"));
  Batch b3;
  b3.alerts.push_back(MakeAlert(1, AlertPhase::kStarted, kT0 + 100 * kSecond));
  ASSERT_TRUE(db2->Write(b3).ok());
  EXPECT_EQ(db2->QueryAlerts({})->size(), 3u);
}

TEST(Database, SummaryDeltasOfOneSourceAndIntervalMergeIntoOneRow) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  ASSERT_TRUE(db);
  Summary s;
  s.sensor = "test-sensor";
  s.src = Ip("203.0.113.1");
  s.dst = Ip("192.0.2.1");
  s.bucket_us = kT0;
  s.first_us = kT0 + 10;
  s.last_us = kT0 + 20;
  s.count = s.count_delta = 100;
  s.ports.Insert(80);
  Batch b;
  b.summaries.push_back(s);
  ASSERT_TRUE(db->Write(b).ok());
  // The same state reports 50 more, then an evicted-and-returned state with
  // its own count and an earlier first probe, to another address.
  s.count = 150;
  s.count_delta = 50;
  s.last_us = kT0 + 30;
  s.ports.Insert(81);
  Summary again;
  again.sensor = "test-sensor";
  again.src = s.src;
  again.dst = Ip("192.0.2.2");
  again.bucket_us = kT0;
  again.first_us = kT0 + 5;
  again.last_us = kT0 + 25;
  again.count = again.count_delta = 7;
  again.ports.Insert(80);
  again.ports.Insert(9999);
  Summary next_interval = s;
  next_interval.bucket_us = kT0 + 60 * kSecond;
  next_interval.count = next_interval.count_delta = 1;
  Batch b2;
  b2.summaries = {s, again, next_interval};
  ASSERT_TRUE(db->Write(b2).ok());
  EventQuery q;
  q.action = "summary";
  auto rows = db->QueryEvents(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  const Event& e = (*rows)[0];
  EXPECT_EQ(e.count, 157u);
  EXPECT_EQ(e.time_us, kT0 + 5);
  EXPECT_EQ(e.last_us, kT0 + 30);
  EXPECT_EQ(e.ports, (std::vector<uint16_t>{80, 81, 9999}));
  EXPECT_EQ(e.distinct_ports, 3u);
  EXPECT_TRUE(e.dst.is_unspecified());  // two addresses
  EXPECT_EQ((*rows)[1].count, 1u);
}

TEST(Database, ReportAggregates) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  ASSERT_TRUE(db);
  Batch b;
  // 203.0.113.1: 30 probes on 22 in hour 0; 203.0.113.2: 10 probes on 80 in
  // hour 5, and a summary of 1,000 probes over 500 ports in hour 5.
  for (int i = 0; i < 30; ++i) b.events.push_back(MakeEvent(kT0 + static_cast<uint64_t>(i) * kSecond, "203.0.113.1", 22));
  for (int i = 0; i < 10; ++i)
    b.events.push_back(MakeEvent(kT0 + 5 * 3600 * kSecond + static_cast<uint64_t>(i), "203.0.113.2", 80));
  Summary s;
  s.sensor = "test-sensor";
  s.src = Ip("203.0.113.2");
  s.bucket_us = kT0 + 5 * 3600 * kSecond;
  s.first_us = s.bucket_us + kSecond;
  s.last_us = s.bucket_us + 50 * kSecond;
  s.count = s.count_delta = 1000;
  for (uint16_t p = 1000; p < 1500; ++p) s.ports.Insert(p);
  s.ports.Insert(80);
  b.summaries.push_back(s);
  AlertRecord a = MakeAlert(1, AlertPhase::kEnded, kT0 + 5 * 3600 * kSecond + 50 * kSecond);
  a.source = Ip("203.0.113.2");
  a.first_seen_us = kT0 + 5 * 3600 * kSecond;
  a.tool_hint = "likely masscan: 10 of 10";
  b.alerts.push_back(a);
  AlertRecord c = MakeAlert(2, AlertPhase::kStarted, kT0 + 20);
  c.kind = ScanKind::kConnect;
  c.source = Ip("203.0.113.1");
  c.probes = 30;
  b.alerts.push_back(c);
  b.has_counters = true;
  b.counters.events_dropped = 17;
  ASSERT_TRUE(db->Write(b).ok());

  auto r = db->BuildReport({kT0, kT0 + 24 * 3600 * kSecond, 10, 24});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->events_stored, 40u);
  EXPECT_EQ(r->probes_summarized, 1000u);
  EXPECT_EQ(r->summary_rows, 1u);
  EXPECT_EQ(r->sources, 2u);
  EXPECT_EQ(r->scans, 2u);
  ASSERT_EQ(r->top_sources.size(), 2u);
  EXPECT_EQ(r->top_sources[0].src, Ip("203.0.113.2"));
  EXPECT_EQ(r->top_sources[0].probes, 1010u);
  EXPECT_EQ(r->top_sources[0].ports, 501u);  // 80 and 1000-1499
  EXPECT_EQ(r->top_sources[0].scans, 1u);
  EXPECT_EQ(r->top_sources[1].probes, 30u);
  EXPECT_EQ(r->top_sources[1].ports, 1u);
  ASSERT_EQ(r->top_ports.size(), 2u);
  EXPECT_EQ(r->top_ports[0].port, 22);
  EXPECT_EQ(r->top_ports[0].probes, 30u);
  EXPECT_EQ(r->top_ports[1].port, 80);
  EXPECT_EQ(r->top_ports[1].sources, 1u);
  ASSERT_EQ(r->scan_kinds.size(), 2u);
  ASSERT_EQ(r->tool_hints.size(), 1u);
  EXPECT_EQ(r->tool_hints[0].hint, "masscan");
  ASSERT_EQ(r->timeline_probes.size(), 24u);
  EXPECT_EQ(r->bucket_us, 3600 * kSecond);
  EXPECT_EQ(r->timeline_probes[0], 30u);
  EXPECT_EQ(r->timeline_probes[5], 1010u);
  uint64_t total = 0;
  for (uint64_t n : r->timeline_probes) total += n;
  EXPECT_EQ(total, 1040u);
  EXPECT_EQ(r->timeline_scans[5], 1u);
  EXPECT_EQ(r->timeline_scans[0], 1u);
  // Writer counters belong to the runs active (by the wall clock) in the window.
  EXPECT_EQ(r->runs, 0u);
  auto now = db->BuildReport({NowUs() - 3600 * kSecond, NowUs() + 3600 * kSecond, 10, 24});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->runs, 1u);
  EXPECT_EQ(now->events_dropped, 17u);

  // A window that leaves out hour 0.
  auto late = db->BuildReport({kT0 + 3600 * kSecond, kT0 + 24 * 3600 * kSecond, 1, 23});
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->events_stored, 10u);
  ASSERT_EQ(late->top_sources.size(), 1u);
  EXPECT_EQ(late->scans, 1u);
}

TEST(Database, ReadOnlyFileCanBeQueriedNotWritten) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  ScratchDir dir;
  std::string path = dir.path("c.db");
  {
    auto db = OpenForWriting(path);
    Batch b;
    b.events.push_back(MakeEvent(kT0, "203.0.113.1", 22));
    ASSERT_TRUE(db->Write(b).ok());
  }
  chmod(path.c_str(), 0440);
  auto db = Database::Open(path, OpenOptions{});
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_TRUE((*db)->read_only());
  EXPECT_EQ((*db)->QueryEvents({})->size(), 1u);
  Batch b;
  b.events.push_back(MakeEvent(kT0 + 1, "203.0.113.1", 22));
  EXPECT_FALSE((*db)->Write(b).ok());
}

}  // namespace
}  // namespace portscope::store
