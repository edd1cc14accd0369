#include "store/port_set.h"

#include <gtest/gtest.h>

#include <set>

namespace portscope::store {
namespace {

TEST(PortSet, ExactAtEverySizeAndRoundTripsThroughItsStoredForm) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, PortSet::kListMax, PortSet::kListMax + 1, size_t{4095},
                   size_t{4096}, size_t{40000}, size_t{65536}}) {
    PortSet s;
    std::set<uint16_t> ref;
    for (size_t i = 0; i < n; ++i) {
      uint16_t p = static_cast<uint16_t>((i * 40503u + 7) % 65536);  // 40503 is odd: a permutation
      EXPECT_EQ(s.Insert(p), ref.insert(p).second);
      EXPECT_FALSE(s.Insert(p));
    }
    ASSERT_EQ(s.size(), ref.size()) << n;
    EXPECT_EQ(s.ToVector(), std::vector<uint16_t>(ref.begin(), ref.end())) << n;
    std::string blob = s.Encode();
    EXPECT_EQ(blob.size(), ref.size() <= 4095 ? ref.size() * 2 : 8192u) << n;
    PortSet back;
    EXPECT_TRUE(PortSet::Decode(blob, &back));
    EXPECT_EQ(back.ToVector(), s.ToVector());
    for (uint16_t p : {uint16_t{0}, uint16_t{7}, uint16_t{80}, uint16_t{65535}})
      EXPECT_EQ(PortSet::EncodedContains(blob, p), ref.count(p) == 1) << n << " " << p;
  }
}

TEST(PortSet, MergeUnitesListsAndBitmaps) {
  PortSet a, b;
  for (uint16_t p = 0; p < 1000; ++p) a.Insert(p);
  for (uint16_t p = 900; p < 950; ++p) b.Insert(p);
  b.Insert(60000);
  PortSet c = b;
  c.Merge(a);
  EXPECT_EQ(c.size(), 1001u);
  a.Merge(b);
  EXPECT_EQ(a.size(), 1001u);
  EXPECT_TRUE(a.Contains(60000));
  EXPECT_EQ(a.ToVector(), c.ToVector());
}

TEST(PortSet, DamagedBlobsDecodeSafely) {
  PortSet s;
  EXPECT_FALSE(PortSet::Decode(std::string("\x00\x16\x00", 3), &s));  // odd length
  EXPECT_EQ(s.ToVector(), std::vector<uint16_t>{22});
  EXPECT_FALSE(PortSet::Decode(std::string("\x00\x50\x00\x16", 4), &s));  // unsorted
  EXPECT_EQ(s.size(), 2u);
  EXPECT_TRUE(PortSet::Decode("", &s));
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(PortSet::EncodedContains("", 0));
  EXPECT_FALSE(PortSet::EncodedContains(std::string("\x01", 1), 1));
}

}  // namespace
}  // namespace portscope::store
