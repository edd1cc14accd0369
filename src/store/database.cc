// Opening (identify, move aside, migrate), writing batches and retention.
// Queries are in query.cc.
#include "store/database.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "base/text.h"
#include "store/db_internal.h"
#include "store/port_set.h"
#include "store/schema.h"
#include "store/time_text.h"

namespace portscope::store {
namespace {

using internal::IpBlob;
using internal::IpFromBlob;

std::string Esc(const std::string& s) { return EscapeForTerminal(s); }

std::string_view Capped(std::string_view s, size_t max) { return s.substr(0, std::min(s.size(), max)); }

Status MakeParentDirs(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::Ok();
  std::error_code ec;
  if (std::filesystem::is_directory(parent, ec)) return Status::Ok();
  // Each directory we create is 0750: payloads are what strangers sent, and
  // not for every local user.
  std::filesystem::path partial;
  for (const auto& part : parent) {
    partial /= part;
    if (mkdir(partial.c_str(), 0750) != 0 && errno != EEXIST)
      return Status::PosixError("cannot create " + Esc(partial.string()), errno);
  }
  return Status::Ok();
}

std::string Stamp() {
  time_t now = time(nullptr);
  tm t;
  gmtime_r(&now, &t);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &t);
  return buf;
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

Database::Database(std::string path, OpenOptions options) : path_(std::move(path)), options_(std::move(options)) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const OpenOptions& options) {
  if (path.empty()) return Status::InvalidArgument("the database path is empty");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::PosixError("cannot open the canary database " + Esc(path), errno);
    if (!options.write || !options.create)
      return Status::NotFound(fmt::format("no canary database at {}", Esc(path)));
    if (Status s = MakeParentDirs(path); !s.ok()) return s;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 && errno != EEXIST) return Status::PosixError("cannot create " + Esc(path), errno);
    if (fd >= 0) close(fd);
  } else if (S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(fmt::format("{} is a directory, not a canary database", Esc(path)));
  }

  std::unique_ptr<Database> db(new Database(path, options));
  Status s = db->Init();
  if (!s.ok() && s.code() == Status::Code::kCorrupt && options.write && options.move_aside_damaged) {
    db.reset();
    std::string aside = path + ".damaged-" + Stamp();
    if (rename(path.c_str(), aside.c_str()) != 0)
      return Status::PosixError(fmt::format("{} ({}); cannot move it aside", s.message(), Esc(path)), errno);
    for (const char* suffix : {"-wal", "-journal"}) (void)rename((path + suffix).c_str(), (aside + suffix).c_str());
    (void)unlink((path + "-shm").c_str());
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return Status::PosixError("cannot create " + Esc(path), errno);
    close(fd);
    db.reset(new Database(path, options));
    Status again = db->Init();
    if (!again.ok()) return again;
    db->warnings_.push_back(fmt::format("the canary database was damaged ({}); it was moved to {} and a new one started",
                                        s.message(), Esc(aside)));
    return db;
  }
  if (!s.ok()) return s;
  return db;
}

