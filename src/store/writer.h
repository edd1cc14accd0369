// Writer: the canary's path from "a probe happened" to the sinks, built so
// that a flood cannot make anything grow without bound or stall the producer.
//
//   producer ──Enqueue──► budget ──► bounded queue ──► writer thread ──► sinks
//   (never blocks)        (per source)  (drops, counted)   (a batch at least
//                                                           every commit_interval)
//
// Enqueue takes a short lock, charges the event to its source's budget (past
// it the event only updates the source's summary), and appends it to the
// queue, or refuses it and counts a drop when the queue is full. The writer
// thread swaps the queue out, adds the summaries that changed, and hands the
// batch to each sink (the database commits it as one transaction). It wakes
// when commit_interval_ms has passed, when the queue is half full, or on
// Flush/Close, so a process killed with SIGKILL loses at most the last
// interval's events.
//
// Thread safety: Enqueue, Flush, stats and Close may be called from any
// thread. The sinks are used by the writer thread only (after Start).
//
// Typical use (the canary):
//   store::OpenOptions oo;  // write, create, move_aside_damaged, sensor
//   auto db = store::Database::Open(store::DefaultDatabasePath(), oo);
//   auto json = store::JsonLinesSink::Open("-", {.hostname = host});
//   store::Writer writer(store::WriterOptions{}, {db->get(), json->get()});
//   writer.Start();
//   writer.Enqueue(event);  // from the listener loop, for every probe
//   writer.Enqueue(alert);  // from the detector's AlertSink
//   writer.Close();         // on SIGTERM: writes what is queued
// and show writer.stats() (drops, evictions, last_error) on /metrics.
#ifndef PORTSCOPE_STORE_WRITER_H_
#define PORTSCOPE_STORE_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "store/budget.h"
#include "store/event.h"
#include "store/sink.h"

namespace portscope::store {

struct WriterOptions {
  /// Events waiting for the writer. Each holds ~250 bytes plus its payload
  /// (capped by the producer), so 65,536 with 1 KiB payloads is ~80 MiB at
  /// worst. At 20,000 events/s and 500 ms per batch the queue holds
  /// 10,000; the rest is headroom for a slow disk.
  size_t queue_capacity = 65536;
  /// Room for alerts beyond queue_capacity, so that a flood of events does
  /// not crowd out the alerts about it.
  size_t alert_reserve = 1024;
  /// The longest an accepted event waits before its batch is written: what a
  /// kill -9 may lose. Shorter means more, smaller transactions.
  uint32_t commit_interval_ms = 500;
  BudgetOptions budget;
  /// How often sinks get Maintain() (retention); 0: never.
  uint32_t maintain_interval_s = 60;
  /// The wall clock for Maintain (microseconds since the epoch); tests fake it.
  std::function<uint64_t()> clock_us;
};

struct WriterStats {
  WriterCounters counters;        // as written into the database's runs row
  uint64_t events_committed = 0;  // events in batches the first sink wrote
  uint64_t alerts_committed = 0;
  uint64_t summaries_written = 0;
  uint64_t events_lost = 0;  // in batches the first sink failed to write (disk full, ...)
  uint64_t batches = 0;
  uint64_t sources_tracked = 0;
  /// Finished budget summaries dropped because the writer fell behind by
  /// more than max_sources of them, and the probes they counted.
  uint64_t summaries_dropped = 0;
  uint64_t summary_probes_dropped = 0;
  std::string last_error;  // the latest sink failure, "" when none
};

class Writer {
 public:
  /// REQUIRES: each sink outlives the Writer. The first sink is the primary
  /// one (the database): events_committed counts what it wrote.
  Writer(const WriterOptions& options, std::vector<Sink*> sinks);
  ~Writer();  // Close()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Starts the writer thread. Events enqueued before wait in the queue.
  void Start();
  /// Never blocks on I/O. False when the queue was full (the event is
  /// dropped and counted). An event past its source's budget is accepted
  /// and counted in the source's summary.
  bool Enqueue(Event e);
  bool Enqueue(AlertRecord a);
  /// Waits until everything enqueued before the call is written by every
  /// sink, with the summaries as they stand. Returns the first sink error
  /// since the previous Flush. REQUIRES: Start() was called.
  Status Flush();
  /// Writes what is queued, then has every sink reopen its file (Sink::Reopen)
  /// on the writer thread, and waits for that. Returns the first error.
  /// REQUIRES: Start() was called.
  Status Reopen();
  /// Writes what is queued, finishes every summary, stops the thread.
  /// Enqueue afterwards returns false. Idempotent.
  Status Close();
  WriterStats stats() const;

 private:
  void Run();

  const WriterOptions options_;
  const std::vector<Sink*> sinks_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the writer: work, flush or close
  std::condition_variable done_;  // Flush: a cycle finished
  // Guarded by mu_:
  SourceBudget budget_;
  std::vector<Event> events_;
  std::vector<AlertRecord> alerts_;
  uint64_t accepted_seq_ = 0;   // items accepted by Enqueue so far
  uint64_t written_seq_ = 0;    // items of completed cycles
  uint64_t flush_wanted_ = 0;
  uint64_t reopen_wanted_ = 0;  // Reopen() calls so far
  uint64_t reopen_done_ = 0;    // of which handled by the writer thread
  Status reopen_error_;
  bool stop_ = false;
  bool started_ = false;
  bool stopped_ = false;
  Status flush_error_;
  WriterStats stats_;

  std::thread thread_;
  // The writer thread's own buffers, swapped with the queue's.
  Batch batch_;
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_WRITER_H_
