// Table memory: the large, fixed arrays behind detect/'s tables.
//
// The tables are tens of megabytes read at random, one cache line per touch,
// so with 4 KB pages nearly every touch also misses the TLB. Where the kernel
// allows (Linux transparent huge pages in "madvise" mode), the arrays are
// 2 MB-aligned and advised to use huge pages, which removes most of those
// misses (measured: src/detect/engine_perftest). Allocation happens once, at
// engine construction.
#ifndef PORTSCOPE_DETECT_TABLE_MEMORY_H_
#define PORTSCOPE_DETECT_TABLE_MEMORY_H_

#include <cstddef>
#include <memory>
#include <new>

namespace portscope::detect {

/// Zeroed memory for `bytes`, huge-page backed when possible. Never null
/// (allocation failure is fatal, as for operator new).
void* AllocateTableMemory(size_t bytes);
void FreeTableMemory(void* p);

/// An array of `n` value-initialised T in table memory. T must be trivially
/// destructible.
template <typename T>
struct TableArrayDeleter {
  void operator()(T* p) const { FreeTableMemory(p); }
};
template <typename T>
using TableArray = std::unique_ptr<T[], TableArrayDeleter<T>>;

template <typename T>
TableArray<T> MakeTableArray(size_t n) {
  static_assert(std::is_trivially_destructible_v<T>);
  T* p = static_cast<T*>(AllocateTableMemory(sizeof(T) * n));
  for (size_t i = 0; i < n; ++i) new (p + i) T();
  return TableArray<T>(p);
}

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_TABLE_MEMORY_H_
