// HTML of the canary dashboard (/canary), its per-source and per-alert
// pages, the "no canary database yet" page and the port pages' canary
// section. Pure rendering from rows the store returned: every address,
// name, evidence line and payload byte came from the network and is escaped
// here (payloads first to printable text, then for HTML).
#ifndef PORTSCOPE_WEB_CANARY_PAGES_H_
#define PORTSCOPE_WEB_CANARY_PAGES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "registry/registry.h"
#include "store/event.h"
#include "store/query.h"
#include "web/layout.h"

namespace portscope::web {

/// The time ranges the dashboard offers; the first is the default.
inline constexpr std::string_view kDashboardRanges[] = {"24h", "1h", "6h", "7d", "30d"};
/// Timeline buckets on the dashboard, in the table the server renders and in
/// the chart the script draws and refreshes (it reads data-buckets).
inline constexpr uint32_t kDashboardBuckets = 48;

struct DashboardData {
  std::string range;  // as asked, e.g. "24h"; validated
  std::string db_path;
  store::Report report;
  std::vector<store::Event> latest_events;        // newest first
  std::vector<store::AlertRecord> latest_alerts;  // most recently started first
  std::vector<store::RunRecord> runs;             // newest first
  uint64_t now_us = 0;
  bool chart = true;  // the chart library is built in
};
std::string RenderDashboard(const Layout& layout, const registry::Registry& reg, const DashboardData& d);

struct SourceData {
  IpAddress ip;
  uint64_t rows = 0;  // events and summary rows from it, all time
  std::vector<store::Event> events;        // newest first, capped
  std::vector<store::AlertRecord> alerts;  // most recently started first
};
std::string RenderSourcePage(const Layout& layout, const SourceData& d);

std::string RenderAlertPage(const Layout& layout, const store::AlertRecord& a);

/// `message` says why (missing, or the error opening it).
std::string RenderNoDatabasePage(const Layout& layout, std::string_view db_path, std::string_view message);

struct PortCanaryData {
  bool have_db = false;
  std::string note;  // why there is nothing to show, when !have_db
  uint64_t rows = 0;
  std::vector<store::Event> latest;  // newest first
  uint64_t alerts = 0;
};
/// The port page's "What the canary has seen on this port" section.
std::string RenderPortCanarySection(uint16_t port, const PortCanaryData& d);

/// A hex view of `bytes`: offset, 16 bytes in hex, the printable ASCII ('.'
/// for the rest); HTML-escaped, for a <pre>.
std::string HexViewHtml(std::string_view bytes);
/// "2026-11-22 03:14:16Z".
std::string ShortUtc(uint64_t time_us);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_CANARY_PAGES_H_
