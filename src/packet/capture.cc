// ReplayCapture: the loop shared by every capture source, on one thread or
// (ReplayCaptureInBatches) split between a reading thread and the caller's.
#include "packet/capture.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace portscope::packet {

namespace {

// Reads the next frame into the report; false at the end or on damage (noted).
bool ReadFrame(CaptureSource& source, Frame* frame, CaptureReport& report) {
  Result<bool> next = source.Next(frame);
  if (!next.ok()) {
    report.complete = false;
    report.note = next.status().message();
    return false;
  }
  if (!*next) return false;
  ++report.packets;
  report.captured_bytes += frame->bytes.size();
  report.wire_bytes += std::max<uint64_t>(frame->wire_len, frame->bytes.size());
  if (report.packets == 1) {
    report.first_time_us = report.last_time_us = frame->time_us;
  } else {
    report.first_time_us = std::min(report.first_time_us, frame->time_us);
    report.last_time_us = std::max(report.last_time_us, frame->time_us);
  }
  return true;
}

// Probes per batch and batches in flight: a batch is ~150 KB, small enough
// to stay in the shared cache between the two threads, large enough that a
// hand-over (a mutex and a wake-up) is rare.
constexpr size_t kBatchProbes = 1024;
constexpr size_t kBatches = 8;

// Batches pass from the reader to the consumer through `full` and back
// through `free`, both guarded by one mutex; each holds batch indices.
class BatchRing {
 public:
  BatchRing() : probes_(kBatches * kBatchProbes), sizes_(kBatches) {
    for (size_t i = 0; i < kBatches; ++i) free_.push_back(i);
  }
  Probe* batch(size_t i) { return probes_.data() + i * kBatchProbes; }
  size_t& size(size_t i) { return sizes_[i]; }

  // Reader side. TakeFree returns kBatches once the consumer stopped.
  size_t TakeFree() {
    std::unique_lock lock(mu_);
    free_cv_.wait(lock, [&] { return !free_.empty() || stopped_; });
    if (stopped_) return kBatches;
    const size_t i = free_.front();
    free_.erase(free_.begin());
    return i;
  }
  void PutFull(size_t i) {
    {
      std::lock_guard lock(mu_);
      full_.push_back(i);
    }
    full_cv_.notify_one();
  }
  void Finish() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    full_cv_.notify_one();
  }
  // Consumer side. TakeFull returns kBatches at the end.
  size_t TakeFull() {
    std::unique_lock lock(mu_);
    full_cv_.wait(lock, [&] { return !full_.empty() || done_; });
    if (full_.empty()) return kBatches;
    const size_t i = full_.front();
    full_.erase(full_.begin());
    return i;
  }
  void PutFree(size_t i) {
    {
      std::lock_guard lock(mu_);
      free_.push_back(i);
    }
    free_cv_.notify_one();
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    free_cv_.notify_one();
  }

 private:
  std::vector<Probe> probes_;
  std::vector<size_t> sizes_;
  std::mutex mu_;
  std::condition_variable full_cv_;
  std::condition_variable free_cv_;
  std::vector<size_t> full_;  // in capture order
  std::vector<size_t> free_;
  bool done_ = false;     // the reader has put its last batch
  bool stopped_ = false;  // the consumer gave up (its handler threw)
};

// The reading thread of ReplayCaptureInBatches: frames into batches of
// Probes until the input ends or the consumer stops.
void ReadBatches(CaptureSource& source, BatchRing& ring, CaptureReport& report, const ReplayProgress& progress) {
  Frame frame;
  uint64_t bytes = 0;
  size_t current = ring.TakeFree();
  size_t n = 0;
  while (current != kBatches && ReadFrame(source, &frame, report)) {
    bytes += frame.bytes.size() + 16;  // with the record header, as a file holds it
    if (progress && (report.packets & 0xffff) == 0) progress(bytes);
    Probe& probe = ring.batch(current)[n];
    const Reject reject = DecodeFrame(frame, &probe);
    if (reject != Reject::kNone) {
      report.rejects.Add(reject);
      continue;
    }
    ++report.probes;
    probe.payload = {};
    if (++n == kBatchProbes) {
      ring.size(current) = n;
      ring.PutFull(current);
      current = ring.TakeFree();
      n = 0;
    }
  }
  if (current != kBatches && n != 0) {
    ring.size(current) = n;
    ring.PutFull(current);
  }
  if (progress) progress(bytes);
}

}  // namespace

CaptureReport ReplayCapture(CaptureSource& source, const FrameHandler& handler) {
  CaptureReport report;
  report.link_type = source.link_type();
  Frame frame;
  Probe probe;
  while (ReadFrame(source, &frame, report)) {
    const Reject reject = DecodeFrame(frame, &probe);
    if (reject == Reject::kNone) {
      ++report.probes;
    } else {
      report.rejects.Add(reject);
    }
    if (handler) handler(frame, reject, probe);
  }
  return report;
}

CaptureReport ReplayCaptureInBatches(CaptureSource& source, const ProbeBatchHandler& handler,
                                     const ReplayProgress& progress) {
  CaptureReport report;
  report.link_type = source.link_type();
  BatchRing ring;
  // The reader fills `report`; the caller reads it only after the join.
  std::exception_ptr reader_failure;
  std::thread reader([&] {
    try {
      ReadBatches(source, ring, report, progress);
    } catch (...) {
      reader_failure = std::current_exception();
    }
    ring.Finish();
  });
  std::exception_ptr failure;
  try {
    for (size_t i = ring.TakeFull(); i != kBatches; i = ring.TakeFull()) {
      handler(std::span<const Probe>(ring.batch(i), ring.size(i)));
      ring.PutFree(i);
    }
  } catch (...) {
    failure = std::current_exception();
    ring.Stop();
  }
  reader.join();
  if (failure) std::rethrow_exception(failure);
  if (reader_failure) std::rethrow_exception(reader_failure);
  return report;
}

}  // namespace portscope::packet
