#include "store/budget.h"

#include <algorithm>

namespace portscope::store {

SourceBudget::SourceBudget(const BudgetOptions& options, uint64_t seed)
    : options_(options),
      interval_us_(uint64_t{std::clamp<uint32_t>(options.interval_s, 1, 3600)} * 1000000u),
      map_(16, SeededIpHash{seed}) {
  options_.max_sources = std::max<uint32_t>(1, options_.max_sources);
  // At least max_sources: Expire and CollectAll finish up to every tracked
  // source into an empty queue, and must drop none.
  options_.max_finished = std::max(options_.max_sources, options_.max_finished);
}

void SourceBudget::Finish(State& s) {
  if (s.has_summary) {
    s.summary.final = true;
    if (finished_.size() >= options_.max_finished) {
      ++summaries_dropped_;
      summary_probes_dropped_ += finished_.front().count_delta;
      finished_.pop_front();
    }
    finished_.push_back(std::move(s.summary));
  }
  s.summary = Summary();
  s.has_summary = false;
  s.dirty = false;
}

bool SourceBudget::Admit(const Event& e) {
  if (options_.events_per_interval == 0) return true;
  latest_us_ = std::max(latest_us_, e.time_us);
  uint64_t bucket = e.time_us / interval_us_ * interval_us_;
  auto it = map_.find(e.src);
  State* s;
  if (it == map_.end()) {
    if (map_.size() >= options_.max_sources) {
      State& victim = lru_.front();
      Finish(victim);
      map_.erase(victim.src);
      lru_.pop_front();
      ++evicted_;
    }
    lru_.emplace_back();
    auto pos = std::prev(lru_.end());
    map_.emplace(e.src, pos);
    s = &*pos;
    s->src = e.src;
    s->bucket_us = bucket;
  } else {
    lru_.splice(lru_.end(), lru_, it->second);  // now the most recently seen
    s = &*it->second;
    if (bucket > s->bucket_us) {
      Finish(*s);
      s->bucket_us = bucket;
      s->stored = 0;
    }
    // An event from an earlier interval (producers a little out of order)
    // counts against the current one.
  }
  if (s->stored < options_.events_per_interval) {
    ++s->stored;
    return true;
  }
  ++summarized_;
  Summary& sm = s->summary;
  if (!s->has_summary) {
    s->has_summary = true;
    s->dst_mixed = false;
    sm.sensor = e.sensor;
    sm.src = e.src;
    sm.dst = e.dst;
    sm.transport = e.transport;
    sm.bucket_us = s->bucket_us;
    sm.interval_us = interval_us_;
    sm.first_us = sm.last_us = e.time_us;
  }
  ++sm.count;
  ++sm.count_delta;
  sm.first_us = std::min(sm.first_us, e.time_us);
  sm.last_us = std::max(sm.last_us, e.time_us);
  sm.ports.Insert(e.dport);
  if (sm.transport != e.transport) sm.transport = Transport::kMixed;
  if (!s->dst_mixed && sm.dst != e.dst) {
    s->dst_mixed = true;
    sm.dst = IpAddress();
  }
  s->dirty = true;
  return false;
}

void SourceBudget::Refund(const IpAddress& src) {
  if (options_.events_per_interval == 0) return;
  auto it = map_.find(src);
  if (it != map_.end() && it->second->stored > 0) --it->second->stored;
}

void SourceBudget::Expire() {
  // The list is in order of last sight, which follows event time closely:
  // walk from the oldest while their intervals are over.
  while (!lru_.empty()) {
    State& s = lru_.front();
    if (s.bucket_us + interval_us_ > latest_us_) break;
    Finish(s);
    map_.erase(s.src);
    lru_.pop_front();
  }
}

void SourceBudget::Collect(std::vector<Summary>* out) {
  for (State& s : lru_) {  // at most max_sources
    if (!s.dirty) continue;
    s.dirty = false;
    out->push_back(s.summary);
    s.summary.count_delta = 0;
  }
  // Those finished since the last call, then those Expire finishes (at most
  // max_sources <= max_finished, into the queue just emptied: none dropped).
  TakeFinished(out);
  Expire();
  TakeFinished(out);
}

void SourceBudget::CollectAll(std::vector<Summary>* out) {
  TakeFinished(out);
  for (State& s : lru_) Finish(s);
  lru_.clear();
  map_.clear();
  TakeFinished(out);
}

void SourceBudget::TakeFinished(std::vector<Summary>* out) {
  for (Summary& f : finished_) out->push_back(std::move(f));
  finished_.clear();
}

}  // namespace portscope::store
