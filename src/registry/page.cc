#include "registry/page.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "base/text.h"

namespace portscope::registry {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string PortWord(const ServiceFact& s) {
  if (s.port_lo == s.port_hi) return "port " + std::to_string(s.port_lo);
  return "ports " + std::to_string(s.port_lo) + "-" + std::to_string(s.port_hi);
}

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f >= 0.001 ? "%.2f%%" : "%.4f%%", f * 100);
  return buf;
}

// Sentence about what one IANA row says, e.g.
// `nmsserver ("NMS Server"), assignee Dmitry_Krasnonosenki`.
std::string DescribeService(const ServiceFact& s) {
  std::string t = s.name.empty() ? Str(s.description) : Str(s.name);
  if (!s.name.empty() && !s.description.empty() && s.description != s.name)
    t += " (\"" + Str(s.description) + "\")";
  if (s.port_lo != s.port_hi) t += ", a row covering " + PortWord(s);
  return t;
}

void AddIanaParagraphs(const Registry& reg, uint16_t port, const std::vector<Proto>& protos,
                       Section* sec) {
  const LayerView* iana = reg.layer(SourceKind::kIana);
  if (!iana) {
    sec->paragraphs.push_back({"This build of portscope carries no IANA registry data, so it "
                               "cannot say whether IANA assigns port " +
                                   std::to_string(port) +
                                   ". Import the registry with `portscope db import "
                                   "service-names-port-numbers.csv`.",
                               {}});
    return;
  }
  // Group protocols that IANA treats alike, so TCP and UDP twins read as one.
  std::map<std::string, std::vector<Proto>> groups;
  std::map<std::string, PortFacts> facts_of;
  for (Proto p : protos) {
    PortFacts f = reg.Lookup(PortRef{port, p});
    std::string key = Str(IanaStatusKey(f.iana_status));
    for (const auto& s : f.iana) key += "|" + Str(s.name) + "|" + Str(s.description) + "|" + Str(s.notes);
    groups[key].push_back(p);
    facts_of.emplace(key, std::move(f));
  }
  for (auto& [key, group] : groups) {
    const PortFacts& f = facts_of.at(key);
    std::string on = JoinProtos(group, /*upper=*/true);
    std::string p = std::to_string(port);
    std::string text;
    switch (f.iana_status) {
      case IanaStatus::kAssigned: {
        std::vector<std::string> names;
        for (const auto& s : f.iana)
          if (s.status == EntryStatus::kAssigned) names.push_back(DescribeService(s));
        text = "IANA assigns port " + p + " over " + on + " to ";
        for (size_t i = 0; i < names.size(); ++i)
          text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
        text += ", according to " + SourceLabel(iana) + ".";
        for (const auto& s : f.iana) {
          if (s.status != EntryStatus::kAssigned) continue;
          std::string who = s.name.empty() ? "this entry" : Str(s.name);
          if (!s.assignee.empty()) text += " The assignee of " + who + " is " + Str(s.assignee) + ".";
          if (!s.reference.empty()) text += " Its reference is " + Str(s.reference) + ".";
          if (!s.registered.empty()) text += " It was registered on " + Str(s.registered) + ".";
          if (!s.modified.empty()) text += " Its entry was last modified on " + Str(s.modified) + ".";
          if (s.historic()) text += " The entry marks itself as historic or withdrawn.";
        }
        break;
      }
      case IanaStatus::kReserved:
        text = "IANA lists port " + p + " over " + on + " as Reserved, according to " +
               SourceLabel(iana) + ": the number is held back and not assigned to any service.";
        break;
      case IanaStatus::kUnassigned:
        if (f.unassigned_listed) {
          const ServiceFact* row = nullptr;
          for (const auto& s : f.iana)
            if (s.status == EntryStatus::kUnassigned) row = &s;
          text = "IANA lists port " + p + " over " + on + " as unassigned";
          if (row && row->port_lo != row->port_hi) text += " (its row covers " + PortWord(*row) + ")";
          if (row && !row->modified.empty()) text += ", in an entry dated " + Str(row->modified);
          text += ", according to " + SourceLabel(iana) + ".";
          if (row && row->description != "Unassigned" && !row->description.empty())
            text += " The entry reads \"" + Str(row->description) + "\".";
          text += " No service is registered there.";
        } else {
          text = "Port " + p + " over " + on + " does not appear in " + SourceLabel(iana) +
                 ". That copy lists every assigned port, so IANA had not assigned this one "
                 "when the copy was made.";
        }
        break;
      case IanaStatus::kUnknown:
        break;
    }
    for (const auto& s : f.iana) {
      if (!s.notes.empty()) text += " IANA's assignment note: \"" + Str(s.notes) + "\"";
      if (!s.unauthorized.empty())
        text += " IANA records unauthorized use: \"" + Str(s.unauthorized) + "\".";
    }
    sec->paragraphs.push_back({text, {}});
  }
  if (iana->name.find("Wireshark") != std::string_view::npos)
    sec->paragraphs.push_back(
        {"Wireshark's copy keeps service names and descriptions but not assignees, references or "
         "dates. For those, import the IANA CSV: `portscope db import "
         "service-names-port-numbers.csv`.",
         {}});
}

}  // namespace

