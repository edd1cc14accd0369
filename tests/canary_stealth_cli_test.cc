// `portscope canary --stealth` flags and config keys; the scans themselves are
// tests/stealth/run.sh (ctest: canary_stealth).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "run_binary.h"

namespace portscope::testing {
namespace {

bool Has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

TEST(CanaryStealthCli, ConfigKeysAndFlagsAreCheckedAndShown) {
  std::string dir = MakeTempDir("canary-stealth-cli");
  std::ofstream(dir + "/s.toml") << "[canary]\nports = \"2244\"\nstealth = true\ninterface = \"lo\"\n"
                                    "capture_buffer_mb = 8\n";
  auto r = RunPortscope({"canary", "--config", dir + "/s.toml", "--check-config", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "on interface lo (stealth: capture, nftables drop)")) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/c.db"));

  r = RunPortscope({"canary", "--stealth", "--ports", "2244", "--bind", "127.0.0.1", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "--bind does not apply to --stealth")) << r.err;
  r = RunPortscope({"canary", "--stealth", "--ports", "2244", "--capture-buffer", "0", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "--capture-buffer")) << r.err;
  r = RunPortscope({"canary", "--ports", "2244", "--interface", "eth0", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "apply to --stealth only")) << r.err;
  std::ofstream(dir + "/bad.toml") << "[canary]\nports = \"2244\"\nstealth = \"yes\"\n";
  r = RunPortscope({"canary", "--config", dir + "/bad.toml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "stealth")) << r.err;
}

}  // namespace
}  // namespace portscope::testing
