#include "canary/blocker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>

#include <gtest/gtest.h>

namespace portscope::canary {
namespace {

using namespace std::chrono_literals;

store::AlertRecord Started(const char* source, store::AlertPhase phase = store::AlertPhase::kStarted) {
  store::AlertRecord a;
  a.phase = phase;
  a.source = *IpAddress::Parse(source);
  return a;
}

struct FakeNft {
  std::mutex mu;
  std::vector<std::pair<std::string, uint32_t>> calls;
  std::atomic<bool> fail{false};
  std::atomic<bool> slow{false};
  Blocker::Apply apply() {
    return [this](const IpAddress& a, uint32_t t) {
      if (slow) std::this_thread::sleep_for(50ms);
      std::lock_guard lock(mu);
      calls.emplace_back(a.ToString(), t);
      return fail ? Status::IoError("nft add element failed: no such set") : Status::Ok();
    };
  }
};

TEST(Blocker, BlocksStartedScansButNeverTheAllowlistOrIgnored) {
  FakeNft nft;
  BlockOptions o;
  o.timeout_s = 600;
  o.allow = {*Cidr::Parse("10.0.0.0/8"), *Cidr::Parse("2001:db8::1")};
  o.ignore = {*Cidr::Parse("192.0.2.128/25")};
  Blocker b(o, nft.apply());
  b.OnAlert(Started("192.0.2.7"));
  b.OnAlert(Started("10.1.2.3"));       // allowlisted
  b.OnAlert(Started("2001:db8::1"));    // allowlisted
  b.OnAlert(Started("192.0.2.200"));    // ignored
  b.OnAlert(Started("198.51.100.1", store::AlertPhase::kUpdated));  // only starts block
  b.OnAlert(Started("2001:db8::2"));
  ASSERT_TRUE(b.WaitIdle(5s));
  ASSERT_EQ(nft.calls.size(), 2u);
  EXPECT_EQ(nft.calls[0], std::make_pair(std::string("192.0.2.7"), 600u));
  EXPECT_EQ(nft.calls[1].first, "2001:db8::2");
  auto s = b.stats();
  EXPECT_EQ(s.blocked, 2u);
  EXPECT_EQ(s.skipped_allowed, 2u);
  EXPECT_EQ(s.skipped_ignored, 1u);
}

TEST(Blocker, SameSourceOnceWhileBlocked) {
  FakeNft nft;
  nft.slow = true;
  Blocker b(BlockOptions{}, nft.apply());
  for (int i = 0; i < 5; ++i) b.OnAlert(Started("192.0.2.7"));  // pending: one nft
  ASSERT_TRUE(b.WaitIdle(5s));
  b.OnAlert(Started("192.0.2.7"));  // blocked a moment ago for an hour
  ASSERT_TRUE(b.WaitIdle(5s));
  EXPECT_EQ(nft.calls.size(), 1u);
  EXPECT_EQ(b.stats().skipped_duplicate, 5u);
}

TEST(Blocker, ReblocksWhenHalfTheTimeoutHasPassed) {
  FakeNft nft;
  BlockOptions o;
  o.timeout_s = 1;
  Blocker b(o, nft.apply());
  b.OnAlert(Started("192.0.2.7"));
  ASSERT_TRUE(b.WaitIdle(5s));
  std::this_thread::sleep_for(600ms);
  b.OnAlert(Started("192.0.2.7"));
  ASSERT_TRUE(b.WaitIdle(5s));
  EXPECT_EQ(nft.calls.size(), 2u);
}

TEST(Blocker, FailuresAndOverflowAreCounted) {
  FakeNft nft;
  nft.fail = true;
  nft.slow = true;
  BlockOptions o;
  o.queue_capacity = 2;
  Blocker b(o, nft.apply());
  for (int i = 1; i <= 10; ++i) b.OnAlert(Started(("192.0.2." + std::to_string(i)).c_str()));
  ASSERT_TRUE(b.WaitIdle(5s));
  auto s = b.stats();
  EXPECT_EQ(s.queued + s.dropped_queue_full, 10u);
  EXPECT_GE(s.dropped_queue_full, 7u);  // at most one taken off the queue before it filled
  EXPECT_EQ(s.failed, s.queued);
  EXPECT_EQ(s.blocked, 0u);
  EXPECT_NE(s.last_error.find("no such set"), std::string::npos);
}

// ---- In network namespaces the test creates: real nft, real packets. ----

int Sh(const std::string& cmd) { return system(cmd.c_str()); }

// Two namespaces joined by a veth pair: "c" holds the canary's nft table and
// a listener at 10.231.0.1, "s" the scanner at 10.231.0.2 and an allowlisted
// host at 10.231.0.3. Removed (by name) when the test ends, however it ends.
class TwoNamespaces {
 public:
  TwoNamespaces() {
    std::string id = std::to_string(getpid());
    c_ = "ps-notify-" + id + "-c";
    s_ = "ps-notify-" + id + "-s";
    std::string vc = "pnb" + id + "c", vs = "pnb" + id + "s";
    ok_ = Sh("ip netns add " + c_) == 0 && Sh("ip netns add " + s_) == 0 &&
          Sh("ip link add " + vc + " netns " + c_ + " type veth peer name " + vs + " netns " + s_) == 0 &&
          Sh("ip -n " + c_ + " addr add 10.231.0.1/24 dev " + vc) == 0 &&
          Sh("ip -n " + s_ + " addr add 10.231.0.2/24 dev " + vs) == 0 &&
          Sh("ip -n " + s_ + " addr add 10.231.0.3/24 dev " + vs) == 0 &&
          Sh("ip -n " + c_ + " link set " + vc + " up") == 0 && Sh("ip -n " + s_ + " link set " + vs + " up") == 0 &&
          Sh("ip -n " + c_ + " link set lo up") == 0 && Sh("ip -n " + s_ + " link set lo up") == 0;
  }
  ~TwoNamespaces() {
    Sh("ip netns del " + c_ + " 2>/dev/null");
    Sh("ip netns del " + s_ + " 2>/dev/null");
  }
  bool ok() const { return ok_; }
  const std::string& canary() const { return c_; }
  const std::string& scanner() const { return s_; }

