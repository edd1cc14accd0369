#include "web/canary_store.h"

namespace portscope::web {

CanaryStore::CanaryStore(std::string path, size_t max_connections)
    : path_(std::move(path)), max_(std::max<size_t>(1, max_connections)) {}

CanaryStore::~CanaryStore() = default;

Result<std::unique_ptr<store::Database>> CanaryStore::Take() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
    ++open_;
  }
  // Opened outside the lock: opening reads the schema (and may wait on the
  // canary's write lock to migrate an old file).
  auto db = store::Database::Open(path_, store::OpenOptions{});
  if (!db.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
  }
  return db;
}

void CanaryStore::Give(std::unique_ptr<store::Database> db) {
  std::lock_guard lock(mu_);
  if (db) idle_.push_back(std::move(db));
  else --open_;
  cv_.notify_one();
}

Status CanaryStore::With(const std::function<Status(store::Database&)>& f) {
  auto db = Take();
  if (!db.ok()) return db.status();
  Status st = f(**db);
  // A failed query may mean the file was replaced (moved aside as damaged,
  // deleted): the next request opens it afresh.
  Give(st.ok() ? std::move(*db) : nullptr);
  return st;
}

}  // namespace portscope::web
