#include "web/canary_pages.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/html.h"
#include "base/text.h"
#include "report/time_args.h"
#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope::web {

using store::AlertRecord;
using store::Event;
using store::Transport;

namespace {

std::string E(std::string_view s) { return HtmlEscape(s); }

// Payload bytes shown before the hex view; the rest is in the hex view.
constexpr size_t kPreviewBytes = 64;

bool HasPorts(Transport t) { return t == Transport::kTcp || t == Transport::kUdp; }

std::string TimeCell(uint64_t us) {
  return fmt::format("<time datetime=\"{}\">{}</time>", store::FormatRfc3339(us), ShortUtc(us));
}

std::string SourceLink(const IpAddress& ip) {
  const std::string s = ip.ToString();
  return fmt::format("<a class=\"mono\" href=\"/canary/sources/{}\">{}</a>", UrlEncodeComponent(s), E(s));
}

std::string PortLink(uint16_t port) { return fmt::format("<a href=\"/ports/{0}\">{0}</a>", port); }

// The payload: an escaped preview (control bytes and invalid UTF-8 as \xNN),
// and a hex view of every byte kept, folded.
std::string PayloadCell(const Event& e) {
  if (e.summary())
    return fmt::format("{} probes past the budget, {} to {}, {} port{}", WithCommas(e.count), ShortUtc(e.time_us),
                       ShortUtc(e.end_us()), WithCommas(e.distinct_ports), e.distinct_ports == 1 ? "" : "s");
  if (e.payload.empty()) return e.payload_truncated ? "<span class=\"none\">(cut)</span>" : "<span class=\"none\">none</span>";
  std::string preview = store::EscapedPreview(e.payload, kPreviewBytes);
  if (e.payload.size() > kPreviewBytes) preview += "...";
  return fmt::format("<details class=\"payload\"><summary><code class=\"preview\">{}</code> <span class=\"muted\">({} B{})</span>"
                     "</summary><pre class=\"hex\">{}</pre></details>",
                     E(preview), WithCommas(e.payload.size()), e.payload_truncated ? ", cut" : "", HexViewHtml(e.payload));
}

std::string Destination(const Event& e) {
  if (e.summary())
    return e.distinct_ports == 1 && e.dport ? PortLink(e.dport) : fmt::format("{} ports", WithCommas(e.distinct_ports));
  std::string out = HasPorts(e.transport) ? PortLink(e.dport) : "";
  out += "/" + std::string(store::TransportName(e.transport));
  return out;
}

void EventsTable(std::string* out, const std::vector<Event>& events, bool with_source, std::string_view id) {
  if (events.empty()) {
    *out += "<p class=\"none\">No probes recorded.</p>\n";
    // The live refresh fills the table in once probes arrive.
    if (!id.empty()) *out += fmt::format("<table class=\"probes\" id=\"{}\" hidden>", id);
    else return;
  } else {
    *out += id.empty() ? "<table class=\"probes\">" : fmt::format("<table class=\"probes\" id=\"{}\">", id);
  }
  *out += "\n<thead><tr><th>Time (UTC)</th>";
  if (with_source) *out += "<th>Source</th>";
  *out += "<th>Port</th><th>Action</th><th>Service</th><th>First bytes</th></tr></thead>\n<tbody>\n";
  for (const Event& e : events) {
    *out += "<tr><td>" + TimeCell(e.time_us) + "</td>";
    if (with_source) *out += "<td>" + SourceLink(e.src) + "</td>";
    *out += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", Destination(e), E(e.action),
                        E(e.service), PayloadCell(e));
  }
  *out += "</tbody>\n</table>\n";
}

std::string AlertState(const AlertRecord& a) {
  if (a.phase != store::AlertPhase::kEnded) return "active";
  return a.ended_reason.empty() ? "ended" : "ended (" + E(a.ended_reason) + ")";
}

