#include "store/syslog.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/text.h"
#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope::store {
namespace {

// Severities (RFC 5424 table 2).
constexpr int kWarning = 4;
constexpr int kNotice = 5;
constexpr int kInfo = 6;

// HOSTNAME and APP-NAME are PRINTUSASCII without spaces (RFC 5424 6.2.4/6.2.5).
std::string HeaderField(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, std::min(s.size(), max))) out += (c > 32 && c < 127) ? c : '-';
  return out.empty() ? "-" : out;
}

// A parameter value from untrusted text: terminal-escaped, then SD-escaped.
std::string Param(std::string_view name, std::string_view raw) {
  return fmt::format(" {}=\"{}\"", name, EscapeSdParam(EscapeForTerminal(raw)));
}
std::string Param(std::string_view name, uint64_t v) { return fmt::format(" {}=\"{}\"", name, v); }

std::string Header(int severity, uint64_t time_us, std::string_view msgid, const SyslogFormat& f) {
  int pri = std::clamp(f.facility, 0, 23) * 8 + severity;
  return fmt::format("<{}>1 {} {} {} {} {} ", pri, FormatRfc3339(time_us), HeaderField(f.hostname, 255),
                     HeaderField(f.app_name, 48), f.pid > 0 ? std::to_string(f.pid) : "-", msgid);
}

std::string Endpoint(const IpAddress& a, uint16_t port, Transport t) {
  bool ports = t == Transport::kTcp || t == Transport::kUdp;
  std::string ip = a.is_v4() ? a.ToString() : "[" + a.ToString() + "]";
  return ports ? fmt::format("{}:{}", ip, port) : a.ToString();
}

// Cuts terminal-escaped text to at most `max` bytes, never inside an escape
// (\xNN: the only backslashes such text holds) or a UTF-8 sequence.
std::string CutEscaped(const std::string& e, size_t max) {
  size_t i = 0;
  while (i < e.size()) {
    unsigned char c = static_cast<unsigned char>(e[i]);
    size_t len = c == '\\' ? 4 : c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (i + len > max) break;
    i += len;
  }
  return i == e.size() ? e : e.substr(0, i) + "...";
}

// The free-text MSG part: escaped, and kept short (receivers may cut at 2 KiB).
std::string Msg(std::string_view text) { return CutEscaped(EscapeForTerminal(text), 1024); }

// Ports as runs ("0-1000", "22,80-82"), as every other output writes them,
// cut with ",..." to keep the structured data short.
constexpr size_t kPortsChars = 200;

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

