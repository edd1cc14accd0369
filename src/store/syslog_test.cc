// RFC 5424 framing and escaping, and delivery to receivers this test starts
// (a UNIX datagram socket and a UDP port on loopback; there is no syslog
// daemon on these machines).
#include "store/syslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <regex>
#include <thread>

#include "base/text.h"
#include "store/test_util.h"

namespace portscope::store {
namespace {

using namespace testutil;

// A strict reader of one RFC 5424 message with one SD-ELEMENT, as a
// receiver would parse it: fails the test on any framing error.
struct Parsed {
  int pri = -1;
  std::string timestamp, hostname, app, procid, msgid, sd_id, msg;
  std::map<std::string, std::string> params;  // unescaped values
};

bool Parse(const std::string& m, Parsed* out) {
  std::smatch h;
  static const std::regex kHeader(R"(^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[)");
  if (!std::regex_search(m, h, kHeader)) return false;
  out->pri = std::stoi(h[1]);
  out->timestamp = h[2];
  out->hostname = h[3];
  out->app = h[4];
  out->procid = h[5];
  out->msgid = h[6];
  size_t i = static_cast<size_t>(h.length(0));
  size_t sp = m.find(' ', i);
  if (sp == std::string::npos) return false;
  out->sd_id = m.substr(i, sp - i);
  i = sp;
  while (i < m.size() && m[i] == ' ') {
    ++i;
    size_t eq = m.find('=', i);
    if (eq == std::string::npos) return false;
    std::string name = m.substr(i, eq - i);
    if (name.empty() || name.size() > 32 || name.find_first_of(" ]\"") != std::string::npos) return false;
    if (eq + 1 >= m.size() || m[eq + 1] != '"') return false;
    std::string value;
    size_t j = eq + 2;
    for (; j < m.size() && m[j] != '"'; ++j) {
      if (m[j] == '\\' && j + 1 < m.size() && (m[j + 1] == '"' || m[j + 1] == '\\' || m[j + 1] == ']')) ++j;
      else if (m[j] == ']') return false;  // must be escaped inside a value
      value += m[j];
    }
    if (j >= m.size()) return false;
    out->params[name] = value;
    i = j + 1;
  }
  if (i + 1 >= m.size() || m[i] != ']' || m[i + 1] != ' ') return false;
  out->msg = m.substr(i + 2);
  return true;
}

SyslogFormat Format() {
  SyslogFormat f;
  f.hostname = "canary host";  // a space is not allowed: becomes '-'
  f.pid = 1234;
  return f;
}

TEST(Syslog, SdParamEscaping) {
  EXPECT_EQ(EscapeSdParam("plain"), "plain");
  EXPECT_EQ(EscapeSdParam("a\"b\\c]d"), "a\\\"b\\\\c\\]d");
  EXPECT_EQ(EscapeSdParam("[x]"), "[x\\]");
}

TEST(Syslog, EventIsFramedAndEveryHostileByteEscaped) {
  Event e = MakeEvent(kT0 + 5, "203.0.113.5", 2244, std::string("\"]\\\x1b[2J<script>\0\xff\n", 18));
  e.sport = 51234;
  e.service = "nmsserver";
  e.sensor = "dmz\"]";
  std::string m = FormatSyslogEvent(e, Format());
  EXPECT_EQ(m.find('\x1b'), std::string::npos);
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(m.find('\0'), std::string::npos);
  Parsed p;
  ASSERT_TRUE(Parse(m, &p)) << m;
  EXPECT_EQ(p.pri, 4 * 8 + 6);  // auth.info
  EXPECT_EQ(p.timestamp, "2021-01-01T00:00:00.000005Z");
  EXPECT_EQ(p.hostname, "canary-host");
  EXPECT_EQ(p.app, "portscope");
  EXPECT_EQ(p.procid, "1234");
  EXPECT_EQ(p.msgid, "probe");
  EXPECT_EQ(p.sd_id, "portscope@32473");
  EXPECT_EQ(p.params["src"], "203.0.113.5");
  EXPECT_EQ(p.params["sport"], "51234");
  EXPECT_EQ(p.params["dport"], "2244");
  EXPECT_EQ(p.params["transport"], "tcp");
  EXPECT_EQ(p.params["flags"], "SYN");
  EXPECT_EQ(p.params["service"], "nmsserver");
  EXPECT_EQ(p.params["sensor"], "dmz\"]");
  EXPECT_EQ(p.params["bytes"], "18");
  // After SD unescaping: the terminal-escaped payload.
  EXPECT_EQ(p.params["payload"], "\"]\\x5c\\x1b[2J<script>\\x00\\xff\\x0a");
  EXPECT_EQ(p.params["payload"], EscapeForTerminal(e.payload));
  EXPECT_EQ(p.msg, "connect from 203.0.113.5:51234 to 192.0.2.1:2244/tcp (nmsserver)");
  // The raw form has the SD escapes.
  EXPECT_NE(m.find("payload=\"\\\"\\]\\\\x5c\\\\x1b[2J<script>"), std::string::npos) << m;
}

TEST(Syslog, LongPayloadIsCutToThePreviewAndMessagesStaySmall) {
  Event e = MakeEvent(kT0, "2001:db8::5", 443, std::string(100000, '\x01'));
  e.transport = Transport::kUdp;
  std::string m = FormatSyslogEvent(e, Format());
  EXPECT_LT(m.size(), 2048u);
  Parsed p;
  ASSERT_TRUE(Parse(m, &p)) << m;
  EXPECT_EQ(p.params["bytes"], "100000");
  EXPECT_EQ(p.params["payload"].size(), 128u * 4);
  EXPECT_EQ(p.msg, "connect from [2001:db8::5]:40000 to 192.0.2.1:443/udp");

  AlertRecord a;
  a.scan_id = 3;
  a.phase = AlertPhase::kStarted;
  a.source = Ip("198.51.100.7");
  a.kind = ScanKind::kSyn;
  a.evidence = std::string(5000, 'e') + "]\"\x1b";
  for (uint16_t i = 0; i < 1000; ++i) a.ports.push_back(i);
  a.port_count = 1001;  // one more than the record lists
  std::string am = FormatSyslogAlert(a, Format());
  EXPECT_LT(am.size(), 2048u);
  Parsed ap;
  ASSERT_TRUE(Parse(am, &ap)) << am;
  EXPECT_EQ(ap.pri, 4 * 8 + 4);  // auth.warning for a new scan
  EXPECT_EQ(ap.msgid, "scan");
  EXPECT_EQ(ap.params["phase"], "started");
  EXPECT_EQ(ap.params["kind"], "syn");
  EXPECT_EQ(ap.params["ports"], "0-999,...");  // runs, as every other output writes them
  EXPECT_TRUE(ap.msg.ends_with("...")) << ap.msg;
}

TEST(Syslog, SummaryMessage) {
  Summary s;
  s.sensor = "s";
  s.src = Ip("198.51.100.7");
  s.first_us = kT0;
  s.last_us = kT0 + 59 * kSecond;
  s.count = 99000;
  for (uint16_t p = 1; p <= 100; ++p) s.ports.Insert(p);
  Parsed p;
  ASSERT_TRUE(Parse(FormatSyslogSummary(s, Format()), &p));
  EXPECT_EQ(p.pri, 4 * 8 + 5);
  EXPECT_EQ(p.msgid, "summary");
  EXPECT_EQ(p.params["count"], "99000");
  EXPECT_EQ(p.params["distinctPorts"], "100");
  EXPECT_EQ(p.params["ports"], "1-100");

  // 300 ports with gaps between them: cut, and said to be.
  for (uint16_t port = 1000; port < 1600; port += 2) s.ports.Insert(port);
  ASSERT_TRUE(Parse(FormatSyslogSummary(s, Format()), &p));
  EXPECT_EQ(p.params["distinctPorts"], "400");
  EXPECT_TRUE(p.params["ports"].starts_with("1-100,1000,1002,")) << p.params["ports"];
  EXPECT_TRUE(p.params["ports"].ends_with(",...")) << p.params["ports"];
  EXPECT_LE(p.params["ports"].size(), 204u);
}

// Receives datagrams for the test.
class Receiver {
 public:
  explicit Receiver(int fd) : fd_(fd) {}
  ~Receiver() { close(fd_); }
  std::vector<std::string> Take(size_t want, int timeout_ms = 2000) {
    std::vector<std::string> out;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (out.size() < want && std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) out.emplace_back(buf, static_cast<size_t>(n));
    }
    return out;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::unique_ptr<Receiver> UnixReceiver(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  unlink(path.c_str());
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  return std::make_unique<Receiver>(fd);
}

Batch SampleBatch() {
  Batch b;
  b.events.push_back(MakeEvent(kT0, "203.0.113.5", 2244, "\x1b[2J<script>"));
  Event u = MakeEvent(kT0 + 1, "203.0.113.6", 53, "dns?");
  u.transport = Transport::kUdp;
  u.action = "datagram";
  b.events.push_back(u);
  Summary s;
  s.src = Ip("203.0.113.7");
  s.count = s.count_delta = 10;
  s.final = true;
  s.ports.Insert(1);
  b.summaries.push_back(s);
  Summary open = s;
  open.final = false;
  b.summaries.push_back(open);  // not sent until final
  AlertRecord a;
  a.scan_id = 1;
  a.source = Ip("203.0.113.5");
  b.alerts.push_back(a);
  return b;
}

void ExpectSample(const std::vector<std::string>& got) {
  ASSERT_EQ(got.size(), 4u);
  std::vector<std::string> msgids;
  for (const auto& m : got) {
    Parsed p;
    ASSERT_TRUE(Parse(m, &p)) << m;
    msgids.push_back(p.msgid);
    EXPECT_EQ(m.find('\x1b'), std::string::npos);
  }
  EXPECT_EQ(msgids, (std::vector<std::string>{"probe", "probe", "summary", "scan"}));
  Parsed first;
  ASSERT_TRUE(Parse(got[0], &first));
  EXPECT_EQ(first.params["payload"], "\\x1b[2J<script>");
}

TEST(SyslogSink, DeliversToAUnixDatagramSocket) {
  ScratchDir dir;
  std::string path = dir.path("log.sock");
  auto rx = UnixReceiver(path);
  SyslogOptions o;
  o.target = "unix:" + path;
  auto sink = SyslogSink::Open(o);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  ASSERT_TRUE((*sink)->Write(SampleBatch()).ok());
  ExpectSample(rx->Take(4));
  EXPECT_EQ((*sink)->sent(), 4u);

  // A bare absolute path works too.
  o.target = path;
  ASSERT_TRUE(SyslogSink::Open(o).ok());
}

TEST(SyslogSink, DeliversOverUdpOnLoopback) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  Receiver rx(fd);
  SyslogOptions o;
  o.target = "udp:127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  o.format.hostname = "h";
  auto sink = SyslogSink::Open(o);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  ASSERT_TRUE((*sink)->Write(SampleBatch()).ok());
  auto got = rx.Take(4);
  ExpectSample(got);
  Parsed p;
  ASSERT_TRUE(Parse(got[0], &p));
  EXPECT_EQ(p.hostname, "h");
  EXPECT_EQ(p.procid, std::to_string(getpid()));

