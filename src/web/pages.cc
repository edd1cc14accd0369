#include "web/pages.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/html.h"
#include "base/text.h"
#include "registry/page.h"
#include "web/router.h"

namespace portscope::web {

using registry::Proto;
using registry::RangeClass;

namespace {

std::string E(std::string_view s) { return HtmlEscape(s); }

// Ports people come to look up although nmap rarely finds them open: the
// two that public pages wrongly call unassigned (DESIGN.md), and portscope's
// own default port.
constexpr uint16_t kAskedPorts[] = {2202, 2244, 8244};
constexpr size_t kTopTcp = 24;
constexpr size_t kTopUdp = 12;

std::string RangeText(RangeClass rc) {
  switch (rc) {
    case RangeClass::kSystem:
      return "assigned by IANA through IETF Review or IESG Approval; on Linux and other Unix systems only "
             "privileged processes may bind them by default.";
    case RangeClass::kUser:
      return "assigned by IANA through IETF Review, IESG Approval or Expert Review, to anyone who needs a "
             "fixed number for a service.";
    case RangeClass::kDynamic:
      return "never assigned: left for private use and for the ephemeral ports operating systems pick for "
             "outgoing connections.";
  }
  return "";
}

void PortList(std::string* out, const std::vector<HomeStats::PortName>& ports) {
  *out += "<ul class=\"links\">\n";
  for (const auto& p : ports) {
    *out += fmt::format("<li><a href=\"/ports/{0}\">{0}</a>", p.port);
    if (!p.name.empty()) *out += " " + E(p.name);
    *out += "</li>\n";
  }
  *out += "</ul>\n";
}

}  // namespace

std::string_view MatchKind(int score) {
  switch (score) {
    case 0: return "exact name or port";
    case 1: return "alias or RFC";
    case 2: return "name prefix";
    case 3: return "in name";
    case 4: return "description word";
    case 5: return "in description or assignee";
  }
  return "match";
}

HomeStats ComputeHomeStats(const registry::Registry& reg) {
  HomeStats s;
  for (RangeClass rc : {RangeClass::kSystem, RangeClass::kUser, RangeClass::kDynamic})
    s.ranges.push_back({rc, static_cast<uint32_t>(registry::RangeLast(rc)) - registry::RangeFirst(rc) + 1,
                        reg.CountAssigned(rc, Proto::kTcp), reg.CountAssigned(rc, Proto::kUdp)});
  if (const registry::LayerView* nmap = reg.layer(registry::SourceKind::kNmap)) {
    std::vector<const registry::FrequencyRecord*> ranked;
    for (const auto& r : nmap->frequencies)
      if (r.rank > 0) ranked.push_back(&r);
    std::sort(ranked.begin(), ranked.end(), [](auto* a, auto* b) { return a->rank < b->rank; });
    for (const auto* r : ranked) {
      auto& list = r->proto == Proto::kTcp ? s.top_tcp : s.top_udp;
      const size_t cap = r->proto == Proto::kTcp ? kTopTcp : kTopUdp;
      if ((r->proto != Proto::kTcp && r->proto != Proto::kUdp) || list.size() >= cap) continue;
      std::string name(reg.LookupBrief({r->port, r->proto}).name);
      if (name.empty()) name = nmap->Str(r->name);
      list.push_back({r->port, r->proto, name});
    }
  }
  for (uint16_t p : kAskedPorts)
    s.asked.push_back({p, Proto::kTcp, std::string(reg.LookupBrief({p, Proto::kTcp}).name)});
  return s;
}

std::string RenderHomePage(const registry::Registry& reg, const Layout& layout, const HomeStats& stats) {
  std::string out = layout.Start({"portscope: what is this port?",
                                  "What a network port is, from the IANA registry, nmap's scan data and curated "
                                  "notes, each fact with its source.",
                                  ""});
  out += "<h1>What is this port?</h1>\n"
         "<form class=\"search big\" action=\"/search\" method=\"get\" role=\"search\">\n"
         "<input type=\"search\" name=\"q\" aria-label=\"Search ports\" maxlength=\"200\" autofocus "
         "placeholder=\"2244, postgresql, NMS Server, rfc6335\">\n"
         "<button type=\"submit\">Search</button>\n</form>\n"
         "<p>Search by port number, service name, description, assignee or RFC. Every fact portscope shows "
         "names its source, and where the sources are silent it says so.</p>\n";

  const registry::LayerView* iana = reg.layer(registry::SourceKind::kIana);
  out += "<h2>The three port ranges</h2>\n<p>RFC 6335, section 6, divides the 65,536 port numbers of TCP, UDP, "
         "SCTP and DCCP into three ranges:</p>\n<table>\n<thead><tr><th>Range</th><th>Ports</th>"
         "<th class=\"num\">Size</th><th class=\"num\">TCP assigned</th><th class=\"num\">TCP not assigned</th>"
         "<th class=\"num\">UDP assigned</th><th class=\"num\">UDP not assigned</th></tr></thead>\n<tbody>\n";
  for (const auto& r : stats.ranges) {
    const uint16_t first = registry::RangeFirst(r.range);
    const uint16_t last = registry::RangeLast(r.range);
    const uint32_t shown_hi = std::min<uint32_t>(last, first + 1023u);
    out += fmt::format(
        "<tr><td><a href=\"/ports/{0}-{1}\">{2}</a></td><td>{0}-{3}</td><td class=\"num\">{4}</td>"
        "<td class=\"num\">{5}</td><td class=\"num\">{6}</td><td class=\"num\">{7}</td><td class=\"num\">{8}</td></tr>\n",
        first, shown_hi, registry::RangeTitle(r.range), last, WithCommas(r.size), WithCommas(r.assigned_tcp),
        WithCommas(r.size - r.assigned_tcp), WithCommas(r.assigned_udp), WithCommas(r.size - r.assigned_udp));
  }
  out += "</tbody>\n</table>\n<ul>\n";
  for (const auto& r : stats.ranges)
    out += fmt::format("<li><strong>{}</strong> ({}-{}): {}</li>\n", registry::RangeTitle(r.range),
                       registry::RangeFirst(r.range), registry::RangeLast(r.range), RangeText(r.range));
  out += "</ul>\n";
  out += iana ? "<p class=\"muted\">Counts from " + SourceTagHtml(iana) + " " + E(registry::SourceLabel(iana)) +
                    ". A port counts as assigned when IANA registers at least one service on it for that "
                    "protocol; \"not assigned\" is every other port of the range, unassigned or reserved.</p>\n"
              : std::string("<p class=\"muted\">This installation carries no IANA data, so no port counts as "
                            "assigned. Import it with <code>portscope db import "
                            "service-names-port-numbers.csv</code>.</p>\n");

  if (!stats.top_tcp.empty()) {
    out += "<h2>Most often found open</h2>\n<p>The ports nmap's research scans found open most often " +
           SourceTagHtml(reg.layer(registry::SourceKind::kNmap)) + ". TCP:</p>\n";
    PortList(&out, stats.top_tcp);
    out += "<p>UDP:</p>\n";
    PortList(&out, stats.top_udp);
  }
  out += "<h2>Often looked up</h2>\n";
  PortList(&out, stats.asked);
  out += layout.End();
  return out;
}

std::string RenderSearchPage(const Layout& layout, const SearchQuery& q,
                             const std::vector<registry::SearchHit>& hits) {
  const bool asked = !Trim(q.text).empty();
  std::string out = layout.Start({asked ? "Search: " + q.text + " - portscope" : "Search - portscope", "", q.text});
  out += asked ? "<h1>Ports matching &ldquo;" + E(q.text) + "&rdquo;</h1>\n" : "<h1>Search ports</h1>\n";
  out += "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">\n"
         "<input type=\"search\" name=\"q\" aria-label=\"Search text\" maxlength=\"200\" value=\"" +
         E(q.text) + "\">\n<select name=\"proto\" aria-label=\"Protocol\">\n";
  out += fmt::format("<option value=\"\"{}>any protocol</option>\n", q.proto ? "" : " selected");
  for (Proto p : registry::kAllProtos)
    out += fmt::format("<option value=\"{0}\"{1}>{0}</option>\n", registry::ProtoName(p),
                       q.proto == p ? " selected" : "");
  out += fmt::format("</select>\n<input type=\"number\" name=\"limit\" aria-label=\"At most\" min=\"1\" "
                     "max=\"1000\" value=\"{}\">\n<button type=\"submit\">Search</button>\n</form>\n",
                     q.limit);
  if (!asked) {
    out += "<p>Type a port number, a service name (<code>postgresql</code>), words of a description "
           "(<code>NMS Server</code>) or an RFC (<code>rfc6335</code>).</p>\n" + layout.End();
    return out;
  }
  if (hits.empty()) {
    out += "<p>Nothing matches &ldquo;" + E(q.text) + "&rdquo;" +
           (q.proto ? fmt::format(" over {}", registry::ProtoName(*q.proto)) : std::string()) + ".</p>\n" +
           layout.End();
    return out;
  }
  out += fmt::format("<p>{} result{}, best first{}. As JSON: <a href=\"/api/search?q={}&amp;limit={}{}\">"
                     "<code>/api/search</code></a>.</p>\n",
                     hits.size(), hits.size() == 1 ? "" : "s",
                     hits.size() >= q.limit ? fmt::format(" (the first {})", q.limit) : "",
                     UrlEncodeComponent(q.text), q.limit,
                     q.proto ? "&amp;proto=" + std::string(registry::ProtoName(*q.proto)) : "");
  out += "<table class=\"results\">\n<thead><tr><th class=\"num\">Port</th><th>Proto</th><th>Name</th>"
         "<th>Description</th><th>Match</th><th>Source</th></tr></thead>\n<tbody>\n";
  for (const auto& h : hits) {
    const std::string ports = h.port_hi == h.ref.port ? std::to_string(h.ref.port)
                                                      : fmt::format("{}-{}", h.ref.port, h.port_hi);
    out += fmt::format("<tr><td class=\"num\"><a href=\"/ports/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td><td>{}</td></tr>\n",
                       ports, ports,
                       registry::ProtoName(h.ref.proto), E(h.name), E(h.description), MatchKind(h.score),
                       SourceTagHtml(h.source));
  }
  out += "</tbody>\n</table>\n" + layout.End();
  return out;
}

std::string RenderErrorPage(const Layout& layout, int status, std::string_view message) {
  std::string out = layout.Start({fmt::format("{} {} - portscope", status, StatusText(status)), "", ""});
  out += fmt::format("<h1>{} {}</h1>\n<p>", status, StatusText(status));
  AppendHtmlEscaped(message, &out);
  out += "</p>\n<p><a href=\"/\">Start page</a> &middot; try the search box above, or a port page such as "
         "<a href=\"/ports/2244\"><code>/ports/2244</code></a>.</p>\n" + layout.End();
  return out;
}

}  // namespace portscope::web
