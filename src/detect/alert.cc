#include "detect/alert.h"

#include <bit>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "packet/probe.h"

namespace portscope::detect {

namespace {

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[256];
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return std::string(buf, n < 0 ? 0 : (n < static_cast<int>(sizeof buf) ? n : sizeof buf - 1));
}

// "0.4 s", "2.5 min", "3.0 h".
std::string Duration(uint64_t us) {
  const double s = static_cast<double>(us) / 1e6;
  if (s < 1) return Format("%.0f ms", s * 1000);
  if (s < 120) return Format("%.1f s", s);
  if (s < 7200) return Format("%.1f min", s / 60);
  return Format("%.1f h", s / 3600);
}

// "1 host", "6 hosts".
const char* Plural(uint64_t n, const char* one, const char* many) { return n == 1 ? one : many; }

std::string WindowLine(const char* name, const WindowEvidence& w) {
  return Format("%s: %u %s on %u %s (%u %s) within %s (window %s)", name, w.ports, Plural(w.ports, "port", "ports"),
                w.hosts, Plural(w.hosts, "host", "hosts"), w.targets, Plural(w.targets, "target", "targets"),
                Duration(w.span_us).c_str(), Duration(w.window_us).c_str());
}

}  // namespace

ProbeClass TcpFlagsClass(uint8_t tcp_flags) {
  namespace tf = packet::tcp_flags;
  switch (tcp_flags & (tf::kFin | tf::kSyn | tf::kRst | tf::kPsh | tf::kAck | tf::kUrg)) {
    case 0: return ProbeClass::kNull;
    case tf::kFin: return ProbeClass::kFin;
    case tf::kFin | tf::kPsh | tf::kUrg: return ProbeClass::kXmas;
    case tf::kAck: return ProbeClass::kAck;
    case tf::kFin | tf::kAck: return ProbeClass::kMaimon;
    default: return ProbeClass::kOddFlags;
  }
}

std::string_view ProbeClassName(ProbeClass c) {
  switch (c) {
    case ProbeClass::kSyn: return "syn";
    case ProbeClass::kConnect: return "connect";
    case ProbeClass::kFin: return "fin";
    case ProbeClass::kNull: return "null";
    case ProbeClass::kXmas: return "xmas";
    case ProbeClass::kAck: return "ack";
    case ProbeClass::kMaimon: return "maimon";
    case ProbeClass::kUdp: return "udp";
    case ProbeClass::kOddFlags: return "odd-flags";
  }
  return "?";
}

std::string_view ScanKindName(ScanKind k) {
  switch (k) {
    case ScanKind::kSyn: return "syn";
    case ScanKind::kConnect: return "connect";
    case ScanKind::kFin: return "fin";
    case ScanKind::kNull: return "null";
    case ScanKind::kXmas: return "xmas";
    case ScanKind::kAck: return "ack";
    case ScanKind::kMaimon: return "maimon";
    case ScanKind::kUdp: return "udp";
    case ScanKind::kMixed: return "mixed";
  }
  return "?";
}

std::string_view ScanShapeName(ScanShape s) {
  switch (s) {
    case ScanShape::kSingle: return "single";
    case ScanShape::kVertical: return "vertical";
    case ScanShape::kHorizontal: return "horizontal";
    case ScanShape::kBlock: return "block";
  }
  return "?";
}

std::string_view AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kFastWindow: return "fast-window";
    case Algorithm::kSlowWindow: return "slow-window";
    case Algorithm::kTrw: return "trw";
    case Algorithm::kWatchedPort: return "watched-port";
  }
  return "?";
}

std::string_view AlertPhaseName(AlertPhase p) {
  switch (p) {
    case AlertPhase::kStarted: return "started";
    case AlertPhase::kUpdated: return "updated";
    case AlertPhase::kEnded: return "ended";
  }
  return "?";
}

