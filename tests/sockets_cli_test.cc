// Acceptance tests of `who`, `listening` and the card's here line, on real
// sockets this test opens on loopback, and a socket-for-socket comparison
// with `ss -H -tuanp` over ../shared/bench/socket-fixture.c.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "run_binary.h"
#include "sockets/bpf_attribution.h"

namespace portscope {
namespace {

using nlohmann::json;
using testing::RunPortscope;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

// A socket of this test process, closed at scope end. Its port is outside
// the ephemeral range (testing::UnusedPort): an ephemeral one could also be
// the local port of a parallel test's connection from another loopback
// address, which `who` would rightly list beside ours.
class TestSocket {
 public:
  TestSocket(int family, int type, const char* addr, bool v6only = false) {
    fd_ = socket(family, type | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* s = reinterpret_cast<sockaddr_in*>(&ss);
      s->sin_family = AF_INET;
      inet_pton(AF_INET, addr, &s->sin_addr);
      len = sizeof *s;
    } else {
      int v = v6only;
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
      auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
      s->sin6_family = AF_INET6;
      inet_pton(AF_INET6, addr, &s->sin6_addr);
      len = sizeof *s;
    }
    int rc = -1;
    for (int attempt = 0; attempt < 20 && rc != 0; ++attempt) {
      const uint16_t port = htons(testing::UnusedPort());
      if (family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&ss)->sin_port = port;
      } else {
        reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = port;
      }
      rc = bind(fd_, reinterpret_cast<sockaddr*>(&ss), len);
    }
    EXPECT_EQ(rc, 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    if (type == SOCK_STREAM) listen(fd_, 8);
  }
  ~TestSocket() { close(fd_); }
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
};

TEST(Who, FindsThisProcessOnItsOwnListener) {
  TestSocket l(AF_INET, SOCK_STREAM, "127.0.0.1");
  std::string port = std::to_string(l.port());
  auto r = RunPortscope({"who", "--json", port + "/tcp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["sockets"].size(), 1u) << r.out;
  const json& s = j["sockets"][0];
  EXPECT_EQ(s["proto"], "tcp");
  EXPECT_EQ(s["local_address"], "127.0.0.1");
  EXPECT_EQ(s["local_port"], l.port());
  EXPECT_EQ(s["state"], "LISTEN");
  EXPECT_EQ(s["remote_address"], nullptr);
  EXPECT_GT(s["inode"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["uid"], getuid());
  ASSERT_EQ(s["processes"].size(), 1u);
  EXPECT_EQ(s["processes"][0]["pid"], getpid());
  EXPECT_EQ(s["processes"][0]["name"], "portscope_tests");
  EXPECT_TRUE(s["processes"][0].contains("exe"));
  EXPECT_TRUE(s["processes"][0].contains("cmdline"));
  EXPECT_TRUE(s["processes"][0].contains("user"));
  EXPECT_TRUE(s["processes"][0].contains("unit"));
  EXPECT_TRUE(s["service"].contains("name"));
  EXPECT_NE(std::find(s["flags"].begin(), s["flags"].end(), "loopback-only"), s["flags"].end());
  EXPECT_TRUE(j.contains("incomplete"));

  auto human = RunPortscope({"who", port});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_TRUE(Has(human.out, "127.0.0.1:" + port + "/tcp LISTEN is held by pid " + std::to_string(getpid()) +
                                 " `portscope_tests`"))
      << human.out;
  EXPECT_TRUE(Has(human.out, "; IANA: ")) << human.out;
}

TEST(Who, ShowsConnectionsAndBothEndsOfALoopbackPair) {
  TestSocket l(AF_INET, SOCK_STREAM, "127.0.0.1");
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(l.port());
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  int a = accept(l.fd(), nullptr, nullptr);
  sockaddr_in mine{};
  socklen_t len = sizeof mine;
  ASSERT_EQ(getsockname(c, reinterpret_cast<sockaddr*>(&mine), &len), 0);
  const int client_port = ntohs(mine.sin_port);
  auto r = RunPortscope({"who", "--json", std::to_string(l.port())});
  json j = json::parse(r.out);
  // Only this pair and its listener: another test's connection may share
  // the client's ephemeral port number (from another loopback address).
  std::multiset<std::string> states;
  for (const auto& s : j["sockets"]) {
    const bool listener = s["local_port"] == l.port() && s["state"] == "LISTEN";
    const bool pair = (s["local_port"] == l.port() && s["remote_port"] == client_port) ||
                      (s["local_port"] == client_port && s["remote_port"] == l.port());
    if (listener || pair) states.insert(s["state"].get<std::string>());
  }
  EXPECT_EQ(states, (std::multiset<std::string>{"LISTEN", "ESTAB", "ESTAB"})) << r.out;
  EXPECT_EQ(j["sockets"][0]["state"], "LISTEN");  // holders first
  close(a);
  close(c);
}

TEST(Who, DualStackUdpIsAWildcardThatAcceptsIpv4) {
  TestSocket u(AF_INET6, SOCK_DGRAM, "::", /*v6only=*/false);
  auto r = RunPortscope({"who", "--json", std::to_string(u.port()) + "/udp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json s = json::parse(r.out)["sockets"][0];
  EXPECT_EQ(s["state"], "UNCONN");
  EXPECT_EQ(s["local_address"], "::");
  EXPECT_EQ(s["v6only"], false);
  EXPECT_EQ(s["wildcard"], "all IPv6 addresses and IPv4 too");
  EXPECT_NE(std::find(s["flags"].begin(), s["flags"].end(), "wildcard"), s["flags"].end());
}

TEST(Who, NothingThereIsExit1AndBadInputExit2) {
  // A port that binds now, outside the ephemeral range; a test running beside
  // this one could still bind it, so try a few: one must come back empty.
  testing::RunResult r;
  std::string tried;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const uint16_t free_port = testing::UnusedPort();
    r = RunPortscope({"who", std::to_string(free_port) + "/tcp"});
    if (r.exit_code != 0) break;
    tried += r.out;
  }
  EXPECT_EQ(r.exit_code, 1) << r.out << "\nthe ports tried and taken:\n" << tried;
  EXPECT_TRUE(Has(r.out, "nothing on this machine holds port")) << r.out;
  // Port 0: the kernel's port filter passes every unconnected socket (its
  // remote port reads 0), but none of them holds port 0.
  {
    TestSocket l(AF_INET, SOCK_STREAM, "127.0.0.1");
    auto zero = RunPortscope({"who", "0"});
    EXPECT_EQ(zero.exit_code, 1) << zero.out;
    EXPECT_TRUE(Has(zero.out, "nothing on this machine holds port 0")) << zero.out;
    EXPECT_TRUE(Has(zero.err, "port 0 is reserved")) << zero.err;
    EXPECT_EQ(json::parse(RunPortscope({"who", "--json", "0/tcp"}).out)["sockets"].size(), 0u);
  }
  for (const char* bad : {"70000", "abc", "22/sctp", "1-5", "22,23", ""}) {
    auto b = RunPortscope({"who", bad});
    EXPECT_EQ(b.exit_code, 2) << bad << ": " << b.err;
    EXPECT_FALSE(b.err.empty());
  }
}

TEST(Listening, ListsOurListenerWithFiltersAndTheCardSeesIt) {
  TestSocket l(AF_INET, SOCK_STREAM, "127.0.0.1");
  TestSocket e(AF_INET, SOCK_STREAM, "0.0.0.0");
  auto find = [](const json& j, uint16_t port) {
    for (const auto& s : j["sockets"])
      if (s["local_port"] == port) return true;
    return false;
  };
  json all = json::parse(RunPortscope({"listening", "--json"}).out);
  EXPECT_TRUE(find(all, l.port()));
  EXPECT_TRUE(find(all, e.port()));
  for (const auto& s : all["sockets"]) EXPECT_TRUE(s["listening"].get<bool>());
  json exposed = json::parse(RunPortscope({"listening", "--exposed", "--json"}).out);
  EXPECT_FALSE(find(exposed, l.port()));
  EXPECT_TRUE(find(exposed, e.port()));
  json unassigned = json::parse(RunPortscope({"listening", "--unassigned", "--json"}).out);
  for (const auto& s : unassigned["sockets"]) EXPECT_EQ(s["service"]["iana_status"], "unassigned");

  auto table = RunPortscope({"listening"});
  EXPECT_TRUE(Has(table.out, "127.0.0.1:" + std::to_string(l.port()))) << table.out;
  EXPECT_TRUE(Has(table.out, std::to_string(getpid()) + "/portscope_tests"));

  auto card = RunPortscope({std::to_string(l.port()) + "/tcp"});
  EXPECT_TRUE(Has(card.out, "here         127.0.0.1:" + std::to_string(l.port()) + " LISTEN by pid " +
                                std::to_string(getpid())))
      << card.out;
  json cj = json::parse(RunPortscope({"--json", std::to_string(l.port()) + "/tcp"}).out);
  ASSERT_EQ(cj[0]["here"].size(), 1u);
  EXPECT_EQ(cj[0]["here"][0]["processes"][0]["pid"], getpid());
}

TEST(Listening, WatchPrintsListenersThatAppearAndDisappear) {
  std::unique_ptr<TestSocket> late;
  uint16_t port = 0;
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    late = std::make_unique<TestSocket>(AF_INET, SOCK_STREAM, "127.0.0.1");
    port = late->port();
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    late.reset();
  });
  auto r = RunPortscope({"listening", "--watch", "0.25", "--count", "12"});
  opener.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "+ tcp 127.0.0.1:" + std::to_string(port) + " LISTEN")) << r.out;
  EXPECT_TRUE(Has(r.out, "- tcp 127.0.0.1:" + std::to_string(port) + " LISTEN")) << r.out;
}

// --watch's JSON lines carry ISO 8601 UTC times, as every other JSON time;
// its table writes IPv6 addresses in brackets; --count alone is refused.
TEST(Listening, WatchJsonTimesAreUtcAndIpv6AddressesAreBracketed) {
  TestSocket v6(AF_INET6, SOCK_STREAM, "::1");
  auto r = RunPortscope({"listening", "--watch", "0.1", "--count", "1", "--json"}, {{"TZ", "America/New_York"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string first = r.out.substr(0, r.out.find('\n'));
  json j = json::parse(first);
  const std::string time = j["time"].get<std::string>();
  EXPECT_EQ(time.size(), 20u) << time;  // 2026-11-22T17:25:32Z
  EXPECT_EQ(time[10], 'T') << time;
  EXPECT_EQ(time.back(), 'Z') << time;
  auto text = RunPortscope({"listening", "--watch", "0.1", "--count", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Has(text.out, "= tcp [::1]:" + std::to_string(v6.port()) + " LISTEN")) << text.out;
  auto count = RunPortscope({"listening", "--count", "2"});
  EXPECT_EQ(count.exit_code, 2);
  EXPECT_TRUE(Has(count.err, "--count needs --watch")) << count.err;
}

// (proto, local, remote, state, pids) as ss prints them.
using Row = std::tuple<std::string, std::string, std::string, std::string, std::set<int>>;

std::string Endpoint(const json& addr, const json& port, const std::string& family) {
  std::string a = addr.is_null() ? (family == "inet6" ? "::" : "0.0.0.0") : addr.get<std::string>();
  std::string p = port.is_null() ? "*" : std::to_string(port.get<int>());
  return family == "inet6" ? "[" + a + "]:" + p : a + ":" + p;
}

// Over one fixture, once per attribution route: the BPF iterator (root, BTF,
// built with it) and the /proc walk (PORTSCOPE_NO_BPF=1). One test, not two:
// the fixture listens on 2244, so two fixtures cannot run side by side.
TEST(Listening, AllMatchesSsSocketForSocketOverTheFixture) {
  std::string shared = testing::SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared not found: the ss comparison needs socket-fixture.c";
  std::string dir = testing::MakeTempDir("fixture");
  std::string bin = dir + "/socket-fixture", ready = dir + "/ready";
  ASSERT_EQ(std::system(("cc -O2 -o " + bin + " " + shared + "/bench/socket-fixture.c").c_str()), 0);
  pid_t child = fork();
  if (child == 0) {
    freopen("/dev/null", "w", stdout);
    execl(bin.c_str(), bin.c_str(), "-n", "100", "-m", "100", "-u", "20", "-k", "8", "-b", "31000", "-r",
          ready.c_str(), nullptr);
    _exit(127);
  }
  // Stops the fixture (our child, by PID) however the test ends.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } reaper{child};
  // The fixture writes its pid to the ready file once every socket is open.
  std::string content;
  for (int i = 0; i < 400 && content.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(ready);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(std::atoi(content.c_str()), child) << "fixture did not start: '" << content << "'";
  // The fixture's processes: its parent and the children it forked.
  std::set<int> fixture_pids = {child};
  {
    std::ifstream kids("/proc/" + std::to_string(child) + "/task/" + std::to_string(child) + "/children");
    int pid;
    while (kids >> pid) fixture_pids.insert(pid);
  }

  FILE* ss = popen("ss -H -tuanp", "r");
  std::string ss_out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, ss)) ss_out.append(buf, n);
  pclose(ss);

  auto mine = [&](const std::set<int>& pids) {
    for (int p : pids)
      if (fixture_pids.count(p)) return true;
    return false;
  };
  std::set<Row> theirs;
  std::istringstream lines(ss_out);
  std::string line;
  std::regex pid_re("pid=(\\d+)");
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string proto, state, rq, sq, local, remote;
    f >> proto >> state >> rq >> sq >> local >> remote;
    std::set<int> pids;
    for (std::sregex_iterator it(line.begin(), line.end(), pid_re), end; it != end; ++it)
      pids.insert(std::stoi((*it)[1]));
    if (!mine(pids)) continue;
    theirs.insert({proto, local, remote, state, pids});
  }
  EXPECT_GE(theirs.size(), 100u + 2 + 200 + 20);  // listeners, 2244 pair, estab sockets, udp

  for (std::string route : {"bpf", "proc"}) {
    SCOPED_TRACE("attribution route " + route);
    std::map<std::string, std::string> env;
    if (route == "proc") env["PORTSCOPE_NO_BPF"] = "1";
    if (route == "bpf" && (!sockets::BpfAttributionBuiltIn() || geteuid() != 0)) {
      std::printf("bpf route not compared: %s\n", geteuid() != 0 ? "needs root" : "built without it (PORTSCOPE_BPF)");
      continue;
    }
    auto r = RunPortscope({"listening", "--all", "--json"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::set<Row> ours;
    const json reported = json::parse(r.out);
    EXPECT_EQ(reported["attribution"], route) << reported["attribution_fallback"];
    for (const auto& s : reported["sockets"]) {
      std::set<int> pids;
      for (const auto& p : s["processes"]) pids.insert(p["pid"].get<int>());
      if (!mine(pids)) continue;
      std::string fam = s["family"];
      ours.insert({s["proto"], Endpoint(s["local_address"], s["local_port"], fam),
                   Endpoint(s["remote_address"], s["remote_port"], fam), s["state"], pids});
    }
    std::vector<Row> only_ours, only_ss;
    std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(only_ours));
    std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(only_ss));
    EXPECT_TRUE(only_ours.empty() && only_ss.empty())
        << only_ours.size() << " only in portscope (first: "
        << (only_ours.empty() ? "" : std::get<1>(only_ours[0]) + " " + std::get<2>(only_ours[0])) << "), "
        << only_ss.size() << " only in ss (first: "
        << (only_ss.empty() ? "" : std::get<1>(only_ss[0]) + " " + std::get<2>(only_ss[0])) << ")";
    std::printf("compared %zu fixture sockets with ss -H -tuanp (attribution %s)\n", ours.size(), route.c_str());
  }
}

}  // namespace
}  // namespace portscope

namespace portscope {
namespace {

// In a namespace with no sockets at all, `listening` finds nothing: exit 1,
// as `who` for a port nobody holds (README: 1 is "nothing found").
TEST(Listening, NothingListeningIsExit1) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (ip netns); CI runs it as root";
  const std::string ns = "ps-empty-" + std::to_string(getpid());
  ASSERT_EQ(std::system(("ip netns add " + ns).c_str()), 0);
  const std::string cmd = "ip netns exec " + ns + " " + PORTSCOPE_BINARY + " listening >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  std::system(("ip netns del " + ns).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

// A listener inside a network namespace this test creates: found with
// --all-netns, labelled with that namespace, and not without the flag.
TEST(Listening, AllNetnsFindsAListenerInAnotherNamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (ip netns, setns); CI runs it as root";
  const std::string ns = "ps-test-" + std::to_string(getpid());
  ASSERT_EQ(std::system(("ip netns add " + ns).c_str()), 0);
  struct Cleanup {
    std::string ns;
    pid_t child = -1;
    ~Cleanup() {
      if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, nullptr, 0);
      }
      std::system(("ip netns del " + ns).c_str());
    }
  } cleanup{ns};
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  cleanup.child = fork();
  if (cleanup.child == 0) {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(1);
    std::system("ip link set lo up");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(2244);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 4) != 0) _exit(1);
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "child could not listen inside " << ns;
  close(ready[0]);

