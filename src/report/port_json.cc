#include "report/port_json.h"

#include <fmt/format.h>

#include "base/text.h"
#include "registry/page.h"

namespace portscope::report {

using registry::IanaStatus;
using registry::LayerView;
using registry::PortFacts;

namespace {

std::string Ports(uint16_t lo, uint16_t hi) {
  return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
}

}  // namespace

std::string SourceTitle(const LayerView* l) {
  if (!l) return "";
  std::string detail(l->version);
  if (!l->date.empty() && l->version.find(l->date) == std::string_view::npos)
    detail += (detail.empty() ? "" : ", ") + std::string(l->date);
  return detail.empty() ? std::string(l->name) : fmt::format("{} ({})", l->name, detail);
}

nlohmann::ordered_json SourceJson(const LayerView* l) {
  nlohmann::ordered_json j;
  j["kind"] = registry::SourceKindKey(l->kind);
  j["name"] = l->name;
  // What a source does not say is null (docs/json.md), not "".
  j["version"] = l->version.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(l->version);
  j["date"] = l->date.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(l->date);
  return j;
}

nlohmann::ordered_json PortJson(const PortFacts& f) {
  using nlohmann::ordered_json;
  auto opt = [](std::string_view s) -> ordered_json {
    return s.empty() ? ordered_json(nullptr) : ordered_json(s);
  };
  ordered_json j;
  j["port"] = f.ref.port;
  j["proto"] = registry::ProtoName(f.ref.proto);
  j["range"] = registry::RangeKey(f.range);
  ordered_json iana;
  iana["status"] = registry::IanaStatusKey(f.iana_status);
  iana["listed"] = f.iana_status != IanaStatus::kUnassigned || f.unassigned_listed;
  iana["source"] = f.iana_source ? ordered_json(SourceTitle(f.iana_source)) : ordered_json(nullptr);
  ordered_json services = ordered_json::array();
  for (const auto& s : f.iana) {
    ordered_json o;
    o["name"] = opt(s.name);  // null for a row without a service (Reserved, Unassigned)
    o["status"] = registry::EntryStatusKey(s.status);
    o["ports"] = Ports(s.port_lo, s.port_hi);
    o["description"] = opt(s.description);
    o["assignee"] = opt(s.assignee);
    o["contact"] = opt(s.contact);
    o["reference"] = opt(s.reference);
    o["registered"] = opt(s.registered);
    o["modified"] = opt(s.modified);
    o["unauthorized_use"] = opt(s.unauthorized);
    o["notes"] = opt(s.notes);
    o["historic"] = s.historic();
    services.push_back(std::move(o));
  }
  iana["services"] = std::move(services);
  j["iana"] = std::move(iana);
  ordered_json names = ordered_json::array();
  for (const auto& s : f.etc_services) {
    ordered_json o;
    o["name"] = s.name;
    o["aliases"] = ordered_json::array();
    for (auto a : SplitWhitespace(s.aliases)) o["aliases"].push_back(a);
    o["source"] = SourceTitle(s.source);
    names.push_back(std::move(o));
  }
  j["services_file"] = std::move(names);
  if (f.frequency) {
    ordered_json fr;
    fr["open_frequency"] = f.frequency->open_frequency;
    fr["rank"] = f.frequency->rank == 0 ? ordered_json(nullptr) : ordered_json(f.frequency->rank);
    fr["ranked_ports"] = f.frequency->ranked;
    fr["nmap_name"] = opt(f.frequency->name);
    fr["source"] = SourceTitle(f.frequency->source);
    j["frequency"] = std::move(fr);
  } else {
    j["frequency"] = nullptr;
  }
  auto notes = [&](const std::vector<registry::NoteFact>& list, const char* key) {
    ordered_json arr = ordered_json::array();
    for (const auto& n : list) {
      ordered_json o;
      o[key] = n.text;
      o["ports"] = Ports(n.port_lo, n.port_hi);
      o["source"] = n.cited;
      arr.push_back(std::move(o));
    }
    return arr;
  };
  j["unofficial"] = notes(f.unofficial, "use");
  j["security"] = notes(f.security, "note");
  ordered_json cmds = ordered_json::object();
  for (const auto& c : registry::HolderCommands(f.ref)) {
    std::string key = ToLower(c.os);
    if (!cmds.contains(key)) cmds[key] = ordered_json::array();
    cmds[key].push_back(c.command);
  }
  j["commands"] = std::move(cmds);
  ordered_json sources = ordered_json::array();
  for (const LayerView* l : f.sources()) sources.push_back(SourceJson(l));
  j["sources"] = std::move(sources);
  return j;
}

nlohmann::ordered_json MatchJson(const registry::SearchHit& hit) {
  nlohmann::ordered_json j;
  j["name"] = hit.name;
  j["score"] = hit.score;
  j["source"] = SourceTitle(hit.source);
  return j;
}

std::string Dump(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace portscope::report
