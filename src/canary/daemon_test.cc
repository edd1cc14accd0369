#include "canary/daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "canary/records.h"
#include "detect/engine.h"

namespace portscope::canary {
namespace {

// Keeps every batch the writer delivers.
class MemorySink : public store::Sink {
 public:
  std::string_view name() const override { return "memory"; }
  Status Write(const store::Batch& b) override {
    std::lock_guard l(mu_);
    events_.insert(events_.end(), b.events.begin(), b.events.end());
    alerts_.insert(alerts_.end(), b.alerts.begin(), b.alerts.end());
    return Status::Ok();
  }
  Status Reopen() override {
    ++reopens_;
    return Status::Ok();
  }
  std::vector<store::Event> events() const {
    std::lock_guard l(mu_);
    return events_;
  }
  std::vector<store::AlertRecord> alerts() const {
    std::lock_guard l(mu_);
    return alerts_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<store::Event> events_;
  std::vector<store::AlertRecord> alerts_;
  int reopens_ = 0;
};

struct Collect : AlertListener {
  std::mutex mu;
  std::vector<store::AlertRecord> seen;
  void OnAlert(const store::AlertRecord& a) override {
    std::lock_guard l(mu);
    seen.push_back(a);
  }
};

int Connect(uint16_t port, int type) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

struct Fixture {
  MemorySink* sink = nullptr;
  std::unique_ptr<Daemon> daemon;
  uint16_t tcp = 0, udp = 0;
};

Fixture Start(ReloadableConfig config) {
  Fixture f;
  DaemonOptions o;
  o.listener.tcp_ports = {0};
  o.listener.udp_ports = {0};
  o.listener.bind_address = IpAddress::Parse("127.0.0.1");
  o.listener.read_ms = 300;
  o.config = std::move(config);
  o.sensor = "unit";
  o.flush_interval_ms = 50;
  o.writer.commit_interval_ms = 20;
  auto sink = std::make_unique<MemorySink>();
  f.sink = sink.get();
  std::vector<std::unique_ptr<store::Sink>> sinks;
  sinks.push_back(std::move(sink));
  auto d = Daemon::Create(std::move(o), std::move(sinks));
  EXPECT_TRUE(d.ok()) << d.status().message();
  if (!d.ok()) return f;
  f.daemon = std::move(*d);
  for (auto [proto, port] : f.daemon->bound()) (proto == registry::Proto::kTcp ? f.tcp : f.udp) = port;
  return f;
}

template <typename Pred>
bool WaitFor(Pred done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(Daemon, RecordsFirstBytesAlertsAtOnceAndFlushesOnStop) {
  Fixture f = Start({});
  ASSERT_TRUE(f.daemon);
  Collect listener;
  f.daemon->AddAlertListener(&listener);
  Status run;
  std::thread loop([&] { run = f.daemon->Run(); });

  // The first touch of a watched port is an alert at once, before any byte.
  int silent = Connect(f.tcp, SOCK_STREAM);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard l(listener.mu);
    return !listener.seen.empty();
  }));
  {
    std::lock_guard l(listener.mu);
    EXPECT_EQ(listener.seen[0].phase, store::AlertPhase::kStarted);
    EXPECT_EQ(listener.seen[0].source.ToString(), "127.0.0.1");
    EXPECT_EQ(listener.seen[0].sensor, "unit");
    EXPECT_EQ(store::JoinAlgorithms(listener.seen[0].algorithms), "watched-port");
  }
  // A talker gets nothing back; its first bytes are kept.
  int talker = Connect(f.tcp, SOCK_STREAM);
  const std::string hello = "HELLO \x1b[2J<b>";
  ASSERT_EQ(send(talker, hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
  shutdown(talker, SHUT_WR);
  char buf[16];
  EXPECT_LE(recv(talker, buf, sizeof buf, 0), 0);  // FIN or RST, never data
  int dgram = Connect(f.udp, SOCK_DGRAM);
  ASSERT_EQ(send(dgram, "ping", 4, 0), 4);
  // The silent connection is closed after read_ms and recorded then.
  ASSERT_TRUE(WaitFor([&] { return f.sink->events().size() >= 3; }));
  f.daemon->RequestStop();
  loop.join();
  EXPECT_TRUE(run.ok()) << run.message();
  close(silent);
  close(talker);
  close(dgram);

  bool saw_payload = false, saw_datagram = false, saw_silent = false;
  for (const auto& e : f.sink->events()) {
    if (e.action == "connect" && e.payload == hello) saw_payload = true;
    if (e.action == "connect" && e.payload.empty()) saw_silent = true;
    if (e.action == "datagram" && e.payload == "ping" && e.transport == store::Transport::kUdp) saw_datagram = true;
    EXPECT_EQ(e.sensor, "unit");
  }
  EXPECT_TRUE(saw_payload);
  EXPECT_TRUE(saw_datagram);
  EXPECT_TRUE(saw_silent);
  // Stop ends the running scan: its last alert is in the store.
  auto alerts = f.sink->alerts();
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts.back().phase, store::AlertPhase::kEnded);
  EXPECT_GE(alerts.back().port_count, 2u);  // the TCP and the UDP port
}

TEST(Daemon, IgnoredSourcesAreRecordedButNeverAlert) {
  ReloadableConfig c;
  c.ignore = {*Cidr::Parse("127.0.0.0/8")};
  Fixture f = Start(c);
  ASSERT_TRUE(f.daemon);
  std::thread loop([&] { (void)f.daemon->Run(); });
  for (int i = 0; i < 3; ++i) close(Connect(f.tcp, SOCK_STREAM));
  ASSERT_TRUE(WaitFor([&] { return f.sink->events().size() >= 3; }));
  f.daemon->RequestStop();
  loop.join();
  EXPECT_TRUE(f.sink->alerts().empty());
  EXPECT_EQ(f.daemon->stats().ignored, 3u);
}

TEST(Daemon, PacketProbesOfWatchedPortsAreEventsAndAlerts) {
  ReloadableConfig c;
  c.detect.watched_tcp_ports = {2244};
  c.detect.watched_udp_ports = {2244};
  DaemonOptions o;
  o.config = c;
  o.sensor = "stealth";
  auto sink = std::make_unique<MemorySink>();
  MemorySink* mem = sink.get();
  std::vector<std::unique_ptr<store::Sink>> sinks;
  sinks.push_back(std::move(sink));
  auto d = Daemon::Create(std::move(o), std::move(sinks));
  ASSERT_TRUE(d.ok()) << d.status().message();
  packet::Probe p;
  p.time_us = 1'700'000'000'000'000;
  p.src = *IpAddress::Parse("198.51.100.7");
  p.dst = *IpAddress::Parse("192.0.2.1");
  p.sport = 40000;
  p.dport = 2244;
  p.transport = packet::Transport::kTcp;
  p.tcp_flags = packet::tcp_flags::kFin;  // nmap -sF
  (*d)->OnPacketProbe(p);
  p.dport = 2245;  // not watched: detection only
  (*d)->OnPacketProbe(p);
  std::vector<uint8_t> bytes(300, 'x');  // more than read_bytes (256)
  p.dport = 2244;
  p.transport = packet::Transport::kUdp;
  p.tcp_flags = 0;
  p.payload = bytes;
  p.payload_wire_len = 300;
  (*d)->OnPacketProbe(p);
  (*d)->RequestStop();
  ASSERT_TRUE((*d)->Run().ok());
  auto events = mem->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "fin");
  EXPECT_EQ(events[0].dport, 2244);
  EXPECT_EQ(events[1].action, "datagram");
  EXPECT_EQ(events[1].payload, std::string(256, 'x'));
  EXPECT_TRUE(events[1].payload_truncated);
  auto alerts = mem->alerts();
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts[0].source.ToString(), "198.51.100.7");
  EXPECT_EQ(alerts[0].kind, store::ScanKind::kFin);
  EXPECT_EQ((*d)->stats().packet_probes, 3u);
}

