#include "web/site.h"

#include <fmt/format.h>

#include <chrono>

#include "base/text.h"
#include "report/port_json.h"
#include "web/assets.h"

namespace portscope::web {

using registry::PortRef;
using registry::Proto;

namespace {

std::string JsonError(int status, std::string_view message) {
  nlohmann::ordered_json j;
  j["error"] = {{"status", status}, {"message", message}};
  return report::Dump(j) + "\n";
}

Response Json(std::string body) {
  Response r;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

}  // namespace

Result<PortSpan> ParsePortPath(std::string_view spec, uint32_t max_ports) {
  const std::string shown = EscapeForTerminal(spec.substr(0, 40));
  auto port = [&](std::string_view s) -> Result<uint16_t> {
    auto v = ParseUint(s, 65535);
    if (!v) {
      if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos)
        return Status::InvalidArgument("'" + std::string(s.substr(0, 20)) + "' is above 65535, the highest port");
      return Status::InvalidArgument("'" + shown + "' is not a port number (0-65535) or a range such as 2200-2250");
    }
    return static_cast<uint16_t>(*v);
  };
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) {
    auto p = port(spec);
    if (!p.ok()) return p.status();
    return PortSpan{*p, *p};
  }
  auto lo = port(spec.substr(0, dash));
  if (!lo.ok()) return lo.status();
  auto hi = port(spec.substr(dash + 1));
  if (!hi.ok()) return hi.status();
  if (*lo > *hi)
    return Status::InvalidArgument(fmt::format("the range {}-{} runs backwards: write {}-{}", *lo, *hi, *hi, *lo));
  const uint32_t n = static_cast<uint32_t>(*hi) - *lo + 1;
  if (n > max_ports)
    return Status::InvalidArgument(fmt::format("the range {}-{} covers {} ports; at most {} at a time", *lo, *hi,
                                               WithCommas(n), WithCommas(max_ports)));
  return PortSpan{*lo, *hi};
}

Site::Site(const registry::Registry& reg, Metrics* metrics, SiteOptions options)
    : reg_(reg),
      metrics_(metrics),
      options_(std::move(options)),
      layout_(reg),
      stats_(ComputeHomeStats(reg)),
      home_(RenderHomePage(reg, layout_, stats_)),
      here_(options_.here_ttl, options_.here_taker),
      pages_(options_.page_cache_entries),
      json_(options_.json_cache_entries) {
  RegisterMetrics();
}

void Site::Register(Router* router) {
  router->Add("/", [this](const Request& r) { return Home(r); });
  router->Add("/ports/{spec}", [this](const Request& r) { return Ports(r); });
  router->Add("/search", [this](const Request& r) { return Search(r); });
  router->Add("/api/ports/{spec}", [this](const Request& r) { return ApiPorts(r); });
  router->Add("/api/search", [this](const Request& r) { return ApiSearch(r); });
  router->Add("/metrics", [this](const Request& r) { return MetricsPage(r); });
  router->Add("/static/{file}", [this](const Request& r) { return Static(r); });
  router->SetErrorPage([this](const Request& r, int status, std::string_view message) {
    return Error(r, status, message);
  });
}

Response Site::Error(const Request& req, int status, std::string_view message) const {
  Response r;
  r.status = status;
  if (req.api() || req.path == "/metrics") {
    r.content_type = "application/json";
    r.body = JsonError(status, message);
  } else {
    r.body = RenderErrorPage(layout_, status, message);
  }
  return r;
}

Response Site::Home(const Request&) {
  Response r;
  r.body = home_;
  return r;
}

Response Site::Ports(const Request& req) {
  auto span = ParsePortPath(req.captures.at(0), options_.max_range_ports);
  if (!span.ok()) return Error(req, 400, span.status().message());
  Response r;
  if (span->lo != span->hi) {
    r.body = RenderRangePage(reg_, layout_, span->lo, span->hi);
    return r;
  }
  const uint16_t port = span->lo;
  auto parts = pages_.Get(port);
  if (!parts) parts = pages_.Put(port, RenderPortPage(reg_, layout_, port));
  std::string here;
  if (options_.show_here) here = RenderHereSection(*here_.Get(), reg_, port);
  if (options_.port_section) here += options_.port_section(port);
  r.body.reserve(parts->head.size() + here.size() + parts->tail.size());
  r.body += parts->head;
  r.body += here;
  r.body += parts->tail;
  return r;
}

Result<SearchQuery> Site::ParseSearch(const Request& req) const {
  SearchQuery q;
  if (auto text = req.Param("q")) q.text = std::string(*text);
  if (q.text.size() > options_.max_query_bytes)
    return Status::InvalidArgument(fmt::format("the search text is {} bytes long; at most {}", q.text.size(),
                                               options_.max_query_bytes));
  if (auto proto = req.Param("proto"); proto && !proto->empty()) {
    q.proto = registry::ParseProto(*proto);
    if (!q.proto)
      return Status::InvalidArgument("unknown protocol '" + EscapeForTerminal(proto->substr(0, 20)) +
                                     "': use tcp, udp, sctp or dccp");
  }
  if (auto limit = req.Param("limit"); limit && !limit->empty()) {
    auto n = ParseUint(*limit, options_.max_search_limit);
    if (!n || *n == 0)
      return Status::InvalidArgument(fmt::format("limit must be a number from 1 to {}", options_.max_search_limit));
    q.limit = *n;
  }
  return q;
}

