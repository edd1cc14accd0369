#include "detect/config.h"

#include <gtest/gtest.h>

#include "detect/source_state.h"

namespace portscope::detect {
namespace {

TEST(DetectConfig, DefaultsAreValid) { EXPECT_TRUE(Config{}.Validate().ok()); }

TEST(DetectConfig, OutOfBoundsFieldsAreNamedAndClamped) {
  Config c;
  c.max_sources = 0;
  Status s = c.Validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("max_sources"), std::string::npos) << s.message();
  EXPECT_EQ(c.Clamped().max_sources, 1u);

  c = Config{};
  c.fast.min_ports = kEvidenceRing + 1;  // could never fire
  EXPECT_NE(c.Validate().message().find("fast.min_ports"), std::string::npos);
  EXPECT_EQ(c.Clamped().fast.min_ports, kEvidenceRing);

  c = Config{};
  c.slow.window_us = 10 * kHourUs;  // longer than sources are remembered
  // Times are said as durations, as they are given (10h, not 36000000000).
  EXPECT_NE(c.Validate().message().find("source_idle_timeout must be between 10 h and 7 d (it is 4 h)"),
            std::string::npos)
      << c.Validate().message();
  EXPECT_TRUE(c.Clamped().Validate().ok());
  c = Config{};
  c.fast.window_us = 0;
  EXPECT_NE(c.Validate().message().find("fast.window must be between 1 ms and 7 d (it is 0 s)"), std::string::npos)
      << c.Validate().message();

  c = Config{};
  c.trw.theta1 = 0.9;
  EXPECT_NE(c.Validate().message().find("trw.theta1"), std::string::npos);
  EXPECT_EQ(c.Clamped().trw.theta1, kDefaultTrwTheta1);
}

TEST(SourceState, WindowCountsDistinctPortsAndHostsWithinTheWindow) {
  SourceState s;
  auto add = [&s](uint64_t t, uint32_t host, uint16_t port) {
    return AddEvidence(s, EvidenceItem{t, host, port, 6, 0});
  };
  EXPECT_TRUE(add(1'000'000, 1, 22));
  EXPECT_FALSE(add(1'100'000, 1, 22));  // the same target again
  EXPECT_TRUE(add(1'200'000, 1, 23));
  EXPECT_TRUE(add(1'300'000, 2, 22));
  EXPECT_TRUE(add(9'000'000, 3, 80));
  WindowEvidence w = CountWindow(s, 10'000'000);
  EXPECT_EQ(w.targets, 4u);
  EXPECT_EQ(w.ports, 3u);
  EXPECT_EQ(w.hosts, 3u);
  EXPECT_EQ(w.span_us, 8'000'000u);
  w = CountWindow(s, 1'000'000);  // only the last
  EXPECT_EQ(w.targets, 1u);
  WindowRule rule{10'000'000, 3, 0, 0, 0};
  EXPECT_TRUE(RuleFires(rule, CountWindow(s, 10'000'000)));
  EXPECT_EQ(RuleMinimum(WindowRule{1, 6, 8, 3, 4}), 4u);
}

TEST(SourceState, TheEvidenceRingOverwritesTheOldestAndCountsIt) {
  SourceState s;
  for (uint16_t p = 0; p < kEvidenceRing + 5; ++p) AddEvidence(s, EvidenceItem{p, 1, p, 6, 0});
  EXPECT_EQ(s.evidence_size, kEvidenceRing);
  EXPECT_EQ(s.evidence_lost, 5u);
  EXPECT_EQ(CountWindow(s, 1'000'000).ports, kEvidenceRing);
}

TEST(SourceState, ContactsRememberTheLastDistinctTargets) {
  SourceState s;
  EXPECT_TRUE(NoteContact(s, 7));
  EXPECT_FALSE(NoteContact(s, 7));
  for (uint32_t t = 100; t < 100 + kContactRing; ++t) NoteContact(s, t);
  EXPECT_TRUE(NoteContact(s, 7));  // forgotten after kContactRing others
}

}  // namespace
}  // namespace portscope::detect
