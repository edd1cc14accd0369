// HTTP tests of the canary's routes, in process: a real Server with the
// port site and the canary site over a database written through the store,
// and over no database at all.
#include "web/canary_site.h"

#include <httplib.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "report/canary_json.h"
#include "store/test_util.h"
#include "store/time_text.h"
#include "web/server.h"
#include "web/site.h"

namespace portscope::web {
namespace {

using nlohmann::json;
using store::testutil::Ip;
using store::testutil::MakeEvent;

bool Has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

constexpr uint64_t kMinuteUs = 60ull * 1000000;

// The port site and the canary site on 127.0.0.1, a port the kernel picks.
class CanaryServer {
 public:
  explicit CanaryServer(const std::string& db_path) {
    CanaryOptions co;
    co.db_path = db_path;
    canary_ = std::make_unique<CanarySite>(reg_, &metrics_, co);
    SiteOptions so;
    so.show_here = false;
    so.port_section = [this](uint16_t port) { return canary_->PortSection(port); };
    site_ = std::make_unique<Site>(reg_, &metrics_, so);
    site_->Register(&router_);
    canary_->Register(&router_);
    ServerOptions options;
    options.listen.host = "127.0.0.1";
    options.listen.port = 0;
    server_ = std::make_unique<Server>(router_, &metrics_, options);
    EXPECT_TRUE(server_->Bind().ok());
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  ~CanaryServer() {
    server_->Stop();
    thread_.join();
  }
  httplib::Result Get(const std::string& path) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c.Get(path);
  }

 private:
  registry::Registry reg_;
  Metrics metrics_;
  Router router_;
  std::unique_ptr<CanarySite> canary_;
  std::unique_ptr<Site> site_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

// What the canary "recorded" in these tests, relative to now so that the
// default windows (24h) hold it: three probes from 203.0.113.7 (one with a
// script as its payload, one with bytes that are not UTF-8), one from
// 2001:db8::9, a scan from 203.0.113.7 whose tool hint and evidence hold
// markup, and writer counters.
class CanaryRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path("canary.db");
    auto db = store::testutil::OpenForWriting(path_);
    ASSERT_TRUE(db);
    now_ = store::NowUs();
    store::Batch b;
    b.events.push_back(MakeEvent(now_ - 30 * kMinuteUs, "203.0.113.7", 2244, "<script>alert(1)</script>"));
    b.events.push_back(MakeEvent(now_ - 20 * kMinuteUs, "203.0.113.7", 2202, std::string("\xff\xfe\x00GET", 6)));
    b.events.push_back(MakeEvent(now_ - 10 * kMinuteUs, "203.0.113.7", 2244));
    store::Event v6 = MakeEvent(now_ - 5 * kMinuteUs, "2001:db8::9", 40001, "hello");
    v6.dst = Ip("2001:db8::1");
    v6.sensor = "<b>sensor</b>";
    b.events.push_back(v6);
    store::AlertRecord a;
    a.scan_id = 1;
    a.phase = store::AlertPhase::kStarted;
    a.time_us = now_ - 20 * kMinuteUs;
    a.sensor = "test-sensor";
    a.source = Ip("203.0.113.7");
    a.kind = store::ScanKind::kConnect;
    a.shape = store::ScanShape::kVertical;
    a.algorithms = {"fast-window"};
    a.first_seen_us = now_ - 30 * kMinuteUs;
    a.last_seen_us = now_ - 10 * kMinuteUs;
    a.probes = 3;
    a.port_count = 4;
    a.host_count = 1;
    a.ports = {2202, 2243, 2244, 2245};
    a.hosts = {Ip("192.0.2.1")};
    a.evidence = "fast-window: <img src=x onerror=alert(2)>";
    a.tool_hint = "likely \"><script>alert(3)</script>";
    b.alerts.push_back(a);
    b.counters.events_enqueued = 4;
    b.counters.events_dropped = 7;
    b.counters.alerts_enqueued = 1;
    b.counters.sink_errors = 2;
    b.has_counters = true;
    ASSERT_TRUE(db->Write(b).ok());
    server_ = std::make_unique<CanaryServer>(path_);
  }
  void TearDown() override { server_.reset(); }