std::string SourceLabel(const LayerView* l) {
  if (!l) return "no source";
  std::string s = Str(l->name);
  std::string detail = Str(l->version);
  if (!l->date.empty() && l->version.find(l->date) == std::string_view::npos)
    detail += (detail.empty() ? "" : ", ") + Str(l->date);
  if (!detail.empty()) s += " (" + detail + ")";
  return s;
}

std::string JoinProtos(const std::vector<Proto>& protos, bool upper) {
  std::string out;
  for (size_t i = 0; i < protos.size(); ++i) {
    if (i > 0) out += (i + 1 == protos.size()) ? " and " : ", ";
    out += upper ? Upper(ProtoName(protos[i])) : std::string(ProtoName(protos[i]));
  }
  return out;
}

std::vector<HolderCommand> HolderCommands(PortRef ref) {
  if (ref.port == 0) return {};
  const std::string p = std::to_string(ref.port);
  switch (ref.proto) {
    case Proto::kTcp:
      return {{"Linux", "ss -tanp 'sport = :" + p + "'", "root shows every user's processes"},
              {"Linux", "sudo lsof -nP -iTCP:" + p, ""},
              {"macOS", "sudo lsof -nP -iTCP:" + p, ""},
              {"Windows", "netstat -ano | findstr :" + p, "the last column is the PID; see tasklist"},
              {"Windows", "Get-NetTCPConnection -LocalPort " + p + " | Select-Object LocalAddress,State,OwningProcess", "PowerShell"}};
    case Proto::kUdp:
      return {{"Linux", "ss -uanp 'sport = :" + p + "'", "root shows every user's processes"},
              {"Linux", "sudo lsof -nP -iUDP:" + p, ""},
              {"macOS", "sudo lsof -nP -iUDP:" + p, ""},
              {"Windows", "netstat -ano -p UDP | findstr :" + p, "the last column is the PID; see tasklist"},
              {"Windows", "Get-NetUDPEndpoint -LocalPort " + p + " | Select-Object LocalAddress,OwningProcess", "PowerShell"}};
    case Proto::kSctp:
      return {{"Linux", "ss -Sanp 'sport = :" + p + "'", "needs the sctp module loaded"}};
    case Proto::kDccp:
      return {{"Linux", "ss -danp 'sport = :" + p + "'", "needs the dccp module loaded"}};
  }
  return {};
}

