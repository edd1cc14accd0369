// The port reference site: its pages, its JSON API and /metrics, as routes
// for the server. Owns the start-up figures, the bounded caches of rendered
// pages and JSON, and the "here" snapshot source. Handlers are thread-safe.
//
// Registry facts do not change while the process runs, so what is rendered
// from them alone is cached (bounded LRU); the "here" part of a port page is
// rendered per request from a snapshot at most `here_ttl` old.
#ifndef PORTSCOPE_WEB_SITE_H_
#define PORTSCOPE_WEB_SITE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "registry/registry.h"
#include "web/here.h"
#include "web/layout.h"
#include "web/lru_cache.h"
#include "web/metrics.h"
#include "web/pages.h"
#include "web/port_pages.h"
#include "web/router.h"

namespace portscope::web {

struct SiteOptions {
  /// Show what holds the port on this machine on port pages.
  bool show_here = true;
  /// How old a "here" snapshot may be before a request takes a new one.
  std::chrono::milliseconds here_ttl{2000};
  /// Takes the snapshot; empty: this machine's listening sockets.
  HereSource::Taker here_taker;
  /// Rendered port pages kept (about 15 KiB each: 1,024 is ~15 MiB).
  size_t page_cache_entries = 1024;
  /// JSON of single ports kept (about 3 KiB each: 8,192 is ~24 MiB).
  size_t json_cache_entries = 8192;
  /// Largest /ports/{a}-{b} and /api/ports/{a}-{b}; a 1,024-port range renders
  /// in about 10 ms and is about 400 KiB of HTML or 3 MiB of JSON.
  uint32_t max_range_ports = 1024;
  /// HTML put after the "here" section of a port page, per request (the
  /// canary's section); empty: none.
  std::function<std::string(uint16_t port)> port_section;
  /// Largest `limit` a search accepts.
  uint32_t max_search_limit = 1000;
  /// Longest search text, in bytes.
  size_t max_query_bytes = 200;
};

struct PortSpan {
  uint16_t lo, hi;
};
/// "2244" or "2200-2250" from a URL path; a clear message for anything else
/// (not a number, above 65535, backwards, wider than `max_ports`).
Result<PortSpan> ParsePortPath(std::string_view spec, uint32_t max_ports);

class Site {
 public:
  /// REQUIRES: `registry` and `metrics` outlive the Site.
  Site(const registry::Registry& registry, Metrics* metrics, SiteOptions options = {});

  /// Adds the site's routes and its error pages to `router`.
  void Register(Router* router);

 private:
  Response Home(const Request& req);
  Response Ports(const Request& req);
  Response Search(const Request& req);
  Response ApiPorts(const Request& req);
  Response ApiSearch(const Request& req);
  Response MetricsPage(const Request& req);
  Response Static(const Request& req);
  Response Error(const Request& req, int status, std::string_view message) const;
  Result<SearchQuery> ParseSearch(const Request& req) const;
  /// "{...},{...}": the JSON objects of one port, cached.
  std::shared_ptr<const std::string> PortJsonFragment(uint16_t port);
  void RegisterMetrics();

  const registry::Registry& reg_;
  Metrics* metrics_;
  const SiteOptions options_;
  const Layout layout_;
  const HomeStats stats_;
  const std::string home_;
  HereSource here_;
  LruCache<uint16_t, PortPageParts> pages_;
  LruCache<uint16_t, std::string> json_;
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_SITE_H_
