// Offline, unprivileged tests of the socket table's parsers: recorded
// sock_diag replies (testdata/, made by tools/record_sock_diag.cc) and /proc
// trees built from recorded file contents.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/text.h"
#include "sockets/annotate.h"
#include "sockets/inet_diag.h"
#include "sockets/procfs.h"

namespace portscope::sockets {
namespace {

namespace fs = std::filesystem;
const std::string kTestdata = std::string(PORTSCOPE_SOURCE_DIR) + "/src/sockets/testdata/";

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Recording {
  DiagRequest req;
  std::vector<std::vector<uint8_t>> datagrams;
};

std::vector<Recording> LoadRecordings() {
  std::vector<Recording> out;
  uint32_t seq = 1;
  for (auto proto : {registry::Proto::kTcp, registry::Proto::kUdp}) {
    for (uint8_t family : {AF_INET, AF_INET6}) {
      Recording r{{family, proto, kAllStates, std::nullopt, seq++}, {}};
      for (int n = 0;; ++n) {
        std::string path = kTestdata + (family == AF_INET ? "inet" : "inet6") + "-" +
                           std::string(registry::ProtoName(proto)) + "-" + std::to_string(n) + ".bin";
        if (!fs::exists(path)) break;
        r.datagrams.push_back(ReadBytes(path));
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

TEST(InetDiag, RecordedRepliesYieldTheRecorderSockets) {
  std::vector<SocketEntry> all;
  for (const Recording& r : LoadRecordings()) {
    ASSERT_FALSE(r.datagrams.empty());
    DumpProgress last = DumpProgress::kMore;
    for (const auto& d : r.datagrams) {
      auto p = ParseDiagReply(d, r.req, &all);
      ASSERT_TRUE(p.ok()) << p.status().message();
      last = *p;
    }
    EXPECT_EQ(last, DumpProgress::kDone);
  }
  std::ifstream expected(kTestdata + "expected.tsv");
  std::string line;
  int checked = 0;
  while (std::getline(expected, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line, '\t');
    ASSERT_EQ(f.size(), 8u);
    uint64_t inode = std::stoull(std::string(f[7]));
    const SocketEntry* found = nullptr;
    for (const auto& s : all)
      if (s.inode == inode) found = &s;
    ASSERT_NE(found, nullptr) << line;
    EXPECT_EQ(registry::ProtoName(found->proto), f[0]);
    EXPECT_EQ(found->v6, f[1] == "inet6");
    EXPECT_EQ(found->local, *IpAddress::Parse(f[2]));
    EXPECT_EQ(found->local_port, std::stoi(std::string(f[3])));
    EXPECT_EQ(found->remote, *IpAddress::Parse(f[4]));
    EXPECT_EQ(found->remote_port, std::stoi(std::string(f[5])));
    EXPECT_EQ(StateName(found->state, found->proto), f[6]);
    if (found->v6) {
      ASSERT_TRUE(found->v6only.has_value());
      EXPECT_EQ(*found->v6only, f[2] == "::1");  // the recorder set V6ONLY on ::1 only
    }
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(InetDiag, EveryTruncationOfEveryRecordedDatagramIsSafe) {
  for (const Recording& r : LoadRecordings()) {
    for (const auto& d : r.datagrams) {
      std::vector<SocketEntry> full;
      ASSERT_TRUE(ParseDiagReply(d, r.req, &full).ok());
      for (size_t n = 0; n < d.size(); ++n) {
        std::vector<uint8_t> cut(d.begin(), d.begin() + static_cast<long>(n));
        std::vector<SocketEntry> got;
        auto p = ParseDiagReply(cut, r.req, &got);
        EXPECT_LE(got.size(), full.size());
        if (n > 0 && n < d.size()) {
          EXPECT_TRUE(!p.ok() || *p == DumpProgress::kMore) << n;
        }
      }
    }
  }
}

TEST(InetDiag, RejectsAnotherSequenceAndReportsKernelErrors) {
  auto recs = LoadRecordings();
  DiagRequest other = recs[0].req;
  other.seq = 999;
  std::vector<SocketEntry> out;
  auto wrong = ParseDiagReply(recs[0].datagrams[0], other, &out);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("sequence"), std::string::npos);

  alignas(4) uint8_t buf[NLMSG_HDRLEN + sizeof(nlmsgerr)] = {};
  nlmsghdr h{static_cast<uint32_t>(sizeof buf), NLMSG_ERROR, 0, 7, 0};
  std::memcpy(buf, &h, sizeof h);
  nlmsgerr e{};
  e.error = -EINVAL;
  std::memcpy(buf + NLMSG_HDRLEN, &e, sizeof e);
  DiagRequest req{AF_INET, registry::Proto::kTcp, kAllStates, std::nullopt, 7};
  auto err = ParseDiagReply(buf, req, &out);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("Invalid argument"), std::string::npos);

  nlmsghdr done{NLMSG_HDRLEN + 4, NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 7, 0};
  alignas(4) uint8_t dbuf[NLMSG_HDRLEN + 4] = {};
  std::memcpy(dbuf, &done, sizeof done);
  auto intr = ParseDiagReply(dbuf, req, &out);
  ASSERT_TRUE(intr.ok());
  EXPECT_EQ(*intr, DumpProgress::kInterrupted);
}

TEST(InetDiag, RequestCarriesThePortFilterBytecode) {
  DiagRequest req{AF_INET6, registry::Proto::kUdp, kListenStates, uint16_t{2244}, 42};
  auto bytes = BuildDiagRequest(req);
  nlmsghdr h;
  std::memcpy(&h, bytes.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_len, bytes.size());
  EXPECT_EQ(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.nlmsg_seq, 42u);
  inet_diag_req_v2 r;
  std::memcpy(&r, bytes.data() + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.sdiag_family, AF_INET6);
  EXPECT_EQ(r.sdiag_protocol, IPPROTO_UDP);
  EXPECT_EQ(r.idiag_states, kListenStates);
  const size_t attr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof r);
  ASSERT_EQ(bytes.size(), attr + 4 + 5 * sizeof(inet_diag_bc_op));
  inet_diag_bc_op ops[5];
  std::memcpy(ops, bytes.data() + attr + 4, sizeof ops);
  EXPECT_EQ(ops[0].code, INET_DIAG_BC_S_EQ);
  EXPECT_EQ(ops[1].no, 2244);
  EXPECT_EQ(ops[2].code, INET_DIAG_BC_JMP);
  EXPECT_EQ(ops[3].code, INET_DIAG_BC_D_EQ);
  EXPECT_EQ(ops[4].no, 2244);
  auto plain = BuildDiagRequest(DiagRequest{AF_INET, registry::Proto::kTcp, kAllStates, std::nullopt, 1});
  EXPECT_EQ(plain.size(), NLMSG_HDRLEN + NLMSG_ALIGN(sizeof r));
}

TEST(InodeIndex, FindsWhatWasInsertedAndNothingElse) {
  InodeIndex index(1000);
  for (uint32_t i = 0; i < 1000; ++i) index.Insert(50000 + i * 3, i);
  EXPECT_EQ(index.size(), 1000u);
  for (uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(index.Find(50000 + i * 3), i);
  EXPECT_EQ(index.Find(50001), -1);
  EXPECT_EQ(index.Find(1), -1);
}

TEST(ProcParsers, HandleHostileAndOddContent) {
  EXPECT_EQ(ParseSocketLink("socket:[51796]"), 51796u);
  for (const char* bad : {"socket:[]", "socket:[12", "pipe:[123]", "socket:[1a]", "socket:[99999999999999999999999]", ""})
    EXPECT_FALSE(ParseSocketLink(bad)) << bad;
  EXPECT_EQ(ParseNamespaceLink("net:[4026531840]"), 4026531840u);

  // comm may hold spaces and ')' (prctl PR_SET_NAME): take up to the last ')'.
  std::string stat =
      "4242 (evil) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 100 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  auto f = ParseStat(stat);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->comm, "evil) (x");
  EXPECT_EQ(f->start_ticks, 123456u);
  EXPECT_FALSE(ParseStat("4242 (cut"));
  EXPECT_FALSE(ParseStat("4242 (x) S 1 2"));

  EXPECT_EQ(ParseStatusUid("Name:\tnmsd\nUid:\t1000\t1001\t1001\t1001\nGid:\t0\n"), 1001u);
  EXPECT_FALSE(ParseStatusUid("Name:\tx\n"));
  EXPECT_EQ(ParseBootTime("cpu 1 2\nbtime 1763770000\nprocesses 5\n"), 1763770000u);

  auto unit = ParseCgroup("0::/system.slice/nms.service\n");
  EXPECT_EQ(unit.unit, "nms.service");
  EXPECT_EQ(unit.container, "");
  auto docker = ParseCgroup(
      "0::/system.slice/docker-3f2a9c1b0d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd.scope\n");
  EXPECT_EQ(docker.container, "docker:3f2a9c1b0d4e");
  EXPECT_EQ(docker.unit, "");
  EXPECT_EQ(ParseCgroup("12:pids:/docker/abcdef0123456789\n1:name=systemd:/docker/abcdef0123456789\n").container,
            "docker:abcdef012345");
  EXPECT_EQ(ParseCgroup("0::/user.slice/user-1000.slice/session-2.scope\n").unit, "session-2.scope");
  EXPECT_EQ(ParseCgroup("0::/lxc.payload.web/init.scope\n").container, "lxc:web");
  EXPECT_EQ(ParseCgroup("garbage").unit, "");
}

// A /proc tree with two processes sharing a socket, one that exited, and one
// whose fd directory may not be read.
class ProcTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("portscope-proc-" + std::to_string(getpid()));
    fs::remove_all(root_);
    Write("stat", "cpu 1 2 3\nbtime 1763770000\n");
    MakeProcess(100, "nmsd", {{"3", "socket:[5001]"}, {"4", "pipe:[77]"}, {"5", "socket:[5002]"}});
    MakeProcess(101, "nmsd worker", {{"3", "socket:[5001]"}});  // forked child shares the listener
    fs::create_directories(root_ / "102");  // exited: no stat, no fd
    MakeProcess(103, "other", {{"7", "socket:[9999]"}});
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const fs::path& rel, const std::string& content) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << content;
  }
  void MakeProcess(int pid, const std::string& comm, std::vector<std::pair<std::string, std::string>> fds) {
    fs::path p = std::to_string(pid);
    Write(p / "stat", std::to_string(pid) + " (" + comm +
                          ") S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    Write(p / "status", "Name:\t" + comm + "\nUid:\t0\t0\t0\t0\n");
    Write(p / "cmdline", std::string("/usr/sbin/nmsd\0--foreground\0", 29));
    Write(p / "cgroup", "0::/system.slice/nms.service\n");
    fs::create_directories(root_ / p / "fd");
    fs::create_directories(root_ / p / "ns");
    fs::create_symlink("/usr/sbin/nmsd", root_ / p / "exe");
    fs::create_symlink("net:[4026531840]", root_ / p / "ns" / "net");
    for (auto& [fd, target] : fds) fs::create_symlink(target, root_ / p / "fd" / fd);
  }
  fs::path root_;
};

TEST_F(ProcTree, EveryOwnerOfASharedSocketIsFoundAndDetailsRead) {
  ProcFs proc(root_.string());
  InodeIndex wanted(4);
  wanted.Insert(5001, 0);
  wanted.Insert(5002, 1);
  std::map<uint32_t, std::set<int>> owners;
  Incomplete inc;
  proc.MapSockets(wanted, [&](uint32_t i, int pid) { owners[i].insert(pid); }, &inc);
  EXPECT_EQ(owners[0], (std::set<int>{100, 101}));
  EXPECT_EQ(owners[1], (std::set<int>{100}));
  EXPECT_EQ(inc.processes_vanished, 1u);  // 102 has no fd directory

  auto p = proc.ReadProcess(101, &inc);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "nmsd worker");
  EXPECT_EQ(p->exe, "/usr/sbin/nmsd");
  EXPECT_EQ(p->cmdline, "/usr/sbin/nmsd --foreground");
  EXPECT_EQ(p->user, "root");
  EXPECT_EQ(p->unit, "nms.service");
  EXPECT_EQ(p->netns, 4026531840u);
  EXPECT_EQ(p->start_time_unix, 1763770000u + 500u / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
  EXPECT_FALSE(proc.ReadProcess(102, &inc));
  EXPECT_FALSE(proc.ReadProcess(555, &inc));
  EXPECT_EQ(inc.processes_vanished, 3u);
  auto ns = proc.NetworkNamespaces();
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].first, 4026531840u);
}

TEST(Annotate, FlagsWhatDeservesALook) {
  registry::Registry reg;
  SocketEntry s;
  s.proto = registry::Proto::kTcp;
  s.local = *IpAddress::Parse("::");
  s.v6 = true;
  s.v6only = false;
  s.local_port = 50000;
  s.state = SockState::kListen;
  s.inode = 1;
  Annotation a = Annotate(s, reg);
  EXPECT_TRUE(a.has("wildcard"));
  EXPECT_EQ(a.wildcard, "all IPv6 addresses and IPv4 too");
  EXPECT_TRUE(a.has("dynamic-range"));
  EXPECT_TRUE(a.has("no-process"));
  EXPECT_FALSE(a.has("loopback-only"));
  s.local = *IpAddress::Parse("127.0.0.1");
  s.v6 = false;
  s.local_port = 2244;
  s.pids = {1};
  a = Annotate(s, reg);
  EXPECT_EQ(a.service, "nmsserver");
  EXPECT_TRUE(a.has("loopback-only"));
  EXPECT_FALSE(a.has("unassigned-port"));
  EXPECT_FALSE(a.has("no-process"));
  EXPECT_FALSE(a.has("dynamic-range"));
  EXPECT_EQ(FormatEndpoint(*IpAddress::Parse("127.0.0.1"), 22, true), "[::ffff:127.0.0.1]:22");
  EXPECT_EQ(FormatEndpoint(*IpAddress::Parse("::1"), 22, true), "[::1]:22");
}

}  // namespace
}  // namespace portscope::sockets
