// A thin RAII layer over the SQLite C API for store/: a connection, prepared
// statements with typed binds and reads, and one place where SQLite result
// codes become a Status with context. Internal to store/.
//
// Thread safety: a Connection and its Statements belong to one thread at a time.
#ifndef PORTSCOPE_STORE_SQLITE_H_
#define PORTSCOPE_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace portscope::store::sql {

/// A Status for SQLite result code `rc`. SQLITE_CORRUPT and SQLITE_NOTADB give
/// kCorrupt, everything else kIoError; the message carries `context`, the
/// path and SQLite's own words.
Status Error(sqlite3* db, int rc, std::string_view context);

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  ~Statement() { sqlite3_finalize(stmt_); }

  bool valid() const { return stmt_ != nullptr; }
  // Binds are 1-based like SQLite's.
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, uint64_t v) { sqlite3_bind_int64(stmt_, i, static_cast<int64_t>(v)); }
  void Bind(int i, uint32_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, int v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindText(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  /// An empty blob binds as a zero-length BLOB, not NULL.
  void BindBlob(int i, std::string_view s) {
    sqlite3_bind_blob(stmt_, i, s.empty() ? "" : s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }

  /// Runs one step: true with a row to read, false when done; `*st` is set
  /// on failure (and the statement is reset).
  bool Step(Status* st);
  /// Steps a statement that returns no rows.
  Status Run();
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  uint64_t U64(int col) const { return static_cast<uint64_t>(sqlite3_column_int64(stmt_, col)); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const;
  std::string_view Blob(int col) const;

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { Close(); }

  /// `flags` as for sqlite3_open_v2.
  Status Open(const std::string& path, int flags);
  void Close();
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  /// Runs one or more statements with no results.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  /// The first column of the first row as an integer (0 when no row).
  Result<int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection* c) : c_(c) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status Begin();
  Status Commit();

 private:
  Connection* c_;
  bool open_ = false;
};

}  // namespace portscope::store::sql

#endif  // PORTSCOPE_STORE_SQLITE_H_
