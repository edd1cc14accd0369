// Throughput of the store's write path: events from many sources through the
// Writer (budget, bounded queue, batches) into SQLite. Built, not run by ctest.
//
//   store_perftest [events=1000000] [sources=1000] [budget=0] [db=/tmp/...]
//
// budget 0 stores every event one by one (the figure the canary needs:
// nothing lost within budget); a budget such as 600 shows the flood path.
// The producer retries when the queue is full, so the figure is what the
// writer commits, not what it drops.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "store/database.h"
#include "store/writer.h"

using namespace portscope;
using namespace portscope::store;

namespace {

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

long PeakRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  uint32_t sources = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : 1000;
  uint32_t budget = argc > 3 ? static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)) : 0;
  std::string path = argc > 4 ? argv[4] : "/tmp/portscope-store-perftest-" + std::to_string(getpid()) + ".db";
  if (sources == 0) sources = 1;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);

  OpenOptions oo;
  oo.write = true;
  oo.create = true;
  oo.sensor = "perftest";
  oo.retention.max_age_s = 0;
  oo.retention.max_bytes = 0;
  auto db = Database::Open(path, oo);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().message().c_str());
    return 1;
  }
  WriterOptions wo;
  wo.budget.events_per_interval = budget;
  Writer writer(wo, {db->get()});
  writer.Start();

  const std::string payloads[] = {"", "GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n", "SSH-2.0-libssh2_1.9.0\r\n",
                                  std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11)};
  const IpAddress dst = *IpAddress::Parse("192.0.2.1");
  // A minute of traffic from `sources` addresses over the first 1,024 ports.
  const uint64_t t0 = 1609459200ull * 1000000ull;
  const uint64_t step_us = std::max<uint64_t>(1, 60000000ull / std::max<uint64_t>(1, events));
  uint64_t retries = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < events; ++i) {
    Event e;
    e.time_us = t0 + i * step_us;
    e.sensor = "perftest";
    e.src = IpAddress::V4(0xCB007100u + static_cast<uint32_t>(i % sources) * 7919u);
    e.sport = static_cast<uint16_t>(32768 + i % 28000);
    e.dst = dst;
    e.dport = static_cast<uint16_t>((i / sources) % 1024);
    e.transport = Transport::kTcp;
    e.tcp_flags = 0x02;
    e.action = "connect";
    e.payload = payloads[i % 4];
    e.service = "";
    while (!writer.Enqueue(e)) {
      ++retries;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  auto produced = std::chrono::steady_clock::now();
  Status st = writer.Close();
  auto done = std::chrono::steady_clock::now();
  if (!st.ok()) {
    std::fprintf(stderr, "writer: %s\n", st.message().c_str());
    return 1;
  }
  WriterStats s = writer.stats();
  double secs = Seconds(done - start);
  std::printf("events            %llu from %u sources, budget %u per source and minute\n",
              static_cast<unsigned long long>(events), sources, budget);
  std::printf("rows committed    %llu (+ %llu summarized into %llu summary writes)\n",
              static_cast<unsigned long long>(s.events_committed),
              static_cast<unsigned long long>(s.counters.events_summarized),
              static_cast<unsigned long long>(s.summaries_written));
  std::printf("dropped           %llu (producer retried %llu times on a full queue)\n",
              static_cast<unsigned long long>(s.counters.events_dropped), static_cast<unsigned long long>(retries));
  std::printf("batches           %llu\n", static_cast<unsigned long long>(s.batches));
  std::printf("elapsed           %.2f s (producer done after %.2f s)\n", secs, Seconds(produced - start));
  std::printf("throughput        %.0f events/s accepted and committed\n", static_cast<double>(events) / secs);
  std::printf("peak RSS          %.1f MiB\n", static_cast<double>(PeakRssKiB()) / 1024);

  // Read side over what was written.
  auto q0 = std::chrono::steady_clock::now();
  auto count = (*db)->CountEvents({});
  auto q1 = std::chrono::steady_clock::now();
  EventQuery one;
  one.source = Cidr::Parse(IpAddress::V4(0xCB007100u).ToString());
  one.limit = 100;
  auto rows = (*db)->QueryEvents(one);
  auto q2 = std::chrono::steady_clock::now();
  auto report = (*db)->BuildReport({t0, t0 + 86400ull * 1000000ull, 10, 24});
  auto q3 = std::chrono::steady_clock::now();
  if (!count.ok() || !rows.ok() || !report.ok()) {
    std::fprintf(stderr, "query failed\n");
    return 1;
  }
  std::printf("count(*)          %llu rows in %.3f s\n", static_cast<unsigned long long>(*count), Seconds(q1 - q0));
  std::printf("one source, 100   %.3f s\n", Seconds(q2 - q1));
  std::printf("report (24 h)     %.3f s\n", Seconds(q3 - q2));
  std::printf("database          %.1f MiB (%s)\n",
              static_cast<double>(std::filesystem::file_size(path)) / (1 << 20), path.c_str());
  db->reset();
  if (argc <= 4)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return 0;
}
