// The writer: a bounded queue that never blocks its producer, batches at
// least every commit interval, Flush and Close, sink failures counted.
#include "store/writer.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/database.h"
#include "store/sqlite.h"
#include "store/test_util.h"

namespace portscope::store {
namespace {

using namespace testutil;
using Clock = std::chrono::steady_clock;

int64_t CountRows(const std::string& path, const char* table) {
  sql::Connection c;
  if (!c.Open(path, SQLITE_OPEN_READONLY).ok()) return -1;
  auto n = c.QueryInt(std::string("SELECT count(*) FROM ") + table);
  return n.ok() ? *n : -1;
}

// A sink that blocks in Write until released, to stand for a stalled disk.
class StuckSink : public Sink {
 public:
  std::string_view name() const override { return "stuck"; }
  Status Write(const Batch& b) override {
    if (b.events.empty()) return Status::Ok();
    entered_ = true;
    while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    events_ += b.events.size();
    return Status::Ok();
  }
  std::atomic<bool> entered_{false}, released_{false};
  std::atomic<size_t> events_{0};
};

class FailingSink : public Sink {
 public:
  std::string_view name() const override { return "failing"; }
  Status Write(const Batch&) override { return Status::IoError("disk on fire"); }
};

WriterOptions NoBudget() {
  WriterOptions o;
  o.budget.events_per_interval = 0;
  return o;
}

TEST(Writer, FullQueueDropsAndCountsWithoutBlocking) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  WriterOptions o = NoBudget();
  o.queue_capacity = 1000;
  o.alert_reserve = 10;
  Writer w(o, {db.get()});  // not started: nothing drains the queue
  size_t accepted = 0, refused = 0;
  auto worst = Clock::duration::zero();
  for (uint32_t i = 0; i < 100000; ++i) {
    auto t0 = Clock::now();
    bool ok = w.Enqueue(MakeEvent(kT0 + i, "203.0.113.1", 80, "payload"));
    worst = std::max(worst, Clock::now() - t0);
    (ok ? accepted : refused) += 1;
  }
  EXPECT_EQ(accepted, 1000u);
  EXPECT_EQ(refused, 99000u);
  EXPECT_LT(worst, std::chrono::milliseconds(50));
  // Alerts have room of their own past a full event queue, then drop too.
  size_t alerts = 0;
  for (int i = 0; i < 20; ++i) {
    AlertRecord a;
    a.scan_id = static_cast<uint64_t>(i + 1);
    a.source = Ip("203.0.113.1");
    alerts += w.Enqueue(a);
  }
  EXPECT_EQ(alerts, 10u);
  WriterStats st = w.stats();
  EXPECT_EQ(st.counters.events_dropped, 99000u);
  EXPECT_EQ(st.counters.events_enqueued, 1000u);
  EXPECT_EQ(st.counters.alerts_dropped, 10u);
  EXPECT_EQ(st.counters.alerts_enqueued, 10u);

  w.Start();
  ASSERT_TRUE(w.Flush().ok());
  EXPECT_EQ(CountRows(dir.path("c.db"), "events"), 1000);
  EXPECT_EQ(CountRows(dir.path("c.db"), "alerts"), 10);
  EXPECT_EQ(w.stats().events_committed, 1000u);
  // The queue has room again.
  EXPECT_TRUE(w.Enqueue(MakeEvent(kT0, "203.0.113.1", 80)));
  ASSERT_TRUE(w.Close().ok());
  // Drops are on record for `portscope report`.
  sql::Connection c;
  ASSERT_TRUE(c.Open(dir.path("c.db"), SQLITE_OPEN_READONLY).ok());
  EXPECT_EQ(*c.QueryInt("SELECT events_dropped FROM runs"), 99000);
  EXPECT_EQ(*c.QueryInt("SELECT alerts_dropped FROM runs"), 10);
}

TEST(Writer, ProducerNeverWaitsForAStalledSink) {
  StuckSink stuck;
  WriterOptions o = NoBudget();
  o.queue_capacity = 5000;
  o.commit_interval_ms = 10;
  Writer w(o, {&stuck});
  w.Start();
  ASSERT_TRUE(w.Enqueue(MakeEvent(kT0, "203.0.113.1", 80)));
  while (!stuck.entered_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The writer thread is inside Write; the producer carries on.
  size_t accepted = 0;
  auto t0 = Clock::now();
  auto worst = Clock::duration::zero();
  for (uint32_t i = 0; i < 20000; ++i) {
    auto a = Clock::now();
    accepted += w.Enqueue(MakeEvent(kT0 + i, "203.0.113.1", 80));
    worst = std::max(worst, Clock::now() - a);
  }
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_LT(worst, std::chrono::milliseconds(50));
  EXPECT_EQ(accepted, 5000u);
  EXPECT_EQ(w.stats().counters.events_dropped, 15000u);
  stuck.released_ = true;
  ASSERT_TRUE(w.Close().ok());
  EXPECT_EQ(stuck.events_, 5001u);
}

TEST(Writer, CommitsWithinTheIntervalWithoutFlush) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  WriterOptions o = NoBudget();
  o.commit_interval_ms = 200;
  Writer w(o, {db.get()});
  w.Start();
  auto t0 = Clock::now();
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(w.Enqueue(MakeEvent(kT0 + i, "203.0.113.1", 80)));
  // Another connection (as `portscope events` would) sees them within a second.
  while (CountRows(dir.path("c.db"), "events") < 10 && Clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto waited = Clock::now() - t0;
  EXPECT_EQ(CountRows(dir.path("c.db"), "events"), 10);
  EXPECT_LT(waited, std::chrono::milliseconds(1000));
  EXPECT_GE(waited, std::chrono::milliseconds(100));  // batched, not written one by one
}

TEST(Writer, SinkFailuresAreCountedAndReportedWhileOthersCarryOn) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  FailingSink failing;
  Writer w(NoBudget(), {db.get(), &failing});
  w.Start();
  ASSERT_TRUE(w.Enqueue(MakeEvent(kT0, "203.0.113.1", 80)));
  Status st = w.Flush();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "disk on fire");
  EXPECT_EQ(w.stats().events_committed, 1u);  // the database (first sink) has it
  EXPECT_GE(w.stats().counters.sink_errors, 1u);
  EXPECT_EQ(w.stats().last_error, "failing: disk on fire");
  EXPECT_TRUE(w.Flush().ok());  // reported once
  EXPECT_EQ(CountRows(dir.path("c.db"), "events"), 1);

