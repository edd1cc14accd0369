// engine_perftest: detect::Engine throughput on one core.
//
// Generates N TCP SYN probes (default 10,000,000) from S sources (default
// 100,000) in memory, then times the engine over all of them (ProcessBatch
// on batches of 256, as a capture ring hands them over; --single 1 for
// Process() one by one). The traffic is what a canary on a /16 sees, one-way
// (no answers), 1,000,000 probes per second of capture time, nmap-like SYNs:
//  - --scanners P (percent, default 100): that share of the sources scan,
//    each probe to a random address of the /16 and one of 64 common ports;
//    every one of them is recognised, so the scan table churns (worst case);
//  - the other sources each keep to one address and three ports (background
//    noise below every threshold).
//
// Usage: engine_perftest [--probes N] [--sources S] [--scanners P]
//                        [--max-sources M] [--max-flows F] [--rate R]
//                        [--seed X] [--single 1] [--no-rules 1]
// Prints probes/s and the engine's fixed memory; measure peak RSS with
// /usr/bin/time -f %M.
#include <time.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <algorithm>
#include <vector>

#include "detect/engine.h"
#include "detect/test_probes.h"

namespace {

using portscope::IpAddress;
using portscope::detect::Alert;
using portscope::detect::AlertSink;
using portscope::detect::Config;
using portscope::detect::Engine;

class CountingSink : public AlertSink {
 public:
  void OnAlert(const Alert& a) override { ++count[static_cast<int>(a.phase)]; }
  uint64_t count[3] = {0, 0, 0};
};

// The generated traffic, 16 bytes a probe (a full Probe is ~140).
struct Compact {
  uint32_t src;
  uint32_t dst;
  uint16_t sport;
  uint16_t dport;
  uint32_t seq;
};

uint64_t Next(uint64_t& state) {  // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545f4914f6cdd1dULL;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t Arg(int argc, char** argv, const char* name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 0);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t n = Arg(argc, argv, "--probes", 10'000'000);
  const uint64_t sources = Arg(argc, argv, "--sources", 100'000);
  const uint64_t rate = Arg(argc, argv, "--rate", 1'000'000);
  Config config;
  config.max_sources = static_cast<uint32_t>(Arg(argc, argv, "--max-sources", config.max_sources));
  config.max_flows = static_cast<uint32_t>(Arg(argc, argv, "--max-flows", config.max_flows));
  if (Arg(argc, argv, "--no-rules", 0) != 0) config.fast = config.slow = portscope::detect::WindowRule{1000, 0, 0, 0, 0};
  const uint64_t seed = Arg(argc, argv, "--seed", 42);
  if (n == 0 || sources == 0 || rate == 0) {
    std::fprintf(stderr, "engine_perftest: --probes, --sources and --rate must be positive\n");
    return 2;
  }

  static constexpr uint16_t kPorts[64] = {
      21,   22,   23,   25,   53,   80,   81,   88,   110,  111,  135,  139,  143,  389,  443,  445,
      465,  587,  993,  995,  1025, 1080, 1433, 1521, 1723, 1900, 2049, 2082, 2083, 2222, 2323, 3000,
      3128, 3306, 3389, 4443, 4567, 5000, 5060, 5432, 5555, 5900, 5985, 6000, 6379, 7001, 7547, 8000,
      8008, 8080, 8081, 8088, 8443, 8888, 9000, 9090, 9200, 9443, 10000, 11211, 27017, 37215, 49152, 60001};
  const uint64_t scanners = Arg(argc, argv, "--scanners", 100);
  std::vector<Compact> traffic(n);
  uint64_t state = 0x9e3779b97f4a7c15ULL ^ seed;
  for (Compact& c : traffic) {
    const uint64_t r = Next(state);
    const uint32_t source = static_cast<uint32_t>(r % sources);
    c.src = 0x0a000000u + source * 7u;  // spread over 10.0.0.0/8
    if (source % 100 < scanners) {
      c.dst = 0xc6120000u | static_cast<uint32_t>((r >> 20) & 0xffff);  // anywhere in 198.18.0.0/16
      c.dport = kPorts[(r >> 40) & 63];
    } else {
      c.dst = 0xc6120000u | (source & 0xffff);  // one address, three ports
      c.dport = kPorts[(source + (r >> 40) % 3) & 63];
    }
    c.sport = static_cast<uint16_t>(40000 + (c.src & 0x3ff));
    c.seq = static_cast<uint32_t>(r >> 32);
  }

  Engine engine(config, seed);
  CountingSink sink;
  // Probes are expanded from the compact form in batches of kBatch (what a
  // capture ring hands over) and given to ProcessBatch; --single uses
  // Process() one at a time instead.
  const bool single = Arg(argc, argv, "--single", 0) != 0;
  constexpr size_t kBatch = 256;
  std::vector<portscope::packet::Probe> batch(kBatch,
                                              portscope::detect::testing::NmapSyn(0, IpAddress(), 0, IpAddress(), 0));
  const double cpu_start = ThreadCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t base = 0; base < n; base += kBatch) {
    const size_t m = static_cast<size_t>(std::min<uint64_t>(kBatch, n - base));
    for (size_t j = 0; j < m; ++j) {
      const Compact& c = traffic[base + j];
      portscope::packet::Probe& p = batch[j];
      p.time_us = portscope::detect::testing::kT0 + (base + j) * 1'000'000 / rate;
      p.src = IpAddress::V4(c.src);
      p.dst = IpAddress::V4(c.dst);
      p.sport = c.sport;
      p.dport = c.dport;
      p.seq = c.seq;
    }
    if (single) {
      for (size_t j = 0; j < m; ++j) engine.Process(batch[j], sink);
    } else {
      engine.ProcessBatch(std::span(batch.data(), m), sink);
    }
  }
  const auto stop = std::chrono::steady_clock::now();
  if (Arg(argc, argv, "--dump", 0) != 0) {
    // Alert count and counters only, to compare builds (must not change).
    engine.Finish(sink);
    const auto& c = engine.counters();
    std::printf("alerts %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", sink.count[0], sink.count[1], sink.count[2]);
    std::printf("sources %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", c.sources_created, c.sources_evicted,
                c.sources_expired, c.sources_dropped);
    std::printf("flows %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", c.attempts, c.retransmissions,
                c.flows_evicted, c.attempts_unanswered, c.flows_dropped);
    std::printf("evidence %" PRIu64 " %" PRIu64 " scans %" PRIu64 " %" PRIu64 " deferred %" PRIu64 " dropped %" PRIu64
                "\n",
                c.evidence, c.evidence_overwritten, c.scans_started, c.scans_evicted, c.alerts_deferred,
                c.alerts_dropped);
    return 0;
  }
  const double seconds = std::chrono::duration<double>(stop - start).count();
  const double cpu_seconds = ThreadCpuSeconds() - cpu_start;

  const auto& k = engine.counters();
  std::printf("probes            %" PRIu64 " from %" PRIu64 " sources\n", n, sources);
  std::printf("time              %.3f s CPU, %.3f s wall\n", cpu_seconds, seconds);
  // Per second of this thread's CPU time: on a shared machine the wall clock
  // also counts time the thread spent waiting for a core.
  std::printf("throughput        %.2f million probes/s\n", static_cast<double>(n) / cpu_seconds / 1e6);
  std::printf("engine memory     %.1f MB (fixed at construction)\n",
              static_cast<double>(engine.memory_bytes()) / (1 << 20));
  std::printf("traffic buffer    %.1f MB\n", static_cast<double>(n * sizeof(Compact)) / (1 << 20));
  std::printf("sources           %" PRIu64 " created, %" PRIu64 " evicted, %" PRIu64 " tracked\n",
              k.sources_created, k.sources_evicted, k.sources_tracked);
  std::printf("flows             %" PRIu64 " attempts, %" PRIu64 " evicted, %" PRIu64 " unanswered\n", k.attempts,
              k.flows_evicted, k.attempts_unanswered);
  std::printf("scans             %" PRIu64 " started, %" PRIu64 " evicted\n", k.scans_started, k.scans_evicted);
  std::printf("alerts            %" PRIu64 " started, %" PRIu64 " updated, %" PRIu64 " ended, %" PRIu64
              " deferred, %" PRIu64 " dropped\n",
              sink.count[0], sink.count[1], sink.count[2], k.alerts_deferred, k.alerts_dropped);
  return 0;
}