// Runs of consecutive ports, each end a link: "22, 80-82"; past `max` runs,
// how many more.
std::string PortList(const std::vector<uint16_t>& ports, size_t max) {
  const auto runs = SplitPortRuns(ports);
  std::string out;
  for (size_t i = 0; i < runs.size() && i < max; ++i) {
    out += i ? ", " : "";
    out += PortLink(runs[i].first);
    if (runs[i].second != runs[i].first) out += "-" + PortLink(runs[i].second);
  }
  if (runs.size() > max) out += fmt::format(", ... ({} more runs)", runs.size() - max);
  return out;
}

void AlertsTable(std::string* out, const std::vector<AlertRecord>& alerts, bool with_source) {
  if (alerts.empty()) {
    *out += "<p class=\"none\">No scans recognised.</p>\n";
    return;
  }
  *out += "<table class=\"alerts\">\n<thead><tr><th>Started (UTC)</th>";
  if (with_source) *out += "<th>Source</th>";
  *out += "<th>Kind</th><th>Shape</th><th class=\"num\">Probes</th><th class=\"num\">Ports</th>"
          "<th class=\"num\">Hosts</th><th>State</th><th>Tool</th></tr></thead>\n<tbody>\n";
  for (const AlertRecord& a : alerts) {
    const uint64_t start = a.started_us ? std::min(a.started_us, a.first_seen_us ? a.first_seen_us : a.started_us)
                                        : a.first_seen_us;
    *out += fmt::format("<tr><td><a href=\"/canary/alerts/{}\">{}</a></td>", a.id, TimeCell(start));
    if (with_source) *out += "<td>" + SourceLink(a.source) + "</td>";
    *out += fmt::format("<td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                        "<td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
                        store::ScanKindName(a.kind), store::ScanShapeName(a.shape), WithCommas(a.probes),
                        WithCommas(a.port_count), WithCommas(a.host_count), AlertState(a), E(a.tool_hint));
  }
  *out += "</tbody>\n</table>\n";
}

std::string Counter(std::string_view id, uint64_t value, std::string_view label) {
  return fmt::format("<div class=\"stat\"><span class=\"value\" id=\"{}\">{}</span> <span class=\"label\">{}</span></div>\n",
                     id, WithCommas(value), label);
}

}  // namespace

std::string ShortUtc(uint64_t time_us) {
  std::string s = store::FormatRfc3339(time_us);  // 2026-11-22T03:14:16.123456Z
  if (s.size() >= 19) s = s.substr(0, 10) + " " + s.substr(11, 8) + "Z";
  return s;
}

std::string HexViewHtml(std::string_view bytes) {
  std::string out;
  for (size_t off = 0; off < bytes.size(); off += 16) {
    std::string hex, ascii;
    for (size_t i = 0; i < 16; ++i) {
      if (off + i < bytes.size()) {
        const auto c = static_cast<unsigned char>(bytes[off + i]);
        hex += fmt::format("{:02x} ", c);
        ascii += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
      } else {
        hex += "   ";
      }
      if (i == 7) hex += ' ';
    }
    out += fmt::format("{:08x}  {} |", off, hex);
    AppendHtmlEscaped(ascii, &out);
    out += "|\n";
  }
  return out;
}

