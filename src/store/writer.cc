#include "store/writer.h"

#include <algorithm>
#include <chrono>

#include "store/time_text.h"

namespace portscope::store {
namespace {

bool SameCounters(const WriterCounters& a, const WriterCounters& b) {
  return a.events_enqueued == b.events_enqueued && a.events_dropped == b.events_dropped &&
         a.events_summarized == b.events_summarized && a.alerts_enqueued == b.alerts_enqueued &&
         a.alerts_dropped == b.alerts_dropped && a.sources_evicted == b.sources_evicted &&
         a.sink_errors == b.sink_errors;
}

}  // namespace

Writer::Writer(const WriterOptions& options, std::vector<Sink*> sinks)
    : options_(options), sinks_(std::move(sinks)), budget_(options.budget, RandomHashSeed()) {
  events_.reserve(std::min<size_t>(options_.queue_capacity, 16384));
}

Writer::~Writer() { (void)Close(); }

void Writer::Start() {
  std::lock_guard l(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread(&Writer::Run, this);
}

bool Writer::Enqueue(Event e) {
  bool wake = false;
  {
    std::lock_guard l(mu_);
    if (stop_) {
      ++stats_.counters.events_dropped;
      return false;
    }
    if (!budget_.Admit(e)) {
      // Past its budget: counted in the source's summary, nothing queued.
      ++stats_.counters.events_enqueued;
      ++accepted_seq_;
      return true;
    }
    if (events_.size() >= options_.queue_capacity) {
      budget_.Refund(e.src);
      ++stats_.counters.events_dropped;
      return false;
    }
    events_.push_back(std::move(e));
    ++stats_.counters.events_enqueued;
    ++accepted_seq_;
    // Wake the writer early only when the queue fills up: a notify per event
    // would cost a futex call each.
    wake = events_.size() == std::max<size_t>(1, options_.queue_capacity / 2);
  }
  if (wake) wake_.notify_one();
  return true;
}

bool Writer::Enqueue(AlertRecord a) {
  {
    std::lock_guard l(mu_);
    if (stop_ || alerts_.size() + events_.size() >= options_.queue_capacity + options_.alert_reserve) {
      ++stats_.counters.alerts_dropped;
      return false;
    }
    alerts_.push_back(std::move(a));
    ++stats_.counters.alerts_enqueued;
    ++accepted_seq_;
  }
  return true;
}

Status Writer::Flush() {
  std::unique_lock l(mu_);
  if (!started_) return Status::IoError("the store writer was not started");
  uint64_t target = accepted_seq_;
  if (written_seq_ < target && !stopped_) {
    flush_wanted_ = std::max(flush_wanted_, target);
    wake_.notify_one();
    done_.wait(l, [&] { return written_seq_ >= target || stopped_; });
  }
  Status st = flush_error_;
  flush_error_ = Status::Ok();
  return st;
}

Status Writer::Reopen() {
  std::unique_lock l(mu_);
  if (!started_) return Status::IoError("the store writer was not started");
  if (stopped_) return Status::Ok();
  const uint64_t target = ++reopen_wanted_;
  wake_.notify_one();
  done_.wait(l, [&] { return reopen_done_ >= target || stopped_; });
  Status st = reopen_error_;
  reopen_error_ = Status::Ok();
  return st;
}

Status Writer::Close() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
    if (!started_) {
      // Never started: one closing cycle writes what was queued.
      started_ = true;
      thread_ = std::thread(&Writer::Run, this);
    }
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard l(mu_);
  Status st = flush_error_;
  flush_error_ = Status::Ok();
  return st;
}

WriterStats Writer::stats() const {
  std::lock_guard l(mu_);
  WriterStats s = stats_;
  s.counters.events_summarized = budget_.summarized();
  s.counters.sources_evicted = budget_.evicted();
  s.sources_tracked = budget_.tracked();
  s.summaries_dropped = budget_.summaries_dropped();
  s.summary_probes_dropped = budget_.summary_probes_dropped();
  return s;
}

void Writer::Run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(std::max<uint32_t>(1, options_.commit_interval_ms));
  const auto maintain_every = std::chrono::seconds(options_.maintain_interval_s);
  auto last = Clock::now();
  auto last_maintain = last - maintain_every;  // retention once at start
  WriterCounters written_counters;
  bool counters_written = false;

  std::unique_lock l(mu_);
  for (;;) {
    wake_.wait_until(l, last + interval, [&] {
      return stop_ || flush_wanted_ > written_seq_ || reopen_wanted_ > reopen_done_ ||
             events_.size() >= std::max<size_t>(1, options_.queue_capacity / 2);
    });
    last = Clock::now();
    const bool closing = stop_;
    batch_.events.swap(events_);
    batch_.alerts.swap(alerts_);
    if (closing) budget_.CollectAll(&batch_.summaries);
    else budget_.Collect(&batch_.summaries);
    const uint64_t seq = accepted_seq_;
    const uint64_t reopen = reopen_wanted_;
    WriterCounters counters = stats_.counters;
    counters.events_summarized = budget_.summarized();
    counters.sources_evicted = budget_.evicted();
    l.unlock();

    batch_.counters = counters;
    batch_.has_counters = !counters_written || !SameCounters(counters, written_counters);
    Status first_error;
    bool primary_ok = true;
    uint64_t errors = 0;
    std::string last_error;
    if (!batch_.empty() || batch_.has_counters) {
      for (size_t i = 0; i < sinks_.size(); ++i) {
        Status st = sinks_[i]->Write(batch_);
        if (st.ok()) continue;
        if (i == 0) primary_ok = false;
        ++errors;
        last_error = std::string(sinks_[i]->name()) + ": " + st.message();
        if (first_error.ok()) first_error = st;
      }
      if (primary_ok && batch_.has_counters) {
        written_counters = counters;
        counters_written = true;
      }
    }
    if (options_.maintain_interval_s && Clock::now() - last_maintain >= maintain_every) {
      last_maintain = Clock::now();
      uint64_t now_us = options_.clock_us ? options_.clock_us() : NowUs();
      for (Sink* s : sinks_) {
        Status st = s->Maintain(now_us);
        if (st.ok()) continue;
        ++errors;
        last_error = std::string(s->name()) + ": " + st.message();
        if (first_error.ok()) first_error = st;
      }
    }

    // After the batch: what was queued before the rename goes to the old file.
    Status reopen_error;
    if (reopen > reopen_done_) {
      for (Sink* s : sinks_) {
        Status st = s->Reopen();
        if (!st.ok() && reopen_error.ok())
          reopen_error = Status::IoError(std::string(s->name()) + ": " + st.message());
      }
    }

    l.lock();
    if (reopen > reopen_done_) {
      reopen_done_ = reopen;
      if (!reopen_error.ok()) reopen_error_ = reopen_error;
    }
    if (primary_ok) {
      stats_.events_committed += batch_.events.size();
      stats_.alerts_committed += batch_.alerts.size();
      stats_.summaries_written += batch_.summaries.size();
    } else {
      stats_.events_lost += batch_.events.size();
    }
    if (!batch_.empty()) ++stats_.batches;
    stats_.counters.sink_errors += errors;
    if (!last_error.empty()) stats_.last_error = last_error;
    if (!first_error.ok() && flush_error_.ok()) flush_error_ = first_error;
    written_seq_ = seq;
    done_.notify_all();
    // The buffers keep their capacity and go back to the producers next swap.
    batch_.events.clear();
    batch_.alerts.clear();
    batch_.summaries.clear();
    if (closing) {
      stopped_ = true;
      done_.notify_all();
      return;
    }
  }
}

}  // namespace portscope::store