  o.target = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));  // udp: is the default
  ASSERT_TRUE(SyslogSink::Open(o).ok());
}

TEST(SyslogSink, UdpReceiverThatRestartsGetsMessagesAgainAtOnce) {
  auto bind_udp = [](uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return std::make_pair(std::make_unique<Receiver>(fd), ntohs(sa.sin_port));
  };
  auto [rx, port] = bind_udp(0);
  SyslogOptions o;
  o.target = "127.0.0.1:" + std::to_string(port);
  auto sink = SyslogSink::Open(o);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(SampleBatch()).ok());
  ExpectSample(rx->Take(4));
  rx.reset();  // the port answers with ICMP port unreachable now
  Batch many;
  for (int i = 0; i < 50; ++i) many.events.push_back(MakeEvent(kT0, "203.0.113.5", 80));
  for (int i = 0; i < 5 && (*sink)->dropped() == 0; ++i) {
    (void)(*sink)->Write(many);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT((*sink)->dropped(), 0u);
  auto again = bind_udp(port);
  ASSERT_EQ(again.second, port);
  // No reconnect pause for UDP: at most an error already queued on the
  // socket costs the first message.
  bool ok = false;
  for (int i = 0; i < 3 && !ok; ++i) ok = (*sink)->Write(SampleBatch()).ok();
  ASSERT_TRUE(ok);
  auto got = again.first->Take(100, 300);
  ASSERT_GE(got.size(), 4u);
  ExpectSample(std::vector<std::string>(got.end() - 4, got.end()));
}

