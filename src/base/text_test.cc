#include "base/text.h"

#include <gtest/gtest.h>

#include "base/byte_reader.h"

namespace portscope {
namespace {

TEST(ParseUint, AcceptsOnlyPlainDecimalsInRange) {
  EXPECT_EQ(ParseUint("0", 65535), 0u);
  EXPECT_EQ(ParseUint("65535", 65535), 65535u);
  EXPECT_FALSE(ParseUint("65536", 65535));
  EXPECT_FALSE(ParseUint("", 65535));
  EXPECT_FALSE(ParseUint("-1", 65535));
  EXPECT_FALSE(ParseUint("+1", 65535));
  EXPECT_FALSE(ParseUint(" 1", 65535));
  EXPECT_FALSE(ParseUint("1a", 65535));
  EXPECT_FALSE(ParseUint("99999999999999999999", 65535));
}

TEST(EscapeForTerminal, KeepsPrintableAndUtf8EscapesTheRest) {
  EXPECT_EQ(EscapeForTerminal("nmsserver"), "nmsserver");
  EXPECT_EQ(EscapeForTerminal("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(EscapeForTerminal("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(EscapeForTerminal("a\\b"), "a\\x5cb");
  EXPECT_EQ(EscapeForTerminal(std::string_view("\0\n\x7f", 3)), "\\x00\\x0a\\x7f");
  EXPECT_EQ(EscapeForTerminal("\xC2\x9B"), "\\xc2\\x9b");  // C1 CSI
  EXPECT_EQ(EscapeForTerminal("\xC0\xAF"), "\\xc0\\xaf");  // overlong '/'
  EXPECT_EQ(EscapeForTerminal("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(EscapeForTerminal("\xE2\x82"), "\\xe2\\x82");  // truncated
}

TEST(Text, SplitKeepsEmptyFieldsAndWhitespaceSplitDropsThem) {
  EXPECT_EQ(Split("a,,b", ',').size(), 3u);
  EXPECT_EQ(SplitWhitespace("  a \t b  ").size(), 2u);
  EXPECT_TRUE(ContainsIgnoreCase("PostgreSQL Database", "postgres"));
  EXPECT_FALSE(ContainsIgnoreCase("abc", "abcd"));
  EXPECT_EQ(WithCommas(48128), "48,128");
  EXPECT_EQ(WithCommas(0), "0");
}

TEST(ByteReader, FailsInsteadOfReadingPastTheEnd) {
  const uint8_t bytes[] = {0x12, 0x34, 0x56};
  ByteReader r(bytes);
  uint16_t v = 0;
  ASSERT_TRUE(r.U16Be(&v));
  EXPECT_EQ(v, 0x1234);
  uint32_t w = 0;
  EXPECT_FALSE(r.U32Le(&w));
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.remaining(), 0u);
  uint8_t b = 0;
  EXPECT_FALSE(r.U8(&b));  // stays failed
}

}  // namespace
}  // namespace portscope

#include "base/ip_address.h"

namespace portscope {
namespace {

TEST(IpAddress, ParsesPrintsAndClassifies) {
  auto v4 = IpAddress::Parse("127.0.0.2");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_TRUE(v4->is_loopback());
  EXPECT_EQ(v4->ToString(), "127.0.0.2");
  EXPECT_EQ(v4->v4(), 0x7f000002u);
  EXPECT_EQ(IpAddress::V4(0x7f000002u), *v4);
  auto v6 = IpAddress::Parse("2001:db8:0:0::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
  EXPECT_TRUE(IpAddress::Parse("::1")->is_loopback());
  EXPECT_TRUE(IpAddress::Parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::Parse("::")->is_unspecified());
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "::g", "1.2.3.4 ", "localhost"})
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
}

// The seed decides where an address lands: the same seed always the same
// place, another seed elsewhere; neighbouring addresses spread evenly.
TEST(SeededIpHash, KeyedByItsSeedAndSpreadsNeighbours) {
  const SeededIpHash a{0x1234}, b{0x1235};
  const IpAddress x = *IpAddress::Parse("203.0.113.9");
  EXPECT_EQ(a(x), a(*IpAddress::Parse("203.0.113.9")));
  int same = 0;
  std::vector<int> buckets(64);
  for (uint32_t i = 0; i < 4096; ++i) {
    const IpAddress y = IpAddress::V4(0xc6120000u + i);  // 198.18.0.0/20
    same += a(y) == b(y);
    ++buckets[a(y) % 64];
  }
  EXPECT_EQ(same, 0);
  for (int n : buckets) EXPECT_LT(n, 128) << "4096 addresses in 64 buckets";
  EXPECT_NE(RandomHashSeed(), RandomHashSeed());
}

TEST(PortRuns, ConsecutivePortsBecomeRunsInTheOrderGiven) {
  const std::vector<uint16_t> ports = {22, 80, 81, 82, 443, 65534, 65535};
  EXPECT_EQ(PortRuns(ports), "22,80-82,443,65534-65535");
  EXPECT_EQ(PortRuns(std::vector<uint16_t>{}), "");
  EXPECT_EQ(PortRuns(std::vector<uint16_t>{0, 1}), "0-1");
  // Not sorted: runs only where the next number follows.
  EXPECT_EQ(PortRuns(std::vector<uint16_t>{5, 3, 4, 5}), "5,3-5");
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  EXPECT_EQ(PortRuns(all), "0-65535");
}

TEST(PortRuns, CutAtAWidthOrWhenTheListWasCut) {
  const std::vector<uint16_t> ports = {1, 3, 5, 7, 9, 11};
  EXPECT_EQ(PortRuns(ports, 5), "1,3,5,...");
  EXPECT_EQ(PortRuns(ports, 0), "...");
  EXPECT_EQ(PortRuns(std::vector<uint16_t>{40100, 40101, 40102}, 100, /*more=*/true), "40100-40102,...");
  EXPECT_EQ(PortRuns(std::vector<uint16_t>{}, 100, true), "");
}

}  // namespace
}  // namespace portscope