Status Database::Init() {
  // NOMUTEX: a Database is used by one thread at a time (its contract), so
  // SQLite's per-call locking would be pure cost (10% of the write path).
  if (Status s = conn_.Open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX); !s.ok()) return s;
  sqlite3_busy_timeout(conn_.get(), 5000);
  read_only_ = sqlite3_db_readonly(conn_.get(), "main") == 1;
  if (options_.write && read_only_)
    return Status::IoError(fmt::format("{}: cannot write to the canary database (permission denied)", Esc(path_)));

  auto id = schema::Identify(&conn_);
  if (!id.ok()) {
    if (id.status().code() == Status::Code::kCorrupt)
      return Status::Corrupt(fmt::format("{} is not a usable portscope canary database: {}", Esc(path_),
                                         id.status().message()));
    return id.status();
  }
  bool fresh = id->application_id == 0 && id->user_version == 0 && id->objects == 0;
  if (!fresh && id->application_id != schema::kApplicationId)
    return Status::Corrupt(fmt::format(
        "{} is not a portscope canary database (an SQLite file with application_id {:#x} and {} schema objects)",
        Esc(path_), static_cast<uint32_t>(id->application_id), id->objects));
  if (id->user_version > schema::LatestVersion())
    return Status::IoError(fmt::format(
        "{} has schema version {}, newer than this portscope understands ({}); use a newer portscope",
        Esc(path_), id->user_version, schema::LatestVersion()));

  // An empty file (a canary stopped before its first write) is an empty
  // database, but queries never write to it: only the canary's write mode
  // creates the schema in the file. A query gets an empty schema in memory.
  if (fresh && !options_.write) {
    if (Status s = conn_.Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX); !s.ok())
      return s;
    read_only_ = false;
  }
  if (!read_only_ && fresh) {
    // Only possible before the first table and before the WAL switch writes
    // the header: lets retention give deleted pages back to the file system
    // (PRAGMA incremental_vacuum).
    if (Status s = conn_.Exec("PRAGMA auto_vacuum = INCREMENTAL"); !s.ok()) return s;
  }
  if (!read_only_) {
    // WAL: readers do not block the writer; with synchronous=NORMAL a commit
    // is a write(2) to the WAL, durable against a crash of the process.
    auto mode = conn_.QueryText("PRAGMA journal_mode = WAL");
    if (!mode.ok()) return mode.status();
    if (Status s = conn_.Exec("PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864;"); !s.ok())
      return s;
  }
  if (Status s = conn_.Exec("PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;"); !s.ok()) return s;

  schema_version_ = id->user_version;
  if (schema_version_ < schema::LatestVersion()) {
    if (read_only_) {
      if (fresh) return Status::NotFound(fmt::format("no canary database at {} (the file is empty)", Esc(path_)));
      return Status::IoError(fmt::format(
          "{} has schema version {} and needs upgrading to {}, but this user cannot write to it; run portscope as its owner",
          Esc(path_), schema_version_, schema::LatestVersion()));
    }
    if (Status s = schema::Migrate(&conn_, schema_version_); !s.ok()) return s;
    schema_version_ = schema::LatestVersion();
  }
  if (options_.quick_check) {
    auto r = conn_.QueryText("PRAGMA quick_check");
    if (!r.ok()) return r.status();
    if (*r != "ok") return Status::Corrupt(fmt::format("{} is damaged: {}", Esc(path_), EscapeForTerminal(*r)));
  }
  if (internal::RegisterFunctions(conn_.get()) != SQLITE_OK)
    return Status::IoError("cannot register SQL functions on " + Esc(path_));
  return Status::Ok();
}

Status Database::EnsureRun() {
  if (run_id_ != 0) return Status::Ok();
  auto s = conn_.Prepare(
      "INSERT INTO runs(started_us, updated_us, sensor, hostname, pid, version) VALUES(?1, ?1, ?2, ?3, ?4, ?5)");
  if (!s.ok()) return s.status();
  s->Bind(1, NowUs());
  s->BindText(2, Capped(options_.sensor, kMaxTextField));
  s->BindText(3, Hostname());
  s->Bind(4, static_cast<int64_t>(getpid()));
  s->BindText(5, options_.version);
  if (Status st = s->Run(); !st.ok()) return st;
  run_id_ = conn_.last_insert_rowid();
  return Status::Ok();
}

Status Database::InsertEvent(const Event& e) {
  if (!insert_event_.valid()) {
    auto s = conn_.Prepare(
        "INSERT INTO events(time_us, sensor, src, sport, dst, dport, transport, tcp_flags, action, payload, "
        "payload_truncated, service, count, last_us, port_count) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?1, 1)");
    if (!s.ok()) return s.status();
    insert_event_ = std::move(*s);
  }
  sql::Statement& s = insert_event_;
  bool cut = e.payload.size() > options_.max_payload;
  s.Bind(1, e.time_us);
  s.BindText(2, Capped(e.sensor, kMaxTextField));
  s.BindBlob(3, IpBlob(e.src));
  s.Bind(4, uint32_t{e.sport});
  s.BindBlob(5, IpBlob(e.dst));
  s.Bind(6, uint32_t{e.dport});
  s.BindText(7, TransportName(e.transport));
  s.Bind(8, uint32_t{e.tcp_flags});
  s.BindText(9, Capped(e.action, kMaxTextField));
  s.BindBlob(10, Capped(e.payload, options_.max_payload));
  s.Bind(11, int{e.payload_truncated || cut});
  s.BindText(12, Capped(e.service, kMaxTextField));
  return s.Run();
}

