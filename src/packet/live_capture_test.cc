#include "packet/live_capture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_netns.h"

namespace portscope::packet {
namespace {

TEST(WatchedPortsFilter, RunsBecomeRangesAndTooManyBecomeOneEnvelope) {
  EXPECT_EQ(WatchedPortsFilter({2244, 2202, 2203, 2204, 2202}, {}),
            "(tcp and (dst portrange 2202-2204 or dst port 2244))");
  EXPECT_EQ(WatchedPortsFilter({}, {53}), "(udp and (dst port 53))");
  EXPECT_EQ(WatchedPortsFilter({1}, {2}), "(tcp and (dst port 1)) or (udp and (dst port 2))");
  EXPECT_EQ(WatchedPortsFilter({10, 20, 30}, {}, 2), "(tcp and (dst portrange 10-30))");
}

TEST(LiveCapture, NoPortsOrNoSuchInterfaceIsAClearError) {
  LiveCaptureOptions o;
  auto none = LiveCapture::Open(o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no ports"), std::string::npos);
  if (geteuid() != 0) GTEST_SKIP() << "the interface check needs root (CAP_NET_RAW); CI runs it as root";
  o.interface = "nosuch-ps0";
  o.tcp_ports = {2244};
  auto bad = LiveCapture::Open(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no interface 'nosuch-ps0'"), std::string::npos) << bad.status().message();
}

TEST(LiveCapture, WithoutCapNetRawSaysWhatItNeeds) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user; CI runs it as root";
  // A forked child gives up root (uid 65534) and tries.
  std::string why = testing::RunInPrivateNetns([] {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) return std::string("setuid");
    LiveCaptureOptions o;
    o.interface = "lo";
    o.tcp_ports = {2244};
    auto c = LiveCapture::Open(o);
    if (c.ok()) return std::string("opened without privileges");
    if (c.status().message().find("CAP_NET_RAW") == std::string::npos) return "message: " + c.status().message();
    return std::string();
  });
  EXPECT_EQ(why, "");
}

int SendUdp(uint16_t port, const std::string& payload) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int n = static_cast<int>(sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to));
  close(s);
  return n;
}

// A non-blocking connect: one SYN to the port (nothing listens, so the
// answer is an RST to the client's port, which the filter leaves out).
void SendSyn(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to);
  usleep(20000);
  close(s);
}

// Reads until `want` probes arrived or `wait_ms` passed.
std::string Collect(LiveCapture& c, size_t want, std::vector<Probe>* got, std::vector<std::string>* payloads,
                    int wait_ms = 3000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (got->size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{c.fd(), POLLIN, 0};
    (void)poll(&p, 1, 100);
    auto n = c.Dispatch([&](std::span<const Probe> probes) {
      for (const Probe& pr : probes) {
        got->push_back(pr);
        payloads->emplace_back(pr.payload.begin(), pr.payload.end());
      }
    });
    if (!n.ok()) return n.status().message();
  }
  return "";
}

TEST(LiveCapture, CapturesInboundProbesOfWatchedPortsWithTheirFirstBytes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_RAW, a network namespace); CI runs it as root";
  for (const char* ifname : {"lo", "any"}) {
    SCOPED_TRACE(ifname);
    std::string why = testing::RunInPrivateNetns([ifname] {
      LiveCaptureOptions o;
      o.interface = ifname;
      o.tcp_ports = {2202, 2203, 2244};
      o.udp_ports = {2244};
      o.payload_bytes = 4;
      o.batch = 2;  // several batches per Dispatch
      auto c = LiveCapture::Open(o);
      if (!c.ok()) return c.status().message();
      SendUdp(2245, "not watched");
      SendSyn(2201);  // not watched
      SendSyn(2202);
      SendSyn(2244);
      if (SendUdp(2244, "hello") != 5) return std::string("sendto failed");
      SendUdp(2202, "udp to a tcp-only port");
      std::vector<Probe> got;
      std::vector<std::string> payloads;
      if (std::string e = Collect(**c, 3, &got, &payloads); !e.empty()) return e;
      // Anything more (a duplicate, an unwatched port) would show now.
      if (std::string e = Collect(**c, 4, &got, &payloads, 300); !e.empty()) return e;
      if (got.size() != 3) return "expected 3 probes, got " + std::to_string(got.size());
      std::string problems;
      auto check = [&](bool ok, const std::string& what) {
        if (!ok) problems += what + "; ";
      };
      check(got[0].transport == Transport::kTcp && got[0].dport == 2202 && got[0].tcp_flags == tcp_flags::kSyn,
            "first is a SYN to 2202");
      check(got[1].transport == Transport::kTcp && got[1].dport == 2244, "second is TCP to 2244");
      check(got[2].transport == Transport::kUdp && got[2].dport == 2244, "third is UDP to 2244");
      check(payloads[2] == "hell", "payload cut to 4 bytes: '" + payloads[2] + "'");
      check(got[2].payload_wire_len == 5, "wire length of the payload kept");
      check(got[0].src.ToString() == "127.0.0.1", "source address");
      check(got[0].time_us > 1'700'000'000'000'000ull, "timestamp in microseconds");
      auto stats = (*c)->Stats();
      if (!stats.ok()) return stats.status().message();
      check(stats->probes == 3, "probes counted");
      check(stats->payload_cut == 1, "payload cut counted");
      check(stats->received >= 3 && stats->dropped == 0, "libpcap counters: received " +
                                                             std::to_string(stats->received) + ", dropped " +
                                                             std::to_string(stats->dropped));
      check((*c)->filter().find("dst port 2244") != std::string::npos, "filter: " + (*c)->filter());
      return problems;
    });
    EXPECT_EQ(why, "");
  }
}

}  // namespace
}  // namespace portscope::packet

namespace portscope::packet {
namespace {

// Past 64 runs of ports the kernel filter is one envelope range; the ports
// inside it that are not watched are checked here, counted, not delivered.
TEST(LiveCapture, ManyScatteredPortsUseAnEnvelopeAndStillDeliverOnlyWatchedOnes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_RAW, a network namespace); CI runs it as root";
  std::string why = testing::RunInPrivateNetns([] {
    LiveCaptureOptions o;
    o.interface = "lo";
    for (uint16_t p = 2000; p < 2400; p += 2) o.udp_ports.push_back(p);  // 200 runs of one port
    auto c = LiveCapture::Open(o);
    if (!c.ok()) return c.status().message();
    if ((*c)->filter().find("dst portrange 2000-2398") == std::string::npos) return "filter: " + (*c)->filter();
    SendUdp(2203, "odd: not watched");
    SendUdp(2244, "watched");
    std::vector<Probe> got;
    std::vector<std::string> payloads;
    if (std::string e = Collect(**c, 1, &got, &payloads); !e.empty()) return e;
    if (std::string e = Collect(**c, 2, &got, &payloads, 300); !e.empty()) return e;
    if (got.size() != 1 || got[0].dport != 2244 || payloads[0] != "watched")
      return "expected only the probe of 2244, got " + std::to_string(got.size());
    auto stats = (*c)->Stats();
    if (!stats.ok()) return stats.status().message();
    if (stats->not_watched != 1) return "not_watched " + std::to_string(stats->not_watched);
    return std::string();
  });
  EXPECT_EQ(why, "");
}

}  // namespace
}  // namespace portscope::packet
