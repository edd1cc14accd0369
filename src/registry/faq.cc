#include "registry/faq.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/text.h"
#include "registry/page.h"

namespace portscope::registry {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

std::string UpperProto(Proto p) {
  std::string s(ProtoName(p));
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f >= 0.001 ? "%.2f%%" : "%.4f%%", f * 100);
  return buf;
}

// "a", "a and b", "a, b and c".
std::string JoinAnd(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return out;
}

std::string NameAndDescription(const ServiceFact& s) {
  std::string t = s.name.empty() ? "\"" + Str(s.description) + "\"" : Str(s.name);
  if (!s.name.empty() && !s.description.empty() && s.description != s.name)
    t += " (\"" + Str(s.description) + "\")";
  return t;
}

// Protocols grouped by what IANA says of them, so TCP and UDP twins read as one.
struct IanaGroup {
  IanaStatus status;
  bool listed;
  std::vector<std::string> services;  // assigned names with descriptions
  std::vector<Proto> protos;
};

std::vector<IanaGroup> GroupByIana(const std::vector<PortFacts>& facts) {
  std::vector<IanaGroup> groups;
  for (const PortFacts& f : facts) {
    std::vector<std::string> services;
    for (const auto& s : f.iana)
      if (s.status == EntryStatus::kAssigned) services.push_back(NameAndDescription(s));
    auto it = std::find_if(groups.begin(), groups.end(), [&](const IanaGroup& g) {
      return g.status == f.iana_status && g.listed == f.unassigned_listed && g.services == services;
    });
    if (it == groups.end())
      groups.push_back({f.iana_status, f.unassigned_listed, services, {f.ref.proto}});
    else
      it->protos.push_back(f.ref.proto);
  }
  return groups;
}

std::string AssignedAnswer(const Registry& reg, uint16_t port, const std::vector<PortFacts>& facts) {
  const std::string p = std::to_string(port);
  const LayerView* iana = reg.layer(SourceKind::kIana);
  if (!iana)
    return "portscope carries no IANA data in this installation, so it cannot say. Import the "
           "registry with `portscope db import service-names-port-numbers.csv`.";
  const auto groups = GroupByIana(facts);
  const bool all = std::all_of(groups.begin(), groups.end(),
                               [](const IanaGroup& g) { return g.status == IanaStatus::kAssigned; });
  const bool none = std::none_of(groups.begin(), groups.end(),
                                 [](const IanaGroup& g) { return g.status == IanaStatus::kAssigned; });
  std::string out = all ? "Yes. " : none ? "No. " : "";
  for (const IanaGroup& g : groups) {
    const std::string on = JoinProtos(g.protos, /*upper=*/true);
    switch (g.status) {
      case IanaStatus::kAssigned:
        out += "IANA assigns port " + p + " over " + on + " to " + JoinAnd(g.services) + ". ";
        break;
      case IanaStatus::kReserved:
        out += "IANA lists port " + p + " over " + on +
               " as Reserved: the number is held back, not assigned to any service. ";
        break;
      case IanaStatus::kUnassigned:
        out += g.listed ? "IANA lists port " + p + " over " + on + " as Unassigned. "
                        : "Port " + p + " over " + on +
                              " is not in IANA's registry, which lists every assigned port, so "
                              "no service is registered there. ";
        break;
      case IanaStatus::kUnknown:
        out += "The IANA data says nothing about port " + p + " over " + on + ". ";
        break;
    }
  }
  out += "Source: " + SourceLabel(iana) + ".";
  if (ClassOf(port) == RangeClass::kDynamic)
    out += " Ports 49152 to 65535 are the Dynamic Ports, which IANA never assigns (RFC 6335, "
           "section 6).";
  return out;
}

std::string UsesAnswer(uint16_t port, const std::vector<PortFacts>& facts) {
  const std::string p = std::to_string(port);
  std::vector<std::string> sentences;
  // Registered services, each with the protocols it is registered for.
  std::vector<std::pair<std::string, std::vector<Proto>>> registered;
  for (const PortFacts& f : facts)
    for (const auto& s : f.iana) {
      if (s.status != EntryStatus::kAssigned) continue;
      std::string what = NameAndDescription(s);
      auto it = std::find_if(registered.begin(), registered.end(),
                             [&](const auto& r) { return r.first == what; });
      if (it == registered.end()) registered.push_back({what, {f.ref.proto}});
      else it->second.push_back(f.ref.proto);
    }
  for (const auto& [what, protos] : registered)
    sentences.push_back("IANA registers " + what + " on it over " + JoinProtos(protos, true) + " (" +
                        SourceLabel(facts.front().iana_source) + ").");
  std::vector<std::string> local, nmap_names;
  for (const PortFacts& f : facts) {
    for (const auto& s : f.etc_services) {
      std::string n = "\"" + Str(s.name) + "\" over " + UpperProto(f.ref.proto);
      if (std::find(local.begin(), local.end(), n) == local.end()) local.push_back(n);
    }
    if (f.frequency && !f.frequency->name.empty() && f.frequency->name != f.best_name()) {
      std::string n = "\"" + Str(f.frequency->name) + "\" over " + UpperProto(f.ref.proto);
      if (std::find(nmap_names.begin(), nmap_names.end(), n) == nmap_names.end()) nmap_names.push_back(n);
    }
  }
  if (!local.empty()) {
    const LayerView* src = nullptr;
    for (const PortFacts& f : facts)
      if (!f.etc_services.empty()) src = f.etc_services.front().source;
    sentences.push_back("The local services database (" + SourceLabel(src) + ") names it " +
                        JoinAnd(local) + ".");
  }
  if (!nmap_names.empty()) sentences.push_back("nmap names what it finds there " + JoinAnd(nmap_names) + ".");
  std::vector<std::string> uses;
  for (const PortFacts& f : facts)
    for (const NoteFact& n : f.unofficial) {
      std::string u = Str(n.text) + " (source: " + Str(n.cited) + ")";
      if (std::find(uses.begin(), uses.end(), u) == uses.end()) uses.push_back(u);
    }
  if (!uses.empty()) sentences.push_back("Known unofficial uses: " + JoinAnd(uses) + ".");
  std::string out;
  if (sentences.empty())
    out = "None of portscope's sources names a service or a known use for port " + p + ". ";
  for (const auto& s : sentences) out += s + " ";
  out += "Any program may bind any free port, so on a given machine it can be something else: the "
         "commands on this page show which process holds it.";
  return out;
}

