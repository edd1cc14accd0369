// The database file: creation, migration from an older schema, and refusal
// of files that are not (or no longer) a usable portscope database.
#include "store/schema.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/database.h"
#include "store/sqlite.h"
#include "store/test_util.h"

namespace portscope::store {
namespace {

using namespace testutil;

int64_t QueryInt(const std::string& path, const std::string& q) {
  sql::Connection c;
  EXPECT_TRUE(c.Open(path, SQLITE_OPEN_READONLY).ok());
  auto v = c.QueryInt(q);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : -1;
}

std::string QueryText(const std::string& path, const std::string& q) {
  sql::Connection c;
  EXPECT_TRUE(c.Open(path, SQLITE_OPEN_READONLY).ok());
  auto v = c.QueryText(q);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : "";
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(Schema, MigrationsAreOrderedAndEndAtTheLatest) {
  int prev = 0;
  for (const auto& m : schema::Migrations()) {
    EXPECT_EQ(m.version, prev + 1) << m.what;
    prev = m.version;
  }
  EXPECT_EQ(prev, schema::LatestVersion());
  EXPECT_GE(schema::LatestVersion(), 2);
}

TEST(Schema, NewDatabaseIsCreatedAtTheLatestVersionInWalMode) {
  ScratchDir dir;
  std::string path = dir.path("sub/dir/canary.db");
  auto db = OpenForWriting(path);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), schema::LatestVersion());
  db.reset();
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), schema::LatestVersion());
  EXPECT_EQ(QueryInt(path, "PRAGMA application_id"), schema::kApplicationId);
  EXPECT_EQ(QueryText(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(path, "PRAGMA auto_vacuum"), 2);  // incremental
  for (const char* index : {"events_time", "events_src", "events_dport", "events_action", "events_summary",
                            "alerts_time", "alerts_source", "alerts_kind"})
    EXPECT_EQ(QueryInt(path, std::string("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '") +
                                 index + "'"),
              1)
        << index;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(stat(dir.path("sub/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
}

// A version 1 file, written by hand as the first release would have: no
// summary columns, no writer counters.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE runs(id INTEGER PRIMARY KEY, started_us INTEGER NOT NULL, sensor TEXT NOT NULL,
  hostname TEXT NOT NULL, pid INTEGER NOT NULL, version TEXT NOT NULL);
CREATE TABLE events(id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, sensor TEXT NOT NULL, src BLOB NOT NULL,
  sport INTEGER NOT NULL, dst BLOB NOT NULL, dport INTEGER NOT NULL, transport TEXT NOT NULL,
  tcp_flags INTEGER NOT NULL, action TEXT NOT NULL, payload BLOB NOT NULL, payload_truncated INTEGER NOT NULL,
  service TEXT NOT NULL);
CREATE INDEX events_time ON events(time_us);
CREATE INDEX events_src ON events(src, time_us);
CREATE INDEX events_dport ON events(dport, time_us);
CREATE TABLE alerts(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, scan_id INTEGER NOT NULL,
  sensor TEXT NOT NULL, phase TEXT NOT NULL, started_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,
  source BLOB NOT NULL, kind TEXT NOT NULL, shape TEXT NOT NULL, algorithms TEXT NOT NULL,
  first_seen_us INTEGER NOT NULL, last_seen_us INTEGER NOT NULL, probes INTEGER NOT NULL,
  port_count INTEGER NOT NULL, host_count INTEGER NOT NULL, ports BLOB NOT NULL, hosts BLOB NOT NULL,
  evidence TEXT NOT NULL, tool_hint TEXT NOT NULL, ended_reason TEXT NOT NULL, UNIQUE(run_id, scan_id));
CREATE INDEX alerts_time ON alerts(last_seen_us);
CREATE INDEX alerts_source ON alerts(source, last_seen_us);
CREATE INDEX alerts_kind ON alerts(kind, last_seen_us);
INSERT INTO runs VALUES(1, 1795305600000000, 'old', 'oldhost', 42, '0.0.1');
INSERT INTO events VALUES(1, 1795305601000000, 'old', x'00000000000000000000ffffcb007105', 40000,
  x'00000000000000000000ffffc0000201', 2244, 'tcp', 2, 'connect', x'00476554', 0, 'nmsserver');
INSERT INTO events VALUES(2, 1795305602000000, 'old', x'00000000000000000000ffffcb007105', 40001,
  x'00000000000000000000ffffc0000201', 22, 'tcp', 2, 'connect', x'', 0, 'ssh');
INSERT INTO alerts VALUES(1, 1, 7, 'old', 'ended', 1795305601000000, 1795305660000000,
  x'00000000000000000000ffffcb007105', 'connect', 'vertical', 'fast-window', 1795305601000000,
  1795305602000000, 2, 2, 1, x'00160bc4', x'00000000000000000000ffffc0000201', 'two ports', '', 'idle');
PRAGMA application_id = 1347633998;
PRAGMA user_version = 1;
)sql";

TEST(Schema, Version1DatabaseIsMigratedAndKeepsItsRows) {
  ScratchDir dir;
  std::string path = dir.path("v1.db");
  {
    sql::Connection c;
    ASSERT_TRUE(c.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE).ok());
    Status st = c.Exec(kVersion1);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  ASSERT_EQ(QueryInt(path, "PRAGMA user_version"), 1);
  ASSERT_EQ(QueryInt(path, "PRAGMA application_id"), schema::kApplicationId);

  // A reader migrates a file it may write to.
  auto db = Database::Open(path, OpenOptions{});
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ((*db)->schema_version(), schema::LatestVersion());
  auto events = (*db)->QueryEvents({});
  ASSERT_TRUE(events.ok()) << events.status().message();
  ASSERT_EQ(events->size(), 2u);
  const Event& e = (*events)[0];
  EXPECT_EQ(e.src, Ip("203.0.113.5"));
  EXPECT_EQ(e.dport, 2244);
  EXPECT_EQ(e.payload, std::string("\0GeT", 4));
  EXPECT_EQ(e.count, 1u);                  // new column, default
  EXPECT_EQ(e.last_us, e.time_us);         // filled by the migration
  EXPECT_EQ(e.service, "nmsserver");
  auto alerts = (*db)->QueryAlerts({});
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].ports, (std::vector<uint16_t>{22, 3012}));
  EXPECT_EQ((*alerts)[0].hosts, std::vector<IpAddress>{Ip("192.0.2.1")});
  db->reset();
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), schema::LatestVersion());
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'events_dropped'"), 1);

  // And the migrated file takes summaries like a new one.
  auto w = OpenForWriting(path);
  ASSERT_TRUE(w);
  Batch b;
  Summary s;
  s.sensor = "old";
  s.src = Ip("203.0.113.5");
  s.bucket_us = kT0;
  s.count = s.count_delta = 5;
  s.first_us = kT0 + 1;
  s.last_us = kT0 + 2;
  s.ports.Insert(80);
  b.summaries.push_back(s);
  ASSERT_TRUE(w->Write(b).ok());
  EventQuery q;
  q.action = "summary";
  auto sums = w->QueryEvents(q);
  ASSERT_TRUE(sums.ok());
  ASSERT_EQ(sums->size(), 1u);
  EXPECT_EQ((*sums)[0].count, 5u);
}

