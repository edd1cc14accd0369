#include "cli/analyze_command.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli11.h"
#include <chrono>
#include <cstdio>
#include <map>

#include "base/text.h"
#include "cli/analyze_collector.h"
#include "cli/config_file.h"
#include "cli/port_spec.h"
#include "detect/engine.h"
#include "packet/capture.h"

namespace portscope::cli {
namespace {

using detect::Alert;

std::string Iso(uint64_t us) {
  if (us == 0) return "";
  time_t t = static_cast<time_t>(us / 1000000);
  tm utc;
  gmtime_r(&t, &utc);
  char buf[40];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:06}Z", buf, us % 1000000);
}

// A progress line on stderr for big files, when stderr is a terminal.
class Progress {
 public:
  Progress(bool enabled, uint64_t total_bytes) : enabled_(enabled && total_bytes > (64u << 20)), total_(total_bytes) {}
  void Update(uint64_t done) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    double f = total_ ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 0;
    int filled = static_cast<int>(f * 30);
    std::fprintf(stderr, "\r[%s%s] %3d%% %s", std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(30 - filled), '.').c_str(), static_cast<int>(f * 100),
                 fmt::format("{:.1f} MB", static_cast<double>(done) / 1e6).c_str());
    shown_ = true;
  }
  ~Progress() {
    if (shown_) std::fputs("\r\033[K", stderr);
  }

 private:
  bool enabled_;
  uint64_t total_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// "80", "0-1000".
std::string RangeText(const Alert::PortRange& r) {
  return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
}

// The lowest runs of ports, as many as fit a line: "0-1000", "21-23,80,...".
std::string PortsText(const RunList& r) {
  constexpr size_t kWidth = 60;
  std::string s;
  for (size_t i = 0; i < r.runs.size(); ++i) {
    std::string next = (i ? "," : "") + RangeText(r.runs[i]);
    if (s.size() + next.size() > kWidth) return s + ",...";
    s += next;
  }
  return r.complete ? s : s + ",...";
}

nlohmann::ordered_json AlertJson(const Alert& a, const RunList& runs) {
  nlohmann::ordered_json j;
  j["scan_id"] = a.scan_id;
  j["source"] = a.source.ToString();
  j["kind"] = detect::ScanKindName(a.kind);
  j["shape"] = detect::ScanShapeName(a.shape);
  j["ports"] = nlohmann::ordered_json::array();
  for (int i = 0; i < a.ports_listed; ++i) j["ports"].push_back(a.ports[static_cast<size_t>(i)]);
  j["port_ranges"] = nlohmann::ordered_json::array();
  for (const Alert::PortRange& r : runs.runs) j["port_ranges"].push_back(RangeText(r));
  j["port_ranges_complete"] = runs.complete;
  j["port_count"] = a.ports_at_least;
  j["ports_exact"] = a.ports_exact;
  j["hosts"] = nlohmann::ordered_json::array();
  for (int i = 0; i < a.hosts_listed; ++i) j["hosts"].push_back(a.hosts[static_cast<size_t>(i)].ToString());
  j["host_count"] = a.hosts_at_least;
  j["hosts_exact"] = a.hosts_exact;
  j["first_seen"] = Iso(a.first_seen_us);
  j["last_seen"] = Iso(a.last_seen_us);
  j["probes"] = a.probes;
  j["algorithm"] = detect::AlgorithmName(a.algorithm);
  j["algorithms"] = nlohmann::ordered_json::array();
  for (auto alg : {detect::Algorithm::kFastWindow, detect::Algorithm::kSlowWindow, detect::Algorithm::kTrw,
                   detect::Algorithm::kWatchedPort})
    if (a.fired(alg)) j["algorithms"].push_back(detect::AlgorithmName(alg));
  j["evidence"] = detect::DescribeEvidence(a);
  std::string hint = detect::DescribeHint(a);
  j["likely"] = hint.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(hint);
  j["class_counts"] = nlohmann::ordered_json::object();
  for (int c = 0; c < detect::kProbeClassCount; ++c)
    if (a.class_counts[static_cast<size_t>(c)])
      j["class_counts"][std::string(detect::ProbeClassName(static_cast<detect::ProbeClass>(c)))] =
          a.class_counts[static_cast<size_t>(c)];
  j["ended"] = detect::EndReasonName(a.end_reason);
  return j;
}

}  // namespace

