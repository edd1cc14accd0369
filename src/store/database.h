// Database: the canary's SQLite store, one file. The writer's default sink and
// what `portscope events`, `alerts`, `report` and the web pages read.
//
// The file is in WAL mode with synchronous=NORMAL: a batch is one transaction,
// readers never block the writer, and a killed process leaves a consistent
// database that has every committed batch (a power cut may lose the last
// ones, never the file's consistency). Its schema is versioned with
// PRAGMA user_version and migrated forward on open (schema.h); it carries
// PRAGMA application_id "PSCN" so that another SQLite file is refused, not
// written into.
//
// Thread safety: one thread at a time (the writer's thread while a Writer
// owns it). Several processes may open the same file (one canary writing,
// any number of readers).
#ifndef PORTSCOPE_STORE_DATABASE_H_
#define PORTSCOPE_STORE_DATABASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/event.h"
#include "store/query.h"
#include "store/sink.h"
#include "store/sqlite.h"

namespace portscope::store {

struct RetentionOptions {
  /// Rows older than this go (events by their first probe, scans by their
  /// last). 0 keeps them forever.
  uint64_t max_age_s = 30 * 86400;
  /// Past this many bytes of used pages the oldest events go (then the oldest
  /// scans, if events alone are not enough); freed pages are returned to the
  /// file system. 0: no limit. The -wal file (up to journal_size_limit,
  /// 64 MiB) comes on top.
  uint64_t max_bytes = uint64_t{1} << 30;
  /// At most this many rows deleted per call, so that a first run over a huge
  /// old file does not stall the writer; the rest go on later calls. 0: all.
  uint64_t max_rows_per_run = 200000;
};

struct OpenOptions {
  /// The canary's mode: writes batches and runs retention. Without it the
  /// database is opened for queries (still migrated forward when the file is
  /// writable, so that a new portscope can read an old file).
  bool write = false;
  /// Write mode: create the file (mode 0640) and its directories (0750).
  bool create = false;
  /// Write mode: a file that is not a database, or fails the quick check, is
  /// renamed PATH.damaged-YYYYMMDDTHHMMSS (with its -wal) and a new database
  /// started; warnings() says so. Otherwise such a file is refused.
  bool move_aside_damaged = false;
  /// Run PRAGMA quick_check on open (reads the whole file: seconds per GiB).
  bool quick_check = false;
  /// Payload bytes kept per event; longer payloads are cut and flagged.
  size_t max_payload = 4096;
  RetentionOptions retention;  // what Maintain() applies
  // Written into this writer's row of the runs table.
  std::string sensor;
  std::string version;
};

struct RetentionResult {
  uint64_t events_deleted = 0;
  uint64_t alerts_deleted = 0;
  uint64_t used_bytes_before = 0;
  uint64_t used_bytes_after = 0;
  bool incomplete = false;  // stopped at max_rows_per_run
};

class Database : public Sink {
 public:
  /// Errors: kNotFound "no canary database at PATH" (missing and not
  /// created); kCorrupt for a damaged file or one that is not a portscope
  /// database; kIoError for permissions, a newer schema, a read-only file
  /// that needs migrating.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, const OpenOptions& options);
  ~Database() override;

  std::string_view name() const override { return "database"; }
  /// One transaction: events inserted, summaries merged into their row
  /// (count deltas added, port sets united), alerts upserted one row per
  /// (run, scan_id), the run's counters updated.
  Status Write(const Batch& batch) override;
  /// Applies OpenOptions::retention.
  Status Maintain(uint64_t now_us) override;
  Result<RetentionResult> ApplyRetention(const RetentionOptions& r, uint64_t now_us);

  /// Calls `f` for each matching row in the order EventQuery::limit says;
  /// stops early when `f` returns false.
  Status ForEachEvent(const EventQuery& q, const std::function<bool(Event&)>& f);
  Result<std::vector<Event>> QueryEvents(const EventQuery& q);
  /// Rows matching the filters, ignoring limit.
  Result<uint64_t> CountEvents(const EventQuery& q);
  Result<std::vector<AlertRecord>> QueryAlerts(const AlertQuery& q);
  Result<uint64_t> CountAlerts(const AlertQuery& q);
  Result<Report> BuildReport(const ReportQuery& q);
  /// The newest `limit` runs (0: all), newest first.
  Result<std::vector<RunRecord>> QueryRuns(size_t limit);
  /// Summed in SQL: one row read, however many runs the file holds.
  Result<RunTotals> SumRuns();
  /// Distinct sources with a row (event or summary) at or after `since_us`.
  Result<uint64_t> CountSources(uint64_t since_us);

  /// "ok", or SQLite's description of the damage.
  Result<std::string> CheckIntegrity();
  /// Bytes in pages that hold data (the file minus its free pages).
  Result<uint64_t> UsedBytes();

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  int schema_version() const { return schema_version_; }
  /// Things the caller should tell the user (a damaged file moved aside).
  const std::vector<std::string>& warnings() const { return warnings_; }
  /// This writer's row in the runs table (0 until the first Write).
  int64_t run_id() const { return run_id_; }

 private:
  Database(std::string path, OpenOptions options);
  Status Init();
  Status EnsureRun();
  Status InsertEvent(const Event& e);
  Status MergeSummary(const Summary& s);
  Status UpsertAlert(const AlertRecord& a);
  Status UpdateRun(const WriterCounters& c);
  Result<uint64_t> DeleteChunk(std::string_view sql, uint64_t arg, uint64_t limit);

  std::string path_;
  OpenOptions options_;
  sql::Connection conn_;
  bool read_only_ = false;
  int schema_version_ = 0;
  std::vector<std::string> warnings_;
  int64_t run_id_ = 0;
  sql::Statement insert_event_, find_summary_, insert_summary_, update_summary_, upsert_alert_, update_run_;
};

/// Where the canary's database lives unless --db says otherwise:
/// $PORTSCOPE_DB; else /var/lib/portscope/canary.db for root; else
/// $XDG_STATE_HOME/portscope/canary.db; else ~/.local/state/portscope/canary.db.
std::string DefaultDatabasePath();

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_DATABASE_H_