Status Database::MergeSummary(const Summary& sm) {
  if (sm.count_delta == 0) return Status::Ok();
  if (!find_summary_.valid()) {
    auto f = conn_.Prepare(
        "SELECT id, count, time_us, last_us, ports FROM events "
        "WHERE action = 'summary' AND src = ?1 AND sensor = ?2 AND bucket_us = ?3");
    if (!f.ok()) return f.status();
    find_summary_ = std::move(*f);
    auto i = conn_.Prepare(
        "INSERT INTO events(time_us, sensor, src, sport, dst, dport, transport, tcp_flags, action, payload, "
        "payload_truncated, service, count, last_us, port_count, ports, bucket_us) "
        "VALUES(?1, ?2, ?3, 0, ?4, ?5, ?6, 0, 'summary', x'', 0, '', ?7, ?8, ?9, ?10, ?11)");
    if (!i.ok()) return i.status();
    insert_summary_ = std::move(*i);
    auto u = conn_.Prepare(
        "UPDATE events SET count = ?2, time_us = ?3, last_us = ?4, port_count = ?5, ports = ?6, "
        "dst = CASE WHEN dst = ?7 THEN dst ELSE zeroblob(16) END, "
        "dport = CASE WHEN ?5 = 1 THEN dport ELSE 0 END, "
        "transport = CASE WHEN transport = ?8 THEN transport ELSE 'mixed' END WHERE id = ?1");
    if (!u.ok()) return u.status();
    update_summary_ = std::move(*u);
  }
  std::string sensor(Capped(sm.sensor, kMaxTextField));
  find_summary_.BindBlob(1, IpBlob(sm.src));
  find_summary_.BindText(2, sensor);
  find_summary_.Bind(3, sm.bucket_us);
  Status st;
  if (find_summary_.Step(&st)) {
    int64_t id = find_summary_.Int(0);
    uint64_t count = find_summary_.U64(1) + sm.count_delta;
    uint64_t first = std::min(find_summary_.U64(2), sm.first_us);
    uint64_t last = std::max(find_summary_.U64(3), sm.last_us);
    PortSet ports;
    (void)PortSet::Decode(find_summary_.Blob(4), &ports);  // a damaged set: keep what is readable
    find_summary_.Reset();
    ports.Merge(sm.ports);
    sql::Statement& u = update_summary_;
    u.Bind(1, id);
    u.Bind(2, count);
    u.Bind(3, first);
    u.Bind(4, last);
    u.Bind(5, static_cast<uint64_t>(ports.size()));
    u.BindBlob(6, ports.Encode());
    u.BindBlob(7, IpBlob(sm.dst));
    u.BindText(8, TransportName(sm.transport));
    return u.Run();
  }
  find_summary_.Reset();
  if (!st.ok()) return st;
  sql::Statement& i = insert_summary_;
  i.Bind(1, sm.first_us);
  i.BindText(2, sensor);
  i.BindBlob(3, IpBlob(sm.src));
  i.BindBlob(4, IpBlob(sm.dst));
  i.Bind(5, uint32_t{sm.ports.size() == 1 ? sm.ports.ToVector()[0] : uint16_t{0}});
  i.BindText(6, TransportName(sm.transport));
  i.Bind(7, sm.count_delta);
  i.Bind(8, sm.last_us);
  i.Bind(9, static_cast<uint64_t>(sm.ports.size()));
  i.BindBlob(10, sm.ports.Encode());
  i.Bind(11, sm.bucket_us);
  return i.Run();
}

Status Database::UpsertAlert(const AlertRecord& a) {
  if (!upsert_alert_.valid()) {
    // One row per scan: the latest alert wins, the first one's time stays
    // as started_us, and the seen range only widens.
    auto s = conn_.Prepare(
        "INSERT INTO alerts(run_id, scan_id, sensor, phase, started_us, updated_us, source, kind, shape, "
        "algorithms, first_seen_us, last_seen_us, probes, port_count, host_count, ports, hosts, evidence, "
        "tool_hint, ended_reason) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) "
        "ON CONFLICT(run_id, scan_id) DO UPDATE SET phase = excluded.phase, updated_us = excluded.updated_us, "
        "sensor = excluded.sensor, source = excluded.source, kind = excluded.kind, shape = excluded.shape, "
        "algorithms = excluded.algorithms, first_seen_us = min(first_seen_us, excluded.first_seen_us), "
        "last_seen_us = max(last_seen_us, excluded.last_seen_us), probes = excluded.probes, "
        "port_count = excluded.port_count, host_count = excluded.host_count, ports = excluded.ports, "
        "hosts = excluded.hosts, evidence = excluded.evidence, tool_hint = excluded.tool_hint, "
        "ended_reason = excluded.ended_reason");
    if (!s.ok()) return s.status();
    upsert_alert_ = std::move(*s);
  }
  PortSet ports;
  for (size_t i = 0; i < a.ports.size() && ports.size() < kMaxAlertPorts; ++i) ports.Insert(a.ports[i]);
  std::string hosts;
  for (size_t i = 0; i < a.hosts.size() && i < kMaxAlertHosts; ++i) hosts += IpBlob(a.hosts[i]);
  sql::Statement& s = upsert_alert_;
  s.Bind(1, run_id_);
  s.Bind(2, a.scan_id);
  s.BindText(3, Capped(a.sensor, kMaxTextField));
  s.BindText(4, AlertPhaseName(a.phase));
  s.Bind(5, a.time_us);
  s.BindBlob(6, IpBlob(a.source));
  s.BindText(7, ScanKindName(a.kind));
  s.BindText(8, ScanShapeName(a.shape));
  s.BindText(9, Capped(JoinAlgorithms(a.algorithms), kMaxTextField));
  s.Bind(10, a.first_seen_us);
  s.Bind(11, a.last_seen_us);
  s.Bind(12, a.probes);
  s.Bind(13, a.port_count);
  s.Bind(14, a.host_count);
  s.BindBlob(15, ports.Encode());
  s.BindBlob(16, hosts);
  s.BindText(17, Capped(a.evidence, kMaxTextField));
  s.BindText(18, Capped(a.tool_hint, kMaxTextField));
  s.BindText(19, Capped(a.ended_reason, kMaxTextField));
  return s.Run();
}