  httplib::Result Get(const std::string& path) { return server_->Get(path); }
  json GetJson(const std::string& path, int status = 200) {
    auto r = Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << path;
    EXPECT_TRUE(json::accept(r->body)) << path;
    return json::parse(r->body, nullptr, false);
  }

  store::testutil::ScratchDir dir_;
  std::string path_;
  uint64_t now_ = 0;
  std::unique_ptr<CanaryServer> server_;
};

TEST_F(CanaryRoutes, EventsAreTheCliSchemaAndHonourFilters) {
  json all = GetJson("/api/events");
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 4u);
  // The same objects as `portscope events --json` prints (report::EventsJson
  // over the same rows), oldest first.
  auto db = store::Database::Open(path_, {});
  ASSERT_TRUE(db.ok());
  store::EventQuery q;
  q.limit = 100;
  auto rows = (*db)->QueryEvents(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(all, json::parse(report::EventsJson(*rows).dump()));
  EXPECT_EQ(all[0]["portscope"]["payload"]["preview"], "<script>alert(1)</script>");
  EXPECT_EQ(all[1]["portscope"]["payload"]["base64"], "//4AR0VU");

  EXPECT_EQ(GetJson("/api/events?source=203.0.113.0/24").size(), 3u);
  EXPECT_EQ(GetJson("/api/events?source=2001:db8::/32").size(), 1u);
  EXPECT_EQ(GetJson("/api/events?port=2244").size(), 2u);
  EXPECT_EQ(GetJson("/api/events?since=15m").size(), 2u);
  EXPECT_EQ(GetJson("/api/events?until=15m").size(), 2u);
  EXPECT_EQ(GetJson("/api/events?kind=connect&transport=tcp").size(), 4u);
  EXPECT_EQ(GetJson("/api/events?kind=syn").size(), 0u);
  json newest = GetJson("/api/events?limit=1");
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]["source"]["ip"], "2001:db8::9");
}

TEST_F(CanaryRoutes, AlertsReportAndSources) {
  json alerts = GetJson("/api/alerts?kind=connect");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["portscope"]["scan"]["tool_hint"], "likely \"><script>alert(3)</script>");
  EXPECT_EQ(GetJson("/api/alerts?kind=syn").size(), 0u);
  EXPECT_EQ(GetJson("/api/alerts?port=2202").size(), 1u);
  EXPECT_EQ(GetJson("/api/alerts?port=22").size(), 0u);
  EXPECT_EQ(GetJson("/api/alerts?active=true").size(), 1u);
  const std::string id = alerts[0]["event"]["id"];
  EXPECT_EQ(GetJson("/api/alerts/" + id), alerts[0]);

  json report = GetJson("/api/report?since=1h&top=5&buckets=12");
  EXPECT_EQ(report["totals"]["probes"], 4);
  EXPECT_EQ(report["totals"]["sources"], 2);
  EXPECT_EQ(report["totals"]["scans"], 1);
  EXPECT_EQ(report["top_sources"][0]["ip"], "203.0.113.7");
  EXPECT_EQ(report["timeline"]["buckets"].size(), 12u);
  EXPECT_EQ(report["writer"]["events_dropped"], 7);
  EXPECT_EQ(report["database"], path_);

  json source = GetJson("/api/sources/203.0.113.7");
  EXPECT_EQ(source["rows"], 3);
  EXPECT_EQ(source["events"].size(), 3u);
  EXPECT_EQ(source["alerts"].size(), 1u);
  EXPECT_EQ(GetJson("/api/sources/2001:db8::9")["rows"], 1);
}

