// pipeline_perftest: decode + detect throughput from memory, one core.
//
// Reads a capture file into memory, then times the path `portscope analyze`
// takes per frame: the capture reader hands out frames, DecodeFrame turns
// them into Probes, and the engine takes them in batches (ProcessBatch), then
// Finish. The file is read before the clock starts and the engine is built
// before it too (its tables are allocated and zeroed once, ~73 MB), so the
// figure is the per-packet cost without I/O.
//
// Usage: pipeline_perftest FILE [--runs N] [--single 1] [--decode-only 1]
//                          [--threaded 1] [--max-sources M] [--max-flows F]
//                          [--max-scans S] [--inbound-only 1] [--watch PORT]
//                          [--dump 1]
// The figure is probes per second of the thread's CPU time (one core), the
// median of the runs. --threaded 1 times what analyze does instead: reading
// and decoding on a second thread (ReplayCaptureInBatches), the engine on
// this one, per second of wall time (two cores). --dump prints every alert in
// full and the engine's counters (to compare two builds: the output must not
// change), instead of timings.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "detect/engine.h"
#include "packet/capture.h"
#include "packet/decode.h"

namespace {

using portscope::detect::Alert;
using portscope::detect::AlertSink;
using portscope::detect::Config;
using portscope::detect::Counters;
using portscope::detect::Engine;
namespace packet = portscope::packet;
namespace detect = portscope::detect;

const char* Arg(int argc, char** argv, const char* name) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return nullptr;
}
uint64_t Num(int argc, char** argv, const char* name, uint64_t fallback) {
  const char* v = Arg(argc, argv, name);
  return v ? std::strtoull(v, nullptr, 0) : fallback;
}

class CountingSink : public AlertSink {
 public:
  void OnAlert(const Alert& a) override { ++count[static_cast<int>(a.phase)]; }
  uint64_t count[3] = {0, 0, 0};
};

// Every field of every alert, one line each.
class DumpSink : public AlertSink {
 public:
  void OnAlert(const Alert& a) override {
    std::string s = detect::Summarize(a);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  " | first %" PRIu64 " last %" PRIu64 " shape %d kind %d hosts %u/%d/%u ports %u/%d algs %u"
                  " watched %u/%u hint %d %u/%u fast %u/%u/%u/%" PRIu64 " slow %u/%u/%u/%" PRIu64
                  " trw %.6g/%u/%u now %.6g/%u/%u classes",
                  a.first_seen_us, a.last_seen_us, static_cast<int>(a.shape), static_cast<int>(a.kind),
                  a.hosts_at_least, a.hosts_exact, a.hosts_estimated, a.ports_at_least, a.ports_exact, a.algorithms,
                  a.watched_port, a.watched_touches, static_cast<int>(a.hint), a.hint_matches, a.hint_checked,
                  a.fast.targets, a.fast.ports, a.fast.hosts, a.fast.span_us, a.slow.targets, a.slow.ports,
                  a.slow.hosts, a.slow.span_us, a.trw_fired.likelihood_ratio, a.trw_fired.failures,
                  a.trw_fired.successes, a.trw_now.likelihood_ratio, a.trw_now.failures, a.trw_now.successes);
    s += buf;
    for (uint32_t c : a.class_counts) s += " " + std::to_string(c);
    s += " hostlist";
    for (int i = 0; i < a.hosts_listed; ++i) s += " " + a.hosts[static_cast<size_t>(i)].ToString();
    s += " portlist";
    for (int i = 0; i < a.ports_listed; ++i) s += " " + std::to_string(a.ports[static_cast<size_t>(i)]);
    std::puts(s.c_str());
  }
};

void DumpCounters(const Counters& c) {
  std::printf(
      "counters probes %" PRIu64 " ignored %" PRIu64 " midstream %" PRIu64 " answers %" PRIu64 " unmatched %" PRIu64
      " regress %" PRIu64 " two_way %d\n",
      c.probes, c.ignored, c.midstream, c.answers, c.unmatched_answers, c.time_regressions, c.two_way);
  std::printf("sources tracked %" PRIu64 " created %" PRIu64 " expired %" PRIu64 " evicted %" PRIu64
              " dropped %" PRIu64 "\n",
              c.sources_tracked, c.sources_created, c.sources_expired, c.sources_evicted, c.sources_dropped);
  std::printf("flows tracked %" PRIu64 " attempts %" PRIu64 " retrans %" PRIu64 " answered %" PRIu64
              " refused %" PRIu64 " unanswered %" PRIu64 " evicted %" PRIu64 " dropped %" PRIu64 "\n",
              c.flows_tracked, c.attempts, c.retransmissions, c.attempts_answered, c.attempts_refused,
              c.attempts_unanswered, c.flows_evicted, c.flows_dropped);
  std::printf("evidence %" PRIu64 " benign %" PRIu64 " overwritten %" PRIu64 " trw_benign %" PRIu64
              " trw_scanner %" PRIu64 "\n",
              c.evidence, c.benign, c.evidence_overwritten, c.trw_benign_decisions, c.trw_scanner_decisions);
  std::printf("scans active %" PRIu64 " started %" PRIu64 " evicted %" PRIu64 " alerts %" PRIu64 "/%" PRIu64
              "/%" PRIu64 " deferred %" PRIu64 " dropped %" PRIu64 "\n",
              c.scans_active, c.scans_started, c.scans_evicted, c.alerts_started, c.alerts_updated, c.alerts_ended,
              c.alerts_deferred, c.alerts_dropped);
}

