#include "report/time_args.h"

#include <stdlib.h>
#include <time.h>

#include <gtest/gtest.h>

namespace portscope::report {
namespace {

constexpr uint64_t kS = 1000000;
constexpr uint64_t kNow = 1795319641ull * kS;  // 2026-11-22T03:54:01Z

// Local time is the TZ the test sets; restored after.
class TimeArgs : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    had_ = tz != nullptr;
    if (had_) old_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_) setenv("TZ", old_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  bool had_ = false;
  std::string old_;
};

TEST_F(TimeArgs, SpansBackFromNow) {
  EXPECT_EQ(*ParseTimeArg("90s", kNow), kNow - 90 * kS);
  EXPECT_EQ(*ParseTimeArg("10m", kNow), kNow - 600 * kS);
  EXPECT_EQ(*ParseTimeArg("2h", kNow), kNow - 7200 * kS);
  EXPECT_EQ(*ParseTimeArg("1d", kNow), kNow - 86400 * kS);
  EXPECT_EQ(*ParseTimeArg("1w", kNow), kNow - 7 * 86400 * kS);
  EXPECT_EQ(*ParseTimeArg(" 0m ", kNow), kNow);
  EXPECT_EQ(*ParseTimeArg("999999999w", kNow), 0u);  // before the epoch: from the start
}

TEST_F(TimeArgs, IsoTimes) {
  EXPECT_EQ(*ParseTimeArg("2026-11-22", kNow), 1795305600ull * kS);
  EXPECT_EQ(*ParseTimeArg("2026-11-22T03:14", kNow), (1795305600ull + 3 * 3600 + 14 * 60) * kS);
  EXPECT_EQ(*ParseTimeArg("2026-11-22 03:14:16", kNow), (1795305600ull + 3 * 3600 + 14 * 60 + 16) * kS);
  EXPECT_EQ(*ParseTimeArg("2026-11-22T03:14:16.5Z", kNow), (1795305600ull + 3 * 3600 + 14 * 60 + 16) * kS + 500000);
  EXPECT_EQ(*ParseTimeArg("2026-11-22T03:14:16.123456789Z", kNow),
            (1795305600ull + 3 * 3600 + 14 * 60 + 16) * kS + 123456);
  EXPECT_EQ(*ParseTimeArg("2026-11-22T04:14:16+01:00", kNow), (1795305600ull + 3 * 3600 + 14 * 60 + 16) * kS);
  EXPECT_EQ(*ParseTimeArg("2026-11-22T02:14:16-0100", kNow), (1795305600ull + 3 * 3600 + 14 * 60 + 16) * kS);
  EXPECT_EQ(*ParseTimeArg("2024-02-29", kNow), 1709164800ull * kS);
  // Without an offset it is local time.
  setenv("TZ", "CET-1", 1);
  tzset();
  EXPECT_EQ(*ParseTimeArg("2026-11-22T01:00", kNow), 1795305600ull * kS);
  EXPECT_EQ(FormatLocalTime(1795305600ull * kS), "2026-11-22 01:00:00");
}

TEST_F(TimeArgs, RejectsAnythingElse) {
  for (const char* bad : {"", "yesterday", "10", "m", "10x", "-10m", "+10m", "10 m", "1.5h", "2026", "2026-11",
                          "2026-13-01", "2026-02-30", "2025-02-29", "2026-11-22T25:00", "2026-11-22T03:60",
                          "2026-11-22T03", "2026-11-22T03:14:16.", "2026-11-22T03:14:16+1", "2026-11-22X",
                          "1969-12-31", "2026-11-22T03:14:16Z junk", "99999999999m"}) {
    auto r = ParseTimeArg(bad, kNow);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    }
  }
}

TEST(FormatDuration, Units) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59 * kS), "59s");
  EXPECT_EQ(FormatDuration(185 * kS), "3m05s");
  EXPECT_EQ(FormatDuration(3600 * kS), "1h00m");
  EXPECT_EQ(FormatDuration((3 * 86400 + 4 * 3600) * kS), "3d4h");
}

}  // namespace
}  // namespace portscope::report