  auto r = RunPortscope({"listening", "--all-netns", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  uint64_t own_ns = 0;
  bool found = false;
  for (const auto& s : j["sockets"]) {
    for (const auto& p : s["processes"]) {
      if (p["pid"] == cleanup.child && s["local_port"] == 2244) {
        found = true;
        own_ns = s["netns"];
        EXPECT_EQ(s["local_address"], "0.0.0.0");
      }
    }
  }
  ASSERT_TRUE(found) << r.out.substr(0, 2000);
  struct stat st;
  ASSERT_EQ(stat("/proc/self/ns/net", &st), 0);
  EXPECT_NE(own_ns, st.st_ino);  // labelled with the other namespace
  const json plain = json::parse(RunPortscope({"listening", "--json"}).out);
  for (const auto& s : plain["sockets"])
    for (const auto& p : s["processes"]) EXPECT_NE(p["pid"], cleanup.child);
  auto table = RunPortscope({"listening", "--all-netns"});
  EXPECT_TRUE(Has(table.out, "NETNS"));
}

}  // namespace
}  // namespace portscope

namespace portscope {
namespace {

// Without root, another user's process is hidden: the socket still shows,
// flagged no-process, and portscope says once why.
TEST(Who, AnUnprivilegedUserSeesTheSocketButNotAnotherUsersProcess) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run portscope as another user";
  if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) not installed";
  TestSocket l(AF_INET, SOCK_STREAM, "127.0.0.1");
  const std::string port = std::to_string(l.port());
  // The binary must be reachable by nobody: it is, under /work or /tmp; the
  // test runs it through setpriv with uid and gid 65534.
  int out[2], err[2];
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(err), 0);
  pid_t child = fork();
  if (child == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    execl("/usr/bin/setpriv", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PORTSCOPE_BINARY,
          "who", "--json", port.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::string o, e;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) o.append(buf, static_cast<size_t>(n));
  while ((n = read(err[0], buf, sizeof buf)) > 0) e.append(buf, static_cast<size_t>(n));
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << e;
  if (WEXITSTATUS(status) == 127 || o.empty()) GTEST_SKIP() << "binary not runnable as nobody here: " << e;
  EXPECT_EQ(WEXITSTATUS(status), 0) << e;
  json j = json::parse(o);
  ASSERT_EQ(j["sockets"].size(), 1u) << o;
  EXPECT_TRUE(j["sockets"][0]["processes"].empty());
  const auto& flags = j["sockets"][0]["flags"];
  EXPECT_NE(std::find(flags.begin(), flags.end(), "no-process"), flags.end());
  EXPECT_FALSE(j["privileged"].get<bool>());
  EXPECT_GT(j["incomplete"].get<int>(), 0);
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;  // said once
  EXPECT_TRUE(Has(e, "not running as root")) << e;
}

}  // namespace
}  // namespace portscope
