#include "store/sqlite.h"

#include <fmt/format.h>

#include <utility>

#include "base/text.h"

namespace portscope::store::sql {

Status Error(sqlite3* db, int rc, std::string_view context) {
  std::string what = db && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  std::string where = file && *file ? fmt::format("{}: ", EscapeForTerminal(file)) : "";
  std::string msg = fmt::format("{}{}: {}", where, context, what);
  int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corrupt(std::move(msg));
  return Status::IoError(std::move(msg));
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
  }
  return *this;
}

bool Statement::Step(Status* st) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    *st = Error(db_, rc, "query failed");
    sqlite3_reset(stmt_);
  }
  return false;
}

Status Statement::Run() {
  Status st;
  while (Step(&st)) {
  }
  sqlite3_reset(stmt_);
  return st;
}

std::string_view Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

std::string_view Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

Status Connection::Open(const std::string& path, int flags) {
  // Memory statistics take a global mutex on every allocation; portscope
  // never reads them. Only possible before SQLite initializes (else a no-op).
  static const int kConfigured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kConfigured;
  Close();
  path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = Error(db_, rc, "cannot open");
    Close();
    return st;
  }
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

void Connection::Close() {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status Connection::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    return Error(db_, rc, "statement failed");
  }
  return Status::Ok();
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return Error(db_, rc, "cannot prepare a query");
  return Statement(db_, s);
}

Result<int64_t> Connection::QueryInt(std::string_view sql) {
  auto s = Prepare(sql);
  if (!s.ok()) return s.status();
  Status st;
  int64_t v = s->Step(&st) ? s->Int(0) : 0;
  if (!st.ok()) return st;
  return v;
}

Result<std::string> Connection::QueryText(std::string_view sql) {
  auto s = Prepare(sql);
  if (!s.ok()) return s.status();
  Status st;
  std::string v = s->Step(&st) ? std::string(s->Text(0)) : std::string();
  if (!st.ok()) return st;
  return v;
}

Transaction::~Transaction() {
  if (open_) (void)c_->Exec("ROLLBACK");
}

Status Transaction::Begin() {
  Status st = c_->Exec("BEGIN IMMEDIATE");
  open_ = st.ok();
  return st;
}

Status Transaction::Commit() {
  Status st = c_->Exec("COMMIT");
  if (st.ok()) open_ = false;
  return st;
}

}  // namespace portscope::store::sql
