#include "base/cidr.h"

#include <gtest/gtest.h>

namespace portscope {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

TEST(Cidr, ParsesAddressesAndBlocksOfBothFamilies) {
  auto one = Cidr::Parse("192.0.2.7");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->Contains(Ip("192.0.2.7")));
  EXPECT_FALSE(one->Contains(Ip("192.0.2.8")));
  EXPECT_EQ(one->ToString(), "192.0.2.7/32");

  auto block = Cidr::Parse("192.0.2.77/24");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->ToString(), "192.0.2.0/24");
  EXPECT_EQ(block->first(), Ip("192.0.2.0"));
  EXPECT_EQ(block->last(), Ip("192.0.2.255"));
  EXPECT_TRUE(block->Contains(Ip("192.0.2.200")));
  EXPECT_FALSE(block->Contains(Ip("192.0.3.0")));
  EXPECT_FALSE(block->Contains(Ip("::c000:201")));  // IPv4-compatible, not mapped

  auto v6 = Cidr::Parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains(Ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->Contains(Ip("2001:db9::")));
  EXPECT_FALSE(v6->Contains(Ip("192.0.2.1")));

  auto all4 = Cidr::Parse("0.0.0.0/0");
  ASSERT_TRUE(all4);
  EXPECT_TRUE(all4->Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(all4->Contains(Ip("::1")));
  auto all = Cidr::Parse("::/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->Contains(Ip("10.1.2.3")));
  EXPECT_TRUE(all->Contains(Ip("ffff::")));
  EXPECT_EQ(Cidr::Parse("10.0.0.0/13")->last(), Ip("10.7.255.255"));
}

TEST(Cidr, HostIsTheOneAddressBlockParseGives) {
  for (const char* text : {"192.0.2.7", "2001:db8::1", "::ffff:192.0.2.7", "::"}) {
    IpAddress a = *IpAddress::Parse(text);
    Cidr h = Cidr::Host(a), p = *Cidr::Parse(a.ToString());
    EXPECT_EQ(h.first(), p.first()) << text;
    EXPECT_EQ(h.last(), p.last()) << text;
    EXPECT_EQ(h.ToString(), p.ToString()) << text;
    EXPECT_TRUE(h.Contains(a));
  }
}

TEST(Cidr, RejectsJunk) {
  for (const char* bad : {"", "/", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/8x",
                          "10.0.0.0/-1", " 10.0.0.0/8", "example.com", "10.0.0.0/+8", "1.2.3.4/8/8"})
    EXPECT_FALSE(Cidr::Parse(bad)) << bad;
}

}  // namespace
}  // namespace portscope