void AddAnalyzeCommand(CLI::App* app, AnalyzeOptions* o) {
  CLI::App* a = app->add_subcommand("analyze", "Find port scans in pcap or pcapng capture files");
  a->add_option("files", o->files, "capture files; - reads standard input")->required();
  a->add_option("--config", o->config_file, "TOML file; its [detect] section sets the thresholds (shared with canary)");
  a->add_option("--fast-window", o->fast_window, "window of the fast-scan rule (default 5s)");
  a->add_option("--fast-ports", o->fast_ports, "distinct ports in the fast window that make a scan (default " + std::to_string(detect::kDefaultFastMinPorts) + ")")
      ->check(CLI::Range(1, 16));
  a->add_option("--slow-window", o->slow_window, "window of the slow-scan rule (default 4h)");
  a->add_option("--slow-ports", o->slow_ports, "distinct ports in the slow window that make a scan (default " + std::to_string(detect::kDefaultSlowMinPorts) + ")")
      ->check(CLI::Range(1, 16));
  a->add_option("--watch", o->watch, "watched (canary) ports: one probe is an alert, e.g. 2202,2244/tcp");
  a->add_flag("--no-trw", o->no_trw, "turn off Threshold Random Walk");
  a->add_flag("--no-rate-limit", o->no_rate_limit,
              fmt::format("report every scan: no alert rate limit (a burst of {}, then {} a minute of capture "
                          "time); memory then grows with the scans listed, up to {}",
                          detect::kDefaultAlertBurst, detect::kDefaultAlertsPerMinute, WithCommas(kMaxListedScans)));
  a->add_flag("!--no-progress", o->progress, "no progress bar on stderr");
  o->common.Add(a);
  a->footer(
      "Reports packets, probes, sources, time span and rejected frames by reason, then one row per\n"
      "scan: source, type (syn, connect, fin, null, xmas, ack, maimon, udp, mixed), ports, hosts,\n"
      "the algorithm that recognised it and its evidence.\n\n"
      "Examples:\n  portscope analyze capture.pcap\n  tcpdump -w - -i eth0 | portscope analyze -\n"
      "  portscope analyze --json --watch 2202,2244 *.pcapng | jq '.alerts[]'");
}

