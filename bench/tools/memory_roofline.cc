// memory_roofline: how many independent random cache-line reads per second
// one core of this machine makes over a table of a given size, with and
// without software prefetching. It bounds any per-packet engine whose state
// is spread at random over tables that size (detect::Engine's are ~70 MB at
// the defaults): frames per second <= lines per second / random lines per
// frame. Used by bench/memory-roofline.sh; see bench/RESULTS.md.
//
// Usage: memory_roofline MIB [PREFETCH_DISTANCE]
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  const int distance = argc > 2 ? std::atoi(argv[2]) : 16;
  if (mib == 0 || mib > 4096 || distance < 0 || distance > 1024) {
    std::fprintf(stderr, "usage: memory_roofline MIB(1-4096) [PREFETCH_DISTANCE(0-1024)]\n");
    return 2;
  }
  const size_t bytes = mib << 20;
  const size_t lines = bytes / 64;
  // 2 MiB aligned and huge-page advised, as the engine's tables are.
  char* table = static_cast<char*>(std::aligned_alloc(size_t{2} << 20, bytes));
  if (table == nullptr) return 1;
  (void)madvise(table, bytes, MADV_HUGEPAGE);
  std::memset(table, 1, bytes);
  constexpr size_t kReads = 50'000'000;
  std::vector<uint32_t> index(kReads);
  uint64_t x = 88172645463325252ull;  // xorshift64
  for (uint32_t& i : index) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    i = static_cast<uint32_t>(x % lines);
  }
  uint64_t sum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kReads; ++i) {
    if (distance > 0 && i + static_cast<size_t>(distance) < kReads)
      __builtin_prefetch(table + 64 * size_t{index[i + static_cast<size_t>(distance)]});
    sum += static_cast<uint8_t>(table[64 * size_t{index[i]}]);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%5zu MiB table, prefetch %3d ahead: %6.1f M random lines/s (%.1f ns each)%s\n", mib, distance,
              static_cast<double>(kReads) / s / 1e6, s / static_cast<double>(kReads) * 1e9, sum == 0 ? " " : "");
  std::free(table);
  return 0;
}