  // A failing primary sink: nothing counts as committed.
  Writer w2(NoBudget(), {&failing});
  w2.Start();
  ASSERT_TRUE(w2.Enqueue(MakeEvent(kT0, "203.0.113.1", 80)));
  EXPECT_FALSE(w2.Flush().ok());
  EXPECT_EQ(w2.stats().events_committed, 0u);
  EXPECT_EQ(w2.stats().events_lost, 1u);
  EXPECT_EQ(w.stats().events_lost, 0u);
}

TEST(Writer, CloseWritesEverythingFinishesSummariesAndRefusesMore) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  WriterOptions o;
  o.budget.events_per_interval = 2;
  o.commit_interval_ms = 60000;  // only Close writes
  Writer w(o, {db.get()});
  w.Start();
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(w.Enqueue(MakeEvent(kT0 + i, "203.0.113.1", static_cast<uint16_t>(i))));
  AlertRecord a;
  a.scan_id = 1;
  a.source = Ip("203.0.113.1");
  ASSERT_TRUE(w.Enqueue(a));
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Close().ok());  // idempotent
  EXPECT_FALSE(w.Enqueue(MakeEvent(kT0, "203.0.113.1", 80)));
  auto rows = db->QueryEvents({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[2].count, 8u);
  EXPECT_EQ(db->QueryAlerts({})->size(), 1u);
}

TEST(Writer, ManyProducerThreads) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  WriterOptions o = NoBudget();
  o.queue_capacity = 1 << 20;
  o.commit_interval_ms = 20;
  Writer w(o, {db.get()});
  w.Start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < 5000; ++i) {
        Event e = MakeEvent(kT0 + i, "10.0.0.1", static_cast<uint16_t>(t));
        e.sport = static_cast<uint16_t>(i);
        EXPECT_TRUE(w.Enqueue(e));
      }
    });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(w.Flush().ok());
  EXPECT_EQ(*db->CountEvents({}), 20000u);
}

// Retention runs from the writer on the injected clock.
TEST(Writer, MaintainAppliesRetentionOnTheWritersClock) {
  ScratchDir dir;
  OpenOptions oo;
  oo.retention.max_age_s = 3600;
  auto db = OpenForWriting(dir.path("c.db"), oo, /*age_retention=*/true);
  {
    Batch b;
    b.events.push_back(MakeEvent(kT0, "203.0.113.1", 80));
    b.events.push_back(MakeEvent(kT0 + 7200 * kSecond, "203.0.113.1", 80));
    ASSERT_TRUE(db->Write(b).ok());
  }
  WriterOptions o = NoBudget();
  o.commit_interval_ms = 10;
  o.clock_us = [] { return kT0 + 7200 * kSecond + 1; };
  Writer w(o, {db.get()});
  w.Start();
  ASSERT_TRUE(w.Enqueue(MakeEvent(kT0 + 7200 * kSecond, "203.0.113.2", 80)));
  ASSERT_TRUE(w.Flush().ok());
  ASSERT_TRUE(w.Close().ok());
  auto rows = db->QueryEvents({});
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].time_us, kT0 + 7200 * kSecond);
}

}  // namespace
}  // namespace portscope::store
