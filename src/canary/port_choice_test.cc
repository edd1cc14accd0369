#include "canary/port_choice.h"

#include <gtest/gtest.h>

namespace portscope::canary {
namespace {

TEST(PortChoice, PicksFreeUnassignedPortsOutsideTheEphemeralRangeDeterministically) {
  registry::Registry reg;
  PortChoice c;
  c.count = 20;
  c.seed = 42;
  c.ephemeral = {32768, 60999};
  auto a = ChooseUnassignedPorts(reg, c);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->size(), 20u);
  for (uint16_t p : *a) {
    EXPECT_EQ(reg.LookupBrief({p, registry::Proto::kTcp}).status, registry::IanaStatus::kUnassigned) << p;
    EXPECT_EQ(reg.LookupBrief({p, registry::Proto::kUdp}).status, registry::IanaStatus::kUnassigned) << p;
    EXPECT_TRUE(p < 32768 || p > 60999) << p;
  }
  EXPECT_TRUE(std::is_sorted(a->begin(), a->end()));
  EXPECT_EQ(std::set<uint16_t>(a->begin(), a->end()).size(), 20u);  // distinct
  auto b = ChooseUnassignedPorts(reg, c);
  EXPECT_EQ(*a, *b);  // same seed, same ports
  c.seed = 43;
  EXPECT_NE(*ChooseUnassignedPorts(reg, c), *a);
  // Held ports are never chosen.
  c.seed = 42;
  c.held = std::set<uint16_t>(a->begin(), a->end());
  auto d = ChooseUnassignedPorts(reg, c);
  for (uint16_t p : *d) EXPECT_FALSE(c.held.count(p));
  // Spread: the seeded half covers low and high parts of the space.
  EXPECT_LT(a->front(), 16384);
  EXPECT_GT(a->back(), 20000);
}

TEST(PortChoice, AskingForMoreThanExistIsAClearError) {
  registry::Registry reg;
  PortChoice c;
  c.count = 70000;
  auto r = ChooseUnassignedPorts(reg, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unassigned ports are free"), std::string::npos);
}

}  // namespace
}  // namespace portscope::canary