TEST_F(CanaryRoutes, BadInputIs400AndUnknownIs404) {
  for (const std::string path :
       {"/api/events?since=yesterday", "/api/events?until=2026-13-01", "/api/events?source=300.1.2.3",
        "/api/events?source=10.0.0.0/33", "/api/events?port=65536", "/api/events?port=-1", "/api/events?limit=0",
        "/api/events?limit=99999999", "/api/events?limit=1001", "/api/events?limit=abc", "/api/events?transport=sctp",
        "/api/events?kind=%3Cscript%3E", "/api/alerts?kind=bogus", "/api/alerts?active=maybe",
        "/api/alerts/0", "/api/alerts/-1", "/api/alerts/1x", "/api/alerts/99999999999999999999",
        "/api/report?since=10m%2B", "/api/report?since=2099-01-01", "/api/report?top=0", "/api/report?buckets=100000",
        "/api/sources/not-an-ip", "/api/sources/203.0.113.0%2524"}) {
    json j = GetJson(path, 400);
    EXPECT_EQ(j["error"]["status"], 400) << path;
  }
  for (const std::string path : {"/canary?range=soon", "/canary/sources/999.1.1.1", "/canary/alerts/abc"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_TRUE(Has(r->get_header_value("Content-Type"), "text/html")) << path;
  }
  // A bad range is said back escaped.
  auto bad = Get("/canary?range=%3Cscript%3Ealert(1)%3C/script%3E");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_FALSE(Has(bad->body, "<script>alert"));
  EXPECT_TRUE(Has(bad->body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  GetJson("/api/alerts/4242", 404);
  GetJson("/api/sources/198.51.100.1", 404);
  GetJson("/api/canary", 404);
  for (const std::string path : {"/canary/alerts/4242", "/canary/sources/198.51.100.1", "/canary/nope", "/canary/"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
}

TEST_F(CanaryRoutes, PagesEscapeEverythingFromTheNetwork) {
  const std::regex script_tag("<script(?![^>]*\\ssrc=\"/static/)[^>]*>", std::regex::icase);
  const std::regex handler_attr("<[^>]*\\son[a-z]+\\s*=", std::regex::icase);
  auto alerts = GetJson("/api/alerts");
  const std::string id = alerts[0]["event"]["id"];
  for (const std::string& path : std::vector<std::string>{"/canary", "/canary?range=1h", "/canary/sources/203.0.113.7",
                                 "/canary/sources/2001:db8::9", "/canary/alerts/" + id, "/ports/2244"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_FALSE(std::regex_search(r->body, script_tag)) << path;
    EXPECT_FALSE(std::regex_search(r->body, handler_attr)) << path;
    EXPECT_FALSE(Has(r->body, " style=")) << path;
    EXPECT_FALSE(Has(r->body, "<b>sensor")) << path;
    const std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_TRUE(Has(csp, "script-src 'self'")) << path;
    EXPECT_FALSE(Has(csp, "unsafe-inline")) << path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << path;
  }
  auto dash = Get("/canary");
  // The payload as escaped text and as hex, and the not-UTF-8 bytes as \xNN.
  EXPECT_TRUE(Has(dash->body, "<code class=\"preview\">&lt;script&gt;alert(1)&lt;/script&gt;</code>"));
  EXPECT_TRUE(Has(dash->body, "3c 73 63 72 69 70 74 3e"));
  EXPECT_TRUE(Has(dash->body, "\\xff\\xfe\\x00GET"));
  EXPECT_TRUE(Has(dash->body, "likely &quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
  EXPECT_TRUE(Has(dash->body, "<script src=\"/static/canary.js?v="));
  auto alert = Get("/canary/alerts/" + id);
  EXPECT_TRUE(Has(alert->body, "fast-window: &lt;img src=x onerror=alert(2)&gt;"));
  // Its ports as runs, each end a link.
  EXPECT_TRUE(Has(alert->body, "<a href=\"/ports/2202\">2202</a>, <a href=\"/ports/2243\">2243</a>-"
                               "<a href=\"/ports/2245\">2245</a>")) << alert->body;
}

TEST_F(CanaryRoutes, DashboardAndPortPageShowWhatTheCanarySaw) {
  auto r = Get("/canary");
  ASSERT_TRUE(r);
  for (const char* part : {"Probes over time", "<form class=\"range\" action=\"/canary\"", "id=\"chart\"", "Top sources", "Top ports", "Scan types",
                           "Latest probes", "Latest alerts", "href=\"/canary/sources/203.0.113.7\"",
                           "href=\"/canary/sources/2001%3Adb8%3A%3A9\"", "id=\"stat-probes\">4<", ">connect<",
                           "Lost: 7 events"})
    EXPECT_TRUE(Has(r->body, part)) << part;
  // Any --since form as the range, from the form.
  auto custom = Get("/canary?range=45m");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->status, 200);
  EXPECT_TRUE(Has(custom->body, "<strong aria-current=\"page\">45m</strong>"));
  EXPECT_TRUE(Has(custom->body, "id=\"stat-probes\">4<"));
  auto narrow = Get("/canary?range=15m");
  EXPECT_TRUE(Has(narrow->body, "id=\"stat-probes\">2<"));
  auto port = Get("/ports/2244");
  ASSERT_TRUE(port);
  EXPECT_TRUE(Has(port->body, "What the canary has seen on this port"));
  EXPECT_TRUE(Has(port->body, "2 rows recorded on port 2244"));
  EXPECT_TRUE(Has(port->body, "1 scan that probed it"));
  auto quiet = Get("/ports/2245");
  EXPECT_TRUE(Has(quiet->body, "The canary has recorded no probes of port 2245"));
}

TEST_F(CanaryRoutes, MetricsCarryTheWriterCounters) {
  auto r = Get("/metrics");
  ASSERT_TRUE(r);
  for (const char* line : {"portscope_canary_database_up 1\n", "portscope_canary_probes_total 4\n",
                           "portscope_canary_alerts_total 1\n", "portscope_canary_drops_total{reason=\"event_queue_full\"} 7\n",
                           "portscope_canary_drops_total{reason=\"sink_error\"} 2\n",
                           "portscope_canary_sources{window=\"24h\"} 2\n", "# TYPE portscope_store_lag_seconds gauge\n",
                           "portscope_canary_runs 1\n"})
    EXPECT_TRUE(Has(r->body, line)) << line;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r->body, m, std::regex("\nportscope_store_lag_seconds ([0-9.e+-]+)\n")));
  EXPECT_LT(std::stod(m[1]), 60.0);
}

TEST(CanaryNoDatabase, EveryRouteSaysSoAndNothingCrashes) {
  store::testutil::ScratchDir dir;
  CanaryServer server(dir.path("missing.db"));
  for (const std::string path : {"/api/events", "/api/alerts", "/api/alerts/1", "/api/report", "/api/sources/192.0.2.1"}) {
    auto r = server.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 503) << path;
    EXPECT_EQ(r->get_header_value("Retry-After"), "10") << path;
    EXPECT_TRUE(Has(r->body, "no canary database")) << path;
  }
  auto dash = server.Get("/canary");
  ASSERT_TRUE(dash);
  EXPECT_EQ(dash->status, 503);
  EXPECT_TRUE(Has(dash->body, "No canary database yet."));
  EXPECT_TRUE(Has(dash->body, "missing.db"));
  // Bad input is still 400, before the store is asked.
  EXPECT_EQ(server.Get("/api/events?port=x")->status, 400);
  auto port = server.Get("/ports/22");
  EXPECT_EQ(port->status, 200);
  EXPECT_TRUE(Has(port->body, "No canary database on this machine"));
  auto metrics = server.Get("/metrics");
  EXPECT_TRUE(Has(metrics->body, "portscope_canary_database_up 0\n"));
  EXPECT_FALSE(Has(metrics->body, "portscope_canary_probes_total"));

  // The database appears (the canary started): the next request reads it.
  auto db = store::testutil::OpenForWriting(dir.path("missing.db"));
  ASSERT_TRUE(db);
  store::Batch b;
  b.events.push_back(MakeEvent(store::NowUs(), "198.51.100.3", 2244));
  ASSERT_TRUE(db->Write(b).ok());
  auto events = server.Get("/api/events");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->status, 200);
  EXPECT_EQ(json::parse(events->body).size(), 1u);
}

}  // namespace
}  // namespace portscope::web
