#include "packet/reject.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace portscope::packet {
namespace {

TEST(Reject, EveryReasonHasADistinctSnakeCaseName) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kRejectCount; ++i) {
    const std::string_view name = RejectName(static_cast<Reject>(i));
    ASSERT_FALSE(name.empty()) << "reason " << i << " has no name";
    for (char c : name)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_EQ(RejectName(Reject::kNone), "none");
  EXPECT_EQ(RejectName(Reject::kTruncatedIpv4), "truncated_ipv4");
  EXPECT_EQ(RejectName(Reject::kIpv6ExtChainTooLong), "ipv6_ext_chain_too_long");
  EXPECT_EQ(RejectName(Reject::kCount), "unknown");
}

TEST(RejectCounters, AddTotalAndSum) {
  RejectCounters a;
  a.Add(Reject::kNotIp);
  a.Add(Reject::kNotIp);
  a.Add(Reject::kTruncatedTcp);
  a.Add(Reject::kNone);   // counted apart: not a reject
  a.Add(Reject::kCount);  // out of range: ignored
  EXPECT_EQ(a[Reject::kNotIp], 2u);
  EXPECT_EQ(a.total(), 3u);
  RejectCounters b;
  b.Add(Reject::kTruncatedTcp);
  b += a;
  EXPECT_EQ(b[Reject::kTruncatedTcp], 2u);
  EXPECT_EQ(b.total(), 4u);
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace portscope::packet
