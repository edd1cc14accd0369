#include "store/schema.h"

#include <fmt/format.h>

namespace portscope::store::schema {
namespace {

// Addresses are 16-byte BLOBs (IPv4 mapped into ::ffff:0:0/96) so that a CIDR
// filter is one BETWEEN on an index; times are microseconds since the epoch.
constexpr Migration kMigrations[] = {
    {1, "events, alerts (one row per scan) and runs",
     R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  started_us INTEGER NOT NULL,
  sensor TEXT NOT NULL,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  version TEXT NOT NULL
);
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  sensor TEXT NOT NULL,
  src BLOB NOT NULL,
  sport INTEGER NOT NULL,
  dst BLOB NOT NULL,
  dport INTEGER NOT NULL,
  transport TEXT NOT NULL,
  tcp_flags INTEGER NOT NULL,
  action TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_truncated INTEGER NOT NULL,
  service TEXT NOT NULL
);
CREATE INDEX events_time ON events(time_us);
CREATE INDEX events_src ON events(src, time_us);
CREATE INDEX events_dport ON events(dport, time_us);
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  scan_id INTEGER NOT NULL,
  sensor TEXT NOT NULL,
  phase TEXT NOT NULL,
  started_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  source BLOB NOT NULL,
  kind TEXT NOT NULL,
  shape TEXT NOT NULL,
  algorithms TEXT NOT NULL,
  first_seen_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL,
  probes INTEGER NOT NULL,
  port_count INTEGER NOT NULL,
  host_count INTEGER NOT NULL,
  ports BLOB NOT NULL,
  hosts BLOB NOT NULL,
  evidence TEXT NOT NULL,
  tool_hint TEXT NOT NULL,
  ended_reason TEXT NOT NULL,
  UNIQUE(run_id, scan_id)
);
CREATE INDEX alerts_time ON alerts(last_seen_us);
CREATE INDEX alerts_source ON alerts(source, last_seen_us);
CREATE INDEX alerts_kind ON alerts(kind, last_seen_us);
)sql"},
    {2, "summary rows past a source's budget, writer counters per run",
     R"sql(
ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN last_us INTEGER NOT NULL DEFAULT 0;
UPDATE events SET last_us = time_us;
ALTER TABLE events ADD COLUMN port_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN ports BLOB;
ALTER TABLE events ADD COLUMN bucket_us INTEGER;
CREATE UNIQUE INDEX events_summary ON events(src, sensor, bucket_us) WHERE action = 'summary';
CREATE INDEX events_action ON events(action, time_us);
ALTER TABLE runs ADD COLUMN updated_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN events_enqueued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN events_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN events_summarized INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN alerts_enqueued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN alerts_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN sources_evicted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN sink_errors INTEGER NOT NULL DEFAULT 0;
)sql"},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }
int LatestVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<Identity> Identify(sql::Connection* c) {
  Identity id;
  auto app = c->QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status();
  auto ver = c->QueryInt("PRAGMA user_version");
  if (!ver.ok()) return ver.status();
  auto objects = c->QueryInt("SELECT count(*) FROM sqlite_master");
  if (!objects.ok()) return objects.status();
  id.application_id = static_cast<int32_t>(*app);
  id.user_version = static_cast<int>(*ver);
  id.objects = *objects;
  return id;
}

Status Migrate(sql::Connection* c, int from) {
  for (const Migration& m : kMigrations) {
    if (m.version <= from) continue;
    sql::Transaction t(c);
    if (Status st = t.Begin(); !st.ok()) return st;
    // Another process may have migrated while we waited for the lock.
    auto now = c->QueryInt("PRAGMA user_version");
    if (!now.ok()) return now.status();
    if (*now >= m.version) continue;
    if (Status st = c->Exec(m.sql); !st.ok()) {
      if (st.code() == Status::Code::kCorrupt) return st;
      return Status::IoError(fmt::format("schema migration to version {} ({}) failed: {}", m.version, m.what,
                                         st.message()));
    }
    std::string tail = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};", kApplicationId, m.version);
    if (Status st = c->Exec(tail); !st.ok()) return st;
    if (Status st = t.Commit(); !st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace portscope::store::schema