std::string RenderDashboard(const Layout& layout, const registry::Registry& reg, const DashboardData& d) {
  PageMeta meta{"Canary - portscope", "What the portscope canary recorded: probes, sources, ports and scans.", ""};
  meta.styles = {"/static/uPlot.min.css"};
  meta.scripts = {"/static/uPlot.iife.min.js", "/static/canary.js"};
  if (!d.chart) {
    meta.styles.clear();
    meta.scripts = {"/static/canary.js"};
  }
  const store::Report& r = d.report;
  std::string out = layout.Start(meta);
  out += "<h1>Canary</h1>\n<nav class=\"ranges\" aria-label=\"Time range\">Last ";
  for (std::string_view range : kDashboardRanges)
    out += range == d.range ? fmt::format("<strong aria-current=\"page\">{}</strong> ", range)
                            : fmt::format("<a href=\"/canary?range={0}\">{0}</a> ", range);
  if (std::find(std::begin(kDashboardRanges), std::end(kDashboardRanges), d.range) == std::end(kDashboardRanges))
    out += "<strong aria-current=\"page\">" + E(d.range) + "</strong>";
  out += "</nav>\n<form class=\"range\" action=\"/canary\" method=\"get\"><label>From <input name=\"range\" "
         "size=\"16\" maxlength=\"40\" value=\"" + E(d.range) + "\" aria-label=\"Start of the time range\" "
         "placeholder=\"12h, 3d, 2026-11-22T03:14\"></label> to now <button type=\"submit\">Show</button></form>\n";
  out += fmt::format("<p class=\"muted\">{} to {} &middot; database <code>{}</code> &middot; "
                     "<span id=\"live\">live refresh needs JavaScript; reload for new probes</span></p>\n",
                     ShortUtc(r.since_us), ShortUtc(r.until_us), E(d.db_path));
  out += "<div class=\"stats\">\n";
  out += Counter("stat-probes", r.events_stored + r.probes_summarized, "probes");
  out += Counter("stat-sources", r.sources, "sources");
  out += Counter("stat-scans", r.scans, "scans");
  out += Counter("stat-dropped", r.events_dropped + r.alerts_dropped, "dropped");
  out += "</div>\n";
  if (!d.runs.empty()) {
    const store::RunRecord& run = d.runs.front();
    const uint64_t last = run.updated_us ? run.updated_us : run.started_us;
    out += fmt::format("<p class=\"muted\">Latest canary run: sensor <code>{}</code> on <code>{}</code>, pid {}, "
                       "started {}, last wrote {} ago.</p>\n",
                       E(run.sensor), E(run.hostname), run.pid, ShortUtc(run.started_us),
                       report::FormatDuration(d.now_us > last ? d.now_us - last : 0));
  } else {
    out += "<p class=\"muted\">No canary run has written to this database yet.</p>\n";
  }
  if (r.events_dropped || r.alerts_dropped || r.sink_errors)
    out += fmt::format("<p class=\"notice warn\">Lost: {} events and {} alerts dropped (write queue full), {} failed "
                       "writes.</p>\n",
                       WithCommas(r.events_dropped), WithCommas(r.alerts_dropped), WithCommas(r.sink_errors));

  out += fmt::format("<h2>Probes over time</h2>\n<div id=\"chart\" class=\"chart\" data-range=\"{}\" "
                     "data-chart=\"{}\" data-buckets=\"{}\"></div>\n<details class=\"timeline\"{}><summary>As a table "
                     "(probes and scans per {})</summary>\n<table>\n<thead><tr><th>From (UTC)</th>"
                     "<th class=\"num\">Probes</th><th class=\"num\">Scans</th></tr></thead>\n<tbody>\n",
                     E(d.range), d.chart ? "uplot" : "none", r.timeline_probes.size(), d.chart ? "" : " open",
                     report::FormatDuration(r.bucket_us));
  // Each row carries its figures as data too (its start in microseconds
  // since the epoch), from which the script draws the chart on load instead
  // of asking again.
  for (size_t i = 0; i < r.timeline_probes.size(); ++i) {
    const uint64_t start_us = r.since_us + i * r.bucket_us;
    out += fmt::format("<tr data-start-us=\"{}\" data-probes=\"{}\" data-scans=\"{}\"><td>{}</td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{}</td></tr>\n",
                       start_us, r.timeline_probes[i], r.timeline_scans[i], ShortUtc(start_us),
                       WithCommas(r.timeline_probes[i]), WithCommas(r.timeline_scans[i]));
  }
  out += "</tbody>\n</table>\n</details>\n";

  out += "<div class=\"columns\">\n<section>\n<h2>Top sources</h2>\n";
  if (r.top_sources.empty()) out += "<p class=\"none\">None.</p>\n";
  else {
    out += "<table>\n<thead><tr><th>Source</th><th class=\"num\">Probes</th><th class=\"num\">Ports</th>"
           "<th class=\"num\">Scans</th><th>Last (UTC)</th></tr></thead>\n<tbody>\n";
    for (const auto& s : r.top_sources)
      out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                         "<td>{}</td></tr>\n",
                         SourceLink(s.src), WithCommas(s.probes), WithCommas(s.ports), WithCommas(s.scans),
                         TimeCell(s.last_us));
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n<section>\n<h2>Top ports</h2>\n";
  if (r.top_ports.empty()) out += "<p class=\"none\">None.</p>\n";
  else {
    out += "<table>\n<thead><tr><th>Port</th><th>IANA service</th><th class=\"num\">Probes</th>"
           "<th class=\"num\">Sources</th></tr></thead>\n<tbody>\n";
    for (const auto& p : r.top_ports) {
      std::string name;
      if (HasPorts(p.transport))
        name = std::string(reg.LookupBrief({p.port, p.transport == Transport::kTcp ? registry::Proto::kTcp
                                                                                   : registry::Proto::kUdp}).name);
      out += fmt::format("<tr><td>{}/{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                         HasPorts(p.transport) ? PortLink(p.port) : std::to_string(p.port),
                         store::TransportName(p.transport), E(name), WithCommas(p.probes), WithCommas(p.sources));
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n</div>\n<h2>Scan types</h2>\n";
  if (r.scan_kinds.empty()) out += "<p class=\"none\">No scans recognised in this range.</p>\n";
  else {
    out += "<table class=\"narrow\">\n<thead><tr><th>Kind</th><th class=\"num\">Scans</th><th class=\"num\">Probes</th>"
           "</tr></thead>\n<tbody>\n";
    for (const auto& k : r.scan_kinds)
      out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                         store::ScanKindName(k.kind), WithCommas(k.scans), WithCommas(k.probes));
    out += "</tbody>\n</table>\n";
    for (const auto& h : r.tool_hints)
      out += fmt::format("<p>Likely {}: {} scan{}.</p>\n", E(h.hint), WithCommas(h.scans), h.scans == 1 ? "" : "s");
  }
  out += "<h2>Latest probes</h2>\n";
  EventsTable(&out, d.latest_events, true, "latest-probes");
  out += "<h2>Latest alerts</h2>\n";
  AlertsTable(&out, d.latest_alerts, true);
  out += "<p class=\"muted\">As JSON: <a href=\"/api/report?since=" + UrlEncodeComponent(d.range) +
         "\"><code>/api/report</code></a>, <a href=\"/api/events?since=" + UrlEncodeComponent(d.range) +
         "\"><code>/api/events</code></a>, <a href=\"/api/alerts?since=" + UrlEncodeComponent(d.range) +
         "\"><code>/api/alerts</code></a>.</p>\n";
  out += layout.End();
  return out;
}

std::string RenderSourcePage(const Layout& layout, const SourceData& d) {
  const std::string ip = d.ip.ToString();
  std::string out = layout.Start({"Source " + ip + " - canary - portscope", "", ""});
  out += "<p><a href=\"/canary\">Canary</a> &rsaquo; source</p>\n<h1>Source <span class=\"mono\">" + E(ip) + "</span></h1>\n";
  out += fmt::format("<p>{} row{} recorded from this address ({} shown, newest first); {} scan{}. As JSON: "
                     "<a href=\"/api/sources/{}\"><code>/api/sources/{}</code></a>.</p>\n",
                     WithCommas(d.rows), d.rows == 1 ? "" : "s", WithCommas(d.events.size()), WithCommas(d.alerts.size()),
                     d.alerts.size() == 1 ? "" : "s", UrlEncodeComponent(ip), E(ip));
  out += "<h2>Scans</h2>\n";
  AlertsTable(&out, d.alerts, false);
  out += "<h2>Probes</h2>\n";
  EventsTable(&out, d.events, false, "");
  out += layout.End();
  return out;
}

std::string RenderAlertPage(const Layout& layout, const AlertRecord& a) {
  const std::string src = a.source.ToString();
  std::string out = layout.Start({fmt::format("Scan {} from {} - canary - portscope", a.id, src), "", ""});
  out += fmt::format("<p><a href=\"/canary\">Canary</a> &rsaquo; alert {}</p>\n<h1>{} scan from {}</h1>\n", a.id,
                     store::ScanKindName(a.kind), SourceLink(a.source));
  out += "<dl class=\"facts\">\n";
  auto row = [&](std::string_view k, const std::string& v) { out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", k, v); };
  row("State", AlertState(a));
  row("Kind", std::string(store::ScanKindName(a.kind)));
  row("Shape", std::string(store::ScanShapeName(a.shape)));
  row("First probe", TimeCell(a.first_seen_us));
  row("Last probe", TimeCell(a.last_seen_us));
  row("Duration", report::FormatDuration(a.last_seen_us > a.first_seen_us ? a.last_seen_us - a.first_seen_us : 0));
  row("Probes", WithCommas(a.probes));
  row("Ports", fmt::format("{} distinct", WithCommas(a.port_count)));
  row("Hosts", fmt::format("{} distinct", WithCommas(a.host_count)));
  row("Algorithms", E(store::JoinAlgorithms(a.algorithms)));
  row("Sensor", "<code>" + E(a.sensor) + "</code>");
  if (!a.tool_hint.empty()) row("Tool", E(a.tool_hint));
  row("Scan id", fmt::format("{} (run {})", a.scan_id, a.run_id));
  out += "</dl>\n<h2>Evidence</h2>\n<ul class=\"evidence\">\n";
  for (auto line : Split(a.evidence, '\n'))
    if (!Trim(line).empty()) out += "<li>" + E(EscapeForTerminal(line)) + "</li>\n";
  out += "</ul>\n<h2>Ports</h2>\n";
  out += a.ports.empty() ? std::string("<p class=\"none\">None listed.</p>\n") : "<p>" + PortList(a.ports, 300) + "</p>\n";
  if (!a.hosts.empty()) {
    out += "<h2>Hosts</h2>\n<ul class=\"links\">\n";
    for (const auto& h : a.hosts) out += "<li class=\"mono\">" + E(h.ToString()) + "</li>\n";
    out += "</ul>\n";
  }
  out += fmt::format("<p class=\"muted\">As JSON: <a href=\"/api/alerts/{0}\"><code>/api/alerts/{0}</code></a>.</p>\n",
                     a.id);
  out += layout.End();
  return out;
}

std::string RenderNoDatabasePage(const Layout& layout, std::string_view db_path, std::string_view message) {
  std::string out = layout.Start({"Canary - portscope", "", ""});
  out += "<h1>Canary</h1>\n<p class=\"notice\">No canary database yet.</p>\n<p>";
  AppendHtmlEscaped(message, &out);
  out += "</p>\n<p>The dashboard shows what <code>portscope canary</code> records: start it on this machine "
         "(it writes <code>" + E(db_path) + "</code>), or start this server with <code>portscope serve --db FILE</code> "
         "to read another database. This page works as soon as the file exists.</p>\n" + layout.End();
  return out;
}

std::string RenderPortCanarySection(uint16_t port, const PortCanaryData& d) {
  std::string out = "<section id=\"canary\">\n<h2>What the canary has seen on this port</h2>\n";
  if (!d.have_db) {
    out += "<p class=\"none\">";
    AppendHtmlEscaped(d.note, &out);
    out += "</p>\n</section>\n";
    return out;
  }
  if (d.rows == 0) {
    out += fmt::format("<p>The canary has recorded no probes of port {} (summary rows included).</p>\n</section>\n", port);
    return out;
  }
  out += fmt::format("<p>{} row{} recorded on port {} (summary rows included), and {} scan{} that probed it. "
                     "The latest:</p>\n",
                     WithCommas(d.rows), d.rows == 1 ? "" : "s", port, WithCommas(d.alerts), d.alerts == 1 ? "" : "s");
  EventsTable(&out, d.latest, true, "");
  out += fmt::format("<p class=\"muted\">All of them: <a href=\"/api/events?port={0}&amp;limit=1000\"><code>/api/events?port={0}"
                     "</code></a>; the scans: <a href=\"/api/alerts?port={0}\"><code>/api/alerts?port={0}</code></a>.</p>\n",
                     port);
  out += "</section>\n";
  return out;
}

}  // namespace portscope::web
