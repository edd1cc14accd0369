// Sink: where the writer delivers what the canary records (the SQLite
// database, JSON lines, syslog), one batch at a time, from the writer's
// thread only.
#ifndef PORTSCOPE_STORE_SINK_H_
#define PORTSCOPE_STORE_SINK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/status.h"
#include "store/event.h"
#include "store/port_set.h"

namespace portscope::store {

/// The probes of one source in one budget interval past its budget, as the
/// writer knows them so far. A summary is reported again whenever it has new
/// probes; `count_delta` says how many are new since the last report, so a
/// sink that merges (the database) adds deltas and one that prints (JSON
/// lines, syslog) waits for `final`.
struct Summary {
  std::string sensor;
  IpAddress src;
  IpAddress dst;                  // :: when the probes went to several addresses
  Transport transport = Transport::kTcp;  // kMixed when several
  uint64_t bucket_us = 0;         // the interval's start
  uint64_t interval_us = 0;
  uint64_t count = 0;             // probes summarized in this interval so far
  uint64_t count_delta = 0;       // of which new since the previous report
  uint64_t first_us = 0;
  uint64_t last_us = 0;
  PortSet ports;                  // every destination port so far
  bool final = false;             // no more probes will be added
};

/// The summary as a row of the events table (action "summary").
Event SummaryToEvent(const Summary& s);

/// Counters of a writer at the time of a batch; the database keeps the latest
/// per run so that `portscope report` can show what was dropped.
struct WriterCounters {
  uint64_t events_enqueued = 0;   // accepted by Enqueue (stored or summarized)
  uint64_t events_dropped = 0;    // refused by Enqueue: the queue was full
  uint64_t events_summarized = 0; // past a source's budget: counted in a summary only
  uint64_t alerts_enqueued = 0;
  uint64_t alerts_dropped = 0;
  uint64_t sources_evicted = 0;   // source states dropped to make room (budget restarts)
  uint64_t sink_errors = 0;       // batches a sink failed to write
};

struct Batch {
  std::vector<Event> events;
  std::vector<AlertRecord> alerts;
  std::vector<Summary> summaries;
  WriterCounters counters;
  bool has_counters = false;
  bool empty() const { return events.empty() && alerts.empty() && summaries.empty(); }
};

class Sink {
 public:
  virtual ~Sink() = default;
  /// "database", "json", "syslog": for messages.
  virtual std::string_view name() const = 0;
  /// Writes the whole batch or fails; a database commits it as one transaction.
  virtual Status Write(const Batch& batch) = 0;
  /// Periodic upkeep (retention), called by the writer between batches.
  virtual Status Maintain(uint64_t /*now_us*/) { return Status::Ok(); }
  /// Reopens the sink's file by its path (after logrotate renamed it); a
  /// no-op for sinks without one. Called by the writer (Writer::Reopen).
  virtual Status Reopen() { return Status::Ok(); }
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_SINK_H_
