// The BPF attribution route against the /proc walk, on this test process's
// own sockets and on children that share them. Needs root and a kernel with
// BTF; skipped, saying why, without them. Where both can run, a failure of the
// BPF route (a verifier rejection on a new kernel, say) fails the test.
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sockets/bpf_attribution.h"
#include "sockets/procfs.h"
#include "sockets/socket_table.h"

namespace portscope::sockets {
namespace {

using Pairs = std::set<std::pair<uint32_t, int>>;  // (index, pid)

// Why the BPF route cannot be tested here, or "" when it can.
std::string WhyNoBpf() {
  if (!BpfAttributionBuiltIn()) return "built without the BPF route (PORTSCOPE_BPF)";
  if (geteuid() != 0) return "the BPF route needs root";
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) return "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
  return "";
}

uint64_t InodeOf(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  return st.st_ino;
}

Pairs ViaProc(const InodeIndex& index) {
  Pairs out;
  Incomplete incomplete;
  ProcFs().MapSockets(index, [&](uint32_t i, int pid) { out.emplace(i, pid); }, &incomplete);
  return out;
}

Pairs ViaBpf(const InodeIndex& index, BpfFilter filter) {
  Pairs out;
  Status s = MapSocketsWithBpf(index, [&](uint32_t i, int pid) { out.emplace(i, pid); }, filter);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

// Children that inherit every descriptor and wait until the parent is done.
class Children {
 public:
  explicit Children(int n) {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        close(p[1]);
        char c;
        while (read(p[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
      pids_.push_back(pid);
    }
    close(p[0]);
    release_ = p[1];
  }
  ~Children() {
    close(release_);  // EOF: every child exits
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  std::vector<pid_t> pids_;
  int release_ = -1;
};

TEST(BpfAttribution, OwnersOfOurSocketsAndOfForkedChildrenAreThoseProcFinds) {
  if (auto why = WhyNoBpf(); !why.empty()) GTEST_SKIP() << why;
  int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int udp = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  int dup_tcp = dup(tcp);  // two descriptors, one socket: one owner pair
  InodeIndex index(4);
  index.Insert(InodeOf(tcp), 0);
  index.Insert(InodeOf(udp), 1);
  index.Insert(InodeOf(pair[0]), 2);
  index.Insert(InodeOf(pair[1]), 3);

  Pairs expected;
  {
    Children kids(3);
    for (int pid : kids.pids())
      for (uint32_t i = 0; i < 4; ++i) expected.emplace(i, pid);
    for (uint32_t i = 0; i < 4; ++i) expected.emplace(i, getpid());

    const Pairs proc = ViaProc(index);
    EXPECT_EQ(proc, expected);
    EXPECT_EQ(ViaBpf(index, BpfFilter::kUser), proc);
    EXPECT_EQ(ViaBpf(index, BpfFilter::kKernel), proc);
  }
  // The children are gone: only this process holds them now.
  std::erase_if(expected, [](const auto& p) { return p.second != getpid(); });
  EXPECT_EQ(ViaBpf(index, BpfFilter::kUser), expected);
  for (int fd : {tcp, udp, pair[0], pair[1], dup_tcp}) close(fd);
}

TEST(BpfAttribution, CallsBackInPidOrderEachPairOnce) {
  if (auto why = WhyNoBpf(); !why.empty()) GTEST_SKIP() << why;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int again = dup(s);
  InodeIndex index(1);
  index.Insert(InodeOf(s), 7);
  Children kids(4);
  std::vector<std::pair<uint32_t, int>> calls;
  ASSERT_TRUE(MapSocketsWithBpf(index, [&](uint32_t i, int pid) { calls.emplace_back(i, pid); }).ok());
  ASSERT_EQ(calls.size(), 5u);
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_LT(calls[i - 1].second, calls[i].second);
  for (const auto& c : calls) EXPECT_EQ(c.first, 7u);
  close(s);
  close(again);
}

// A thread with a descriptor table of its own holds sockets that
// /proc/PID/fd (the leader's table) does not list; the BPF route finds them,
// under the process's pid.
TEST(BpfAttribution, FindsASocketInAThreadsOwnDescriptorTable) {
  if (auto why = WhyNoBpf(); !why.empty()) GTEST_SKIP() << why;
  int ready[2], done[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(done, O_CLOEXEC), 0);
  uint64_t inode = 0;
  std::thread t([&] {
    if (unshare(CLONE_FILES) == 0) {
      int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      inode = InodeOf(s);
    }
    char c = 1;
    (void)!write(ready[1], &c, 1);
    (void)!read(done[0], &c, 1);  // hold the table until the parent is done
  });
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  if (inode == 0) {
    c = 1;
    (void)!write(done[1], &c, 1);
    t.join();
    GTEST_SKIP() << "unshare(CLONE_FILES) failed here";
  }
  InodeIndex index(1);
  index.Insert(inode, 0);
  EXPECT_TRUE(ViaProc(index).empty());
  EXPECT_EQ(ViaBpf(index, BpfFilter::kUser), (Pairs{{0, getpid()}}));
  c = 1;
  (void)!write(done[1], &c, 1);
  t.join();
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

// An O_PATH descriptor of a Unix socket's path has an S_IFSOCK inode, but on
// the path's file system: its number is no socket's, and must not match one.
TEST(BpfAttribution, AnOPathDescriptorOfASocketFileIsNoSocket) {
  if (auto why = WhyNoBpf(); !why.empty()) GTEST_SKIP() << why;
  std::string dir = ::testing::TempDir() + "/bpf_opath_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/sock";
  unlink(path.c_str());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  int opath = open(path.c_str(), O_PATH | O_CLOEXEC);
  ASSERT_GE(opath, 0);
  struct stat st;
  ASSERT_EQ(fstat(opath, &st), 0);
  ASSERT_TRUE(S_ISSOCK(st.st_mode));
  InodeIndex index(2);
  index.Insert(st.st_ino, 0);     // the path's inode
  index.Insert(InodeOf(s), 1);    // the socket's
  EXPECT_EQ(ViaBpf(index, BpfFilter::kUser), (Pairs{{1, getpid()}}));
  EXPECT_EQ(ViaBpf(index, BpfFilter::kKernel), (Pairs{{1, getpid()}}));
  close(opath);
  close(s);
  std::filesystem::remove_all(dir);
}

TEST(BpfAttribution, RefusesWithoutRootAndCallsNothing) {
  if (!BpfAttributionBuiltIn()) GTEST_SKIP() << "built without the BPF route (PORTSCOPE_BPF)";
  if (geteuid() != 0) {
    InodeIndex index(1);
    index.Insert(1, 0);
    Status s = MapSocketsWithBpf(index, [](uint32_t, int) { ADD_FAILURE() << "called back"; });
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("root"), std::string::npos) << s.message();
    return;
  }
  // As root: drop to nobody in a child, which reports through its exit code.
  pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(3);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    InodeIndex index(1);
    index.Insert(InodeOf(s), 0);
    bool called = false;
    Status st = MapSocketsWithBpf(index, [&](uint32_t, int) { called = true; });
    _exit(st.ok() ? 1 : called ? 2 : st.message().find("root") == std::string::npos ? 4 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: succeeded, 2: called back, 3: setresuid failed, 4: no reason given";
}

// The socket table names its route, and both routes give the same owners.
TEST(BpfAttribution, SnapshotSaysWhichRouteFoundTheOwners) {
  if (auto why = WhyNoBpf(); !why.empty()) GTEST_SKIP() << why;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 4), 0);
  socklen_t len = sizeof a;
  getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  Children kids(2);
  Query q;
  q.port = ntohs(a.sin_port);
  auto bpf = TakeSnapshot(q);
  q.bpf = false;
  auto proc = TakeSnapshot(q);
  ASSERT_TRUE(bpf.ok() && proc.ok());
  EXPECT_EQ(bpf->attribution, Attribution::kBpf) << bpf->bpf_fallback_reason;
  EXPECT_EQ(proc->attribution, Attribution::kProc);
  EXPECT_EQ(proc->bpf_fallback_reason, "");
  ASSERT_EQ(bpf->sockets.size(), 1u);
  ASSERT_EQ(proc->sockets.size(), 1u);
  EXPECT_EQ(bpf->sockets[0].pids, proc->sockets[0].pids);
  EXPECT_EQ(bpf->sockets[0].pids.size(), 3u);
  EXPECT_EQ(bpf->processes.size(), proc->processes.size());
  close(l);
}

}  // namespace
}  // namespace portscope::sockets
