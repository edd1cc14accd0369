#include "cli/store_output.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/text.h"
#include "report/time_args.h"
#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope::cli {
namespace {

using store::AlertRecord;
using store::Event;
using store::Transport;

// Bytes of payload shown in a table row.
constexpr size_t kPreviewBytes = 48;

std::string Endpoint(const IpAddress& a, uint16_t port, bool with_port) {
  std::string ip = a.is_v4() ? a.ToString() : "[" + a.ToString() + "]";
  if (!with_port) return a.ToString();
  return fmt::format("{}:{}", ip, port);
}

bool HasPorts(Transport t) { return t == Transport::kTcp || t == Transport::kUdp; }

std::string_view ServiceName(const Event& e, const registry::Registry& reg) {
  if (!e.service.empty()) return e.service;
  if (!HasPorts(e.transport) || e.summary()) return {};
  auto proto = e.transport == Transport::kTcp ? registry::Proto::kTcp : registry::Proto::kUdp;
  return reg.LookupBrief({e.dport, proto}).name;
}

std::string Pad(std::string s, size_t width) {
  // Display width: escaped text is ASCII except valid UTF-8 passed through;
  // count code points, not bytes.
  size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  if (cols < width) s.append(width - cols, ' ');
  return s;
}

}  // namespace

std::string EventTableHeader(const Style& style) {
  return style.bold(fmt::format("{:<19}  {:<21}  {:<26}  {:<9}  {:<14}  {}", "TIME", "SOURCE", "DESTINATION", "ACTION",
                                "SERVICE", "PAYLOAD")) +
         "\n";
}

std::string EventTableRow(const Event& e, const registry::Registry& reg) {
  std::string time = report::FormatLocalTime(e.time_us);
  if (e.summary()) {
    std::string dst = e.distinct_ports == 1 && e.dport ? fmt::format("{} port {}", e.dst.is_unspecified() ? "*" : e.dst.ToString(), e.dport)
                                                       : fmt::format("{} ports", WithCommas(e.distinct_ports));
    std::string what = fmt::format("{} probes past the budget, {} to {}", WithCommas(e.count),
                                   report::FormatLocalTime(e.time_us).substr(11), report::FormatLocalTime(e.end_us()).substr(11));
    return fmt::format("{}  {}  {}  {}  {}  {}\n", time, Pad(e.src.ToString(), 21), Pad(dst, 26), Pad("summary", 9),
                       Pad("", 14), what);
  }
  bool ports = HasPorts(e.transport);
  std::string dst = Endpoint(e.dst, e.dport, ports) + "/" + std::string(store::TransportName(e.transport));
  std::string payload;
  if (!e.payload.empty() || e.payload_truncated) {
    payload = store::EscapedPreview(e.payload, kPreviewBytes);
    if (e.payload.size() > kPreviewBytes) payload += "...";
    payload += fmt::format("  ({} B{})", WithCommas(e.payload.size()), e.payload_truncated ? ", cut" : "");
  }
  return fmt::format("{}  {}  {}  {}  {}  {}\n", time, Pad(Endpoint(e.src, e.sport, ports), 21), Pad(dst, 26),
                     Pad(EscapeForTerminal(e.action), 9), Pad(EscapeForTerminal(ServiceName(e, reg)), 14), payload);
}

std::string AlertTableHeader(const Style& style) {
  return style.bold(fmt::format("{:<19}  {:<21}  {:<8}  {:<10}  {:>9}  {:>6}  {:>5}  {:<8}  {:<15}  {}", "STARTED",
                                "SOURCE", "KIND", "SHAPE", "PROBES", "PORTS", "HOSTS", "DURATION", "STATE",
                                "PORTS SEEN")) +
         "\n";
}

std::string AlertTableRows(const AlertRecord& a, bool verbose, const Style& style) {
  uint64_t start = a.started_us ? std::min(a.started_us, a.first_seen_us ? a.first_seen_us : a.started_us) : a.first_seen_us;
  std::string state(store::AlertPhaseName(a.phase));
  if (a.phase == store::AlertPhase::kEnded && !a.ended_reason.empty()) state += " (" + EscapeForTerminal(a.ended_reason) + ")";
  else if (a.phase != store::AlertPhase::kEnded) state = "active";
  uint64_t duration = a.last_seen_us > a.first_seen_us ? a.last_seen_us - a.first_seen_us : 0;
  std::string kind(store::ScanKindName(a.kind));
  std::string out = fmt::format("{}  {}  {}  {:<10}  {:>9}  {:>6}  {:>5}  {:<8}  {}  {}\n", report::FormatLocalTime(start),
                                Pad(a.source.ToString(), 21), style.yellow(Pad(kind, 8)), store::ScanShapeName(a.shape),
                                WithCommas(a.probes), WithCommas(a.port_count), WithCommas(a.host_count),
                                report::FormatDuration(duration), Pad(state, 15),
                                PortRuns(a.ports, 40, a.port_count > a.ports.size()));
  if (!a.tool_hint.empty()) out += "    " + EscapeForTerminal(a.tool_hint) + "\n";
  if (verbose) {
    out += fmt::format("    scan {} (run {}), algorithms {}, last seen {}\n", a.scan_id, a.run_id,
                       EscapeForTerminal(store::JoinAlgorithms(a.algorithms)), report::FormatLocalTime(a.last_seen_us));
    for (auto line : Split(a.evidence, '\n'))
      if (!Trim(line).empty()) out += "    evidence: " + EscapeForTerminal(line) + "\n";
    if (!a.ports.empty()) out += "    ports: " + PortRuns(a.ports, std::string::npos, a.port_count > a.ports.size()) + "\n";
    if (!a.hosts.empty()) {
      std::string hosts;
      for (size_t i = 0; i < a.hosts.size(); ++i) hosts += (i ? ", " : "") + a.hosts[i].ToString();
      out += "    hosts: " + hosts + "\n";
    }
  }
  return out;
}

