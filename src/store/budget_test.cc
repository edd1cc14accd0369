// Per-source budgets under a flood: exact counts, bounded state.
#include "store/budget.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "store/database.h"
#include "store/test_util.h"
#include "store/time_text.h"
#include "store/writer.h"

namespace portscope::store {
namespace {

using namespace testutil;

TEST(SourceBudget, StoresUpToTheBudgetThenSummarizesPerInterval) {
  BudgetOptions o;
  o.events_per_interval = 3;
  o.interval_s = 10;
  SourceBudget b(o, 42);
  int stored = 0;
  for (int i = 0; i < 10; ++i) stored += b.Admit(MakeEvent(kT0 + static_cast<uint64_t>(i) * kSecond / 2, "203.0.113.1", static_cast<uint16_t>(i)));
  EXPECT_EQ(stored, 3);
  EXPECT_EQ(b.summarized(), 7u);
  std::vector<Summary> out;
  b.Collect(&out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].final);
  EXPECT_EQ(out[0].count, 7u);
  EXPECT_EQ(out[0].count_delta, 7u);
  EXPECT_EQ(out[0].first_us, kT0 + 3 * kSecond / 2);
  EXPECT_EQ(out[0].last_us, kT0 + 9 * kSecond / 2);
  EXPECT_EQ(out[0].ports.ToVector(), (std::vector<uint16_t>{3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(out[0].bucket_us, kT0);

  // Nothing new: nothing reported. An earlier event counts against now.
  out.clear();
  b.Collect(&out);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(b.Admit(MakeEvent(kT0 - kSecond, "203.0.113.1", 99)));

  // The next interval: a fresh budget; the old summary is finished.
  EXPECT_TRUE(b.Admit(MakeEvent(kT0 + 10 * kSecond, "203.0.113.1", 1)));
  out.clear();
  b.Collect(&out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].final);
  EXPECT_EQ(out[0].count, 8u);
  EXPECT_EQ(out[0].count_delta, 1u);
  EXPECT_EQ(out[0].first_us, kT0 - kSecond);
  EXPECT_EQ(b.tracked(), 1u);
}

TEST(SourceBudget, ZeroBudgetStoresEverything) {
  BudgetOptions o;
  o.events_per_interval = 0;
  SourceBudget b(o, 1);
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(b.Admit(MakeEvent(kT0, "203.0.113.1", 1)));
  EXPECT_EQ(b.tracked(), 0u);
}

TEST(SourceBudget, SourceStateIsBoundedAndEvictionFinishesSummaries) {
  BudgetOptions o;
  o.events_per_interval = 1;
  o.max_sources = 100;
  SourceBudget b(o, 7);
  uint64_t stored = 0;
  for (uint32_t i = 0; i < 100000; ++i) {
    IpAddress src = IpAddress::V4(0x0A000000u + i % 1000);  // 1,000 sources round robin
    Event e = MakeEvent(kT0 + i, "10.0.0.0", 80);
    e.src = src;
    stored += b.Admit(e);
    EXPECT_LE(b.tracked(), 100u);
  }
  // Round robin over 1,000 sources with room for 100: every event meets an
  // evicted source and gets a fresh budget.
  EXPECT_EQ(stored, 100000u);
  EXPECT_EQ(b.evicted(), 100000u - 100);

  // Idle sources whose interval is over are dropped once later events are seen.
  SourceBudget c(o, 7);
  for (int s = 0; s < 50; ++s) {
    Event e = MakeEvent(kT0, "10.0.0.0", 80);
    e.src = IpAddress::V4(0x0A000000u + static_cast<uint32_t>(s));
    c.Admit(e);
    c.Admit(e);  // one over budget
  }
  EXPECT_EQ(c.tracked(), 50u);
  c.Admit(MakeEvent(kT0 + 61 * kSecond, "10.9.9.9", 80));
  std::vector<Summary> out;
  c.Collect(&out);
  EXPECT_EQ(c.tracked(), 1u);
  size_t finals = 0;
  for (const auto& s : out) finals += s.final;
  EXPECT_EQ(finals, 50u);
}

TEST(SourceBudget, FinishedSummariesWaitingForAStalledWriterAreCappedAndCounted) {
  BudgetOptions o;
  o.events_per_interval = 1;
  o.max_sources = 10;
  o.max_finished = 10;
  SourceBudget b(o, 3);
  // 1,000 sources round robin, each over budget once, and no Collect: every
  // eviction finishes a summary of one probe.
  for (uint32_t round = 0; round < 2; ++round)
    for (uint32_t i = 0; i < 1000; ++i) {
      Event e = MakeEvent(kT0 + round * 1000 + i, "10.0.0.0", 80);
      e.src = IpAddress::V4(0x0A000000u + i);
      b.Admit(e);
      b.Admit(e);  // over budget: into the summary
    }
  std::vector<Summary> out;
  b.Collect(&out);
  size_t finals = 0;
  uint64_t counted = 0;
  for (const auto& s : out) {
    finals += s.final;
    counted += s.count_delta;
  }
  // 1,990 evictions finished summaries; 10 waited, the rest were dropped and counted.
  EXPECT_EQ(finals, 10u);
  EXPECT_EQ(b.summaries_dropped(), 2000u - 10 - 10);
  EXPECT_EQ(b.summary_probes_dropped(), b.summaries_dropped());
  EXPECT_EQ(counted + b.summary_probes_dropped(), b.summarized());
}

// What the database must hold, computed the plain way.
struct Expected {
  uint64_t stored = 0;
  uint64_t count = 0;
  uint64_t first = UINT64_MAX, last = 0;
  std::set<uint16_t> ports;
};

TEST(SourceBudget, FloodOf100000EventsFrom10SourcesGivesExactSummaries) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  ASSERT_TRUE(db);
  WriterOptions o;
  o.queue_capacity = 200000;
  o.budget.events_per_interval = 50;
  o.budget.interval_s = 10;
  o.commit_interval_ms = 50;
  Writer w(o, {db.get()});
  w.Start();

  constexpr uint64_t kInterval = 10 * kSecond;
  std::map<std::pair<uint32_t, uint64_t>, Expected> expect;
  for (uint32_t i = 0; i < 100000; ++i) {
    uint32_t src = i % 10;
    // 100 s of traffic, bursty: each source's probes cluster in time.
    uint64_t t = kT0 + uint64_t{i} * 1000 + (i % 7) * 13;
    uint16_t port = static_cast<uint16_t>((i * 2654435761u) >> 20);
    Event e = MakeEvent(t, "10.0.0.0", port);
    e.src = IpAddress::V4(0x0A000001u + src);
    ASSERT_TRUE(w.Enqueue(e));
    Expected& x = expect[{src, t / kInterval * kInterval}];
    if (x.stored < 50) {
      ++x.stored;
    } else {
      ++x.count;
      x.first = std::min(x.first, t);
      x.last = std::max(x.last, t);
      x.ports.insert(port);
    }
  }
  ASSERT_TRUE(w.Close().ok());
  WriterStats st = w.stats();
  EXPECT_EQ(st.counters.events_enqueued, 100000u);
  EXPECT_EQ(st.counters.events_dropped, 0u);
  EXPECT_EQ(st.counters.events_summarized, 100000u - 10 * 10 * 50);
  EXPECT_EQ(st.events_committed, 10u * 10 * 50);

  uint64_t stored_total = 0, summarized_total = 0;
  for (const auto& [key, x] : expect) {
    EventQuery q;
    q.source = Cidr::Parse(IpAddress::V4(0x0A000001u + key.first).ToString());
    q.since_us = key.second;
    q.until_us = key.second + kInterval - 1;
    auto rows = db->QueryEvents(q);
    ASSERT_TRUE(rows.ok());
    uint64_t plain = 0;
    std::vector<const Event*> summaries;
    for (const Event& e : *rows) {
      if (e.summary()) summaries.push_back(&e);
      else if (e.time_us >= key.second) ++plain;
    }
    EXPECT_EQ(plain, x.stored);
    stored_total += plain;
    ASSERT_EQ(summaries.size(), 1u) << "one summary row per source and interval";
    const Event& s = *summaries[0];
    EXPECT_EQ(s.count, x.count);
    EXPECT_EQ(s.time_us, x.first);
    EXPECT_EQ(s.last_us, x.last);
    EXPECT_EQ(s.distinct_ports, x.ports.size());
    EXPECT_EQ(s.ports, std::vector<uint16_t>(x.ports.begin(), x.ports.end()));
    summarized_total += s.count;
  }
  EXPECT_EQ(stored_total + summarized_total, 100000u);
  EventQuery all;
  EXPECT_EQ(*db->CountEvents(all), 10u * 10 * 50 + 100);
  all.action = "summary";
  EXPECT_EQ(*db->CountEvents(all), 100u);
}

TEST(SourceBudget, EvictedSourcesStillAddUpExactlyInTheDatabase) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  WriterOptions o;
  o.budget.events_per_interval = 5;
  o.budget.max_sources = 3;
  o.commit_interval_ms = 20;
  Writer w(o, {db.get()});
  w.Start();
  // 6 sources in runs of 20 with room for 3: each returns after eviction.
  for (uint32_t i = 0; i < 6000; ++i) {
    Event e = MakeEvent(kT0 + i, "10.0.0.0", static_cast<uint16_t>(i % 50));
    e.src = IpAddress::V4(0x0A000001u + (i / 20) % 6);
    ASSERT_TRUE(w.Enqueue(e));
    if (i % 1000 == 0) {
      ASSERT_TRUE(w.Flush().ok());
    }
  }
  ASSERT_TRUE(w.Close().ok());
  EXPECT_GT(w.stats().counters.sources_evicted, 0u);
  uint64_t total = 0;
  auto rows = db->QueryEvents({});
  size_t summary_rows = 0;
  for (const Event& e : *rows) {
    total += e.count;
    summary_rows += e.summary();
  }
  EXPECT_EQ(total, 6000u);
  EXPECT_EQ(summary_rows, 6u);  // one per source: all in one interval
  auto run = db->BuildReport({NowUs() - 60 * kSecond, NowUs() + 60 * kSecond, 10, 1});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->sources_evicted, w.stats().counters.sources_evicted);
}

}  // namespace
}  // namespace portscope::store