TEST(Daemon, AHeldPortIsRefusedAndNothingStaysBound) {
  Fixture a = Start({});
  ASSERT_TRUE(a.daemon);
  DaemonOptions o;
  o.listener.tcp_ports = {a.tcp};
  o.listener.bind_address = IpAddress::Parse("127.0.0.1");
  auto d = Daemon::Create(std::move(o), {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("already held"), std::string::npos) << d.status().message();
}

TEST(Records, AlertRecordCarriesTheScanAsDetectSawIt) {
  detect::Alert a;
  a.scan_id = 4;
  a.phase = detect::AlertPhase::kEnded;
  a.end_reason = detect::EndReason::kIdle;
  a.source = *IpAddress::Parse("203.0.113.9");
  a.kind = detect::ScanKind::kUdp;
  a.shape = detect::ScanShape::kVertical;
  a.algorithms = static_cast<uint8_t>(detect::Algorithm::kFastWindow) |
                 static_cast<uint8_t>(detect::Algorithm::kWatchedPort);
  a.ports_at_least = 7;
  a.ports_listed = 2;
  a.ports[0] = 53;
  a.ports[1] = 2244;
  store::AlertRecord r = ToAlertRecord(a, "s1", 10, 99);
  EXPECT_EQ(r.scan_id, 14u);
  EXPECT_EQ(r.phase, store::AlertPhase::kEnded);
  EXPECT_EQ(r.ended_reason, "idle");
  EXPECT_EQ(r.kind, store::ScanKind::kUdp);
  EXPECT_EQ(r.shape, store::ScanShape::kVertical);
  EXPECT_EQ(store::JoinAlgorithms(r.algorithms), "fast-window,watched-port");
  EXPECT_EQ(r.port_count, 7u);
  EXPECT_EQ(r.ports, (std::vector<uint16_t>{53, 2244}));
  EXPECT_EQ(r.time_us, 99u);
  EXPECT_EQ(r.sensor, "s1");
}

// A scan of 0-1000 is stored as all of it (its runs), not its first 32 ports;
// past the store's cap, the lowest ports.
TEST(Records, AlertRecordKeepsThePortsOfTheAlertsRuns) {
  detect::Alert a;
  a.ports_at_least = 1001;
  a.ports_listed = detect::kAlertPorts;
  for (uint16_t p = 0; p < detect::kAlertPorts; ++p) a.ports[p] = p;
  a.port_ranges_listed = 1;
  a.port_ranges[0] = {0, 1000};
  store::AlertRecord r = ToAlertRecord(a, "s1", 0, 1);
  ASSERT_EQ(r.ports.size(), 1001u);
  EXPECT_EQ(r.ports.front(), 0);
  EXPECT_EQ(r.ports.back(), 1000);
  EXPECT_TRUE(std::is_sorted(r.ports.begin(), r.ports.end()));
  a.port_ranges_listed = 3;
  a.port_ranges[0] = {0, 40};
  a.port_ranges[1] = {80, 80};
  a.port_ranges[2] = {1024, 65535};
  r = ToAlertRecord(a, "s1", 0, 1);
  ASSERT_EQ(r.ports.size(), store::kMaxAlertPorts);
  EXPECT_EQ(r.ports[40], 40);
  EXPECT_EQ(r.ports[41], 80);
  EXPECT_EQ(r.ports[42], 1024);
  EXPECT_EQ(r.ports.back(), 1024 + store::kMaxAlertPorts - 43);
}

// With the engine's bitmap (during OnAlert), every port up to the store's cap
// is kept, however many runs: here 1,500 ports with gaps, so 1,500 runs.
TEST(Records, AlertRecordTakesEveryPortFromTheBitmap) {
  std::vector<uint64_t> bits(65536 / 64, 0);
  for (uint32_t p = 10; p < 10 + 2 * 1500; p += 2) bits[p >> 6] |= uint64_t{1} << (p & 63);
  detect::Alert a;
  a.ports_at_least = 1500;
  a.ports_listed = 1;
  a.ports[0] = 10;  // the lists would give 32 ports and 16 runs
  a.port_bitmap = bits;
  store::AlertRecord r = ToAlertRecord(a, "s1", 0, 1);
  ASSERT_EQ(r.ports.size(), store::kMaxAlertPorts);
  EXPECT_EQ(r.ports[0], 10);
  EXPECT_EQ(r.ports[1], 12);
  EXPECT_EQ(r.ports.back(), 10 + 2 * (store::kMaxAlertPorts - 1));
  EXPECT_EQ(r.port_count, 1500u);
  bits.assign(bits.size(), 0);
  for (uint16_t p : {7, 80, 443}) bits[p >> 6] |= uint64_t{1} << (p & 63);
  r = ToAlertRecord(a, "s1", 0, 1);
  EXPECT_EQ(r.ports, (std::vector<uint16_t>{7, 80, 443}));
}

// A captured segment is named after its flags, as nmap names the scan that
// sends it; a UDP datagram is a "datagram".
TEST(Records, PacketEventsAreNamedAfterTheirFlags) {
  namespace tf = packet::tcp_flags;
  const std::pair<uint8_t, const char*> cases[] = {
      {tf::kSyn, "syn"},
      {0, "null"},
      {tf::kFin, "fin"},
      {tf::kFin | tf::kPsh | tf::kUrg, "xmas"},
      {tf::kAck, "ack"},
      {tf::kFin | tf::kAck, "maimon"},
      {tf::kSyn | tf::kAck, "tcp"},
      {tf::kRst, "tcp"},
      {tf::kSyn | tf::kFin, "tcp"},
      {tf::kAck | tf::kPsh, "tcp"},
  };
  packet::Probe p;
  p.transport = packet::Transport::kTcp;
  p.ip_proto = 6;
  p.src = *IpAddress::Parse("203.0.113.9");
  p.dst = *IpAddress::Parse("192.0.2.1");
  p.dport = 2244;
  for (const auto& [flags, action] : cases) {
    p.tcp_flags = flags;
    const store::Event e = PacketToEvent(p, "s1", 16);
    EXPECT_EQ(e.action, action) << "flags " << int{flags};
    EXPECT_EQ(e.tcp_flags, flags);
  }
  // The ECN bits do not change the name.
  p.tcp_flags = tf::kFin | tf::kEce | tf::kCwr;
  EXPECT_EQ(PacketToEvent(p, "s1", 16).action, "fin");
  p.transport = packet::Transport::kUdp;
  p.ip_proto = 17;
  p.tcp_flags = 0;
  EXPECT_EQ(PacketToEvent(p, "s1", 16).action, "datagram");
}

// `events --kind` accepts the actions in store::kEventActions: every action
// an event can be written with must be there.
TEST(Records, EveryActionWrittenIsOneEventsKindAccepts) {
  auto known = [](const std::string& a) {
    return std::find(std::begin(store::kEventActions), std::end(store::kEventActions), a) !=
           std::end(store::kEventActions);
  };
  packet::Probe p;
  p.src = *IpAddress::Parse("203.0.113.9");
  p.dst = *IpAddress::Parse("192.0.2.1");
  p.transport = packet::Transport::kTcp;
  for (int flags = 0; flags < 256; ++flags) {
    p.tcp_flags = static_cast<uint8_t>(flags);
    EXPECT_TRUE(known(PacketToEvent(p, "s1", 16).action)) << PacketToEvent(p, "s1", 16).action;
  }
  p.transport = packet::Transport::kUdp;
  EXPECT_TRUE(known(PacketToEvent(p, "s1", 16).action));
  Observation o;
  o.proto = registry::Proto::kTcp;
  EXPECT_TRUE(known(ObservationToEvent(o, "s1").action));
  o.proto = registry::Proto::kUdp;
  EXPECT_TRUE(known(ObservationToEvent(o, "s1").action));
  EXPECT_TRUE(known(std::string(store::kSummaryAction)));
}

}  // namespace
}  // namespace portscope::canary
