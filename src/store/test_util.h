// Helpers for store/ tests: scratch paths and events.
#ifndef PORTSCOPE_STORE_TEST_UTIL_H_
#define PORTSCOPE_STORE_TEST_UTIL_H_

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "store/database.h"
#include "store/event.h"

namespace portscope::store::testutil {

/// A fresh empty directory for this test, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("portscope-store-" + std::to_string(getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

inline Event MakeEvent(uint64_t time_us, const char* src, uint16_t dport, std::string payload = "") {
  Event e;
  e.time_us = time_us;
  e.sensor = "test-sensor";
  e.src = Ip(src);
  e.sport = 40000;
  e.dst = Ip("192.0.2.1");
  e.dport = dport;
  e.transport = Transport::kTcp;
  e.tcp_flags = 0x02;
  e.action = "connect";
  e.payload = std::move(payload);
  return e;
}

/// A database for writing. Tests use fixed times in 2021, so age retention
/// (which Writer runs through Maintain with the real clock) is off unless the
/// test turns it on.
inline std::unique_ptr<Database> OpenForWriting(const std::string& path, OpenOptions o = {},
                                                bool age_retention = false) {
  if (!age_retention) o.retention.max_age_s = 0;
  o.write = true;
  o.create = true;
  o.sensor = "test-sensor";
  auto db = Database::Open(path, o);
  EXPECT_TRUE(db.ok()) << db.status().message();
  return db.ok() ? std::move(*db) : nullptr;
}

/// 2021-01-01T00:00:00Z, a round time for tests, far from the wall clock.
inline constexpr uint64_t kT0 = 1609459200ull * 1000000ull;
inline constexpr uint64_t kSecond = 1000000ull;

}  // namespace portscope::store::testutil

#endif  // PORTSCOPE_STORE_TEST_UTIL_H_
