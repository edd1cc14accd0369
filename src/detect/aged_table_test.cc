#include "detect/aged_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "detect/keyed_hash.h"

namespace portscope::detect {
namespace {

struct Item {
  uint64_t key = 0;
  AgedLinks links;
};

using Table = AgedTable<Item, 2>;

template <typename T>
uint32_t Find(const T& t, uint64_t key, uint64_t hash) {
  return t.Find(hash, [key](const Item& i) { return i.key == key; });
}

TEST(AgedTable, MatchesAMapUnderRandomInsertsAndRemoves) {
  Table table(1000);
  std::map<uint64_t, uint32_t> model;  // key -> slot
  std::mt19937_64 rng(5);
  KeyedHash hash(9);
  auto h = [&hash](uint64_t k) { return hash.Bytes(reinterpret_cast<const uint8_t*>(&k), sizeof k); };
  for (int step = 0; step < 200000; ++step) {
    const uint64_t key = rng() % 3000;
    const uint32_t slot = Find(table, key, h(key));
    const auto it = model.find(key);
    ASSERT_EQ(slot == kNoSlot, it == model.end()) << "step " << step;
    if (it != model.end()) {
      ASSERT_EQ(slot, it->second);
      if (rng() % 2) {
        table.Remove(slot);
        model.erase(it);
      }
    } else if (!table.full()) {
      const uint32_t s = table.Insert(h(key), static_cast<uint32_t>(key % 2));
      ASSERT_NE(s, kNoSlot);
      table[s].key = key;
      model[key] = s;
    }
    ASSERT_EQ(table.size(), model.size());
  }
}

TEST(AgedTable, ListsKeepAgeOrderAndMoveToBackRefreshes) {
  Table table(4);
  uint32_t s[4];
  for (uint64_t k = 0; k < 4; ++k) {
    s[k] = table.Insert(k * 0x9e3779b97f4a7c15ULL, 0);
    table[s[k]].key = k;
  }
  EXPECT_TRUE(table.full());
  EXPECT_EQ(table[table.Front(0)].key, 0u);
  table.MoveToBack(s[0], 0);
  EXPECT_EQ(table[table.Front(0)].key, 1u);
  table.MoveToBack(s[1], 1);
  EXPECT_EQ(table[table.Front(0)].key, 2u);
  EXPECT_EQ(table[table.Front(1)].key, 1u);
  std::vector<uint64_t> order;
  for (uint32_t i = table.Front(0); i != kNoSlot; i = table.Next(i)) order.push_back(table[i].key);
  EXPECT_EQ(order, (std::vector<uint64_t>{2, 3, 0}));
  table.Remove(s[3]);
  EXPECT_FALSE(table.full());
  EXPECT_EQ(table.size(), 3u);
}

// FIFO lists (rings with holes) keep exactly the order linked lists do, through removals anywhere, moves to the back, moves to and from
// another list, and the compactions that many holes force.
TEST(AgedTable, FifoListMatchesALinkedList) {
  constexpr uint32_t kCapacity = 50;
  AgedTable<Item, 2> linked(kCapacity);
  AgedTable<Item, 2, /*kFifoLists=*/3> fifo(kCapacity);
  std::vector<uint64_t> keys;  // live keys, same slots in both (same operations, same free lists)
  std::mt19937_64 rng(11);
  auto order = [](const auto& t, uint32_t list) {
    std::vector<uint64_t> out;
    for (uint32_t i = t.Front(list); i != kNoSlot; i = t.Next(i)) out.push_back(t[i].key);
    return out;
  };
  uint64_t next_key = 1;
  for (int step = 0; step < 100000; ++step) {
    const uint32_t op = static_cast<uint32_t>(rng() % 8);
    if (op < 3 && !linked.full()) {
      const uint64_t key = next_key++;
      const uint32_t list = op == 0 ? 1 : 0;
      const uint32_t a = linked.Insert(key * 0x9e3779b97f4a7c15ULL, list);
      const uint32_t b = fifo.Insert(key * 0x9e3779b97f4a7c15ULL, list);
      ASSERT_EQ(a, b);
      linked[a].key = fifo[b].key = key;
      keys.push_back(key);
    } else if (!keys.empty()) {
      const size_t i = rng() % keys.size();
      const uint32_t slot = Find(linked, keys[i], keys[i] * 0x9e3779b97f4a7c15ULL);
      ASSERT_EQ(slot, Find(fifo, keys[i], keys[i] * 0x9e3779b97f4a7c15ULL));
      if (op < 6) {
        linked.Remove(slot);
        fifo.Remove(slot);
        keys.erase(keys.begin() + static_cast<long>(i));
      } else {
        const uint32_t list = op == 6 ? 0 : 1;
        linked.MoveToBack(slot, list);
        fifo.MoveToBack(slot, list);
      }
    }
    ASSERT_EQ(order(linked, 0), order(fifo, 0)) << "step " << step;
    ASSERT_EQ(order(linked, 1), order(fifo, 1)) << "step " << step;
  }
}

TEST(AgedTable, CollidingHashesAreCappedNotUnbounded) {
  // Every key on one bucket (what a keyed hash prevents): inserts beyond the
  // probe cap fail instead of growing the chain.
  Table table(1000);
  int inserted = 0;
  for (uint64_t k = 0; k < 100; ++k) {
    const uint32_t s = table.Insert(42, 0);
    if (s == kNoSlot) break;
    table[s].key = k;
    ++inserted;
  }
  EXPECT_EQ(inserted, static_cast<int>(kMaxProbeDistance));
  EXPECT_EQ(Find(table, 5, 42) != kNoSlot, true);
  EXPECT_EQ(Find(table, 500, 42), kNoSlot);
}

TEST(KeyedHash, SequentialAddressesSpreadOverTheBuckets) {
  // 65,536 consecutive IPv4 addresses (a scan of a /16, or a flood of spoofed
  // neighbours) at an AgedTable's load of 1/4: the longest linear-probing run
  // stays well below the probe cap, as for a random function (whose longest
  // run here is about 10, and at most 14 in 40 trials).
  constexpr uint32_t kMask = (1u << 18) - 1;
  for (uint64_t seed : {1u, 2u, 77u}) {
    const KeyedHash h(seed);
    std::vector<uint8_t> used(kMask + 1);
    uint32_t longest = 0;
    for (uint32_t a = 0; a < 65536; ++a) {
      uint32_t i = static_cast<uint32_t>(h.Address(IpAddress::V4(0xc6120000u + a))) & kMask;
      uint32_t d = 0;
      while (used[i]) i = (i + 1) & kMask, ++d;
      used[i] = 1;
      longest = std::max(longest, d);
    }
    EXPECT_LT(longest, kMaxProbeDistance * 3 / 4) << "seed " << seed;
  }
  EXPECT_NE(KeyedHash(1).Address(IpAddress::V4(0xc0000201u)), KeyedHash(2).Address(IpAddress::V4(0xc0000201u)));
  const uint8_t three[3] = {1, 2, 3};
  EXPECT_NE(KeyedHash(1).Bytes(three, 3), KeyedHash(1).Bytes(three, 2));
}

TEST(KeyedHash, FastPathsEqualTheGenericHash) {
  const KeyedHash h(77);
  const IpAddress a = *IpAddress::Parse("2001:db8::1");
  EXPECT_EQ(h.Address(a), h.Bytes(a.bytes().data(), 16));
  EXPECT_NE(EndpointHash(h.Address(a), 8016, 6), EndpointHash(h.Address(a), 8016, 17));
  EXPECT_NE(EndpointHash(h.Address(a), 8016, 6), EndpointHash(h.Address(a), 8017, 6));
  const IpAddress v4 = *IpAddress::Parse("192.0.2.7");
  EXPECT_TRUE(IsV4(v4));
  EXPECT_FALSE(IsV4(a));
  EXPECT_EQ(V4Bits(v4), v4.v4());
  EXPECT_TRUE(SameAddress(v4, IpAddress::V4(0xc0000207u)));
  EXPECT_FALSE(SameAddress(v4, a));
}

}  // namespace
}  // namespace portscope::detect
