#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/text.h"

namespace portscope::cli {

using registry::EntryStatus;
using registry::IanaStatus;
using registry::LayerView;
using registry::PortFacts;
using registry::SourceKind;

namespace {

std::string Wrap(std::string_view code, std::string_view s, bool on) {
  if (!on) return std::string(s);
  return fmt::format("\033[{}m{}\033[0m", code, s);
}

// Registry text comes from files the user may have imported: escape it.
std::string Safe(std::string_view s) { return EscapeForTerminal(s); }

std::string Percent(double f) {
  return f >= 0.001 ? fmt::format("{:.2f}%", f * 100) : fmt::format("{:.4f}%", f * 100);
}

std::string Ports(uint16_t lo, uint16_t hi) {
  return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
}

constexpr int kLabelWidth = 13;

class CardWriter {
 public:
  explicit CardWriter(const Style& s) : style_(s) {}
  void Line(std::string_view label, std::string_view text, std::string_view tag = {}) {
    out_ += fmt::format("  {:<{}}{}", label, kLabelWidth, text);
    if (!tag.empty()) out_ += "  " + style_.dim(tag);
    out_ += '\n';
  }
  void More(std::string_view text) { Line("", text); }
  std::string out_;

 private:
  const Style& style_;
};

}  // namespace

std::string Style::bold(std::string_view s) const { return Wrap("1", s, color); }
std::string Style::dim(std::string_view s) const { return Wrap("2", s, color); }
std::string Style::red(std::string_view s) const { return Wrap("31", s, color); }
std::string Style::green(std::string_view s) const { return Wrap("32", s, color); }
std::string Style::yellow(std::string_view s) const { return Wrap("33", s, color); }

std::string SourceTag(const LayerView* l) {
  if (!l) return "";
  switch (l->kind) {
    case SourceKind::kIana: return "[iana]";
    case SourceKind::kNmap: return "[nmap]";
    case SourceKind::kEtcServices: return "[services]";
    case SourceKind::kCurated: return "[curated]";
  }
  return "";
}

std::string RenderCard(const PortFacts& f, const Style& st, const std::string& here) {
  CardWriter w(st);
  const std::string port = fmt::format("{}/{}", f.ref.port, registry::ProtoName(f.ref.proto));
  std::string_view name = f.best_name();
  w.out_ += st.bold(port) + (name.empty() ? "" : "  " + st.bold(Safe(name))) + '\n';
  const auto rc = f.range;
  w.Line("range", fmt::format("{}, {}-{} (RFC 6335)", registry::RangeTitle(rc),
                              registry::RangeFirst(rc), registry::RangeLast(rc)));

  const std::string iana_tag = SourceTag(f.iana_source);
  // IANA's notes may run over several lines (80/tcp's www-http): one card
  // line each, indented under the first.
  auto note = [&](std::string_view text) {
    bool first = true;
    for (std::string_view line : Split(text, '\n')) {
      line = Trim(line);
      if (line.empty()) continue;
      w.More((first ? "note: " : "      ") + Safe(line));
      first = false;
    }
  };
  // A row's details line (`lead`, then its reference and dates), its notes
  // and what it says of unauthorized use.
  auto row_details = [&](const auto& s, const std::string& lead) {
    std::string joined = lead;
    auto add = [&joined](std::string_view label, std::string_view value) {
      if (!value.empty()) joined += (joined.empty() ? "" : ", ") + std::string(label) + " " + Safe(value);
    };
    add("reference", s.reference);
    add("registered", s.registered);
    add("modified", s.modified);
    if (!joined.empty()) w.More(joined);
    note(s.notes);
    if (!s.unauthorized.empty()) w.More(st.red("unauthorized use reported: ") + Safe(s.unauthorized));
  };
  switch (f.iana_status) {
    case IanaStatus::kAssigned:
      for (const auto& s : f.iana) {
        if (s.status != EntryStatus::kAssigned) continue;
        std::string head = st.green("assigned") + ": " + Safe(s.name);
        if (!s.description.empty()) head += " - " + Safe(s.description);
        if (s.port_lo != s.port_hi) head += fmt::format(" (range {})", Ports(s.port_lo, s.port_hi));
        if (s.historic()) head += " " + st.yellow("(historic)");
        w.Line("IANA", head, iana_tag);
        // The contact when it is not the assignee (http: [IESG], contact
        // [IETF_Chair]). Each row's own notes go under it: a port with several
        // assignments (80/tcp: http, www, www-http) has notes that belong to
        // one of them.
        std::string who = s.assignee.empty() ? "" : "assignee " + Safe(s.assignee);
        if (!s.contact.empty() && s.contact != s.assignee)
          who += (who.empty() ? "" : ", ") + std::string("contact ") + Safe(s.contact);
        row_details(s, who);
      }
      break;
    case IanaStatus::kReserved:
      w.Line("IANA", st.yellow("reserved") + " (not assigned to any service)", iana_tag);
      break;
    case IanaStatus::kUnassigned: {
      // A copy that lists assignments only (Wireshark's) cannot tell
      // Unassigned from Reserved (port 0, 1024, de-assigned numbers): say so.
      // A listed row may say more than "Unassigned" (1008/udp: "Possibly used
      // by Sun Solaris????"): its words are shown below.
      bool plain = true;
      for (const auto& s : f.iana) plain = plain && (s.description.empty() || s.description == "Unassigned");
      w.Line("IANA",
             st.yellow("unassigned") + (!f.unassigned_listed ? " (not listed: no assignment; IANA may list it as Reserved)"
                                        : plain              ? " (listed as Unassigned)"
                                                             : " (listed without a service name)"),
             iana_tag);
      break;
    }
    case IanaStatus::kUnknown:
      w.Line("IANA", "unknown: no IANA data loaded (portscope db import FILE)");
      break;
  }
  for (const auto& s : f.iana) {
    // Assignments' notes are under their own line above.
    if (f.iana_status == IanaStatus::kAssigned && s.status == EntryStatus::kAssigned) continue;
    if (s.status != EntryStatus::kAssigned && s.port_lo != s.port_hi && f.unassigned_listed)
      w.More(fmt::format("row covers {}", Ports(s.port_lo, s.port_hi)));
    // IANA's own words for a row without a service, when they say more than
    // its status ("De-registered", "Possibly used by ..."), and its reference
    // and dates, as an assignment's are shown.
    const bool says_more = s.status != EntryStatus::kAssigned && !s.description.empty() &&
                           s.description != "Unassigned" && s.description != "Reserved";
    row_details(s, says_more ? "IANA's row: " + Safe(s.description) : "");
  }
  if (f.iana_source && f.iana_status == IanaStatus::kAssigned &&
      f.iana_source->name.find("Wireshark") != std::string_view::npos)
    w.More(st.dim("assignee, reference and dates: not in Wireshark's copy (portscope db import the IANA CSV)"));

  for (const auto& s : f.etc_services) {
    std::string t = Safe(s.name);
    if (!s.aliases.empty()) t += " (aliases: " + Safe(s.aliases) + ")";
    w.Line("services", t, SourceTag(s.source));
  }

  if (f.frequency) {
    const auto& fr = *f.frequency;
    std::string t = fr.rank == 0
                        ? std::string("never seen open in nmap's scan data")
                        : fmt::format("open-frequency {}, rank {} of the {} {} ports nmap saw open", Percent(fr.open_frequency),
                                      WithCommas(fr.rank), WithCommas(fr.ranked),
                                      registry::ProtoName(f.ref.proto));
    if (!fr.name.empty() && fr.name != name) t += fmt::format(" (nmap: {})", Safe(fr.name));
    w.Line("seen open", t, SourceTag(fr.source));
  } else {
    w.Line("seen open", "no nmap data for this port");
  }

  auto notes = [&](std::string_view label, const std::vector<registry::NoteFact>& list, bool red) {
    if (list.empty()) {
      w.Line(label, st.dim("none recorded"));
      return;
    }
    bool first = true;
    for (const auto& n : list) {
      std::string text = Safe(n.text);
      if (n.port_lo != n.port_hi) text += fmt::format(" (ports {})", Ports(n.port_lo, n.port_hi));
      w.Line(first ? label : "", red ? st.red(text) : text,
             SourceTag(n.source) + " " + Safe(n.cited));
      first = false;
    }
  };
  notes("unofficial", f.unofficial, false);
  notes("security", f.security, true);

  if (!here.empty()) w.Line("here", here);
  std::string last_os;
  bool first = true;
  if (f.ref.port == 0) w.Line("who holds it", st.dim(registry::kPortZeroHolders));
  for (const auto& c : registry::HolderCommands(f.ref)) {
    std::string os = c.os == last_os ? std::string() : c.os;
    last_os = c.os;
    w.Line(first ? "who holds it" : "", fmt::format("{:<8} {}", os, c.command));
    first = false;
  }
  return w.out_;
}

std::string RenderLegend(const std::vector<const LayerView*>& used, const Style& st) {
  std::string out;
  for (const LayerView* l : used)
    out += st.dim(fmt::format("{:<11} {}", SourceTag(l), SourceTitle(l))) + '\n';
  return out;
}

std::string RenderArticle(const registry::Article& a, const Style& st, size_t width) {
  std::string out = st.bold(Safe(a.title)) + "\n\n";
  auto wrap = [&](std::string_view text) {
    std::string line;
    for (auto word : SplitWhitespace(text)) {
      if (!line.empty() && line.size() + 1 + word.size() > width) {
        out += line + '\n';
        line.clear();
      }
      line += (line.empty() ? "" : " ") + std::string(word);
    }
    if (!line.empty()) out += line + '\n';
  };
  for (const auto& sec : a.sections) {
    out += st.bold(sec.heading) + '\n';
    for (size_t i = 0; i < sec.paragraphs.size(); ++i) {
      const auto& p = sec.paragraphs[i];
      wrap(Safe(p.text));
      for (const auto& c : p.code) out += "    " + Safe(c) + '\n';
      // A blank line between paragraphs, except after a lead-in to commands.
      if (i + 1 < sec.paragraphs.size() && sec.paragraphs[i + 1].code.empty()) out += '\n';
    }
    out += '\n';
  }
  return out;
}

}  // namespace portscope::cli
