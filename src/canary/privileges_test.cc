#include "canary/privileges.h"

#include <linux/capability.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "canary/nft.h"

namespace portscope::canary {
namespace {

// Each check runs in a forked child: dropping is for good.
int InChild(bool keep_net_raw) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!DropPrivileges({"nobody", keep_net_raw}).ok()) _exit(10);
    if (getuid() == 0 || geteuid() == 0 || getgid() == 0) _exit(11);
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (keep_net_raw && raw < 0) _exit(12);   // capture still possible
    if (!keep_net_raw && raw >= 0) _exit(13); // and impossible without it
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2] = {};
    syscall(SYS_capget, &h, d);
    uint32_t others = d[0].permitted & ~(1u << CAP_NET_RAW);
    if (others != 0 || d[1].permitted != 0) _exit(14);  // nothing else kept
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Privileges, DropsToNobodyKeepingOnlyWhatCaptureNeeds) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root; CI runs it as root";
  EXPECT_EQ(InChild(false), 0);
  EXPECT_EQ(InChild(true), 0);
}

// --block: nft, run after the drop, still changes the rules (in a network
// namespace of the child's own), and nothing beyond CAP_NET_ADMIN is kept.
int NftAfterDrop(bool keep_net_admin) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(20);
    if (!DropPrivileges({"nobody", false, keep_net_admin}).ok()) _exit(10);
    if (getuid() == 0 || geteuid() == 0) _exit(11);
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2] = {};
    syscall(SYS_capget, &h, d);
    uint32_t want = keep_net_admin ? 1u << CAP_NET_ADMIN : 0;
    if (d[0].permitted != want || d[1].permitted != 0) _exit(14);
    if (socket(AF_INET, SOCK_RAW, IPPROTO_TCP) >= 0) _exit(13);  // no CAP_NET_RAW
    bool added = RunNft({"add", "table", "inet", "portscope_privtest"}).ok();
    _exit(added == keep_net_admin ? 0 : 15);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Privileges, KeepsNetAdminForNftWhenBlocking) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root; CI runs it as root";
  if (!RunNft({"--version"}).ok()) GTEST_SKIP() << "nft not installed";
  EXPECT_EQ(NftAfterDrop(true), 0);
  EXPECT_EQ(NftAfterDrop(false), 0);
}

TEST(Privileges, UnknownUserAndRootAreRefused) {
  if (geteuid() != 0) {
    EXPECT_TRUE(DropPrivileges({"no-such-user-xyz", false}).ok());  // not root: nothing to drop
    return;
  }
  EXPECT_FALSE(DropPrivileges({"no-such-user-xyz", false}).ok());
  EXPECT_FALSE(DropPrivileges({"root", false}).ok());
  EXPECT_EQ(geteuid(), 0u);  // still root: nothing was half-done
}

}  // namespace
}  // namespace portscope::canary