 private:
  std::string c_, s_;
  bool ok_ = false;
};

// Runs f on a new thread that has entered namespace `ns`: the network
// namespace is per thread, so the test's own thread never moves, and
// threads f starts (the blocker's) stay in `ns`.
template <typename F>
auto InNetns(const std::string& ns, F f) {
  return std::async(std::launch::async, [ns, f]() mutable {
           int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
           if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) std::abort();  // never run f in the wrong namespace
           close(fd);
           return f();
         })
      .get();
}

// A TCP connection from `src` to 10.231.0.1:port, within 700 ms.
bool Connects(const char* src, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in from{}, to{};
  from.sin_family = to.sin_family = AF_INET;
  inet_pton(AF_INET, src, &from.sin_addr);
  inet_pton(AF_INET, "10.231.0.1", &to.sin_addr);
  to.sin_port = htons(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0;
  if (ok && connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = poll(&p, 1, 700) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  close(fd);
  return ok;
}

TEST(Blocker, DropsTheScannerButNeverTheAllowlistInANamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (ip netns, nft); CI runs it as root";
  if (!RunNft({"--version"}).ok()) GTEST_SKIP() << "nft not installed (apt-get install nftables)";
  TwoNamespaces ns;
  ASSERT_TRUE(ns.ok()) << "could not create the namespaces";

  const uint16_t port = 40123;
  int listener = InNetns(ns.canary(), [&] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, "10.231.0.1", &a.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 16) != 0) return -1;
    return fd;
  });
  ASSERT_GE(listener, 0);
  // Before: both reach the canary host.
  EXPECT_TRUE(InNetns(ns.scanner(), [&] { return Connects("10.231.0.2", port); }));
  EXPECT_TRUE(InNetns(ns.scanner(), [&] { return Connects("10.231.0.3", port); }));

  Status installed = InNetns(ns.canary(), [] {
    NftRules r;
    r.block_sets = true;
    return InstallTable(r);
  });
  ASSERT_TRUE(installed.ok()) << installed.message();
  BlockOptions o;
  o.timeout_s = 300;
  o.allow = {*Cidr::Parse("10.231.0.3")};
  auto blocker = InNetns(ns.canary(), [&] { return std::make_unique<Blocker>(o); });
  blocker->OnAlert(Started("10.231.0.2"));
  blocker->OnAlert(Started("10.231.0.3"));
  ASSERT_TRUE(blocker->WaitIdle(10s));
  EXPECT_EQ(blocker->stats().blocked, 1u) << blocker->stats().last_error;
  EXPECT_EQ(blocker->stats().skipped_allowed, 1u);

  std::string set = InNetns(ns.canary(), [] {
    std::string out;
    (void)RunNft({"list", "set", "inet", kNftTable, "blocked4"}, &out);
    return out;
  });
  EXPECT_NE(set.find("10.231.0.2 timeout 5m expires"), std::string::npos) << set;
  EXPECT_EQ(set.find("10.231.0.3"), std::string::npos) << set;
  // Blocking again renews the timeout (nft's `add element` alone would not).
  set = InNetns(ns.canary(), [] {
    std::string out;
    if (Status s = BlockSource(*IpAddress::Parse("10.231.0.2"), 900); !s.ok()) return s.message();
    (void)RunNft({"list", "set", "inet", kNftTable, "blocked4"}, &out);
    return out;
  });
  EXPECT_NE(set.find("10.231.0.2 timeout 15m expires"), std::string::npos) << set;

  // After: the blocked source's SYNs are dropped, the allowlisted one's are not.
  EXPECT_FALSE(InNetns(ns.scanner(), [&] { return Connects("10.231.0.2", port); }));
  EXPECT_TRUE(InNetns(ns.scanner(), [&] { return Connects("10.231.0.3", port); }));
  blocker.reset();
  close(listener);
}

}  // namespace
}  // namespace portscope::canary
