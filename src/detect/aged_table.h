// AgedPool and AgedTable: the fixed-capacity containers behind every table in
// detect/ (sources, flows, scans).
//
// AgedPool<Entry, kLists> is an array of `capacity` entries allocated once,
// each either free or on one of kLists lists. A list is kept in age order by
// its user (entries are appended, or moved to the back when touched), so the
// oldest entry of a list is its front: expiry pops fronts while they are too
// old, eviction takes a front. Nothing allocates after construction.
//
// Lists are intrusive doubly-linked lists, except those in the kFifoLists
// bit mask (bit i for list i): each of those is a ring of slots in append
// order where a removed entry leaves a hole (kNoSlot) that the front skips,
// compacted when it fills (it has room for 2 x capacity entries, so at most
// once per capacity appends). The order is the same as a linked list's; what
// differs is the memory touched. Unlinking from a linked list writes both
// neighbours, and walking it from the front is a chain of dependent loads,
// one cache miss per entry on a table much larger than the cache; the ring
// is written at its back and read in sequence, so the entries that will
// leave the front next are known (RingSlotAt) and can be prefetched long
// before they do. Cost: 8 bytes of ring per entry and list.

// AgedTable adds a hash index: open addressing with linear probing over
// 4 x capacity buckets (load <= 1/4), backward-shift deletion (no
// tombstones), and a cap of kMaxProbeDistance buckets per lookup. Each bucket
// packs the entry's slot with 39 bits of its hash, so a lookup reads entries
// only on a 39-bit hash match and deletion never reads entries. Hashes must be
// keyed (KeyedHash): the cap bounds the work an attacker can force, the key
// stops him from forcing it.
//
// Entry must have a member `AgedLinks links` and be default-constructible.
// Slots are stable for an entry's lifetime; a removed slot is reused.
// Not thread-safe.
#ifndef PORTSCOPE_DETECT_AGED_TABLE_H_
#define PORTSCOPE_DETECT_AGED_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "detect/limits.h"
#include "detect/table_memory.h"

namespace portscope::detect {

inline constexpr uint32_t kNoSlot = 0xffffffffu;
inline constexpr uint8_t kFreeMark = 0xff;  // AgedLinks::list of a free slot

struct AgedLinks {
  uint32_t prev = kNoSlot;  // on a FIFO list: the entry's ring position
  uint32_t next = kNoSlot;
  uint32_t hash_lo = 0;  // low 32 bits of the entry's hash (AgedTable)
  uint8_t list = 0;
  uint16_t user = 0;  // the entry's own (the containers never touch it): what would otherwise be padding
};

template <typename Entry, uint32_t kLists, uint32_t kFifoLists = 0>
class AgedPool {
 public:
  /// REQUIRES: 1 <= capacity < 2^25.
  explicit AgedPool(uint32_t capacity) : capacity_(capacity), entries_(MakeTableArray<Entry>(capacity)) {
    for (uint32_t i = 0; i < capacity; ++i) {
      entries_[i].links.next = i + 1 < capacity ? i + 1 : kNoSlot;
      entries_[i].links.list = kFreeMark;
    }
    free_ = 0;
    heads_.fill(kNoSlot);
    tails_.fill(kNoSlot);
    for (uint32_t list = 0; list < kLists; ++list) {
      if (!IsFifo(list)) continue;
      uint32_t n = 2;
      while (n < 2 * uint64_t{capacity}) n <<= 1;
      rings_[list].mask = n - 1;
      rings_[list].slots = MakeTableArray<uint32_t>(n);
    }
  }

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  bool full() const { return size_ == capacity_; }
  size_t memory_bytes() const {
    size_t bytes = sizeof(Entry) * size_t{capacity_};
    for (uint32_t list = 0; list < kLists; ++list) {
      if (IsFifo(list)) bytes += sizeof(uint32_t) * (size_t{rings_[list].mask} + 1);
    }
    return bytes;
  }

  Entry& operator[](uint32_t slot) { return entries_[slot]; }
  const Entry& operator[](uint32_t slot) const { return entries_[slot]; }
  /// Whether `slot` (any value) holds a live entry.
  bool live(uint32_t slot) const { return slot < capacity_ && entries_[slot].links.list != kFreeMark; }
  /// Hints the CPU to fetch `lines` cache lines of an entry from `first`.
  void PrefetchSlot(uint32_t slot, int lines, int first = 0) const {
    if (slot >= capacity_) return;
    const char* e = reinterpret_cast<const char*>(&entries_[slot]);
    for (int i = first; i < first + lines; ++i) __builtin_prefetch(e + 64 * i);
  }

