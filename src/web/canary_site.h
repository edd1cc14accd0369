// The canary's part of `portscope serve`: the dashboard (/canary, a page per
// source and per alert), its JSON (/api/events, /api/alerts, /api/report,
// /api/sources/{ip}, /api/alerts/{id}, with the CLI's schemas and filters),
// the port pages' canary section, and the canary's figures in /metrics.
// Read-only over the store; works (saying so) while there is no database.
// Handlers are thread-safe.
#ifndef PORTSCOPE_WEB_CANARY_SITE_H_
#define PORTSCOPE_WEB_CANARY_SITE_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "registry/registry.h"
#include "report/canary_filters.h"
#include "web/canary_store.h"
#include "web/layout.h"
#include "web/lru_cache.h"
#include "web/metrics.h"
#include "web/router.h"

namespace portscope::web {

struct CanaryOptions {
  /// The canary's database ("" is store::DefaultDatabasePath()).
  std::string db_path;
  /// /api/events and /api/alerts: rows when no limit is given, and the most a
  /// limit may ask for. An event's JSON is ~1 KiB, up to ~7 KiB with a
  /// payload of the store's 4 KiB cap: 1,000 is at most ~7 MiB a response.
  size_t default_limit = 100;
  size_t max_limit = 1000;
  /// /api/report: top-list rows and timeline buckets at most.
  size_t max_top = 1000;
  uint32_t max_buckets = 1000;
  /// Dashboard rows.
  size_t latest_probes = 25;
  size_t latest_alerts = 10;
  /// A source page's probes at most.
  size_t source_probes = 200;
  /// Port page: probes shown.
  size_t port_probes = 5;
  /// A port page's canary section is reused for this long (as the "here"
  /// section's snapshot is), so that a flood of page requests is not a flood
  /// of queries; `port_section_entries` ports are kept (~2 KiB each).
  std::chrono::milliseconds port_section_ttl{1000};
  size_t port_section_entries = 1024;
  /// SQLite connections the server keeps open at most.
  size_t db_connections = 4;
};

class CanarySite {
 public:
  /// REQUIRES: `registry` and `metrics` outlive the CanarySite.
  CanarySite(const registry::Registry& registry, Metrics* metrics, CanaryOptions options);

  /// Adds the routes. REQUIRES: `router` outlives the CanarySite (its error
  /// pages render this site's errors).
  void Register(Router* router);
  /// The port page's canary section (HTML), for SiteOptions::port_section.
  std::string PortSection(uint16_t port);

  const std::string& db_path() const { return store_.path(); }

 private:
  Response Dashboard(const Request& req);
  Response SourcePage(const Request& req);
  Response AlertPage(const Request& req);
  Response ApiEvents(const Request& req);
  Response ApiAlerts(const Request& req);
  Response ApiAlert(const Request& req);
  Response ApiReport(const Request& req);
  Response ApiSource(const Request& req);
  /// 503 (no database yet) or 500 (damaged, unreadable) for a failed store.
  Response StoreError(const Request& req, const Status& st) const;
  Response Error(const Request& req, int status, std::string_view message) const;
  void RegisterMetrics(Metrics* metrics);

  const registry::Registry& reg_;
  const CanaryOptions options_;
  const Layout layout_;
  CanaryStore store_;
  const Router* router_ = nullptr;
  struct TimedHtml {
    std::chrono::steady_clock::time_point made;
    std::string html;
  };
  LruCache<uint16_t, TimedHtml> port_sections_;
};

/// The filters of a request's query parameters (since, until, source, port,
/// kind, transport).
report::FilterText FiltersOf(const Request& req);
/// `limit` as a query parameter: absent is `fallback`; 0 to `max` else 400.
Result<size_t> ParseLimit(const Request& req, size_t fallback, size_t max);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_CANARY_SITE_H_
