#include "notify/templates.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope::notify {
namespace {

using Json = nlohmann::ordered_json;
using store::AlertRecord;

// Width of the port list in a notification; the generic body carries every
// port the alert lists (the store's caps).
constexpr size_t kPortsChars = 100;

// The lowest ports of the scan as runs ("40100-40110"), ",..." when it has more.
std::string PortList(const AlertRecord& a) {
  const std::string s = PortRuns(a.ports, kPortsChars, a.port_count > a.ports.size());
  return s.empty() ? "-" : s;
}

std::string SourceList(const Digest& d) {
  std::string s;
  for (size_t i = 0; i < d.sources.size(); ++i) s += (i ? ", " : "") + d.sources[i].ToString();
  if (d.sources_unlisted) s += fmt::format(" and {} from other sources", CountOf(d.sources_unlisted, "notification", "notifications"));
  return s;
}

// Slack reads &, < and > as markup (links, mentions): its documented escapes.
std::string SlackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// (label, value) pairs shared by the Slack and Teams renderings.
std::vector<std::pair<std::string, std::string>> AlertFacts(const AlertRecord& a) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"Source", a.source.ToString()},
      {"Scan", fmt::format("{} ({})", store::ScanKindName(a.kind), store::ScanShapeName(a.shape))},
      {"State", a.ended_reason.empty() ? std::string(store::AlertPhaseName(a.phase))
                                       : fmt::format("{} ({})", store::AlertPhaseName(a.phase), a.ended_reason)},
      {"Ports", fmt::format("{}: {}", a.port_count, PortList(a))},
      {"Probes", std::to_string(a.probes)},
      {"First seen", store::FormatRfc3339(a.first_seen_us)},
      {"Last seen", store::FormatRfc3339(a.last_seen_us)},
      {"Algorithms", store::JoinAlgorithms(a.algorithms)},
  };
  if (!a.sensor.empty()) f.insert(f.begin(), {"Sensor", a.sensor});
  if (!a.tool_hint.empty()) f.push_back({"Tool", a.tool_hint});
  return f;
}

std::vector<std::pair<std::string, std::string>> DigestFacts(const Digest& d) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"Held back", std::to_string(d.held)},
      {"New scans", std::to_string(d.scans_started)},
      {"Scan ends", std::to_string(d.scans_ended)},
      {"From", store::FormatRfc3339(d.first_us)},
      {"To", store::FormatRfc3339(d.last_us)},
      {"Sources", SourceList(d)},
  };
  if (!d.sensor.empty()) f.insert(f.begin(), {"Sensor", d.sensor});
  return f;
}

std::string Slack(const std::string& headline, const std::vector<std::pair<std::string, std::string>>& facts) {
  Json fields = Json::array();
  // Slack allows at most 10 fields in a section.
  for (size_t i = 0; i < facts.size() && i < 10; ++i)
    fields.push_back({{"type", "mrkdwn"}, {"text", "*" + SlackEscape(facts[i].first) + "*\n" + SlackEscape(facts[i].second)}});
  Json j;
  j["text"] = SlackEscape(headline);  // what notifications and clients without blocks show
  j["blocks"] = Json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "*" + SlackEscape(headline) + "*"}}}},
                             {{"type", "section"}, {"fields", std::move(fields)}}});
  return store::DumpLine(j);
}

std::string Teams(const std::string& headline, const std::vector<std::pair<std::string, std::string>>& facts) {
  Json fact_list = Json::array();
  for (const auto& [k, v] : facts) fact_list.push_back({{"title", k}, {"value", v}});
  Json card;
  card["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json";
  card["type"] = "AdaptiveCard";
  card["version"] = "1.4";
  card["body"] = Json::array({{{"type", "TextBlock"}, {"text", headline}, {"weight", "Bolder"}, {"wrap", true}},
                              {{"type", "FactSet"}, {"facts", std::move(fact_list)}}});
  Json j;
  j["type"] = "message";
  j["summary"] = headline;
  j["attachments"] = Json::array(
      {{{"contentType", "application/vnd.microsoft.card.adaptive"}, {"contentUrl", nullptr}, {"content", std::move(card)}}});
  return store::DumpLine(j);
}

}  // namespace

std::string_view TemplateName(Template t) {
  switch (t) {
    case Template::kGeneric: return "generic";
    case Template::kSlack: return "slack";
    case Template::kTeams: return "teams";
  }
  return "generic";
}

std::optional<Template> ParseTemplate(std::string_view name) {
  for (Template t : {Template::kGeneric, Template::kSlack, Template::kTeams})
    if (TemplateName(t) == name) return t;
  return std::nullopt;
}

std::string AlertHeadline(const AlertRecord& a) {
  std::string state(store::AlertPhaseName(a.phase));
  if (!a.ended_reason.empty()) state += ", " + a.ended_reason;
  return fmt::format("portscope: {} scan ({}) from {}{}: {} to {} on {} ({})", store::ScanKindName(a.kind),
                     store::ScanShapeName(a.shape), a.source.ToString(),
                     a.sensor.empty() ? "" : " on sensor " + a.sensor, CountOf(a.probes, "probe", "probes"),
                     CountOf(a.port_count, "port", "ports"), CountOf(a.host_count, "host", "hosts"), state);
}

std::string DigestHeadline(const Digest& d) {
  return fmt::format("portscope{}: the rate cap held back {} ({} new {}, {} {}) from {}",
                     d.sensor.empty() ? "" : " on sensor " + d.sensor, CountOf(d.held, "notification", "notifications"),
                     d.scans_started, d.scans_started == 1 ? "scan" : "scans", d.scans_ended,
                     d.scans_ended == 1 ? "scan end" : "scan ends", SourceList(d));
}

std::string RenderAlert(Template t, const AlertRecord& a) {
  switch (t) {
    case Template::kGeneric: return store::DumpLine(store::AlertToEcs(a, store::EcsOptions{}));
    case Template::kSlack: return Slack(AlertHeadline(a), AlertFacts(a));
    case Template::kTeams: return Teams(AlertHeadline(a), AlertFacts(a));
  }
  return {};
}

std::string RenderDigest(Template t, const Digest& d) {
  switch (t) {
    case Template::kGeneric: {
      // The alerts' ECS envelope, with event.action telling the two apart.
      Json j;
      j["@timestamp"] = store::FormatRfc3339(d.last_us);
      j["message"] = DigestHeadline(d);
      j["event"] = {{"kind", "alert"},
                    {"category", Json::array({"intrusion_detection", "network"})},
                    {"type", Json::array({"info"})},
                    {"action", "port-scan-digest"},
                    {"dataset", "portscope.canary"},
                    {"module", "portscope"},
                    {"start", store::FormatRfc3339(d.first_us)},
                    {"end", store::FormatRfc3339(d.last_us)}};
      j["observer"] = {{"name", d.sensor}, {"type", "sensor"}, {"vendor", "portscope"}, {"product", "portscope"}};
      Json sources = Json::array();
      for (const auto& s : d.sources) sources.push_back(s.ToString());
      j["portscope"] = {{"digest",
                         {{"held", d.held},
                          {"scans_started", d.scans_started},
                          {"scans_ended", d.scans_ended},
                          {"sources", std::move(sources)},
                          {"sources_unlisted", d.sources_unlisted}}}};
      return store::DumpLine(j);
    }
    case Template::kSlack: return Slack(DigestHeadline(d), DigestFacts(d));
    case Template::kTeams: return Teams(DigestHeadline(d), DigestFacts(d));
  }
  return {};
}

}  // namespace portscope::notify