TEST(Schema, NewerVersionIsRefused) {
  ScratchDir dir;
  std::string path = dir.path("future.db");
  { ASSERT_TRUE(OpenForWriting(path)); }
  {
    sql::Connection c;
    ASSERT_TRUE(c.Open(path, SQLITE_OPEN_READWRITE).ok());
    ASSERT_TRUE(c.Exec("PRAGMA user_version = 99").ok());
  }
  auto db = Database::Open(path, OpenOptions{});
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("schema version 99, newer than this portscope understands"), std::string::npos)
      << db.status().message();
  OpenOptions w;
  w.write = true;
  w.move_aside_damaged = true;  // newer is not damaged: never moved aside
  EXPECT_FALSE(Database::Open(path, w).ok());
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(Schema, MissingFileIsNotFoundAndNotCreatedByReaders) {
  ScratchDir dir;
  std::string path = dir.path("nothing.db");
  auto db = Database::Open(path, OpenOptions{});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(db.status().message(), "no canary database at " + path);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Schema, ForeignSqliteFileIsRefusedNotWrittenInto) {
  ScratchDir dir;
  std::string path = dir.path("other.db");
  {
    sql::Connection c;
    ASSERT_TRUE(c.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE).ok());
    ASSERT_TRUE(c.Exec("CREATE TABLE recipes(name TEXT); INSERT INTO recipes VALUES('soup');").ok());
  }
  for (bool write : {false, true}) {
    OpenOptions o;
    o.write = write;
    auto db = Database::Open(path, o);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().code(), Status::Code::kCorrupt);
    EXPECT_NE(db.status().message().find("is not a portscope canary database"), std::string::npos)
        << db.status().message();
  }
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM sqlite_master"), 1);
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 0);
}

