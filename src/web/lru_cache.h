// A bounded, thread-safe least-recently-used cache of immutable values.
//
// The web pages cache what they render from registry facts, which do not
// change while the process runs; the cache only bounds the memory that an
// enumeration of every port could otherwise fill. Values are handed out as
// shared_ptr<const V>, so an entry evicted while a request still sends it
// stays alive until that request is done.
#ifndef PORTSCOPE_WEB_LRU_CACHE_H_
#define PORTSCOPE_WEB_LRU_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace portscope::web {

template <typename K, typename V>
class LruCache {
 public:
  /// REQUIRES: capacity > 0.
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  /// The value for `key`, or null; a hit makes the entry the most recent.
  std::shared_ptr<const V> Get(const K& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second->second;
  }

  /// Stores `value` under `key` (replacing any), evicting the least recently
  /// used entry when full. Returns the stored value.
  std::shared_ptr<const V> Put(const K& key, V value) {
    auto ptr = std::make_shared<const V>(std::move(value));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = ptr;
      order_.splice(order_.begin(), order_, it->second);
      return ptr;
    }
    order_.emplace_front(key, ptr);
    index_.emplace(key, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      evictions_.fetch_add(1, std::memory_order_relaxed);
    }
    return ptr;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return order_.size();
  }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  using Entry = std::pair<K, std::shared_ptr<const V>>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<K, typename std::list<Entry>::iterator> index_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, evictions_{0};
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_LRU_CACHE_H_