struct RunResult {
  uint64_t frames = 0;
  uint64_t probes = 0;
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // this thread's CPU time: what the figure uses, as
                           // other work on a shared machine does not count
  double finish_cpu_seconds = 0;  // of which Engine::Finish (end of input)
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::unique_ptr<packet::CaptureSource> Open(std::span<const uint8_t> bytes) {
  auto source = packet::OpenCaptureMemory(bytes);
  if (!source.ok()) {
    std::fprintf(stderr, "pipeline_perftest: %s\n", source.status().message().c_str());
    std::exit(1);
  }
  return std::move(*source);
}

// One pass over the capture in memory, as analyze makes it: two threads.
RunResult RunThreaded(std::span<const uint8_t> bytes, Engine* engine, AlertSink& sink) {
  RunResult r;
  auto source = Open(bytes);
  const double cpu_start = ThreadCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  const packet::CaptureReport report = packet::ReplayCaptureInBatches(
      *source, [&](std::span<const packet::Probe> probes) { engine->ProcessBatch(probes, sink); });
  const double finish_start = ThreadCpuSeconds();
  engine->Finish(sink);
  r.finish_cpu_seconds = ThreadCpuSeconds() - finish_start;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  r.frames = report.packets;
  r.probes = report.probes;
  return r;
}

// One pass over the capture in memory, on this thread.
RunResult Run(std::span<const uint8_t> bytes, Engine* engine, AlertSink& sink, bool single) {
  RunResult r;
  auto source = Open(bytes);
  constexpr size_t kBatch = 256;
  std::vector<packet::Probe> batch(kBatch);
  size_t n = 0;
  packet::Frame frame;
  const double cpu_start = ThreadCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    auto next = source->Next(&frame);
    if (!next.ok() || !*next) break;
    ++r.frames;
    if (packet::DecodeFrame(frame, &batch[n]) != packet::Reject::kNone) continue;
    ++r.probes;
    if (engine == nullptr) continue;
    if (single) {
      engine->Process(batch[n], sink);
      continue;
    }
    if (++n == kBatch) {
      engine->ProcessBatch(std::span(batch.data(), n), sink);
      n = 0;
    }
  }
  if (engine != nullptr) {
    engine->ProcessBatch(std::span(batch.data(), n), sink);
    const double finish_start = ThreadCpuSeconds();
    engine->Finish(sink);
    r.finish_cpu_seconds = ThreadCpuSeconds() - finish_start;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: pipeline_perftest FILE [--runs N] [--single 1] [--decode-only 1] [--max-sources M]\n"
                 "       [--max-flows F] [--max-scans S] [--inbound-only 1] [--watch PORT] [--dump 1]\n");
    return 2;
  }
  std::vector<uint8_t> bytes;
  {
    const int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      std::perror(argv[1]);
      return 1;
    }
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = read(fd, bytes.data() + got, bytes.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    bytes.resize(got);
    close(fd);
  }
  Config config;
  config.max_sources = static_cast<uint32_t>(Num(argc, argv, "--max-sources", config.max_sources));
  config.max_flows = static_cast<uint32_t>(Num(argc, argv, "--max-flows", config.max_flows));
  config.max_scans = static_cast<uint32_t>(Num(argc, argv, "--max-scans", config.max_scans));
  if (Num(argc, argv, "--inbound-only", 0)) config.visibility = detect::Visibility::kInboundOnly;
  if (const char* w = Arg(argc, argv, "--watch")) {
    config.watched_tcp_ports.push_back(static_cast<uint16_t>(std::atoi(w)));
    config.watched_udp_ports.push_back(static_cast<uint16_t>(std::atoi(w)));
  }
  const bool single = Num(argc, argv, "--single", 0) != 0;
  const uint64_t seed = Num(argc, argv, "--seed", 42);

  if (Num(argc, argv, "--dump", 0)) {
    Engine engine(config, seed);
    DumpSink sink;
    Run(bytes, &engine, sink, single);
    DumpCounters(engine.counters());
    return 0;
  }
  const bool decode_only = Num(argc, argv, "--decode-only", 0) != 0;
  const bool threaded = Num(argc, argv, "--threaded", 0) != 0;
  const uint64_t runs = std::max<uint64_t>(1, Num(argc, argv, "--runs", 3));
  std::vector<double> rates;
  RunResult last;
  CountingSink sink;
  for (uint64_t i = 0; i < runs; ++i) {
    Engine engine(config, seed + i);
    last = threaded ? RunThreaded(bytes, &engine, sink) : Run(bytes, decode_only ? nullptr : &engine, sink, single);
    rates.push_back(static_cast<double>(last.probes) / (threaded ? last.seconds : last.cpu_seconds));
    std::printf("run %" PRIu64 "  %.3f s CPU (%.3f s wall, Finish %.3f s CPU)  %.2f M probes/s\n", i + 1,
                last.cpu_seconds, last.seconds, last.finish_cpu_seconds, rates.back() / 1e6);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("file              %s (%.1f MB, %" PRIu64 " frames, %" PRIu64 " probes)\n", argv[1],
              static_cast<double>(bytes.size()) / 1e6, last.frames, last.probes);
  std::printf("mode              %s\n", threaded      ? "read + decode on a second thread, ProcessBatch on this one"
                                       : decode_only ? "read + decode"
                                       : single      ? "read + decode + Process"
                                                     : "read + decode + ProcessBatch");
  std::printf("median            %.2f M probes/s of %s (%" PRIu64 " runs)\n", rates[rates.size() / 2] / 1e6,
              threaded ? "wall time, two threads" : "thread CPU time", runs);
  return 0;
}