Status Database::UpdateRun(const WriterCounters& c) {
  if (!update_run_.valid()) {
    auto s = conn_.Prepare(
        "UPDATE runs SET updated_us = ?2, events_enqueued = ?3, events_dropped = ?4, events_summarized = ?5, "
        "alerts_enqueued = ?6, alerts_dropped = ?7, sources_evicted = ?8, sink_errors = ?9 WHERE id = ?1");
    if (!s.ok()) return s.status();
    update_run_ = std::move(*s);
  }
  sql::Statement& s = update_run_;
  s.Bind(1, run_id_);
  s.Bind(2, NowUs());
  s.Bind(3, c.events_enqueued);
  s.Bind(4, c.events_dropped);
  s.Bind(5, c.events_summarized);
  s.Bind(6, c.alerts_enqueued);
  s.Bind(7, c.alerts_dropped);
  s.Bind(8, c.sources_evicted);
  s.Bind(9, c.sink_errors);
  return s.Run();
}

Status Database::Write(const Batch& batch) {
  if (read_only_) return Status::IoError(fmt::format("{}: the database is open read-only", Esc(path_)));
  if (batch.empty() && !batch.has_counters) return Status::Ok();
  sql::Transaction t(&conn_);
  if (Status s = t.Begin(); !s.ok()) return s;
  if (Status s = EnsureRun(); !s.ok()) return s;
  for (const Event& e : batch.events)
    if (Status s = InsertEvent(e); !s.ok()) return s;
  for (const Summary& sm : batch.summaries)
    if (Status s = MergeSummary(sm); !s.ok()) return s;
  for (const AlertRecord& a : batch.alerts)
    if (Status s = UpsertAlert(a); !s.ok()) return s;
  if (batch.has_counters)
    if (Status s = UpdateRun(batch.counters); !s.ok()) return s;
  return t.Commit();
}

Result<uint64_t> Database::UsedBytes() {
  auto pages = conn_.QueryInt("PRAGMA page_count");
  if (!pages.ok()) return pages.status();
  auto free_pages = conn_.QueryInt("PRAGMA freelist_count");
  if (!free_pages.ok()) return free_pages.status();
  auto size = conn_.QueryInt("PRAGMA page_size");
  if (!size.ok()) return size.status();
  return static_cast<uint64_t>(std::max<int64_t>(0, *pages - *free_pages) * *size);
}

Result<std::string> Database::CheckIntegrity() { return conn_.QueryText("PRAGMA integrity_check"); }

// Deletes up to `limit` rows chosen by `sql` (which takes ?1 = arg and
// ?2 = limit) in one transaction; returns how many went.
Result<uint64_t> Database::DeleteChunk(std::string_view sql_text, uint64_t arg, uint64_t limit) {
  sql::Transaction t(&conn_);
  if (Status s = t.Begin(); !s.ok()) return s;
  auto s = conn_.Prepare(sql_text);
  if (!s.ok()) return s.status();
  s->Bind(1, arg);
  s->Bind(2, limit);
  if (Status st = s->Run(); !st.ok()) return st;
  uint64_t n = static_cast<uint64_t>(conn_.changes());
  if (Status st = t.Commit(); !st.ok()) return st;
  return n;
}

