#include "report/canary_json.h"

#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope::report {

using store::Transport;

nlohmann::ordered_json ReportJson(const store::Report& r, const registry::Registry& reg, const std::string& db_path) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["since"] = store::FormatRfc3339(r.since_us);
  j["until"] = store::FormatRfc3339(r.until_us);
  j["database"] = db_path;
  j["totals"] = {{"probes", r.events_stored + r.probes_summarized}, {"events_stored", r.events_stored},
                 {"probes_summarized", r.probes_summarized}, {"summary_rows", r.summary_rows},
                 {"sources", r.sources}, {"scans", r.scans}};
  Json sources = Json::array();
  for (const auto& s : r.top_sources)
    sources.push_back({{"ip", s.src.ToString()}, {"probes", s.probes}, {"ports", s.ports}, {"scans", s.scans},
                       {"first", store::FormatRfc3339(s.first_us)}, {"last", store::FormatRfc3339(s.last_us)}});
  j["top_sources"] = std::move(sources);
  Json ports = Json::array();
  for (const auto& p : r.top_ports) {
    Json row = {{"port", p.port}, {"transport", std::string(store::TransportName(p.transport))}};
    if ((p.transport == Transport::kTcp || p.transport == Transport::kUdp)) {
      auto brief = reg.LookupBrief({p.port, p.transport == Transport::kTcp ? registry::Proto::kTcp : registry::Proto::kUdp});
      row["service"] = brief.name.empty() ? Json(nullptr) : Json(std::string(brief.name));
      row["iana_status"] = std::string(registry::IanaStatusKey(brief.status));
    } else {
      row["service"] = nullptr;
      row["iana_status"] = nullptr;
    }
    row["probes"] = p.probes;
    row["sources"] = p.sources;
    ports.push_back(std::move(row));
  }
  j["top_ports"] = std::move(ports);
  Json kinds = Json::array();
  for (const auto& k : r.scan_kinds)
    kinds.push_back({{"kind", std::string(store::ScanKindName(k.kind))}, {"scans", k.scans}, {"probes", k.probes}});
  j["scan_kinds"] = std::move(kinds);
  Json hints = Json::array();
  for (const auto& h : r.tool_hints) hints.push_back({{"tool", h.hint}, {"scans", h.scans}});
  j["tool_hints"] = std::move(hints);
  Json buckets = Json::array();
  for (size_t i = 0; i < r.timeline_probes.size(); ++i)
    buckets.push_back({{"start", store::FormatRfc3339(r.since_us + i * r.bucket_us)},
                       {"probes", r.timeline_probes[i]},
                       {"scans", r.timeline_scans[i]}});
  j["timeline"] = {{"bucket_seconds", r.bucket_us / 1000000}, {"buckets", std::move(buckets)}};
  j["writer"] = {{"runs", r.runs}, {"events_dropped", r.events_dropped}, {"alerts_dropped", r.alerts_dropped},
                 {"sources_evicted", r.sources_evicted}, {"sink_errors", r.sink_errors}};
  return j;
}

nlohmann::ordered_json EventsJson(const std::vector<store::Event>& events) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  store::EcsOptions ecs;
  for (const auto& e : events) arr.push_back(store::EventToEcs(e, ecs));
  return arr;
}

nlohmann::ordered_json AlertsJson(const std::vector<store::AlertRecord>& alerts) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  store::EcsOptions ecs;
  for (const auto& a : alerts) arr.push_back(store::AlertToEcs(a, ecs));
  return arr;
}

}  // namespace portscope::report
