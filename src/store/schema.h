// The database's schema and how it moves forward: an ordered list of
// migrations, each run once in its own transaction that also sets
// PRAGMA user_version to its number. A new database runs them all, so the
// upgrade path is the creation path and is exercised by every test.
// Internal to store/.
#ifndef PORTSCOPE_STORE_SCHEMA_H_
#define PORTSCOPE_STORE_SCHEMA_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"
#include "store/sqlite.h"

namespace portscope::store::schema {

/// PRAGMA application_id of a portscope canary database ("PSCN").
inline constexpr int32_t kApplicationId = 0x5053434E;

struct Migration {
  int version;           // user_version after it ran
  std::string_view what;  // one line, for messages
  std::string_view sql;
};

std::span<const Migration> Migrations();
int LatestVersion();

/// What the file holds before any migration.
struct Identity {
  int32_t application_id = 0;
  int user_version = 0;
  int64_t objects = 0;  // entries in sqlite_schema
};
Result<Identity> Identify(sql::Connection* c);

/// Brings a database at `from` to LatestVersion(). REQUIRES: a writable
/// connection and from < LatestVersion().
Status Migrate(sql::Connection* c, int from);

}  // namespace portscope::store::schema

#endif  // PORTSCOPE_STORE_SCHEMA_H_
