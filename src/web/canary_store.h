// The canary's database as the web server reads it: opened on demand (the
// canary may start after the server, or never), read through a small pool
// of connections so that concurrent requests do not queue on one SQLite
// handle, and reopened when a query fails. Thread-safe.
#ifndef PORTSCOPE_WEB_CANARY_STORE_H_
#define PORTSCOPE_WEB_CANARY_STORE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/database.h"

namespace portscope::web {

class CanaryStore {
 public:
  /// `max_connections`: SQLite handles kept open at most (each holds its
  /// page cache, ~2 MiB at SQLite's default); requests beyond wait for one.
  explicit CanaryStore(std::string path, size_t max_connections = 4);
  ~CanaryStore();

  /// Runs `f` on an open database. kNotFound when there is no database at
  /// path() (yet); the open error for a damaged or foreign file.
  Status With(const std::function<Status(store::Database&)>& f);

  const std::string& path() const { return path_; }

 private:
  Result<std::unique_ptr<store::Database>> Take();
  void Give(std::unique_ptr<store::Database> db);

  const std::string path_;
  const size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<store::Database>> idle_;
  size_t open_ = 0;  // connections in use or idle
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_CANARY_STORE_H_