  /// Oldest entry of `list`, or kNoSlot.
  uint32_t Front(uint32_t list) const {
    if (IsFifo(list)) {
      const Ring& r = rings_[list];
      return r.head == r.tail ? kNoSlot : r.slots[r.head & r.mask];
    }
    return heads_[list];
  }
  /// The entry after `slot` on its list (towards the newest), or kNoSlot.
  uint32_t Next(uint32_t slot) const {
    const AgedLinks& l = entries_[slot].links;
    if (!IsFifo(l.list)) return l.next;
    const Ring& r = rings_[l.list];
    for (uint32_t pos = l.prev + 1; pos != r.tail; ++pos) {
      if (r.slots[pos & r.mask] != kNoSlot) return r.slots[pos & r.mask];
    }
    return kNoSlot;
  }
  /// FIFO lists: ring positions, for prefetching the entries that leave the
  /// front next. RingFront(list) is the front's position (it only grows,
  /// wrapping at 2^32, except that compaction renumbers the entries behind
  /// it); RingSlotAt(list, pos) is the slot at `pos`, kNoSlot for a hole or
  /// outside the ring.
  uint32_t RingFront(uint32_t list) const { return rings_[list].head; }
  uint32_t RingSlotAt(uint32_t list, uint32_t pos) const {
    const Ring& r = rings_[list];
    return IsFifo(list) && pos - r.head < r.tail - r.head ? r.slots[pos & r.mask] : kNoSlot;
  }

  /// Takes a free slot and appends it to `list`. REQUIRES: !full().
  uint32_t Allocate(uint32_t list) {
    uint32_t slot = free_;
    free_ = entries_[slot].links.next;
    ++size_;
    Append(slot, list);
    return slot;
  }

  /// Unlinks `slot` and returns it to the free list. The entry's contents
  /// stay as they were until the slot is reused.
  void Free(uint32_t slot) {
    Unlink(slot);
    entries_[slot].links.list = kFreeMark;
    entries_[slot].links.next = free_;
    free_ = slot;
    --size_;
  }

  /// Moves `slot` to the back (newest end) of `list`.
  void MoveToBack(uint32_t slot, uint32_t list) {
    Unlink(slot);
    Append(slot, list);
  }

 private:
  // A FIFO list: positions count up and wrap at 2^32; the ring holds
  // positions [head, tail), the one at head live.
  struct Ring {
    uint32_t mask = 0;
    TableArray<uint32_t> slots;
    uint32_t head = 0;
    uint32_t tail = 0;
  };

  static constexpr bool IsFifo(uint32_t list) { return list < 32 && ((kFifoLists >> list) & 1) != 0; }

  void Append(uint32_t slot, uint32_t list) {
    AgedLinks& l = entries_[slot].links;
    l.list = static_cast<uint8_t>(list);
    if (IsFifo(list)) {
      Ring& r = rings_[list];
      if (r.tail - r.head > r.mask) CompactRing(r);
      r.slots[r.tail & r.mask] = slot;
      l.prev = r.tail++;
      l.next = kNoSlot;
      return;
    }
    l.prev = tails_[list];
    l.next = kNoSlot;
    if (tails_[list] != kNoSlot) {
      entries_[tails_[list]].links.next = slot;
    } else {
      heads_[list] = slot;
    }
    tails_[list] = slot;
  }
  void Unlink(uint32_t slot) {
    AgedLinks& l = entries_[slot].links;
    if (IsFifo(l.list)) {
      Ring& r = rings_[l.list];
      r.slots[l.prev & r.mask] = kNoSlot;
      if (l.prev == r.head) {
        do {
          ++r.head;
        } while (r.head != r.tail && r.slots[r.head & r.mask] == kNoSlot);
      }
      return;
    }
    if (l.prev != kNoSlot) {
      entries_[l.prev].links.next = l.next;
    } else {
      heads_[l.list] = l.next;
    }
    if (l.next != kNoSlot) {
      entries_[l.next].links.prev = l.prev;
    } else {
      tails_[l.list] = l.prev;
    }
  }

  // Moves the live ring entries together behind the front, in order.
  void CompactRing(Ring& r) {
    uint32_t to = r.head;
    for (uint32_t from = r.head; from != r.tail; ++from) {
      const uint32_t slot = r.slots[from & r.mask];
      if (slot == kNoSlot) continue;
      r.slots[to & r.mask] = slot;
      entries_[slot].links.prev = to++;
    }
    r.tail = to;
  }

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t free_ = kNoSlot;
  TableArray<Entry> entries_;
  std::array<uint32_t, kLists> heads_;
  std::array<uint32_t, kLists> tails_;
  std::array<Ring, kLists> rings_;
};

template <typename Entry, uint32_t kLists, uint32_t kFifoLists = 0>
class AgedTable : public AgedPool<Entry, kLists, kFifoLists> {
  using Pool = AgedPool<Entry, kLists, kFifoLists>;

