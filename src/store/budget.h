// SourceBudget: how many events each source may have stored one by one per
// interval, and the exact summary of the rest.
//
// Under a flood, a source gets `events_per_interval` rows per interval; every
// further probe of that interval only updates the source's summary (count,
// first and last time, distinct ports), which becomes one row. So a single
// scanner sending 100,000 probes a second costs the database 600 rows and one
// summary a minute, and the counts stay exact.
//
// Intervals are aligned to multiples of interval_s in the events' own time
// (time comes with each event, so a replayed capture is budgeted as it
// happened). A source's state is dropped when its interval is over and an
// event at least that late has been seen, or, when max_sources are tracked,
// the least recently seen source is evicted (its summary is finished; if it
// returns in the same interval it starts a new budget, and the database adds
// the two summaries into one row).
//
// Memory: about 200 bytes per tracked source, plus its summary's port set
// (2 bytes a port up to 512 ports, then 8 KiB): at most max_sources * 8.2 KiB
// (33 MiB at the default 4,096), reached only when every tracked source is
// over budget on more than 512 ports; plus finished summaries waiting for
// Collect (at most max_finished, the oldest dropped and counted; ~250 bytes
// each while they list few ports).
//
// Not thread-safe: the Writer calls it under its queue lock.
#ifndef PORTSCOPE_STORE_BUDGET_H_
#define PORTSCOPE_STORE_BUDGET_H_

#include <cstdint>
#include <deque>
#include <list>
#include <unordered_map>
#include <vector>

#include "store/event.h"
#include "store/sink.h"

namespace portscope::store {

struct BudgetOptions {
  /// Events stored one by one per source and interval; 0 stores every event
  /// (no summaries). Lower means a smaller database under a flood and less
  /// detail (payloads, exact times) beyond the first probes.
  uint32_t events_per_interval = 600;
  /// Interval length, 1..3600 s. Longer intervals mean fewer summary rows and
  /// coarser ones.
  uint32_t interval_s = 60;
  /// Sources tracked at once (see Memory above). Past it the least recently
  /// seen source is evicted, which restarts its budget.
  uint32_t max_sources = 4096;
  /// Finished summaries (an interval over, a source evicted) waiting for the
  /// writer's next Collect. Source churn finishes many between two commits;
  /// past this (the writer stalled) the oldest is dropped and counted.
  uint32_t max_finished = 65536;
};

class SourceBudget {
 public:
  /// `seed` keys the hash of source addresses, so that an attacker cannot
  /// choose addresses that collide (pass a random value).
  SourceBudget(const BudgetOptions& options, uint64_t seed);

  /// Counts `e` against its source: true when it should be stored, false
  /// when it went into the source's summary instead.
  bool Admit(const Event& e);
  /// Gives back the slot of an admitted event that could not be stored
  /// after all (the queue was full), so the budget counts stored rows.
  void Refund(const IpAddress& src);

  /// Appends every summary with probes not yet reported (count_delta > 0)
  /// and finishes (final = true) those whose interval is over: sources whose
  /// interval ended before the latest event time seen, and evicted ones.
  void Collect(std::vector<Summary>* out);
  /// Appends every open summary as final and forgets every source (shutdown).
  void CollectAll(std::vector<Summary>* out);

  size_t tracked() const { return map_.size(); }
  uint64_t evicted() const { return evicted_; }
  uint64_t summarized() const { return summarized_; }
  uint64_t latest_us() const { return latest_us_; }
  /// Finished summaries wait for Collect in a queue of at most max_finished;
  /// past it (the writer stalled while sources kept changing) the oldest is
  /// dropped, and counted with the probes it held.
  uint64_t summaries_dropped() const { return summaries_dropped_; }
  uint64_t summary_probes_dropped() const { return summary_probes_dropped_; }

 private:
  struct State {
    IpAddress src;
    uint64_t bucket_us = 0;
    uint32_t stored = 0;
    bool dirty = false;  // summary has probes not yet reported (Collect walks lru_ for these)
    bool has_summary = false;
    bool dst_mixed = false;
    Summary summary;
  };
  using List = std::list<State>;

  void Finish(State& s);  // moves a summary with probes to finished_ (bounded)
  void Expire();
  void TakeFinished(std::vector<Summary>* out);

  BudgetOptions options_;
  uint64_t interval_us_;
  List lru_;  // least recently seen first
  std::unordered_map<IpAddress, List::iterator, SeededIpHash> map_;
  std::deque<Summary> finished_;  // at most max_finished
  uint64_t latest_us_ = 0;
  uint64_t evicted_ = 0;
  uint64_t summarized_ = 0;
  uint64_t summaries_dropped_ = 0;
  uint64_t summary_probes_dropped_ = 0;
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_BUDGET_H_
