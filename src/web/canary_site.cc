#include "web/canary_site.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/cidr.h"
#include "base/text.h"
#include "report/canary_json.h"
#include "report/port_json.h"
#include "store/json_lines.h"
#include "store/time_text.h"
#include "web/assets.h"
#include "web/canary_pages.h"

#ifndef PORTSCOPE_HAVE_UPLOT
#define PORTSCOPE_HAVE_UPLOT 0
#endif

namespace portscope::web {
namespace {

using Json = nlohmann::ordered_json;

constexpr report::FilterNaming kParams{""};
constexpr uint64_t kSecondUs = 1000000;

Response JsonResponse(const Json& j) {
  Response r;
  r.content_type = "application/json";
  r.body = report::Dump(j) + "\n";
  return r;
}

Response Html(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

// A row id from a URL: decimal digits only, at most int64.
std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

Result<IpAddress> ParseSourcePath(std::string_view s) {
  auto ip = IpAddress::Parse(s);
  if (!ip)
    return Status::InvalidArgument("'" + EscapeForTerminal(s.substr(0, 60)) +
                                   "' is not an IP address (e.g. 203.0.113.7 or 2001:db8::7)");
  return *ip;
}

store::EventQuery OneSource(const IpAddress& ip) {
  store::EventQuery q;
  q.source = Cidr::Host(ip);
  return q;
}

}  // namespace

report::FilterText FiltersOf(const Request& req) {
  report::FilterText f;
  auto get = [&](std::string_view name, std::string* out) {
    if (auto v = req.Param(name)) *out = std::string(*v);
  };
  get("since", &f.since);
  get("until", &f.until);
  get("source", &f.source);
  get("port", &f.port);
  get("kind", &f.kind);
  get("transport", &f.transport);
  return f;
}

Result<size_t> ParseLimit(const Request& req, size_t fallback, size_t max) {
  auto text = req.Param("limit");
  if (!text || text->empty()) return fallback;
  auto n = ParseUint(Trim(*text), static_cast<uint32_t>(std::min<size_t>(max, UINT32_MAX)));
  if (!n || *n == 0) return Status::InvalidArgument(fmt::format("limit: give a number from 1 to {}", max));
  return static_cast<size_t>(*n);
}

CanarySite::CanarySite(const registry::Registry& reg, Metrics* metrics, CanaryOptions options)
    : reg_(reg),
      options_(std::move(options)),
      layout_(reg),
      store_(options_.db_path.empty() ? store::DefaultDatabasePath() : options_.db_path, options_.db_connections),
      port_sections_(std::max<size_t>(1, options_.port_section_entries)) {
  RegisterMetrics(metrics);
}

void CanarySite::Register(Router* router) {
  router_ = router;
  router->Add("/canary", [this](const Request& r) { return Dashboard(r); });
  router->Add("/canary/sources/{ip}", [this](const Request& r) { return SourcePage(r); });
  router->Add("/canary/alerts/{id}", [this](const Request& r) { return AlertPage(r); });
  router->Add("/api/events", [this](const Request& r) { return ApiEvents(r); });
  router->Add("/api/alerts", [this](const Request& r) { return ApiAlerts(r); });
  router->Add("/api/alerts/{id}", [this](const Request& r) { return ApiAlert(r); });
  router->Add("/api/report", [this](const Request& r) { return ApiReport(r); });
  router->Add("/api/sources/{ip}", [this](const Request& r) { return ApiSource(r); });
}

Response CanarySite::Error(const Request& req, int status, std::string_view message) const {
  if (router_) return router_->Error(req, status, message);
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(message) + "\n";
  return r;
}

Response CanarySite::StoreError(const Request& req, const Status& st) const {
  if (st.code() == Status::Code::kNotFound) {
    if (!req.api()) {
      Response r = Html(RenderNoDatabasePage(layout_, store_.path(), st.message()));
      r.status = 503;
      r.headers.emplace_back("Retry-After", "10");
      return r;
    }
    Response r = Error(req, 503, "no canary database yet: " + st.message() + " (start `portscope canary`)");
    r.headers.emplace_back("Retry-After", "10");
    return r;
  }
  return Error(req, 500, "the canary database cannot be read: " + st.message());
}

Response CanarySite::Dashboard(const Request& req) {
  DashboardData d;
  d.range = std::string(req.Param("range").value_or(kDashboardRanges[0]));
  d.now_us = store::NowUs();
  auto since = report::ParseReportSince(d.range, d.now_us, {""});
  if (!since.ok()) return Error(req, 400, "range: " + since.status().message());
  d.db_path = store_.path();
  d.chart = PORTSCOPE_HAVE_UPLOT;
  Status st = store_.With([&](store::Database& db) -> Status {
    store::ReportQuery rq;
    rq.since_us = *since;
    rq.until_us = d.now_us;
    rq.top = 10;
    rq.buckets = kDashboardBuckets;
    auto report = db.BuildReport(rq);
    if (!report.ok()) return report.status();
    d.report = std::move(*report);
    store::EventQuery eq;
    eq.since_us = *since;
    eq.limit = options_.latest_probes;
    auto events = db.QueryEvents(eq);
    if (!events.ok()) return events.status();
    d.latest_events.assign(events->rbegin(), events->rend());
    store::AlertQuery aq;
    aq.since_us = *since;
    aq.limit = options_.latest_alerts;
    auto alerts = db.QueryAlerts(aq);
    if (!alerts.ok()) return alerts.status();
    d.latest_alerts.assign(alerts->rbegin(), alerts->rend());
    auto runs = db.QueryRuns(1);
    if (!runs.ok()) return runs.status();
    d.runs = std::move(*runs);
    return Status::Ok();
  });
  if (!st.ok()) return StoreError(req, st);
  return Html(RenderDashboard(layout_, reg_, d));
}

Response CanarySite::SourcePage(const Request& req) {
  auto ip = ParseSourcePath(req.captures.at(0));
  if (!ip.ok()) return Error(req, 400, ip.status().message());
  SourceData d;
  d.ip = *ip;
  Status st = store_.With([&](store::Database& db) -> Status {
    store::EventQuery eq = OneSource(*ip);
    auto rows = db.CountEvents(eq);
    if (!rows.ok()) return rows.status();
    d.rows = *rows;
    eq.limit = options_.source_probes;
    auto events = db.QueryEvents(eq);
    if (!events.ok()) return events.status();
    d.events.assign(events->rbegin(), events->rend());
    store::AlertQuery aq;
    aq.source = eq.source;
    aq.limit = options_.source_probes;
    auto alerts = db.QueryAlerts(aq);
    if (!alerts.ok()) return alerts.status();
    d.alerts.assign(alerts->rbegin(), alerts->rend());
    return Status::Ok();
  });
  if (!st.ok()) return StoreError(req, st);
  if (d.rows == 0 && d.alerts.empty()) return Error(req, 404, "the canary has recorded nothing from " + ip->ToString());
  return Html(RenderSourcePage(layout_, d));
}

Response CanarySite::AlertPage(const Request& req) {
  auto id = ParseId(req.captures.at(0));
  if (!id) return Error(req, 400, "an alert id is a positive whole number, e.g. /canary/alerts/1");
  std::optional<store::AlertRecord> alert;
  Status st = store_.With([&](store::Database& db) -> Status {
    store::AlertQuery q;
    q.id = *id;
    auto rows = db.QueryAlerts(q);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) alert = std::move(rows->front());
    return Status::Ok();
  });
  if (!st.ok()) return StoreError(req, st);
  if (!alert) return Error(req, 404, fmt::format("there is no alert {}", *id));
  if (req.api()) return JsonResponse(store::AlertToEcs(*alert, {}));
  return Html(RenderAlertPage(layout_, *alert));
}

Response CanarySite::ApiAlert(const Request& req) { return AlertPage(req); }

Response CanarySite::ApiEvents(const Request& req) {
  auto q = report::ParseEventFilters(FiltersOf(req), store::NowUs(), kParams);
  if (!q.ok()) return Error(req, 400, q.status().message());
  auto limit = ParseLimit(req, options_.default_limit, options_.max_limit);
  if (!limit.ok()) return Error(req, 400, limit.status().message());
  q->limit = *limit;
  // Streamed into the body row by row: no vector of events and no JSON tree
  // of the whole answer.
  std::string body = "[";
  size_t rows = 0;
  store::EcsOptions ecs;
  Status st = store_.With([&](store::Database& db) {
    return db.ForEachEvent(*q, [&](store::Event& e) {
      if (rows++) body += ',';
      body += store::DumpLine(store::EventToEcs(e, ecs));
      return true;
    });
  });
  if (!st.ok()) return StoreError(req, st);
  body += "]\n";
  Response r;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

Response CanarySite::ApiAlerts(const Request& req) {
  auto q = report::ParseAlertFilters(FiltersOf(req), store::NowUs(), kParams);
  if (!q.ok()) return Error(req, 400, q.status().message());
  auto limit = ParseLimit(req, options_.default_limit, options_.max_limit);
  if (!limit.ok()) return Error(req, 400, limit.status().message());
  q->limit = *limit;
  if (auto a = req.Param("active"); a && !a->empty()) {
    if (*a != "1" && *a != "true" && *a != "0" && *a != "false")
      return Error(req, 400, "active: give true or false (1 or 0)");
    q->active = *a == "1" || *a == "true";  // in the query, so the limit counts active scans only
  }
  std::vector<store::AlertRecord> alerts;
  Status st = store_.With([&](store::Database& db) -> Status {
    auto rows = db.QueryAlerts(*q);
    if (!rows.ok()) return rows.status();
    alerts = std::move(*rows);
    return Status::Ok();
  });
  if (!st.ok()) return StoreError(req, st);
  return JsonResponse(report::AlertsJson(alerts));
}

Response CanarySite::ApiReport(const Request& req) {
  const uint64_t now = store::NowUs();
  auto since = report::ParseReportSince(req.Param("since").value_or("24h"), now, kParams);
  if (!since.ok()) return Error(req, 400, since.status().message());
  store::ReportQuery q;
  q.since_us = *since;
  q.until_us = now;
  if (auto top = req.Param("top"); top && !top->empty()) {
    auto n = ParseUint(Trim(*top), static_cast<uint32_t>(options_.max_top));
    if (!n || *n == 0) return Error(req, 400, fmt::format("top: give a number from 1 to {}", options_.max_top));
    q.top = *n;
  }
  if (auto b = req.Param("buckets"); b && !b->empty()) {
    auto n = ParseUint(Trim(*b), options_.max_buckets);
    if (!n || *n == 0) return Error(req, 400, fmt::format("buckets: give a number from 1 to {}", options_.max_buckets));
    q.buckets = *n;
  }
  Json j;
  Status st = store_.With([&](store::Database& db) -> Status {
    auto r = db.BuildReport(q);
    if (!r.ok()) return r.status();
    j = report::ReportJson(*r, reg_, store_.path());
    return Status::Ok();
  });
  if (!st.ok()) return StoreError(req, st);
  return JsonResponse(j);
}

Response CanarySite::ApiSource(const Request& req) {
  auto ip = ParseSourcePath(req.captures.at(0));
  if (!ip.ok()) return Error(req, 400, ip.status().message());
  auto limit = ParseLimit(req, options_.default_limit, options_.max_limit);
  if (!limit.ok()) return Error(req, 400, limit.status().message());
  Json j;
  uint64_t rows = 0;
  size_t alerts = 0;
  Status st = store_.With([&](store::Database& db) -> Status {
    store::EventQuery eq = OneSource(*ip);
    auto n = db.CountEvents(eq);
    if (!n.ok()) return n.status();
    rows = *n;
    eq.limit = *limit;
    auto events = db.QueryEvents(eq);
    if (!events.ok()) return events.status();
    store::AlertQuery aq;
    aq.source = eq.source;
    aq.limit = *limit;
    auto a = db.QueryAlerts(aq);
    if (!a.ok()) return a.status();
    alerts = a->size();
    j["ip"] = ip->ToString();
    j["rows"] = rows;
    j["events"] = report::EventsJson(*events);
    j["alerts"] = report::AlertsJson(*a);
    return Status::Ok();
  });
  if (!st.ok()) return StoreError(req, st);
  if (rows == 0 && alerts == 0) return Error(req, 404, "the canary has recorded nothing from " + ip->ToString());
  return JsonResponse(j);
}

std::string CanarySite::PortSection(uint16_t port) {
  const auto now = std::chrono::steady_clock::now();
  if (auto hit = port_sections_.Get(port); hit && now - hit->made < options_.port_section_ttl) return hit->html;
  PortCanaryData d;
  Status st = store_.With([&](store::Database& db) -> Status {
    store::EventQuery eq;
    eq.port = port;
    auto n = db.CountEvents(eq);
    if (!n.ok()) return n.status();
    d.rows = *n;
    if (d.rows) {
      eq.limit = options_.port_probes;
      auto events = db.QueryEvents(eq);
      if (!events.ok()) return events.status();
      d.latest.assign(events->rbegin(), events->rend());
      store::AlertQuery aq;
      aq.port = port;
      auto a = db.CountAlerts(aq);
      if (!a.ok()) return a.status();
      d.alerts = *a;
    }
    return Status::Ok();
  });
  d.have_db = st.ok();
  if (st.code() == Status::Code::kNotFound) d.note = "No canary database on this machine (" + st.message() + ").";
  else if (!st.ok()) d.note = "The canary database cannot be read: " + st.message();
  return port_sections_.Put(port, {now, RenderPortCanarySection(port, d)})->html;
}

void CanarySite::RegisterMetrics(Metrics* metrics) {
  metrics->AddCollector([this](Exposition* e) {
    std::vector<store::RunRecord> runs;  // the latest only
    store::RunTotals totals;
    uint64_t sources = 0;
    const uint64_t now = store::NowUs();
    Status st = store_.With([&](store::Database& db) -> Status {
      auto t = db.SumRuns();
      if (!t.ok()) return t.status();
      totals = *t;
      auto r = db.QueryRuns(1);
      if (!r.ok()) return r.status();
      runs = std::move(*r);
      auto s = db.CountSources(now > 86400 * kSecondUs ? now - 86400 * kSecondUs : 0);
      if (!s.ok()) return s.status();
      sources = *s;
      return Status::Ok();
    });
    e->Header("portscope_canary_database_up", "1 when the canary's database could be read at this scrape.", "gauge");
    e->Sample("portscope_canary_database_up", {}, uint64_t{st.ok() ? 1u : 0u});
    if (!st.ok()) return;
    const store::WriterCounters& sum = totals.sum;
    // Writer counters as the canary's runs stored them with each batch,
    // summed over the runs the database still holds.
    e->Header("portscope_canary_runs", "Canary runs (writer processes) the database holds.", "gauge");
    e->Sample("portscope_canary_runs", {}, totals.runs);
    e->Header("portscope_canary_probes_total", "Probes the canary accepted for storing (stored or summarized).",
              "counter");
    e->Sample("portscope_canary_probes_total", {}, sum.events_enqueued);
    e->Header("portscope_canary_probes_summarized_total",
              "Probes past a source's budget, counted in a summary row only.", "counter");
    e->Sample("portscope_canary_probes_summarized_total", {}, sum.events_summarized);
    e->Header("portscope_canary_alerts_total", "Alerts (scan started, updated, ended) the canary raised.", "counter");
    e->Sample("portscope_canary_alerts_total", {}, sum.alerts_enqueued);
    e->Header("portscope_canary_drops_total", "What the canary lost, by reason.", "counter");
    e->Sample("portscope_canary_drops_total", {{"reason", "event_queue_full"}}, sum.events_dropped);
    e->Sample("portscope_canary_drops_total", {{"reason", "alert_queue_full"}}, sum.alerts_dropped);
    e->Sample("portscope_canary_drops_total", {{"reason", "sink_error"}}, sum.sink_errors);
    e->Header("portscope_canary_sources_evicted_total",
              "Per-source states dropped to make room (their budget restarts).", "counter");
    e->Sample("portscope_canary_sources_evicted_total", {}, sum.sources_evicted);
    e->Header("portscope_canary_sources", "Distinct source addresses with probes stored in the last 24 hours.",
              "gauge");
    e->Sample("portscope_canary_sources", {{"window", "24h"}}, sources);
    if (!runs.empty()) {
      const auto& latest = runs.front();
      const uint64_t last = latest.updated_us ? latest.updated_us : latest.started_us;
      e->Header("portscope_canary_last_write_timestamp_seconds",
                "When the latest canary run last wrote a batch, in seconds since the epoch.", "gauge");
      e->Sample("portscope_canary_last_write_timestamp_seconds", {}, static_cast<double>(last) / 1e6);
      e->Header("portscope_store_lag_seconds",
                "Seconds since the latest canary run last wrote a batch. It writes within a second of a probe, "
                "so a large value with probes arriving (or a dead canary) means the store lags.",
                "gauge");
      e->Sample("portscope_store_lag_seconds", {}, now > last ? static_cast<double>(now - last) / 1e6 : 0.0);
    }
  });
}

}  // namespace portscope::web
