// The FAQ answers only from the facts: each answer names its source, and an
// unassigned port is never called assigned (nor the reverse).
#include "registry/faq.h"

#include <gtest/gtest.h>

namespace portscope::registry {
namespace {

bool Has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

uint16_t FirstUnassignedUserPort(const Registry& reg) {
  for (uint32_t p = 1024; p < 49152; ++p)
    if (reg.Lookup({static_cast<uint16_t>(p), Proto::kTcp}).iana_status == IanaStatus::kUnassigned &&
        reg.Lookup({static_cast<uint16_t>(p), Proto::kUdp}).iana_status == IanaStatus::kUnassigned)
      return static_cast<uint16_t>(p);
  return 0;
}

TEST(Faq, AssignedPortSaysYesAndNamesServiceAndSource) {
  Registry reg;
  ASSERT_NE(reg.layer(SourceKind::kIana), nullptr);
  auto faq = BuildFaq(reg, 2244);
  ASSERT_EQ(faq.size(), 4u);
  EXPECT_EQ(faq[0].question, "Is port 2244 assigned?");
  EXPECT_TRUE(faq[0].answer.starts_with("Yes. IANA assigns port 2244 over TCP and UDP to nmsserver")) << faq[0].answer;
  EXPECT_TRUE(Has(faq[0].answer, "Source: IANA")) << faq[0].answer;
  EXPECT_TRUE(Has(faq[1].answer, "IANA registers nmsserver")) << faq[1].answer;
  EXPECT_EQ(faq[2].question, "Is it safe to block port 2244?");
  EXPECT_TRUE(Has(faq[2].answer, "nmsserver")) << faq[2].answer;
  EXPECT_TRUE(Has(faq[3].answer, "no security note")) << faq[3].answer;
}

TEST(Faq, UnassignedPortSaysNo) {
  Registry reg;
  uint16_t port = FirstUnassignedUserPort(reg);
  ASSERT_NE(port, 0);
  auto faq = BuildFaq(reg, port);
  EXPECT_TRUE(faq[0].answer.starts_with("No. ")) << faq[0].answer;
  EXPECT_FALSE(Has(faq[0].answer, "IANA assigns")) << faq[0].answer;
  EXPECT_TRUE(Has(faq[2].answer, "IANA registers no service")) << faq[2].answer;
}

TEST(Faq, DynamicPortsAreNeverAssignedAndSecurityNotesAreCited) {
  Registry reg;
  auto dyn = BuildFaq(reg, 60000);
  EXPECT_TRUE(Has(dyn[0].answer, "IANA never assigns")) << dyn[0].answer;
  EXPECT_TRUE(Has(dyn[2].answer, "Dynamic Port")) << dyn[2].answer;
  auto elite = BuildFaq(reg, 31337);
  EXPECT_TRUE(Has(elite[3].answer, "security notes for it")) << elite[3].answer;
  EXPECT_TRUE(Has(elite[3].answer, "(source: ")) << elite[3].answer;
  auto ssh = BuildFaq(reg, 22);
  EXPECT_TRUE(Has(ssh[3].answer, "System Port")) << ssh[3].answer;
  EXPECT_TRUE(Has(ssh[2].answer, "open in ")) << ssh[2].answer;  // nmap frequency
}

}  // namespace
}  // namespace portscope::registry
