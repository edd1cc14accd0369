#include "canary/stealth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "base/test_netns.h"
#include "packet/live_capture.h"

namespace portscope::canary {
namespace {

std::vector<std::string> notes;
void Note(const std::string& s) { notes.push_back(s); }

bool TableExists() {
  std::string out;
  return RunNft({"list", "tables"}, &out).ok() && out.find(std::string("inet ") + kNftTable) != std::string::npos;
}

// Starts a TCP connect to 127.0.0.1:port and says how the host answered
// within 300 ms: "refused" (RST), "open" or "silent".
std::string Knock(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string result = "silent";
  if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    result = "open";
  } else if (errno == ECONNREFUSED) {
    result = "refused";
  } else {
    pollfd p{s, POLLOUT, 0};
    if (poll(&p, 1, 300) > 0) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      result = err == ECONNREFUSED ? "refused" : err == 0 ? "open" : "error";
    }
  }
  close(s);
  return result;
}

// The canary's side, in the supervised child: the capture sees the SYN that
// the table drops, and the host answers nothing to it.
std::string ChildChecks() {
  packet::LiveCaptureOptions o;
  o.interface = "lo";
  o.tcp_ports = {2244};
  auto c = packet::LiveCapture::Open(o);
  if (!c.ok()) return c.status().message();
  if (std::string k = Knock(2245); k != "refused") return "unwatched port 2245 answered: " + k;
  if (std::string k = Knock(2244); k != "silent") return "watched port 2244 was not silent: " + k;
  size_t syns = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (syns == 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{(*c)->fd(), POLLIN, 0};
    (void)poll(&p, 1, 100);
    auto n = (*c)->Dispatch([&](std::span<const packet::Probe> probes) {
      for (const auto& pr : probes) syns += pr.dport == 2244 && pr.tcp_flags == packet::tcp_flags::kSyn;
    });
    if (!n.ok()) return n.status().message();
  }
  if (syns == 0) return std::string("the capture did not see the dropped SYN");
  // A signal to the supervisor comes back to the canary.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  kill(getppid(), SIGTERM);
  timespec wait{2, 0};
  if (sigtimedwait(&term, nullptr, &wait) != SIGTERM) return std::string("SIGTERM was not passed on");
  return "";
}

TEST(Stealth, SupervisorInstallsTheTableReplacesALeftoverAndRemovesItWhenTheCanaryEnds) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN, CAP_NET_RAW); CI runs it as root";
  if (!RunNft({"--version"}).ok()) GTEST_SKIP() << "nft not installed (apt-get install nftables)";
  std::string why = testing::RunInPrivateNetns([] {
    NftRules rules;
    rules.drop_tcp = {2244};
    rules.drop_udp = {2244};
    // A table left by a crashed run (with a rule that is not ours now).
    NftRules old;
    old.drop_tcp = {9};
    if (Status s = InstallTable(old); !s.ok()) return s.message();
    int fds[2];
    if (pipe(fds) != 0) return std::string("pipe");
    notes.clear();
    auto r = SuperviseStealth(rules, Note);
    if (!r.ok()) return r.status().message();
    if (!r->has_value()) {  // the canary
      close(fds[0]);
      std::string e = ChildChecks();
      if (!e.empty()) (void)!write(fds[1], e.data(), e.size());
      _exit(e.empty() ? 0 : 3);
    }
    close(fds[1]);
    std::string child_says;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) child_says.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    if (!child_says.empty()) return "canary: " + child_says;
    if (**r != 0) return "exit status " + std::to_string(**r);
    if (notes.empty() || notes[0].find("left by an earlier run") == std::string::npos)
      return std::string("the leftover was not reported");
    if (TableExists()) return std::string("the table is still there after the canary ended");
    return std::string();
  });
  EXPECT_EQ(why, "");
}

TEST(Stealth, ACanaryKilledOutrightStillLeavesNoTable) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN); CI runs it as root";
  if (!RunNft({"--version"}).ok()) GTEST_SKIP() << "nft not installed (apt-get install nftables)";
  std::string why = testing::RunInPrivateNetns([] {
    NftRules rules;
    rules.drop_tcp = {2202};
    auto r = SuperviseStealth(rules);
    if (!r.ok()) return r.status().message();
    if (!r->has_value()) {
      raise(SIGKILL);
      _exit(0);
    }
    if (**r != 128 + SIGKILL) return "exit status " + std::to_string(**r);
    if (TableExists()) return std::string("table left behind");
    return std::string();
  });
  EXPECT_EQ(why, "");
}

}  // namespace
}  // namespace portscope::canary