Response Site::Search(const Request& req) {
  auto q = ParseSearch(req);
  if (!q.ok()) return Error(req, 400, q.status().message());
  std::vector<registry::SearchHit> hits;
  if (!Trim(q->text).empty()) hits = reg_.Search(q->text, {q->proto, q->limit});
  Response r;
  r.body = RenderSearchPage(layout_, *q, hits);
  return r;
}

std::shared_ptr<const std::string> Site::PortJsonFragment(uint16_t port) {
  if (auto hit = json_.Get(port)) return hit;
  std::string out;
  for (Proto p : reg_.DefaultProtos(port)) {
    if (!out.empty()) out += ',';
    out += report::Dump(report::PortJson(reg_.Lookup(PortRef{port, p})));
  }
  return json_.Put(port, std::move(out));
}

Response Site::ApiPorts(const Request& req) {
  auto span = ParsePortPath(req.captures.at(0), options_.max_range_ports);
  if (!span.ok()) return Error(req, 400, span.status().message());
  std::string body = "[";
  for (uint32_t p = span->lo; p <= span->hi; ++p) {
    if (p != span->lo) body += ',';
    body += *PortJsonFragment(static_cast<uint16_t>(p));
  }
  body += "]\n";
  return Json(std::move(body));
}

Response Site::ApiSearch(const Request& req) {
  auto q = ParseSearch(req);
  if (!q.ok()) return Error(req, 400, q.status().message());
  if (Trim(q->text).empty()) return Error(req, 400, "give a search text, e.g. /api/search?q=postgresql");
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& h : reg_.Search(q->text, {q->proto, q->limit})) {
    auto j = report::PortJson(reg_.Lookup(h.ref));
    j["match"] = report::MatchJson(h);
    arr.push_back(std::move(j));
  }
  return Json(report::Dump(arr) + "\n");
}

Response Site::MetricsPage(const Request&) {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_->Render();
  return r;
}

Response Site::Static(const Request& req) {
  for (const Asset& a : Assets()) {
    if (a.path != req.path) continue;
    Response r;
    r.content_type = std::string(a.content_type);
    r.headers.emplace_back("ETag", std::string(a.etag));
    // Pages link assets with ?v=VERSION, so a versioned URL never changes.
    r.cache_control = req.Param("v") == AssetsVersion() ? "public, max-age=31536000, immutable" : "no-cache";
    if (req.if_none_match == a.etag) {
      r.status = 304;
      return r;
    }
    r.body = std::string(a.body);
    return r;
  }
  return Error(req, 404, "no such file");
}

void Site::RegisterMetrics() {
  metrics_->AddCollector([this](Exposition* e) {
    e->Header("portscope_registry_source_info", "Registry sources in use (value 1), with version and date.",
              "gauge");
    for (const auto* l : reg_.layers())
      e->Sample("portscope_registry_source_info",
                {{"kind", std::string(registry::SourceKindKey(l->kind))},
                 {"name", std::string(l->name)},
                 {"version", std::string(l->version)},
                 {"date", std::string(l->date)}},
                uint64_t{1});
    e->Header("portscope_registry_records", "Records each registry source holds, by record type.", "gauge");
    for (const auto* l : reg_.layers()) {
      const std::string kind(registry::SourceKindKey(l->kind));
      e->Sample("portscope_registry_records", {{"kind", kind}, {"type", "services"}}, uint64_t{l->services.size()});
      e->Sample("portscope_registry_records", {{"kind", kind}, {"type", "ranges"}}, uint64_t{l->ranges.size()});
      e->Sample("portscope_registry_records", {{"kind", kind}, {"type", "frequencies"}},
                uint64_t{l->frequencies.size()});
      e->Sample("portscope_registry_records", {{"kind", kind}, {"type", "notes"}}, uint64_t{l->notes.size()});
    }
    auto cache = [&](const char* name, const auto& c) {
      const Labels l = {{"cache", name}};
      return std::tuple{l, c.hits(), c.misses(), c.evictions(), c.size(), c.capacity()};
    };
    const auto caches = {cache("page", pages_), cache("json", json_)};
    e->Header("portscope_web_cache_hits_total", "Rendered pages and JSON served from the cache.", "counter");
    for (const auto& c : caches) e->Sample("portscope_web_cache_hits_total", std::get<0>(c), std::get<1>(c));
    e->Header("portscope_web_cache_misses_total", "Rendered pages and JSON not in the cache.", "counter");
    for (const auto& c : caches) e->Sample("portscope_web_cache_misses_total", std::get<0>(c), std::get<2>(c));
    e->Header("portscope_web_cache_evictions_total", "Entries dropped from a full cache.", "counter");
    for (const auto& c : caches) e->Sample("portscope_web_cache_evictions_total", std::get<0>(c), std::get<3>(c));
    e->Header("portscope_web_cache_entries", "Entries in the cache now.", "gauge");
    for (const auto& c : caches) e->Sample("portscope_web_cache_entries", std::get<0>(c), uint64_t{std::get<4>(c)});
    e->Header("portscope_web_cache_capacity", "Most entries the cache keeps.", "gauge");
    for (const auto& c : caches) e->Sample("portscope_web_cache_capacity", std::get<0>(c), uint64_t{std::get<5>(c)});
    e->Header("portscope_web_here_snapshots_total", "Socket-table snapshots taken for the here sections.",
              "counter");
    e->Sample("portscope_web_here_snapshots_total", {}, here_.refreshes());
    e->Header("portscope_web_here_snapshot_failures_total", "Snapshots that could not read the socket table.",
              "counter");
    e->Sample("portscope_web_here_snapshot_failures_total", {}, here_.failures());
  });
}

}  // namespace portscope::web
