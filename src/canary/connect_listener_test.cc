#include "canary/connect_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <vector>

namespace portscope::canary {
namespace {

struct Recorder : ObservationSink {
  std::vector<Observation> seen;
  void OnObservation(const Observation& o) override { seen.push_back(o); }
  size_t count(Observation::Phase p) const {
    size_t n = 0;
    for (const auto& o : seen) n += o.phase == p;
    return n;
  }
};

int Connect(uint16_t port, int type = SOCK_STREAM) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Polls the listener until `done` or two seconds pass.
template <typename Pred>
void PollUntil(ConnectListener& l, Pred done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!done() && std::chrono::steady_clock::now() < until) ASSERT_TRUE(l.Poll(20).ok());
}

std::unique_ptr<ConnectListener> OpenOrDie(ListenerOptions o, Recorder* r) {
  auto l = ConnectListener::Open(o, r);
  EXPECT_TRUE(l.ok()) << l.status().message();
  return std::move(*l);
}

TEST(ConnectListener, RecordsWhatAProberSaysAndAnswersNothing) {
  Recorder rec;
  ListenerOptions o;
  o.tcp_ports = {0};
  o.bind_address = IpAddress::Parse("127.0.0.1");
  auto l = OpenOrDie(o, &rec);
  const uint16_t port = l->bound()[0].second;
  int c = Connect(port);
  const std::string hostile = "GET / HTTP/1.0\r\n\x1b[2J<script>alert(1)</script>";
  ASSERT_EQ(send(c, hostile.data(), hostile.size(), 0), static_cast<ssize_t>(hostile.size()));
  shutdown(c, SHUT_WR);
  PollUntil(*l, [&] { return rec.count(Observation::Phase::kClosed) == 1; });
  ASSERT_EQ(rec.count(Observation::Phase::kOpened), 1u);
  ASSERT_EQ(rec.count(Observation::Phase::kClosed), 1u);
  const Observation& opened = rec.seen[0];
  EXPECT_EQ(opened.src, *IpAddress::Parse("127.0.0.1"));
  EXPECT_EQ(opened.dst, *IpAddress::Parse("127.0.0.1"));
  EXPECT_EQ(opened.dport, port);
  EXPECT_TRUE(opened.payload.empty());
  const Observation& closed = rec.seen[1];
  EXPECT_EQ(closed.payload, hostile);  // exact bytes, escapes and all
  EXPECT_TRUE(closed.peer_closed);
  // The prober got not one byte: only the reset.
  char buf[64];
  pollfd p{c, POLLIN, 0};
  poll(&p, 1, 1000);
  ssize_t n = recv(c, buf, sizeof buf, 0);
  EXPECT_LE(n, 0);
  close(c);
}

TEST(ConnectListener, StopsReadingAtTheByteCapAndClosesWithReset) {
  Recorder rec;
  ListenerOptions o;
  o.tcp_ports = {0};
  o.read_bytes = 16;
  o.bind_address = IpAddress::Parse("127.0.0.1");
  auto l = OpenOrDie(o, &rec);
  int c = Connect(l->bound()[0].second);
  std::string big(1000, 'A');
  send(c, big.data(), big.size(), 0);
  PollUntil(*l, [&] { return rec.count(Observation::Phase::kClosed) == 1; });
  ASSERT_EQ(rec.count(Observation::Phase::kClosed), 1u);
  EXPECT_EQ(rec.seen.back().payload, std::string(16, 'A'));
  EXPECT_TRUE(rec.seen.back().payload_truncated);
  EXPECT_EQ(l->counters().closed_after_bytes, 1u);
  char buf[8];
  pollfd p{c, POLLIN, 0};
  poll(&p, 1, 1000);
  errno = 0;
  EXPECT_EQ(recv(c, buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, ECONNRESET);  // SO_LINGER 0 with unread data: an RST
  close(c);
}

TEST(ConnectListener, ASilentConnectionIsClosedAfterTheReadWindow) {
  Recorder rec;
  ListenerOptions o;
  o.tcp_ports = {0};
  o.read_ms = 100;
  o.bind_address = IpAddress::Parse("127.0.0.1");
  auto l = OpenOrDie(o, &rec);
  int c = Connect(l->bound()[0].second);
  auto start = std::chrono::steady_clock::now();
  PollUntil(*l, [&] { return rec.count(Observation::Phase::kClosed) == 1; });
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(l->counters().closed_after_time, 1u);
  EXPECT_GE(took, std::chrono::milliseconds(90));
  EXPECT_TRUE(rec.seen.back().payload.empty());
  EXPECT_EQ(l->open_connections(), 0u);
  close(c);
}

TEST(ConnectListener, OpenConnectionsAreCappedOldestFirst) {
  Recorder rec;
  ListenerOptions o;
  o.tcp_ports = {0};
  o.max_open = 4;
  o.bind_address = IpAddress::Parse("127.0.0.1");
  auto l = OpenOrDie(o, &rec);
  std::vector<int> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(Connect(l->bound()[0].second));
  PollUntil(*l, [&] { return rec.count(Observation::Phase::kOpened) == 10; });
  EXPECT_EQ(rec.count(Observation::Phase::kOpened), 10u);
  EXPECT_LE(l->open_connections(), 4u);
  EXPECT_EQ(l->counters().closed_for_room, 6u);
  // The ones closed for room were the oldest: the first six source ports.
  std::vector<uint16_t> opened, closed;
  for (const auto& ob : rec.seen) (ob.phase == Observation::Phase::kOpened ? opened : closed).push_back(ob.sport);
  ASSERT_EQ(closed.size(), 6u);
  for (size_t i = 0; i < closed.size(); ++i) EXPECT_EQ(closed[i], opened[i]);
  l->CloseAll();
  EXPECT_EQ(rec.count(Observation::Phase::kClosed), 10u);
  for (int c : clients) close(c);
}

TEST(ConnectListener, DatagramsAreRecordedWithTheirLengthAndNeverAnswered) {
  Recorder rec;
  ListenerOptions o;
  o.udp_ports = {0};
  o.read_bytes = 256;
  auto l = OpenOrDie(o, &rec);  // dual-stack wildcard: the destination comes from PKTINFO
  const uint16_t port = l->bound()[0].second;
  int c = Connect(port, SOCK_DGRAM);
  std::string big(1000, '\x01');
  send(c, big.data(), big.size(), 0);
  send(c, "ping", 4, 0);
  PollUntil(*l, [&] { return rec.count(Observation::Phase::kDatagram) == 2; });
  ASSERT_EQ(rec.seen.size(), 2u);
  EXPECT_EQ(rec.seen[0].payload.size(), 256u);
  EXPECT_EQ(rec.seen[0].payload_len, 1000u);
  EXPECT_TRUE(rec.seen[0].payload_truncated);
  EXPECT_EQ(rec.seen[1].payload, "ping");
  EXPECT_EQ(rec.seen[1].dst, *IpAddress::Parse("127.0.0.1"));
  EXPECT_EQ(rec.seen[1].dport, port);
  char buf[16];
  pollfd p{c, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0);  // no reply
  (void)buf;
  close(c);
}

TEST(ConnectListener, APortHeldByAnotherSocketIsRefusedAndNothingStaysBound) {
  int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  listen(holder, 1);
  socklen_t len = sizeof a;
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t held = ntohs(a.sin_port);
  Recorder rec;
  ListenerOptions o;
  o.udp_ports = {0};
  o.tcp_ports = {held};
  o.bind_address = IpAddress::Parse("127.0.0.1");
  auto l = ConnectListener::Open(o, &rec);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("already held"), std::string::npos) << l.status().message();
  EXPECT_NE(l.status().message().find(std::to_string(held) + "/tcp"), std::string::npos);
  close(holder);
}

}  // namespace
}  // namespace portscope::canary
