#include "canary/nft.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace portscope::canary {
namespace {

TEST(Nft, CommandsAreArgvWithNumbersAndParsedAddressesOnly) {
  NftRules r;
  r.drop_tcp = {2202, 2244};
  r.drop_udp = {2244};
  r.block_sets = true;
  r.allow = {*IpAddress::Parse("10.0.0.1"), *IpAddress::Parse("2001:db8::1")};
  auto cmds = InstallCommands(r);
  std::string all;
  for (const auto& c : cmds) {
    for (const auto& a : c) {
      all += a + " ";
      EXPECT_EQ(a.find('\n'), std::string::npos);
    }
    all += "\n";
  }
  EXPECT_NE(all.find("add table inet portscope"), std::string::npos);
  EXPECT_NE(all.find("tcp dport { 2202, 2244 } drop"), std::string::npos) << all;
  EXPECT_NE(all.find("udp dport { 2244 } drop"), std::string::npos);
  EXPECT_NE(all.find("ip saddr 10.0.0.1 accept"), std::string::npos);
  EXPECT_NE(all.find("ip6 saddr 2001:db8::1 accept"), std::string::npos);
  // The allowlist comes before the block sets.
  EXPECT_LT(all.find("10.0.0.1 accept"), all.find("@blocked4 drop"));
}

// Runs InstallTable and friends in a network namespace of the test's own
// (a forked child that unshares), so the host's rules are never touched.
TEST(Nft, InstallsListsBlocksAndRemovesItsTableInAPrivateNamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN); CI runs it as root";
  if (!RunNft({"--version"}).ok()) GTEST_SKIP() << "nft not installed";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    auto fail = [&](const std::string& what) {
      (void)!write(fds[1], what.data(), what.size());
      _exit(1);
    };
    if (unshare(CLONE_NEWNET) != 0) fail("unshare");
    auto none = RemoveLeftoverTable();
    if (!none.ok() || *none) fail("leftover before install");
    NftRules r;
    r.drop_tcp = {2244};
    r.block_sets = true;
    if (Status s = InstallTable(r); !s.ok()) fail(s.message());
    std::string out;
    if (!RunNft({"list", "table", "inet", kNftTable}, &out).ok() || out.find("tcp dport 2244 drop") == std::string::npos)
      fail("listing: " + out);
    if (Status s = BlockSource(*IpAddress::Parse("192.0.2.7"), 60); !s.ok()) fail(s.message());
    (void)RunNft({"list", "set", "inet", kNftTable, "blocked4"}, &out);
    if (out.find("192.0.2.7") == std::string::npos) fail("set: " + out);
    auto leftover = RemoveLeftoverTable();  // as the next start after a crash would
    if (!leftover.ok() || !*leftover) fail("leftover not found");
    (void)RunNft({"list", "tables"}, &out);
    if (out.find(kNftTable) != std::string::npos) fail("table still there");
    _exit(0);
  }
  close(fds[1]);
  std::string why;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) why.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << why;
}

}  // namespace
}  // namespace portscope::canary