std::string_view EndReasonName(EndReason r) {
  switch (r) {
    case EndReason::kNone: return "";
    case EndReason::kIdle: return "idle";
    case EndReason::kEvicted: return "evicted";
    case EndReason::kFinished: return "finished";  // end of input (Engine::Finish)
  }
  return "?";
}

std::string_view ToolHintName(ToolHint h) {
  switch (h) {
    case ToolHint::kNone: return "";
    case ToolHint::kMasscan: return "masscan";
    case ToolHint::kNmapSyn: return "nmap -sS";
    case ToolHint::kZmap: return "zmap";
  }
  return "?";
}

std::string DescribeEvidence(const Alert& a) {
  std::string out;
  auto line = [&out](const std::string& s) {
    if (!out.empty()) out += "; ";
    out += s;
  };
  if (a.fired(Algorithm::kFastWindow)) line(WindowLine("fast-window", a.fast));
  if (a.fired(Algorithm::kSlowWindow)) line(WindowLine("slow-window", a.slow));
  if (a.fired(Algorithm::kTrw)) {
    line(Format("trw: likelihood ratio %.4g >= %.4g after %u failed and %u successful first contacts",
                a.trw_fired.likelihood_ratio, a.trw_fired.threshold, a.trw_fired.failures, a.trw_fired.successes));
  }
  if (a.fired(Algorithm::kWatchedPort)) {
    line(a.watched_touches == 1
             ? Format("watched-port: port %u touched once", a.watched_port)
             : Format("watched-port: %u touches of watched ports, the first on port %u", a.watched_touches,
                      a.watched_port));
  }
  return out;
}

std::string DescribeHint(const Alert& a) {
  switch (a.hint) {
    case ToolHint::kNone:
      return "";
    case ToolHint::kMasscan:
      return Format("likely masscan: %u of %u SYN probes with window 1024, no TCP options but MSS, and "
                    "IP ID = (target address ^ port ^ sequence) & 0xffff",
                    a.hint_matches, a.hint_checked);
    case ToolHint::kNmapSyn:
      return Format("likely nmap -sS: %u of %u SYN probes with window 1024-4096 in steps of 1024, only an "
                    "MSS option of 1460, and a fixed source port",
                    a.hint_matches, a.hint_checked);
    case ToolHint::kZmap:
      return Format("likely zmap: %u of %u SYN probes with IP ID 54321 and window 65535", a.hint_matches,
                    a.hint_checked);
  }
  return "";
}

std::string Summarize(const Alert& a) {
  std::string s = Format("scan %" PRIu64 " %s", a.scan_id, std::string(AlertPhaseName(a.phase)).c_str());
  if (a.phase == AlertPhase::kEnded) s += Format(" (%s)", std::string(EndReasonName(a.end_reason)).c_str());
  s += Format(": %s %s scan by %s via %s; %s%u %s (est. %u), %s%u %s, %" PRIu64 " %s",
              std::string(ScanKindName(a.kind)).c_str(), std::string(ScanShapeName(a.shape)).c_str(),
              a.source.ToString().c_str(), std::string(AlgorithmName(a.algorithm)).c_str(),
              a.hosts_exact ? "" : "at least ", a.hosts_at_least, Plural(a.hosts_at_least, "host", "hosts"),
              a.hosts_estimated, a.ports_exact ? "" : "at least ", a.ports_at_least,
              Plural(a.ports_at_least, "port", "ports"), a.probes, Plural(a.probes, "probe", "probes"));
  const std::string hint = DescribeHint(a);
  if (!hint.empty()) s += "; " + hint;
  s += "; " + DescribeEvidence(a);
  return s;
}

std::vector<uint16_t> BitmapPorts(std::span<const uint64_t> bitmap, size_t max) {
  std::vector<uint16_t> ports;
  for (size_t w = 0; w < bitmap.size() && ports.size() < max; ++w) {
    for (uint64_t bits = bitmap[w]; bits != 0 && ports.size() < max; bits &= bits - 1)
      ports.push_back(static_cast<uint16_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
  }
  return ports;
}

}  // namespace portscope::detect
