#include "web/port_pages.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>

#include "base/html.h"
#include "base/text.h"
#include "registry/faq.h"
#include "registry/page.h"
#include "sockets/annotate.h"

namespace portscope::web {

using registry::EntryStatus;
using registry::IanaStatus;
using registry::LayerView;
using registry::PortFacts;
using registry::PortRef;
using registry::Proto;
using registry::RangeClass;

namespace {

std::string E(std::string_view s) { return HtmlEscape(s); }


std::string Ports(uint16_t lo, uint16_t hi) {
  return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
}

std::string Percent(double f) {
  return f >= 0.001 ? fmt::format("{:.2f}%", f * 100) : fmt::format("{:.4f}%", f * 100);
}

// The 64-port block around a port, for the "nearby" links.
std::pair<uint16_t, uint16_t> BlockOf(uint16_t port) {
  const uint16_t lo = static_cast<uint16_t>(port & ~63u);
  return {lo, static_cast<uint16_t>(lo + 63)};
}

// One field of an IANA row: its value, or why there is none.
void Field(std::string* out, std::string_view label, std::string_view value, bool wireshark) {
  *out += fmt::format("<dt>{}</dt><dd>", label);
  if (!value.empty()) *out += E(value);
  else if (wireshark) *out += "<span class=\"none\">not in Wireshark's copy</span>";
  else *out += "<span class=\"none\">none given</span>";
  *out += "</dd>\n";
}

void NotesHtml(std::string* out, std::string_view label, const std::vector<registry::NoteFact>& notes,
               bool warn) {
  *out += fmt::format("<dt>{}</dt><dd>", label);
  if (notes.empty()) {
    *out += "<span class=\"none\">none recorded</span></dd>\n";
    return;
  }
  *out += "<ul>\n";
  for (const auto& n : notes) {
    *out += warn ? "<li class=\"warn\">" : "<li>";
    *out += E(n.text);
    if (n.port_lo != n.port_hi) *out += fmt::format(" (ports {})", Ports(n.port_lo, n.port_hi));
    *out += " " + SourceTagHtml(n.source) + " <span class=\"muted\">" + E(n.cited) + "</span></li>\n";
  }
  *out += "</ul></dd>\n";
}

// The per-protocol card: every IANA field with its source, the range, the
// services-file names, nmap's figures and the curated notes.
std::string FactsCard(const PortFacts& f) {
  const std::string id = std::string(registry::ProtoName(f.ref.proto));
  std::string out = fmt::format("<div class=\"card\" id=\"{}\">\n<h3>{}/{} {}</h3>\n<dl class=\"facts\">\n",
                                id, f.ref.port, id, StatusBadge(f.iana_status));
  out += fmt::format("<dt>Range</dt><dd>{}, {}-{} (RFC 6335)</dd>\n", registry::RangeTitle(f.range),
                     registry::RangeFirst(f.range), registry::RangeLast(f.range));
  const bool wireshark =
      f.iana_source && f.iana_source->name.find("Wireshark") != std::string_view::npos;
  const std::string iana_tag = SourceTagHtml(f.iana_source);
  switch (f.iana_status) {
    case IanaStatus::kUnknown:
      out += "<dt>IANA</dt><dd>unknown: no IANA data loaded (<code>portscope db import FILE</code>)</dd>\n";
      break;
    case IanaStatus::kUnassigned:
      if (!f.unassigned_listed)
        out += "<dt>IANA</dt><dd>not listed, so not assigned: this source lists every assignment " +
               iana_tag + "</dd>\n";
      break;
    default:
      break;
  }
  for (const auto& s : f.iana) {
    out += "<dt>IANA</dt><dd>" + StatusBadge(s.status == EntryStatus::kAssigned   ? IanaStatus::kAssigned
                                             : s.status == EntryStatus::kReserved ? IanaStatus::kReserved
                                                                                  : IanaStatus::kUnassigned);
    if (!s.name.empty()) out += " <strong>" + E(s.name) + "</strong>";
    if (!s.description.empty()) out += " &mdash; " + E(s.description);
    if (s.port_lo != s.port_hi) out += fmt::format(" (row covers ports {})", Ports(s.port_lo, s.port_hi));
    out += " " + iana_tag + "</dd>\n";
    Field(&out, "Assignee", s.assignee, wireshark);
    Field(&out, "Contact", s.contact, wireshark);
    Field(&out, "Reference", s.reference, wireshark);
    Field(&out, "Registered", s.registered, wireshark);
    Field(&out, "Modified", s.modified, wireshark);
    out += "<dt>Unauthorized use</dt><dd>";
    out += s.unauthorized.empty() ? (wireshark ? "<span class=\"none\">not in Wireshark's copy</span>"
                                               : "<span class=\"none\">none reported</span>")
                                  : "<span class=\"warn\">" + E(s.unauthorized) + "</span>";
    out += "</dd>\n";
    Field(&out, "Notes", s.notes, wireshark);
    out += fmt::format("<dt>Historic</dt><dd>{}</dd>\n", s.historic() ? "yes: the entry marks itself historic or withdrawn" : "no");
  }
  out += "<dt>Services file</dt><dd>";
  if (f.etc_services.empty()) out += "<span class=\"none\">no entry</span>";
  for (const auto& s : f.etc_services) {
    out += E(s.name);
    if (!s.aliases.empty()) out += " (aliases: " + E(s.aliases) + ")";
    out += " " + SourceTagHtml(s.source) + " ";
  }
  out += "</dd>\n<dt>Seen open</dt><dd>";
  if (!f.frequency) {
    out += "<span class=\"none\">no nmap data for this port</span>";
  } else {
    const auto& fr = *f.frequency;
    if (fr.rank == 0)
      out += "never seen open in nmap's scan data";
    else
      out += fmt::format("open-frequency {}, rank {} of the {} {} ports nmap saw open", Percent(fr.open_frequency),
                         WithCommas(fr.rank), WithCommas(fr.ranked), registry::ProtoName(f.ref.proto));
    if (!fr.name.empty() && fr.name != f.best_name()) out += " (nmap: " + E(fr.name) + ")";
    out += " " + SourceTagHtml(fr.source);
  }
  out += "</dd>\n";
  NotesHtml(&out, "Unofficial", f.unofficial, false);
  NotesHtml(&out, "Security", f.security, true);
  out += "</dl>\n</div>\n";
  return out;
}

std::string ArticleHtml(const registry::Article& a) {
  std::string out;
  for (const auto& sec : a.sections) {
    out += "<section>\n<h2>" + E(sec.heading) + "</h2>\n";
    for (const auto& p : sec.paragraphs) {
      if (!p.text.empty()) out += "<p>" + ProseHtml(p.text) + "</p>\n";
      if (!p.code.empty()) {
        out += "<pre><code>";
        for (const auto& line : p.code) out += E(line) + "\n";
        out += "</code></pre>\n";
      }
    }
    out += "</section>\n";
  }
  return out;
}

std::string PortLink(const registry::Registry& reg, uint32_t port, std::string_view rel, bool before) {
  const uint16_t p = static_cast<uint16_t>(port);
  const std::string_view name = reg.LookupBrief(PortRef{p, Proto::kTcp}).name;
  std::string label = fmt::format("port {}", p);
  if (!name.empty()) label += " (" + E(name) + ")";
  return fmt::format("<a rel=\"{}\" href=\"/ports/{}\">{}{}{}</a>", rel, p, before ? "&larr; " : "", label,
                     before ? "" : " &rarr;");
}

}  // namespace

PortPageParts RenderPortPage(const registry::Registry& reg, const Layout& layout, uint16_t port) {
  const registry::Article article = registry::BuildArticle(reg, port);
  std::vector<PortFacts> facts;
  for (Proto p : reg.DefaultProtos(port)) facts.push_back(reg.Lookup(PortRef{port, p}));
  const RangeClass rc = registry::ClassOf(port);
  const auto [blo, bhi] = BlockOf(port);

  PortPageParts parts;
  std::string& h = parts.head;
  h = layout.Start({article.title + " - portscope",
                    fmt::format("What port {} is: IANA assignment, range, how often it is seen open, known uses "
                                "and security notes, each with its source.",
                                port),
                    ""});
  h += fmt::format("<p class=\"muted\"><a href=\"/\">portscope</a> &rsaquo; <a href=\"/ports/{0}-{1}\">ports "
                   "{0}-{1}</a> &rsaquo; {2}</p>\n",
                   blo, bhi, port);
  h += "<h1>" + E(article.title) + "</h1>\n";
  h += fmt::format(
      "<p>Port {} is one of the {}, {}-{} (RFC 6335). Shown for {}. The same facts as JSON: "
      "<a href=\"/api/ports/{}\"><code>/api/ports/{}</code></a>.</p>\n",
      port, registry::RangeTitle(rc), registry::RangeFirst(rc), registry::RangeLast(rc),
      registry::JoinProtos(reg.DefaultProtos(port), true), port, port);
  h += "<section id=\"facts\">\n<h2>At a glance</h2>\n<div class=\"protos\">\n";
  for (const PortFacts& f : facts) h += FactsCard(f);
  h += "</div>\n</section>\n";

  std::string& t = parts.tail;
  t = "<section id=\"article\">\n" + ArticleHtml(article) + "</section>\n";
  t += "<section id=\"faq\">\n<h2>Questions</h2>\n";
  for (const auto& q : registry::BuildFaq(reg, port))
    t += "<h3>" + E(q.question) + "</h3>\n<p>" + ProseHtml(q.answer) + "</p>\n";
  t += "</section>\n<nav class=\"neighbours\">\n";
  t += port > 0 ? PortLink(reg, port - 1u, "prev", true) : std::string("<span></span>");
  t += fmt::format("<a href=\"/ports/{0}-{1}\">ports {0}-{1}</a>", blo, bhi);
  t += port < 65535 ? PortLink(reg, port + 1u, "next", false) : std::string("<span></span>");
  t += "\n</nav>\n" + layout.End();
  return parts;
}

std::string RenderHereSection(const HereSnapshot& here, const registry::Registry& reg, uint16_t port) {
  std::string out = "<section id=\"here\">\n<h2>Here, now</h2>\n";
  char when[32] = "?";
  const time_t t = std::chrono::system_clock::to_time_t(here.taken);
  tm utc;
  if (gmtime_r(&t, &utc)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
  if (!here.status.ok()) {
    out += "<p>What holds port " + std::to_string(port) +
           " on this machine: unknown (the socket table could not be read: " + E(here.status.message()) +
           ").</p>\n</section>\n";
    return out;
  }
  const sockets::Snapshot& snap = here.snapshot;
  std::vector<const sockets::SocketEntry*> rows;
  for (const auto& s : snap.sockets)
    if (s.local_port == port && s.listening()) rows.push_back(&s);
  if (rows.empty()) {
    out += fmt::format("<p>Nothing on the machine serving this page listens on port {} (TCP or UDP), "
                       "as of {}.</p>\n",
                       port, when);
  } else {
    out += fmt::format("<p>Listening on port {} on the machine serving this page, as of {}:</p>\n", port, when);
    out += "<table>\n<thead><tr><th>Proto</th><th>Local address</th><th>State</th><th>Process</th>"
           "<th>User</th><th>Flags</th></tr></thead>\n<tbody>\n";
    for (const auto* s : rows) {
      const sockets::Annotation a = sockets::Annotate(*s, reg);
      std::string procs, users;
      for (int pid : s->pids) {
        auto it = snap.processes.find(pid);
        if (it == snap.processes.end()) {
          procs += fmt::format("<div>pid {}</div>", pid);
          continue;
        }
        const sockets::ProcessInfo& p = it->second;
        procs += fmt::format("<div>{} <span class=\"muted\">pid {}</span>", E(p.name), pid);
        if (!p.exe.empty()) procs += "<br><span class=\"mono muted\">" + E(p.exe) + "</span>";
        if (!p.unit.empty()) procs += "<br><span class=\"muted\">unit " + E(p.unit) + "</span>";
        if (!p.container.empty()) procs += "<br><span class=\"muted\">container " + E(p.container) + "</span>";
        procs += "</div>";
        if (users.find(p.user) == std::string::npos) users += (users.empty() ? "" : ", ") + E(p.user);
      }
      if (procs.empty()) procs = "<span class=\"none\">none visible</span>";
      std::string flags;
      for (auto f : a.flags) flags += (flags.empty() ? "" : ", ") + std::string(f);
      out += fmt::format("<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         registry::ProtoName(s->proto),
                         E(sockets::FormatEndpoint(s->local, s->local_port, s->v6)),
                         sockets::StateName(s->state, s->proto), procs, users, E(flags));
    }
    out += "</tbody>\n</table>\n";
  }
  if (!snap.privileged)
    out += "<p class=\"muted\">The server does not run as root: other users' processes are hidden.</p>\n";
  out += "</section>\n";
  return out;
}

std::string RenderRangePage(const registry::Registry& reg, const Layout& layout, uint16_t lo, uint16_t hi) {
  const uint32_t count = static_cast<uint32_t>(hi) - lo + 1;
  std::string out = layout.Start({fmt::format("Ports {}-{} - portscope", lo, hi),
                                  fmt::format("The {} ports {} to {}: IANA status and names.", count, lo, hi), ""});
  out += fmt::format("<h1>Ports {}-{}</h1>\n<p>{} ports; TCP and UDP for each, SCTP and DCCP where a source lists "
                     "them. The same as JSON: <a href=\"/api/ports/{}-{}\"><code>/api/ports/{}-{}</code></a>.</p>\n",
                     lo, hi, WithCommas(count), lo, hi, lo, hi);
  out += "<table>\n<thead><tr><th class=\"num\">Port</th><th>Proto</th><th>IANA</th><th>Service</th>"
         "<th>Description</th><th class=\"num\">nmap rank</th></tr></thead>\n<tbody>\n";
  for (uint32_t port = lo; port <= hi; ++port) {
    const uint16_t p16 = static_cast<uint16_t>(port);
    for (Proto p : reg.DefaultProtos(p16)) {
      const PortFacts f = reg.Lookup(PortRef{p16, p});
      std::string_view desc;
      for (const auto& s : f.iana)
        if (s.status == EntryStatus::kAssigned && desc.empty()) desc = s.description;
      std::string rank = f.frequency && f.frequency->rank ? WithCommas(f.frequency->rank) : "";
      out += fmt::format("<tr><td class=\"num\"><a href=\"/ports/{0}\">{0}</a></td><td>{1}</td><td>{2}</td>"
                         "<td>{3}</td><td>{4}</td><td class=\"num\">{5}</td></tr>\n",
                         port, registry::ProtoName(p), StatusBadge(f.iana_status), E(f.best_name()), E(desc), rank);
    }
  }
  out += "</tbody>\n</table>\n<nav class=\"neighbours\">\n";
  if (lo > 0) {
    const uint32_t plo = lo >= count ? lo - count : 0;
    out += fmt::format("<a rel=\"prev\" href=\"/ports/{0}-{1}\">&larr; ports {0}-{1}</a>", plo, lo - 1u);
  } else {
    out += "<span></span>";
  }
  if (hi < 65535) {
    const uint32_t nhi = std::min<uint32_t>(65535, hi + count);
    out += fmt::format("<a rel=\"next\" href=\"/ports/{0}-{1}\">ports {0}-{1} &rarr;</a>", hi + 1u, nhi);
  }
  out += "\n</nav>\n" + layout.End();
  return out;
}

}  // namespace portscope::web