std::string EscapeSdParam(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string FormatSyslogEvent(const Event& e, const SyslogFormat& f) {
  if (e.summary()) {
    Summary s;
    s.sensor = e.sensor;
    s.src = e.src;
    s.dst = e.dst;
    s.transport = e.transport;
    s.count = e.count;
    s.first_us = e.time_us;
    s.last_us = e.end_us();
    for (uint16_t p : e.ports) s.ports.Insert(p);
    return FormatSyslogSummary(s, f);
  }
  std::string m = Header(kInfo, e.time_us, "probe", f);
  m += "[";
  m += kSyslogSdId;
  m += Param("sensor", e.sensor);
  m += Param("src", e.src.ToString());
  m += Param("sport", e.sport);
  m += Param("dst", e.dst.ToString());
  m += Param("dport", e.dport);
  m += Param("transport", TransportName(e.transport));
  m += Param("action", e.action);
  if (e.transport == Transport::kTcp) m += Param("flags", TcpFlagNames(e.tcp_flags));
  if (!e.service.empty()) m += Param("service", e.service);
  m += Param("bytes", e.payload.size());
  m += Param("truncated", uint64_t{e.payload_truncated});
  m += Param("payload", e.payload.substr(0, std::min(e.payload.size(), f.preview_bytes)));
  m += "] ";
  std::string text = fmt::format("{} from {} to {}/{}", e.action, Endpoint(e.src, e.sport, e.transport),
                                 Endpoint(e.dst, e.dport, e.transport), TransportName(e.transport));
  if (!e.service.empty()) text += " (" + e.service + ")";
  m += Msg(text);
  return m;
}

std::string FormatSyslogSummary(const Summary& s, const SyslogFormat& f) {
  std::vector<uint16_t> ports = s.ports.ToVector();
  std::string m = Header(kNotice, s.first_us, "summary", f);
  m += "[";
  m += kSyslogSdId;
  m += Param("sensor", s.sensor);
  m += Param("src", s.src.ToString());
  if (!s.dst.is_unspecified()) m += Param("dst", s.dst.ToString());
  m += Param("transport", TransportName(s.transport));
  m += Param("count", s.count);
  m += Param("first", FormatRfc3339(s.first_us));
  m += Param("last", FormatRfc3339(s.last_us));
  m += Param("distinctPorts", static_cast<uint64_t>(ports.size()));
  m += Param("ports", PortRuns(ports, kPortsChars));
  m += "] ";
  m += Msg(fmt::format("{} probes from {} to {} ports past the per-source budget, {} to {}", s.count,
                       s.src.ToString(), ports.size(), FormatRfc3339(s.first_us), FormatRfc3339(s.last_us)));
  return m;
}

std::string FormatSyslogAlert(const AlertRecord& a, const SyslogFormat& f) {
  int severity = a.phase == AlertPhase::kStarted ? kWarning : kNotice;
  std::string m = Header(severity, a.time_us, "scan", f);
  m += "[";
  m += kSyslogSdId;
  m += Param("sensor", a.sensor);
  m += Param("scan", a.scan_id);
  m += Param("phase", AlertPhaseName(a.phase));
  m += Param("src", a.source.ToString());
  m += Param("kind", ScanKindName(a.kind));
  m += Param("shape", ScanShapeName(a.shape));
  m += Param("algorithms", JoinAlgorithms(a.algorithms));
  m += Param("probes", a.probes);
  m += Param("portCount", uint64_t{a.port_count});
  m += Param("hostCount", uint64_t{a.host_count});
  m += Param("ports", PortRuns(a.ports, kPortsChars, a.port_count > a.ports.size()));
  m += Param("first", FormatRfc3339(a.first_seen_us));
  m += Param("last", FormatRfc3339(a.last_seen_us));
  if (!a.tool_hint.empty()) m += Param("tool", a.tool_hint.substr(0, std::min<size_t>(a.tool_hint.size(), 256)));
  if (!a.ended_reason.empty()) m += Param("ended", a.ended_reason);
  m += "] ";
  std::string text = fmt::format("{} scan ({}) from {} {}: {} to {} on {}", ScanKindName(a.kind), ScanShapeName(a.shape),
                                 a.source.ToString(), AlertPhaseName(a.phase), CountOf(a.probes, "probe", "probes"),
                                 CountOf(a.port_count, "port", "ports"), CountOf(a.host_count, "host", "hosts"));
  if (!a.evidence.empty()) text += "; " + a.evidence;
  m += Msg(text);
  return m;
}

Result<std::unique_ptr<SyslogSink>> SyslogSink::Open(const SyslogOptions& options) {
  std::unique_ptr<SyslogSink> s(new SyslogSink());
  s->options_ = options;
  if (s->options_.format.hostname.empty()) {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) == 0) s->options_.format.hostname = buf;
  }
  if (s->options_.format.pid == 0) s->options_.format.pid = static_cast<int>(getpid());
  std::string_view t = options.target;
  if (t.starts_with("unix:")) {
    s->unix_ = true;
    s->unix_path_ = std::string(t.substr(5));
  } else if (t.starts_with("/")) {
    s->unix_ = true;
    s->unix_path_ = std::string(t);
  } else {
    if (t.starts_with("udp:")) t.remove_prefix(4);
    if (t.starts_with("[")) {
      size_t close = t.find(']');
      if (close == std::string_view::npos) return Status::InvalidArgument("bad syslog target " + EscapeForTerminal(options.target));
      s->host_ = std::string(t.substr(1, close - 1));
      std::string_view rest = t.substr(close + 1);
      if (!rest.empty() && (rest[0] != ':' || rest.size() == 1))
        return Status::InvalidArgument("bad syslog target " + EscapeForTerminal(options.target));
      s->port_ = rest.empty() ? "514" : std::string(rest.substr(1));
    } else {
      size_t colon = t.rfind(':');
      if (colon != std::string_view::npos && t.find(':') != colon)
        return Status::InvalidArgument("bad syslog target " + EscapeForTerminal(options.target) +
                                       " (write an IPv6 address as [ADDR]:PORT)");
      s->host_ = std::string(t.substr(0, colon));
      s->port_ = colon == std::string_view::npos ? "514" : std::string(t.substr(colon + 1));
    }
    if (s->host_.empty() || !ParseUint(s->port_, 65535) || *ParseUint(s->port_, 65535) == 0)
      return Status::InvalidArgument("bad syslog target " + EscapeForTerminal(options.target) +
                                     " (use unix:/dev/log, /path/to/socket, udp:HOST:PORT or HOST:PORT)");
  }
  if (s->unix_ && (s->unix_path_.empty() || s->unix_path_.size() >= sizeof(sockaddr_un{}.sun_path)))
    return Status::InvalidArgument("bad syslog socket path " + EscapeForTerminal(s->unix_path_));
  if (Status st = s->Connect(); !st.ok()) return st;
  return s;
}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) close(fd_);
}