std::string BlockAnswer(uint16_t port, const std::vector<PortFacts>& facts) {
  const std::string p = std::to_string(port);
  std::string out = "Blocking port " + p +
                    " cuts off whatever listens on it from the hosts the rule covers. portscope "
                    "cannot know what your network needs; its sources say this much.";
  std::vector<std::string> services;
  for (const PortFacts& f : facts)
    for (const auto& s : f.iana)
      if (s.status == EntryStatus::kAssigned && !s.name.empty() &&
          std::find(services.begin(), services.end(), Str(s.name)) == services.end())
        services.push_back(Str(s.name));
  if (!services.empty())
    out += " IANA registers " + JoinAnd(services) + " on it: if you run that, the rule stops it.";
  else
    out += " IANA registers no service on it.";
  for (const PortFacts& f : facts) {
    if (!f.frequency) continue;
    const FrequencyFact& fr = *f.frequency;
    const std::string proto = UpperProto(f.ref.proto);
    if (fr.rank == 0)
      out += " nmap's research scans never found " + proto + " port " + p + " open.";
    else
      out += " nmap's research scans found " + proto + " port " + p + " open in " +
             Percent(fr.open_frequency) + " of scans (rank " + WithCommas(fr.rank) + " of " +
             WithCommas(fr.ranked) + ").";
  }
  if (ClassOf(port) == RangeClass::kDynamic)
    out += " It is a Dynamic Port (RFC 6335): operating systems pick such ports for the local end "
           "of outgoing connections, so a rule on it as a source port breaks ordinary traffic.";
  out += " Check which process holds it before you decide.";
  return out;
}

std::string OpenAnswer(uint16_t port, const std::vector<PortFacts>& facts) {
  const std::string p = std::to_string(port);
  std::string out = "Opening port " + p +
                    " exposes whatever program listens on it; the risk is that program's, not "
                    "the number's.";
  std::vector<std::string> notes;
  for (const PortFacts& f : facts)
    for (const NoteFact& n : f.security) {
      std::string t = Str(n.text) + " (source: " + Str(n.cited) + ")";
      if (std::find(notes.begin(), notes.end(), t) == notes.end()) notes.push_back(t);
    }
  std::vector<std::string> unauthorized;
  for (const PortFacts& f : facts)
    for (const auto& s : f.iana)
      if (!s.unauthorized.empty() &&
          std::find(unauthorized.begin(), unauthorized.end(), Str(s.unauthorized)) == unauthorized.end())
        unauthorized.push_back(Str(s.unauthorized));
  if (!notes.empty()) out += " portscope's security notes for it: " + JoinAnd(notes) + ".";
  for (const auto& u : unauthorized) out += " IANA records unauthorized use: \"" + u + "\".";
  if (notes.empty() && unauthorized.empty())
    out += " portscope records no security note for port " + p +
           "; that is an absence of records, not proof of safety.";
  if (ClassOf(port) == RangeClass::kSystem)
    out += " It is a System Port (0-1023): on Linux and other Unix systems only privileged "
           "processes may bind it by default.";
  return out;
}

}  // namespace

std::vector<FaqEntry> BuildFaq(const Registry& reg, uint16_t port) {
  std::vector<PortFacts> facts;
  for (Proto p : reg.DefaultProtos(port)) facts.push_back(reg.Lookup(PortRef{port, p}));
  const std::string p = std::to_string(port);
  return {
      {"Is port " + p + " assigned?", AssignedAnswer(reg, port, facts)},
      {"What uses port " + p + "?", UsesAnswer(port, facts)},
      {"Is it safe to block port " + p + "?", BlockAnswer(port, facts)},
      {"Is it safe to open port " + p + "?", OpenAnswer(port, facts)},
  };
}

}  // namespace portscope::registry
