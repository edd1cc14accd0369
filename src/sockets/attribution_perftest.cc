// Process attribution, route against route, inside one process: the /proc
// walk (ProcFs::MapSockets) and the BPF iterator with the wanted-inode test
// in user space and in the kernel, over the same socket dump. Prints the
// median wall and CPU time of each. Run as root with many sockets open
// (../shared/bench/socket-fixture.c):
//   build/src/sockets/attribution_perftest [runs] [PORT|all] [proc|user|kernel]
// With a port, only that port's sockets are wanted (as `who PORT`); with "all"
// or nothing, every TCP and UDP socket (as `listening --all`). A route name
// runs that route alone (for perf record).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "sockets/bpf_attribution.h"
#include "sockets/procfs.h"
#include "sockets/socket_table.h"

namespace {

using portscope::sockets::BpfFilter;
using portscope::sockets::InodeIndex;

double Now(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs `route` `runs` times; prints medians and the number of matches.
void Time(const char* name, int runs, const std::function<size_t()>& route) {
  std::vector<double> wall, cpu;
  size_t matches = 0;
  for (int i = 0; i < runs; ++i) {
    double w = Now(CLOCK_MONOTONIC), c = Now(CLOCK_PROCESS_CPUTIME_ID);
    matches = route();
    wall.push_back(Now(CLOCK_MONOTONIC) - w);
    cpu.push_back(Now(CLOCK_PROCESS_CPUTIME_ID) - c);
  }
  std::printf("%-26s wall %7.1f ms  cpu %7.1f ms  (%zu matches, median of %d)\n", name, Median(wall), Median(cpu),
              matches, runs);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const std::string only = argc > 3 ? argv[3] : "";
  portscope::sockets::Query q;
  q.processes = false;
  if (argc > 2 && std::string(argv[2]) != "all") q.port = static_cast<uint16_t>(std::atoi(argv[2]));
  auto snap = portscope::sockets::TakeSnapshot(q);
  if (!snap.ok()) {
    std::fprintf(stderr, "socket dump: %s\n", snap.status().message().c_str());
    return 1;
  }
  InodeIndex index(snap->sockets.size());
  for (size_t i = 0; i < snap->sockets.size(); ++i)
    if (snap->sockets[i].inode != 0) index.Insert(snap->sockets[i].inode, static_cast<uint32_t>(i));
  std::printf("%zu sockets wanted\n", index.size());

  portscope::sockets::ProcFs proc;
  if (only.empty() || only == "proc") {
    Time("/proc walk", runs, [&] {
      size_t n = 0;
      portscope::sockets::Incomplete incomplete;
      proc.MapSockets(index, [&](uint32_t, int) { ++n; }, &incomplete);
      return n;
    });
  }
  for (auto [route, name, filter] : {std::tuple{"user", "bpf, test in user space", BpfFilter::kUser},
                                     std::tuple{"kernel", "bpf, test in the kernel", BpfFilter::kKernel}}) {
    if (!only.empty() && only != route) continue;
    Time(name, runs, [&, filter = filter] {
      size_t n = 0;
      auto s = portscope::sockets::MapSocketsWithBpf(index, [&](uint32_t, int) { ++n; }, filter);
      if (!s.ok()) {
        std::fprintf(stderr, "bpf: %s\n", s.message().c_str());
        std::exit(1);
      }
      return n;
    });
  }
  return 0;
}