TEST(Schema, GarbageFileIsRefusedByReadersAndMovedAsideByTheWriter) {
  ScratchDir dir;
  std::string path = dir.path("garbage.db");
  std::string junk(8192, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919) >> 3);
  WriteFile(path, junk);

  auto r = Database::Open(path, OpenOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorrupt);
  EXPECT_NE(r.status().message().find("is not a usable portscope canary database"), std::string::npos)
      << r.status().message();

  OpenOptions strict;
  strict.write = true;
  EXPECT_FALSE(Database::Open(path, strict).ok());  // refused unless told to move it

  OpenOptions o;
  o.write = true;
  o.move_aside_damaged = true;
  auto db = Database::Open(path, o);
  ASSERT_TRUE(db.ok()) << db.status().message();
  ASSERT_EQ((*db)->warnings().size(), 1u);
  EXPECT_NE((*db)->warnings()[0].find("was moved to " + path + ".damaged-"), std::string::npos)
      << (*db)->warnings()[0];
  size_t aside = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path("")))
    if (f.path().filename().string().starts_with("garbage.db.damaged-")) {
      ++aside;
      EXPECT_EQ(ReadAll(f.path().string()), junk);
    }
  EXPECT_EQ(aside, 1u);
  Batch b;
  b.events.push_back(MakeEvent(kT0, "198.51.100.1", 22));
  EXPECT_TRUE((*db)->Write(b).ok());
}

TEST(Schema, TruncatedDatabaseGivesAnErrorNeverACrash) {
  ScratchDir dir;
  std::string path = dir.path("cut.db");
  {
    auto db = OpenForWriting(path);
    ASSERT_TRUE(db);
    Batch b;
    for (int i = 0; i < 5000; ++i)
      b.events.push_back(MakeEvent(kT0 + static_cast<uint64_t>(i), "198.51.100.1", static_cast<uint16_t>(i),
                                   std::string(200, 'x')));
    ASSERT_TRUE(db->Write(b).ok());
  }
  // Make sure everything is in the main file, then cut it at several points.
  {
    sql::Connection c;
    ASSERT_TRUE(c.Open(path, SQLITE_OPEN_READWRITE).ok());
    ASSERT_TRUE(c.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
  std::string whole = ReadAll(path);
  ASSERT_GT(whole.size(), 100000u);
  for (size_t cut : {size_t{50}, size_t{100}, size_t{4096}, whole.size() / 3, whole.size() / 2, whole.size() - 4096}) {
    std::string p = dir.path("cut-" + std::to_string(cut) + ".db");
    WriteFile(p, whole.substr(0, cut));
    auto db = Database::Open(p, OpenOptions{});
    if (!db.ok()) {
      EXPECT_TRUE(db.status().code() == Status::Code::kCorrupt || db.status().code() == Status::Code::kIoError)
          << cut << ": " << db.status().message();
      continue;
    }
    // Opened: queries over the missing pages fail cleanly.
    auto events = (*db)->QueryEvents({});
    auto report = (*db)->BuildReport({kT0 - kSecond, kT0 + 3600 * kSecond, 10, 24});
    auto check = (*db)->CheckIntegrity();
    bool damage_seen = !events.ok() || !report.ok() || !check.ok() || *check != "ok";
    EXPECT_TRUE(damage_seen) << cut;
    if (!events.ok()) {
      EXPECT_EQ(events.status().code(), Status::Code::kCorrupt) << events.status().message();
    }
  }
}

}  // namespace
}  // namespace portscope::store