Article BuildArticle(const Registry& reg, uint16_t port) {
  Article a;
  a.port = port;
  const std::vector<Proto> protos = reg.DefaultProtos(port);
  std::vector<PortFacts> facts;
  for (Proto p : protos) facts.push_back(reg.Lookup(PortRef{port, p}));
  const std::string p = std::to_string(port);

  std::string_view name;
  for (const auto& f : facts)
    if (f.iana_status == IanaStatus::kAssigned && name.empty()) name = f.best_name();
  bool any_reserved = false;
  for (const auto& f : facts) any_reserved |= f.iana_status == IanaStatus::kReserved;
  a.title = "Port " + p + ": " +
            (!name.empty()       ? Str(name)
             : any_reserved      ? std::string("reserved by IANA")
             : reg.layer(SourceKind::kIana) ? std::string("not assigned by IANA")
                                            : std::string("no IANA data"));

  Section what{"What port " + p + " is", {}};
  AddIanaParagraphs(reg, port, protos, &what);
  for (const auto& f : facts) {
    for (const auto& s : f.etc_services) {
      std::string t = "The local services database (" + SourceLabel(s.source) + ") names " +
                      Str(ProtoName(f.ref.proto)) + " port " + p + " \"" + Str(s.name) + "\"";
      if (!s.aliases.empty()) t += ", with the aliases " + Str(s.aliases);
      what.paragraphs.push_back({t + ".", {}});
    }
  }
  a.sections.push_back(std::move(what));

  const RangeClass rc = ClassOf(port);
  Section range{"The range it belongs to", {}};
  std::string rt = "Port " + p + " is one of the " + Str(RangeTitle(rc)) + ", " +
                   std::to_string(RangeFirst(rc)) + " to " + std::to_string(RangeLast(rc)) +
                   " (RFC 6335, section 6). ";
  switch (rc) {
    case RangeClass::kSystem:
      rt += "IANA assigns these through IETF Review or IESG Approval. On Linux and other Unix "
            "systems only privileged processes may bind them by default.";
      break;
    case RangeClass::kUser:
      rt += "IANA assigns these through IETF Review, IESG Approval or Expert Review, on request "
            "by anyone who needs a fixed number for a service.";
      break;
    case RangeClass::kDynamic:
      rt += "IANA never assigns these: they are left for private use and for the temporary "
            "(ephemeral) ports that operating systems pick for outgoing connections, so a "
            "process you did not expect may hold one for a short while.";
      break;
  }
  if (reg.layer(SourceKind::kIana) && rc != RangeClass::kDynamic) {
    const uint32_t size = RangeLast(rc) - RangeFirst(rc) + 1u;
    rt += " In " + SourceLabel(reg.layer(SourceKind::kIana)) + ", " +
          WithCommas(reg.CountAssigned(rc, Proto::kTcp)) + " of these " + WithCommas(size) +
          " ports are assigned for TCP and " + WithCommas(reg.CountAssigned(rc, Proto::kUdp)) +
          " for UDP.";
  }
  range.paragraphs.push_back({rt, {}});
  a.sections.push_back(std::move(range));

  Section seen{"How often it is seen open", {}};
  for (const auto& f : facts) {
    if (!f.frequency) continue;
    const FrequencyFact& fr = *f.frequency;
    std::string proto = Upper(ProtoName(f.ref.proto));
    std::string t;
    if (fr.rank == 0) {
      t = "According to " + SourceLabel(fr.source) + ", nmap's research scans never found " +
          proto + " port " + p + " open.";
    } else {
      t = "According to " + SourceLabel(fr.source) + ", nmap's research scans found " + proto +
          " port " + p + " open with a frequency of " + Percent(fr.open_frequency) +
          ", which ranks it " + WithCommas(fr.rank) + " of the " + WithCommas(fr.ranked) + " " +
          proto + " ports they ever found open.";
    }
    if (!fr.name.empty() && fr.name != f.best_name())
      t += " nmap names what it finds there \"" + Str(fr.name) + "\".";
    seen.paragraphs.push_back({t, {}});
  }
  if (seen.paragraphs.empty())
    seen.paragraphs.push_back({"nmap-services has no entry for port " + p + ".", {}});
  a.sections.push_back(std::move(seen));

  Section uses{"Known uses and security notes", {}};
  std::vector<std::string> seen_text;
  for (const auto& f : facts) {
    for (const auto* list : {&f.unofficial, &f.security}) {
      for (const NoteFact& n : *list) {
        std::string t = (n.kind == NoteKind::kSecurity ? "Security note: " : "Unofficial use: ") +
                        Str(n.text) + " (source: " + Str(n.cited) + ").";
        if (std::find(seen_text.begin(), seen_text.end(), t) != seen_text.end()) continue;
        seen_text.push_back(t);
        uses.paragraphs.push_back({t, {}});
      }
    }
  }
  if (uses.paragraphs.empty())
    uses.paragraphs.push_back(
        {"portscope's curated facts record no unofficial use and no security note for port " + p +
             ". That is an absence of records, not proof that nothing uses it.",
         {}});
  a.sections.push_back(std::move(uses));

  Section todo{"What to do if you see it", {}};
  if (port == 0) {
    // ip(7): "if the port is zero ... the socket is bound to an ephemeral port".
    todo.paragraphs.push_back({std::string("Which process holds port 0? ") + kPortZeroHolders + ".", {}});
  } else {
    todo.paragraphs.push_back(
        {"To see which process holds port " + p + " on a machine, run one of these:", {}});
  }
  for (const auto& f : facts) {
    if (port == 0) break;
    Paragraph cmds{Upper(ProtoName(f.ref.proto)) + ":", {}};
    for (const auto& c : HolderCommands(f.ref)) {
      std::string os = c.os + ":";
      os.resize(std::max<size_t>(os.size(), 9), ' ');
      cmds.code.push_back(os + c.command);
    }
    todo.paragraphs.push_back(std::move(cmds));
  }
  todo.paragraphs.push_back(
      {"A listener you did not expect: find its process with the commands above, check its "
       "executable and its parent service, and stop it or firewall the port if nobody can "
       "account for it. Inbound traffic you did not expect: record the source and the first "
       "bytes, do not answer it, and look at what else that source has touched.",
       {}});
  a.sections.push_back(std::move(todo));

  Section why{"Why assignments and gaps matter", {}};
  why.paragraphs.push_back(
      {"An IANA assignment records who asked for a number and for what; it does not say what "
       "runs on the port on a given machine, because any program may bind any free port.",
       {}});
  bool unassigned = std::all_of(facts.begin(), facts.end(), [](const PortFacts& f) {
    return f.iana_status == IanaStatus::kUnassigned;
  });
  if (unassigned)
    why.paragraphs.push_back(
        {"Port " + p + " has no registered service, so a listener on it is a program that chose "
         "the number for itself, and traffic to it is either aimed at such a program or a probe. "
         "That makes unassigned ports good tripwires: whatever touches one deserves a look.",
         {}});
  a.sections.push_back(std::move(why));

  Section sources{"Sources", {}};
  std::vector<const LayerView*> used;
  for (const auto& f : facts)
    for (const LayerView* l : f.sources())
      if (std::find(used.begin(), used.end(), l) == used.end()) used.push_back(l);
  if (const LayerView* iana = reg.layer(SourceKind::kIana);
      iana && std::find(used.begin(), used.end(), iana) == used.end())
    used.insert(used.begin(), iana);
  for (const LayerView* l : used) sources.paragraphs.push_back({SourceLabel(l), {}});
  sources.paragraphs.push_back({"RFC 6335, Internet Assigned Numbers Authority (IANA) Procedures "
                                "for the Management of the Service Name and Transport Protocol "
                                "Port Number Registry, section 6 (port ranges)",
                                {}});
  a.sections.push_back(std::move(sources));
  return a;
}

}  // namespace portscope::registry
