// Helpers shared by database.cc and query.cc. Internal to store/.
#ifndef PORTSCOPE_STORE_DB_INTERNAL_H_
#define PORTSCOPE_STORE_DB_INTERNAL_H_

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "base/ip_address.h"

namespace portscope::store::internal {

inline std::string_view IpBlob(const IpAddress& a) {
  return std::string_view(reinterpret_cast<const char*>(a.bytes().data()), 16);
}

/// A stored address; anything but 16 bytes (a damaged row) reads as ::.
inline IpAddress IpFromBlob(std::string_view b) {
  if (b.size() != 16) return IpAddress();
  return IpAddress::V6(reinterpret_cast<const uint8_t*>(b.data()));
}

/// Registers ps_has_port(ports_blob, port) on a connection: whether a stored
/// PortSet holds the port (NULL or a damaged blob: false).
int RegisterFunctions(sqlite3* db);

/// Summary rows span at most one budget interval; a time filter looks this
/// far back for rows that began before it and ended after.
inline constexpr uint64_t kMaxSummarySpanUs = 3600ull * 1000000ull;

}  // namespace portscope::store::internal

#endif  // PORTSCOPE_STORE_DB_INTERNAL_H_