 public:
  /// REQUIRES: 1 <= capacity < 2^24.
  explicit AgedTable(uint32_t capacity)
      : Pool(capacity), mask_(BucketCount(capacity) - 1), buckets_(MakeTableArray<uint64_t>(size_t{mask_} + 1)) {}

  size_t memory_bytes() const { return Pool::memory_bytes() + sizeof(uint64_t) * (size_t{mask_} + 1); }

  /// The slot of the entry with this hash for which `eq(entry)` holds, or
  /// kNoSlot.
  template <typename Eq>
  uint32_t Find(uint64_t hash, Eq&& eq) const {
    const uint64_t want = hash & kHashMask;
    uint32_t i = static_cast<uint32_t>(hash) & mask_;
    for (uint32_t d = 0; d < kMaxProbeDistance; ++d, i = (i + 1) & mask_) {
      const uint64_t b = buckets_[i];
      if (b == 0) return kNoSlot;
      if ((b >> kSlotBits) == want) {
        const uint32_t slot = static_cast<uint32_t>(b & kSlotMask) - 1;
        if (eq((*this)[slot])) return slot;
      }
    }
    return kNoSlot;
  }

  /// Adds an entry with this hash at the back of `list` and returns its slot
  /// (contents as left by its previous user: the caller initialises them), or
  /// kNoSlot when the probe run from its bucket is longer than
  /// kMaxProbeDistance. REQUIRES: !full(); no entry equal to it is present.
  uint32_t Insert(uint64_t hash, uint32_t list) {
    uint32_t i = static_cast<uint32_t>(hash) & mask_;
    for (uint32_t d = 0; d < kMaxProbeDistance; ++d, i = (i + 1) & mask_) {
      if (buckets_[i] != 0) continue;
      const uint32_t slot = Pool::Allocate(list);
      (*this)[slot].links.hash_lo = static_cast<uint32_t>(hash);
      buckets_[i] = ((hash & kHashMask) << kSlotBits) | (uint64_t{slot} + 1);
      return slot;
    }
    return kNoSlot;
  }

  /// Removes the entry at `slot` from the index and its list.
  void Remove(uint32_t slot) {
    uint32_t i = (*this)[slot].links.hash_lo & mask_;
    while ((buckets_[i] & kSlotMask) != uint64_t{slot} + 1) i = (i + 1) & mask_;
    // Backward-shift deletion (Knuth, TAOCP 6.4 Algorithm R): move later
    // entries of the run into the hole unless that would put them before
    // their home bucket.
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & mask_; buckets_[j] != 0; j = (j + 1) & mask_) {
      const uint32_t home = static_cast<uint32_t>(buckets_[j] >> kSlotBits) & mask_;
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (stays) continue;
      buckets_[hole] = buckets_[j];
      hole = j;
    }
    buckets_[hole] = 0;
    Pool::Free(slot);
  }

  /// Hints the CPU to fetch the bucket this hash starts at.
  void PrefetchBucket(uint64_t hash) const { __builtin_prefetch(&buckets_[static_cast<uint32_t>(hash) & mask_]); }
  /// Hints the CPU to fetch the entry Find(hash) would compare first, if the
  /// run of buckets from the hash's home holds its tag within a few buckets;
  /// best some time after PrefetchBucket.
  void PrefetchEntry(uint64_t hash, int lines) const {
    const uint32_t slot = PeekSlot(hash);
    if (slot != kNoSlot) Pool::PrefetchSlot(slot, lines);
  }
  /// The slot of the first entry within a few buckets of the hash's home
  /// whose tag matches, or kNoSlot: probably Find(hash, ...)'s answer (a hint
  /// for prefetching what that entry leads to; the entry is not compared).
  uint32_t PeekSlot(uint64_t hash) const {
    const uint64_t want = hash & kHashMask;
    uint32_t i = static_cast<uint32_t>(hash) & mask_;
    for (int d = 0; d < 4; ++d, i = (i + 1) & mask_) {
      const uint64_t b = buckets_[i];
      if (b == 0) return kNoSlot;
      if ((b >> kSlotBits) == want) return static_cast<uint32_t>(b & kSlotMask) - 1;
    }
    return kNoSlot;
  }

 private:
  static constexpr int kSlotBits = 25;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  static constexpr uint64_t kHashMask = (uint64_t{1} << (64 - kSlotBits)) - 1;

  static uint32_t BucketCount(uint32_t capacity) {
    uint32_t n = 2;
    while (n < 4 * uint64_t{capacity}) n <<= 1;
    return n;
  }

  uint32_t mask_;
  TableArray<uint64_t> buckets_;
};

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_AGED_TABLE_H_
