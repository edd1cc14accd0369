// Retention by age and by size.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "store/database.h"
#include "store/test_util.h"

namespace portscope::store {
namespace {

using namespace testutil;

TEST(Retention, ByAgeDeletesOldEventsScansAndRuns) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  Batch b;
  for (uint64_t day = 0; day < 10; ++day)
    for (int i = 0; i < 100; ++i) b.events.push_back(MakeEvent(kT0 + day * 86400 * kSecond + static_cast<uint64_t>(i), "203.0.113.1", 80));
  for (uint64_t day = 0; day < 10; ++day) {
    AlertRecord a;
    a.scan_id = day + 1;
    a.source = Ip("203.0.113.1");
    a.first_seen_us = kT0 + day * 86400 * kSecond;
    a.last_seen_us = a.first_seen_us + 60 * kSecond;
    a.time_us = a.last_seen_us;
    b.alerts.push_back(a);
  }
  ASSERT_TRUE(db->Write(b).ok());
  RetentionOptions r;
  r.max_age_s = 3 * 86400;
  r.max_bytes = 0;
  uint64_t now = kT0 + 10 * 86400 * kSecond;  // days 7, 8, 9 stay
  auto res = db->ApplyRetention(r, now);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->events_deleted, 700u);
  EXPECT_EQ(res->alerts_deleted, 7u);
  EXPECT_FALSE(res->incomplete);
  auto rows = db->QueryEvents({});
  ASSERT_EQ(rows->size(), 300u);
  EXPECT_EQ(rows->front().time_us, kT0 + 7 * 86400 * kSecond);
  EXPECT_EQ(db->QueryAlerts({})->size(), 3u);
  // Nothing more to do: a second pass deletes nothing.
  EXPECT_EQ(db->ApplyRetention(r, now)->events_deleted, 0u);
}

TEST(Retention, RowBudgetPerCallSpreadsABigDeleteOverSeveralCalls) {
  ScratchDir dir;
  auto db = OpenForWriting(dir.path("c.db"));
  Batch b;
  for (int i = 0; i < 12000; ++i) b.events.push_back(MakeEvent(kT0 + static_cast<uint64_t>(i), "203.0.113.1", 80));
  ASSERT_TRUE(db->Write(b).ok());
  RetentionOptions r;
  r.max_age_s = 1;
  r.max_bytes = 0;
  r.max_rows_per_run = 5000;
  uint64_t now = kT0 + 86400 * kSecond;
  auto first = db->ApplyRetention(r, now);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->events_deleted, 5000u);
  EXPECT_TRUE(first->incomplete);
  EXPECT_EQ(db->ApplyRetention(r, now)->events_deleted, 5000u);
  auto last = db->ApplyRetention(r, now);
  EXPECT_EQ(last->events_deleted, 2000u);
  EXPECT_FALSE(last->incomplete);
  EXPECT_EQ(*db->CountEvents({}), 0u);
}

TEST(Retention, BySizeKeepsTheNewestAndShrinksTheFile) {
  ScratchDir dir;
  std::string path = dir.path("c.db");
  auto db = OpenForWriting(path);
  for (int batch = 0; batch < 20; ++batch) {
    Batch b;
    for (int i = 0; i < 1000; ++i) {
      uint64_t n = static_cast<uint64_t>(batch * 1000 + i);
      b.events.push_back(MakeEvent(kT0 + n, "203.0.113.1", 80, std::string(400, static_cast<char>('a' + batch % 26))));
    }
    ASSERT_TRUE(db->Write(b).ok());
  }
  uint64_t before = *db->UsedBytes();
  ASSERT_GT(before, 8u << 20);  // 20,000 rows of 400+ bytes
  RetentionOptions r;
  r.max_age_s = 0;
  r.max_bytes = 2u << 20;
  r.max_rows_per_run = 0;
  auto res = db->ApplyRetention(r, kT0);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_LE(res->used_bytes_after, r.max_bytes);
  EXPECT_GT(res->used_bytes_after, r.max_bytes / 2);  // not much more than needed went
  EXPECT_EQ(res->used_bytes_before, before);
  uint64_t left = *db->CountEvents({});
  EXPECT_EQ(res->events_deleted + left, 20000u);
  // The newest are the ones kept, in one piece.
  auto rows = db->QueryEvents({});
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ(rows->back().time_us, kT0 + 19999);
  EXPECT_EQ(rows->front().time_us, kT0 + 20000 - left);
  // The pages went back to the file system (after a checkpoint of the WAL).
  ASSERT_TRUE(db->CheckIntegrity().ok());
  db.reset();
  {
    sql::Connection c;
    ASSERT_TRUE(c.Open(path, SQLITE_OPEN_READWRITE).ok());
    ASSERT_TRUE(c.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LE(static_cast<uint64_t>(st.st_size), r.max_bytes + (256u << 10));
}

}  // namespace
}  // namespace portscope::store