Result<RetentionResult> Database::ApplyRetention(const RetentionOptions& r, uint64_t now_us) {
  if (read_only_) return Status::IoError(fmt::format("{}: the database is open read-only", Esc(path_)));
  RetentionResult out;
  auto used = UsedBytes();
  if (!used.ok()) return used.status();
  out.used_bytes_before = out.used_bytes_after = *used;
  // Deletes go in chunks of their own transactions so that readers and the
  // writer's next batch wait for one chunk at most.
  constexpr uint64_t kChunk = 5000;
  uint64_t budget = r.max_rows_per_run ? r.max_rows_per_run : UINT64_MAX;
  auto take = [&](uint64_t n) { return std::min(n, budget); };

  if (r.max_age_s) {
    uint64_t cutoff = now_us > r.max_age_s * 1000000u ? now_us - r.max_age_s * 1000000u : 0;
    while (budget > 0) {
      auto n = DeleteChunk(
          "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_us < ?1 ORDER BY time_us LIMIT ?2)",
          cutoff, take(kChunk));
      if (!n.ok()) return n.status();
      out.events_deleted += *n;
      budget -= *n;
      if (*n == 0) break;
    }
    while (budget > 0) {
      auto n = DeleteChunk(
          "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE last_seen_us < ?1 ORDER BY last_seen_us LIMIT ?2)",
          cutoff, take(kChunk));
      if (!n.ok()) return n.status();
      out.alerts_deleted += *n;
      budget -= *n;
      if (*n == 0) break;
    }
    auto runs = conn_.Prepare(
        "DELETE FROM runs WHERE updated_us < ?1 AND id != ?2 AND id NOT IN (SELECT run_id FROM alerts)");
    if (!runs.ok()) return runs.status();
    runs->Bind(1, cutoff);
    runs->Bind(2, run_id_);
    if (Status st = runs->Run(); !st.ok()) return st;
  }

  if (r.max_bytes) {
    for (int rounds = 0; budget > 0 && rounds < 1000; ++rounds) {
      auto now_used = UsedBytes();
      if (!now_used.ok()) return now_used.status();
      if (*now_used <= r.max_bytes) break;
      // Rows are deleted oldest first (by id, the order they were written),
      // as many as the excess suggests plus a margin, then measured again.
      auto lo = conn_.QueryInt("SELECT coalesce(min(id), 0) FROM events");
      auto hi = conn_.QueryInt("SELECT coalesce(max(id), 0) FROM events");
      if (!lo.ok()) return lo.status();
      if (!hi.ok()) return hi.status();
      double excess = static_cast<double>(*now_used - r.max_bytes) / static_cast<double>(*now_used);
      uint64_t span = static_cast<uint64_t>(*hi - *lo + 1);
      uint64_t want = std::clamp<uint64_t>(static_cast<uint64_t>(excess * static_cast<double>(span) * 1.05) + 64,
                                           64, 50000);
      uint64_t n = 0;
      if (*hi > 0) {
        auto d = DeleteChunk("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id >= ?1 ORDER BY id LIMIT ?2)",
                             static_cast<uint64_t>(*lo), take(want));
        if (!d.ok()) return d.status();
        n = *d;
        out.events_deleted += n;
      } else {
        auto d = DeleteChunk(
            "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE last_seen_us >= ?1 ORDER BY last_seen_us LIMIT ?2)",
            0, take(std::min<uint64_t>(want, 1000)));
        if (!d.ok()) return d.status();
        n = *d;
        out.alerts_deleted += n;
      }
      budget -= std::min(budget, n);
      if (n == 0) break;
      // Free pages inside the file would not count as used, but the deletes
      // only shrink the file once they are given back.
      if (Status st = conn_.Exec("PRAGMA incremental_vacuum"); !st.ok()) return st;
    }
  }
  out.incomplete = budget == 0;
  if (out.events_deleted + out.alerts_deleted > 0)
    if (Status st = conn_.Exec("PRAGMA incremental_vacuum"); !st.ok()) return st;
  auto after = UsedBytes();
  if (!after.ok()) return after.status();
  out.used_bytes_after = *after;
  return out;
}

Status Database::Maintain(uint64_t now_us) {
  auto r = ApplyRetention(options_.retention, now_us);
  return r.ok() ? Status::Ok() : r.status();
}

std::string DefaultDatabasePath() {
  if (const char* p = std::getenv("PORTSCOPE_DB"); p && *p) return p;
  if (geteuid() == 0) return "/var/lib/portscope/canary.db";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/') return std::string(x) + "/portscope/canary.db";
  const char* home = std::getenv("HOME");
  std::string h = home && *home ? home : "";
  if (h.empty()) {
    if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_dir) h = pw->pw_dir;
  }
  if (h.empty()) return "canary.db";
  return h + "/.local/state/portscope/canary.db";
}

}  // namespace portscope::store