int RunAnalyze(const AnalyzeOptions& o, const registry::Registry& reg) {
  detect::Config config;
  if (!o.config_file.empty())
    if (Status s = LoadDetectConfig(o.config_file, &config); !s.ok()) return Fail(kExitUsage, s.message());
  auto duration = [&](const std::string& text, uint64_t* out) -> Status {
    if (text.empty()) return Status::Ok();
    auto d = ParseDurationUs(text);
    if (!d.ok()) return d.status();
    *out = *d;
    return Status::Ok();
  };
  if (Status s = duration(o.fast_window, &config.fast.window_us); !s.ok()) return Fail(kExitUsage, s.message());
  if (Status s = duration(o.slow_window, &config.slow.window_us); !s.ok()) return Fail(kExitUsage, s.message());
  if (o.fast_ports > 0) config.fast.min_ports = static_cast<uint32_t>(o.fast_ports);
  if (o.slow_ports > 0) config.slow.min_ports = static_cast<uint32_t>(o.slow_ports);
  if (o.no_trw) config.trw.enabled = false;
  if (o.no_rate_limit) {  // the largest limits Config allows: more than any capture's scans
    config.alert_burst = 1u << 20;
    config.alerts_per_minute = 1u << 24;
  }
  if (!o.watch.empty()) {
    auto watch = ParseWatchPorts(o.watch);
    if (!watch.ok()) return Fail(kExitUsage, "--watch: " + watch.status().message());
    config.watched_tcp_ports.insert(config.watched_tcp_ports.end(), watch->tcp.begin(), watch->tcp.end());
    config.watched_udp_ports.insert(config.watched_udp_ports.end(), watch->udp.begin(), watch->udp.end());
  }
  if (Status s = config.Validate(); !s.ok()) return Fail(kExitUsage, s.message());

  // Open every file first: a missing one is bad input before any work.
  std::vector<std::unique_ptr<packet::CaptureSource>> sources;
  uint64_t total_bytes = 0;
  bool sizes_known = true;  // every input a regular file
  for (const auto& f : o.files) {
    auto src = packet::OpenCaptureFile(f);
    // The capture layer's messages name the file already.
    if (!src.ok()) return Fail(kExitUsage, EscapeForTerminal(src.status().message()));
    struct stat st;
    if (f != "-" && stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total_bytes += static_cast<uint64_t>(st.st_size);
    } else {
      sizes_known = false;
    }
    sources.push_back(std::move(*src));
  }
  const detect::Config full_size = config;
  if (sizes_known) config = SizedForFiles(config, total_bytes);

  detect::Engine engine(config, static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  Collector alerts;
  Progress progress(o.progress && isatty(STDERR_FILENO) && !o.common.json, total_bytes);
  packet::CaptureReport total;
  total.first_time_us = UINT64_MAX;
  std::vector<std::string> notes;
  uint64_t done_bytes = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    // Reading and decoding run on a second thread, the engine on this one
    // (ProcessBatch gives what Process would, probe by probe).
    uint64_t file_bytes = 0;
    auto report = packet::ReplayCaptureInBatches(
        *sources[i], [&](std::span<const packet::Probe> probes) { engine.ProcessBatch(probes, alerts); },
        [&](uint64_t bytes) {
          file_bytes = bytes;
          progress.Update(done_bytes + bytes);
        });
    done_bytes += file_bytes;
    total.packets += report.packets;
    total.captured_bytes += report.captured_bytes;
    total.probes += report.probes;
    total.rejects += report.rejects;
    if (report.packets) {
      total.first_time_us = std::min(total.first_time_us, report.first_time_us);
      total.last_time_us = std::max(total.last_time_us, report.last_time_us);
    }
    if (!report.complete) {
      total.complete = false;
      notes.push_back(report.note);  // it names the file
    }
  }
  engine.Finish(alerts);
  if (total.first_time_us == UINT64_MAX) total.first_time_us = 0;
  // Tables sized for the files as they were at the start can only fill when
  // a file grew while it was read (a capture still being written).
  const bool shrunk = config.max_sources != full_size.max_sources || config.max_flows != full_size.max_flows ||
                      config.max_scans != full_size.max_scans;
  const std::string shrunk_note = fmt::format(
      " (tables sized for the {} bytes the files held at the start; one grew while it was read: analyze it when "
      "it is complete)",
      WithCommas(total_bytes));
  const detect::Counters& c = engine.counters();
  // A file that ends in damage (cut short, a bad record) is bad input: the
  // report covers what came before it, and the exit status says so.
  const int status = total.complete ? kExitOk : kExitUsage;

  if (o.common.json) {
    nlohmann::ordered_json j;
    auto& s = j["summary"];
    s["files"] = o.files;
    s["packets"] = total.packets;
    s["bytes"] = total.captured_bytes;
    s["probes"] = total.probes;
    s["sources"] = c.sources_created;
    s["first_seen"] = Iso(total.first_time_us);
    s["last_seen"] = Iso(total.last_time_us);
    s["span_seconds"] = static_cast<double>(total.span_us()) / 1e6;
    s["rejects"] = nlohmann::ordered_json::object();
    for (size_t r = 1; r < packet::kRejectCount; ++r)
      if (total.rejects.counts[r]) s["rejects"][std::string(packet::RejectName(static_cast<packet::Reject>(r)))] = total.rejects.counts[r];
    s["complete"] = total.complete;
    s["notes"] = notes;
    s["two_way"] = c.two_way;
    s["sources_evicted"] = c.sources_evicted;
    s["flows_evicted"] = c.flows_evicted;
    s["alerts_dropped"] = c.alerts_dropped;
    s["alerts_not_listed"] = alerts.not_listed();
    s["table_bytes"] = engine.memory_bytes();
    j["alerts"] = nlohmann::ordered_json::array();
    for (const auto& [id, a] : alerts.scans()) j["alerts"].push_back(AlertJson(a, RunsOf(a, alerts.runs(id))));
    Print(j.dump(2) + "\n");
    for (const auto& n : notes) std::fprintf(stderr, "portscope: incomplete: %s\n", EscapeForTerminal(n).c_str());
    return status;
  }
  const Style st = o.common.MakeStyle();
  std::string out;
  out += fmt::format("{} packets, {} probes from {} source{}, {} to {} ({:.1f} s){}\n", WithCommas(total.packets),
                     WithCommas(total.probes), WithCommas(c.sources_created), c.sources_created == 1 ? "" : "s",
                     Iso(total.first_time_us),
                     Iso(total.last_time_us), static_cast<double>(total.span_us()) / 1e6,
                     c.two_way ? "; both directions seen" : "; one direction only (no TRW)");
  std::string rejects;
  for (size_t r = 1; r < packet::kRejectCount; ++r)
    if (total.rejects.counts[r])
      rejects += fmt::format("{}{} {}", rejects.empty() ? "" : ", ", WithCommas(total.rejects.counts[r]),
                             packet::RejectName(static_cast<packet::Reject>(r)));
  if (!rejects.empty()) out += "rejected frames: " + rejects + "\n";
  for (const auto& n : notes) out += st.yellow("incomplete: " + EscapeForTerminal(n)) + "\n";
  if (c.sources_evicted || c.flows_evicted)
    out += st.yellow(fmt::format("state was full: {} sources and {} flows evicted{}", WithCommas(c.sources_evicted),
                                 WithCommas(c.flows_evicted), shrunk ? shrunk_note : "")) + "\n";
  if (c.alerts_dropped)
    out += st.yellow(fmt::format("{} not reported: the alert rate limit held {} back (a burst of {}, then {} a "
                                 "minute of capture time); --no-rate-limit reports every scan",
                                 CountOf(c.alerts_dropped, "scan", "scans"),
                                 c.alerts_dropped == 1 ? "it" : "them", WithCommas(config.alert_burst),
                                 WithCommas(config.alerts_per_minute))) + "\n";
  if (alerts.not_listed())
    out += st.yellow(fmt::format("the first {} scans are listed; {} alerts of later scans were counted, not kept",
                                 WithCommas(kMaxListedScans), WithCommas(alerts.not_listed()))) + "\n";
  if (alerts.scans().empty()) {
    out += "no port scans recognised\n";
    Print(out);
    return status;
  }
  out += "\n" + st.bold(fmt::format("{:<40} {:<8} {:<10} {:>6} {:>6} {:>8}  {:<19} {}", "SOURCE", "KIND", "SHAPE",
                                    "PORTS", "HOSTS", "PROBES", "FIRST SEEN", "ALGORITHM")) + "\n";
  for (const auto& [id, a] : alerts.scans()) {
    std::string alg;
    for (auto x : {detect::Algorithm::kFastWindow, detect::Algorithm::kSlowWindow, detect::Algorithm::kTrw,
                   detect::Algorithm::kWatchedPort})
      if (a.fired(x)) alg += (alg.empty() ? "" : ",") + std::string(detect::AlgorithmName(x));
    out += fmt::format("{:<40} {:<8} {:<10} {:>5}{} {:>5}{} {:>8}  {:<19} {}\n", a.source.ToString(),
                       detect::ScanKindName(a.kind), detect::ScanShapeName(a.shape), a.ports_at_least,
                       a.ports_exact ? " " : "+", a.hosts_at_least, a.hosts_exact ? " " : "+", a.probes,
                       Iso(a.first_seen_us).substr(0, 19), alg);
    out += st.dim("    ports " + PortsText(RunsOf(a, alerts.runs(id)))) + "\n";
    const std::string evidence = detect::DescribeEvidence(a);
    for (const auto& line : Split(evidence, '\n'))
      if (!line.empty()) out += st.dim("    " + std::string(line)) + "\n";
    if (std::string hint = detect::DescribeHint(a); !hint.empty()) out += "    " + st.yellow(hint) + "\n";
  }
  Print(out);
  (void)reg;
  return status;
}

}  // namespace portscope::cli
