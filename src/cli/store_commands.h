// `portscope events`, `alerts` and `report`: what the canary recorded, read
// from its database.
#ifndef PORTSCOPE_CLI_STORE_COMMANDS_H_
#define PORTSCOPE_CLI_STORE_COMMANDS_H_

#include <cstddef>
#include <string>

#include "cli/common.h"
#include "registry/registry.h"

namespace portscope::cli {

/// Filters `events` and `alerts` share.
struct StoreFilters {
  std::string since;   // "10m", "2h", "1d", or an ISO time
  std::string until;
  std::string source;  // an address or a CIDR
  std::string port;
  std::string kind;
};

struct EventsOptions {
  Common common;
  std::string db;  // "" is store::DefaultDatabasePath()
  StoreFilters filters;
  std::string transport;
  size_t limit = 100;
};

struct AlertsOptions {
  Common common;
  std::string db;
  StoreFilters filters;
  bool active = false;  // scans not ended yet
  bool verbose = false;
  size_t limit = 100;
};

struct ReportOptions {
  Common common;
  std::string db;
  std::string since = "24h";
  size_t top = 10;
};

/// --db FILE, with the default path in its help; for every command that
/// reads or writes the canary's database (canary, events, alerts, report, serve).
void AddDbOption(CLI::App* app, std::string* db);

void AddEventsCommand(CLI::App* app, EventsOptions* o);
void AddAlertsCommand(CLI::App* app, AlertsOptions* o);
void AddReportCommand(CLI::App* app, ReportOptions* o);
int RunEvents(const EventsOptions& o, const registry::Registry& reg);
int RunAlerts(const AlertsOptions& o, const registry::Registry& reg);
int RunReport(const ReportOptions& o, const registry::Registry& reg);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_STORE_COMMANDS_H_