TEST(SyslogSink, SlowOrMissingReceiverCostsCountedDropsNeverABlock) {
  ScratchDir dir;
  std::string path = dir.path("slow.sock");
  auto rx = UnixReceiver(path);  // never reads: its queue holds a few datagrams
  SyslogOptions o;
  o.target = path;
  auto sink = SyslogSink::Open(o);
  ASSERT_TRUE(sink.ok());
  Batch b;
  for (int i = 0; i < 2000; ++i) b.events.push_back(MakeEvent(kT0 + static_cast<uint64_t>(i), "203.0.113.5", 80));
  auto t0 = std::chrono::steady_clock::now();
  Status st = (*sink)->Write(b);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_FALSE(st.ok());
  EXPECT_GT((*sink)->dropped(), 0u);
  EXPECT_EQ((*sink)->sent() + (*sink)->dropped(), 2000u);
  EXPECT_NE(st.message().find("messages not sent"), std::string::npos) << st.message();

  // The receiver goes away, then comes back: drops, then delivery again.
  rx.reset();
  unlink(path.c_str());
  EXPECT_FALSE((*sink)->Write(SampleBatch()).ok());
  rx = UnixReceiver(path);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_TRUE((*sink)->Write(SampleBatch()).ok());
  ExpectSample(rx->Take(4));
}

TEST(SyslogSink, BadOrUnreachableTargetsAreRefusedAtOpen) {
  ScratchDir dir;
  for (const char* t : {"udp:", "udp:host:99999", "host:0", "[::1", "[::1]x", "a:b:c", "unix:", ":514"}) {
    SyslogOptions o;
    o.target = t;
    auto s = SyslogSink::Open(o);
    EXPECT_FALSE(s.ok()) << t;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << t << ": " << s.status().message();
    }
  }
  SyslogOptions o;
  o.target = dir.path("nobody-listens.sock");
  auto s = SyslogSink::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("cannot connect to"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace portscope::store
