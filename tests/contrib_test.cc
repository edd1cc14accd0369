// The files in contrib/: the example config passes `portscope canary
// --check-config`, and the systemd unit passes `systemd-analyze verify`.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "run_binary.h"

namespace portscope {
namespace {

using testing::RunPortscope;

TEST(Contrib, ExampleConfigPassesCheckConfig) {
  auto r = RunPortscope({"canary", "--config", std::string(PORTSCOPE_SOURCE_DIR) + "/contrib/canary.toml",
                         "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("config ok: would watch 23 tcp"), std::string::npos) << r.out;
}

TEST(Contrib, SystemdUnitPassesSystemdAnalyzeVerify) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "systemd-analyze not installed (Debian package systemd)";
  // verify checks that ExecStart's binary exists: point it at the build.
  std::string unit = testing::ReadFileOrDie(std::string(PORTSCOPE_SOURCE_DIR) + "/contrib/portscope-canary.service");
  EXPECT_NE(unit.find("CapabilityBoundingSet="), std::string::npos);
  EXPECT_NE(unit.find("NoNewPrivileges=yes"), std::string::npos);
  EXPECT_NE(unit.find("ProtectSystem=strict"), std::string::npos);
  unit = std::regex_replace(unit, std::regex("/usr/bin/portscope"), PORTSCOPE_BINARY);
  const std::string dir = testing::MakeTempDir("contrib-unit");
  const std::string path = dir + "/portscope-canary.service";
  std::ofstream(path) << unit;
  const std::string log = dir + "/verify.log";
  int rc = std::system(("systemd-analyze verify " + path + " >" + log + " 2>&1").c_str());
  EXPECT_EQ(rc, 0) << testing::ReadFileOrDie(log);
}

}  // namespace
}  // namespace portscope