Status SyslogSink::Connect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  last_connect_ms_ = MonotonicMs();
  if (unix_) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::PosixError("syslog: socket", errno);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, unix_path_.data(), unix_path_.size());
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      int err = errno;
      close(fd);
      return Status::PosixError("syslog: cannot connect to " + EscapeForTerminal(unix_path_), err);
    }
    fd_ = fd;
    return Status::Ok();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res); rc != 0)
    return Status::IoError(fmt::format("syslog: cannot resolve {}: {}", EscapeForTerminal(host_), gai_strerror(rc)));
  Status last = Status::IoError("syslog: no address for " + EscapeForTerminal(host_));
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = Status::PosixError("syslog: socket", errno);
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    last = Status::PosixError("syslog: cannot connect to " + EscapeForTerminal(host_), errno);
    close(fd);
  }
  freeaddrinfo(res);
  return fd_ >= 0 ? Status::Ok() : last;
}

bool SyslogSink::Send(const std::string& msg, int* err) {
  if (fd_ < 0) {
    // Reconnect at most once a second: a missing receiver must not cost a
    // connect(2) per message.
    if (MonotonicMs() - last_connect_ms_ < 1000 || !Connect().ok()) {
      *err = ENOTCONN;
      return false;
    }
  }
  if (send(fd_, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(msg.size())) return true;
  *err = errno;
  // A slow receiver (EAGAIN, ENOBUFS) keeps its socket, and so does a UDP
  // one that answered a datagram with ICMP port unreachable (ECONNREFUSED:
  // it may be restarting); a vanished UNIX socket (ECONNREFUSED, ENOTCONN,
  // re-created at the same path) gets a new one later.
  bool transient = *err == EAGAIN || *err == EWOULDBLOCK || *err == ENOBUFS || (!unix_ && *err == ECONNREFUSED);
  if (!transient) {
    close(fd_);
    fd_ = -1;
  }
  return false;
}

Status SyslogSink::Write(const Batch& batch) {
  uint64_t failed = 0, total = 0;
  int last_err = 0;
  auto send = [&](const std::string& m) {
    ++total;
    int err = 0;
    if (Send(m, &err)) {
      ++sent_;
    } else {
      ++failed;
      ++dropped_;
      last_err = err;
    }
  };
  for (const Event& e : batch.events) send(FormatSyslogEvent(e, options_.format));
  for (const Summary& s : batch.summaries)
    if (s.final && s.count > 0) send(FormatSyslogSummary(s, options_.format));
  for (const AlertRecord& a : batch.alerts) send(FormatSyslogAlert(a, options_.format));
  if (failed == 0) return Status::Ok();
  return Status::IoError(fmt::format("syslog: {} of {} messages not sent ({})", failed, total, std::strerror(last_err)));
}

}  // namespace portscope::store
