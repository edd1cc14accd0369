#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "detect/table_memory.h"

namespace portscope::detect {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

void* AllocateTableMemory(size_t bytes) {
  // Below one huge page the alignment would only waste memory.
  const size_t align = bytes >= kHugePage ? kHugePage : 64;
  const size_t rounded = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Advice only: without transparent huge pages the tables work the same,
  // with more TLB misses.
  if (align == kHugePage) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  std::memset(p, 0, rounded);
  return p;
}

void FreeTableMemory(void* p) { std::free(p); }

}  // namespace portscope::detect