std::string Bar(uint64_t value, uint64_t max, size_t width) {
  static constexpr const char* kEighths[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
  if (max == 0 || value == 0) return "";
  uint64_t eighths = (value * width * 8 + max - 1) / max;  // at least one eighth for any non-zero value
  std::string out;
  for (uint64_t i = 0; i < eighths / 8; ++i) out += "\u2588";
  out += kEighths[eighths % 8];
  return out;
}

std::string RenderReport(const store::Report& r, const registry::Registry& reg, const std::string& db_path,
                         const Style& style) {
  std::string out;
  uint64_t span = r.until_us - r.since_us;
  out += style.bold(fmt::format("Canary report, {} to {} ({})", report::FormatLocalTime(r.since_us), report::FormatLocalTime(r.until_us),
                                report::FormatDuration(span))) +
         "\n";
  out += fmt::format("database {}\n", EscapeForTerminal(db_path));
  uint64_t probes = r.events_stored + r.probes_summarized;
  out += fmt::format("{} from {} ({} stored one by one, {} counted in {} past the per-source budget); {}\n",
                     CountOf(probes, "probe", "probes"), CountOf(r.sources, "source", "sources"),
                     WithCommas(r.events_stored), WithCommas(r.probes_summarized),
                     CountOf(r.summary_rows, "summary row", "summary rows"), CountOf(r.scans, "scan", "scans"));
  if (r.events_dropped || r.alerts_dropped || r.sink_errors) {
    out += style.red(fmt::format("lost: {} events and {} alerts dropped (write queue full), {} failed writes",
                                 WithCommas(r.events_dropped), WithCommas(r.alerts_dropped), WithCommas(r.sink_errors))) +
           "\n";
  }

  out += "\n" + style.bold("Top sources") + "\n";
  size_t width = 15;
  for (const auto& s : r.top_sources) width = std::max(width, s.src.ToString().size());
  if (r.top_sources.empty()) out += "  none\n";
  else out += style.bold(fmt::format("  {:<{}}  {:>10}  {:>6}  {:>5}  {:<19}  {}", "SOURCE", width, "PROBES", "PORTS", "SCANS", "FIRST", "LAST")) + "\n";
  for (const auto& s : r.top_sources)
    out += fmt::format("  {:<{}}  {:>10}  {:>6}  {:>5}  {}  {}\n", s.src.ToString(), width, WithCommas(s.probes),
                       WithCommas(s.ports), WithCommas(s.scans), report::FormatLocalTime(s.first_us), report::FormatLocalTime(s.last_us));

  out += "\n" + style.bold("Top ports") + "\n";
  if (r.top_ports.empty()) out += "  none\n";
  else out += style.bold(fmt::format("  {:<11}  {:<22}  {:>10}  {:>7}", "PORT", "IANA SERVICE", "PROBES", "SOURCES")) + "\n";
  for (const auto& p : r.top_ports) {
    std::string name = "-";
    if (HasPorts(p.transport)) {
      auto brief = reg.LookupBrief({p.port, p.transport == Transport::kTcp ? registry::Proto::kTcp : registry::Proto::kUdp});
      if (!brief.name.empty()) name = EscapeForTerminal(brief.name);
      else if (brief.status == registry::IanaStatus::kUnassigned) name = "(unassigned)";
      else if (brief.status == registry::IanaStatus::kReserved) name = "(reserved)";
    }
    out += fmt::format("  {:<11}  {:<22}  {:>10}  {:>7}\n", fmt::format("{}/{}", p.port, store::TransportName(p.transport)),
                       name, WithCommas(p.probes), WithCommas(p.sources));
  }
  if (r.probes_summarized) out += style.dim("  (probes past a source's budget are counted per source, not per port)") + "\n";

  out += "\n" + style.bold("Scan types") + "\n";
  if (r.scan_kinds.empty()) out += "  none\n";
  for (const auto& k : r.scan_kinds)
    out += fmt::format("  {:<8}  {:>5} {:<5}  {:>10} {}\n", store::ScanKindName(k.kind), WithCommas(k.scans),
                       k.scans == 1 ? "scan" : "scans", WithCommas(k.probes), k.probes == 1 ? "probe" : "probes");
  for (const auto& h : r.tool_hints)
    out += fmt::format("  likely {}: {}\n", EscapeForTerminal(h.hint), CountOf(h.scans, "scan", "scans"));

  out += "\n" + style.bold(fmt::format("Timeline (probes per {})", report::FormatDuration(r.bucket_us))) + "\n";
  uint64_t max = 0;
  for (uint64_t v : r.timeline_probes) max = std::max(max, v);
  // Labels: the time of day within two days, the date and time within a
  // year, the date beyond.
  constexpr uint64_t kDayUs = 86400ull * 1000000;
  for (size_t i = 0; i < r.timeline_probes.size(); ++i) {
    std::string when = report::FormatLocalTime(r.since_us + i * r.bucket_us);
    std::string label = span <= 2 * kDayUs ? when.substr(11, 5) : span <= 300 * kDayUs ? when.substr(5, 11) : when.substr(0, 10);
    std::string scans = r.timeline_scans[i] ? fmt::format("  {} scan{}", r.timeline_scans[i], r.timeline_scans[i] == 1 ? "" : "s") : "";
    out += fmt::format("  {}  {:>10}  {}{}\n", label, WithCommas(r.timeline_probes[i]),
                       style.green(Bar(r.timeline_probes[i], max, 40)), style.yellow(scans));
  }
  return out;
}

}  // namespace portscope::cli
