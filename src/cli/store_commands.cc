#include "cli/store_commands.h"

#include <fmt/format.h>

#include "cli/cli11.h"
#include <cstdio>
#include <memory>

#include "base/cidr.h"
#include "base/text.h"
#include "cli/store_output.h"
#include "report/canary_filters.h"
#include "report/canary_json.h"
#include "report/time_args.h"
#include "store/database.h"
#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope::cli {
namespace {

using store::Database;

std::string DbPath(const std::string& flag) { return flag.empty() ? store::DefaultDatabasePath() : flag; }

// Opens the database for reading, or says why not and gives the exit code.
std::unique_ptr<Database> OpenDb(const std::string& path, int* exit_code) {
  auto db = Database::Open(path, store::OpenOptions{});
  if (db.ok()) return std::move(*db);
  const Status& st = db.status();
  switch (st.code()) {
    case Status::Code::kNotFound:
      *exit_code = Fail(kExitNotFound, st.message() + " (start `portscope canary` first, or give --db FILE)");
      break;
    case Status::Code::kCorrupt:
      *exit_code = Fail(kExitIo, st.message() + "; `sqlite3 FILE .recover` may save what is left, and "
                                                "`portscope canary` starts a new database when the damaged one is moved aside");
      break;
    case Status::Code::kInvalidArgument:
      *exit_code = Fail(kExitUsage, st.message());
      break;
    default:
      *exit_code = Fail(kExitIo, st.message());
  }
  return nullptr;
}

int QueryFailed(const Status& st) {
  if (st.code() == Status::Code::kCorrupt)
    return Fail(kExitIo, st.message() + " (the canary database is damaged; `sqlite3 FILE .recover` may save what is left)");
  return Fail(kExitIo, st.message());
}

report::FilterText Text(const StoreFilters& f) { return {f.since, f.until, f.source, f.port, f.kind, ""}; }

constexpr report::FilterNaming kFlags{"--"};

// " since ... from ... on port N": what the filters asked for, for "no events".
template <typename Query>
std::string Matching(const Query& q, const StoreFilters& f) {
  std::vector<std::string> parts;
  if (q.since_us) parts.push_back("since " + report::FormatLocalTime(*q.since_us));
  if (q.until_us) parts.push_back("until " + report::FormatLocalTime(*q.until_us));
  if (q.source) parts.push_back("from " + q.source->ToString());
  if (q.port) parts.push_back(fmt::format("on port {}", *q.port));
  if (!f.kind.empty()) parts.push_back("of kind " + EscapeForTerminal(f.kind));
  std::string s;
  for (const auto& x : parts) s += " " + x;
  return s;
}

void AddFilterOptions(CLI::App* app, StoreFilters* f, const char* kind_help) {
  app->add_option("--since", f->since, "Only from this time on: 10m, 2h, 1d, 1w back from now, or an ISO time (2026-11-22T03:14)");
  app->add_option("--until", f->until, "Only up to this time (same forms as --since)");
  app->add_option("--source", f->source, "Only from this address or CIDR block (203.0.113.0/24, 2001:db8::/32)");
  app->add_option("--port", f->port, "Only to this destination port");
  app->add_option("--kind", f->kind, kind_help);
}

}  // namespace

void AddDbOption(CLI::App* app, std::string* db) {
  app->add_option("--db", *db,
                  "The canary's database (default: $PORTSCOPE_DB, else /var/lib/portscope/canary.db as root, else "
                  "$XDG_STATE_HOME/portscope/canary.db or ~/.local/state/portscope/canary.db)");
}

void AddEventsCommand(CLI::App* app, EventsOptions* o) {
  CLI::App* c = app->add_subcommand("events", "Probes the canary recorded, newest last");
  AddDbOption(c, &o->db);
  AddFilterOptions(c, &o->filters, "Only this action: connect, datagram, syn, fin, null, xmas, ack, ..., or summary");
  c->add_option("--transport", o->transport, "Only tcp, udp or icmp");
  c->add_option("--limit", o->limit, "Show the newest N (default 100; 0 shows all, oldest first)")->check(CLI::Range(0, 100000000));
  o->common.Add(c);
  c->footer(
      "Payload bytes are shown escaped (\\xNN for control bytes and invalid UTF-8). A `summary` row stands\n"
      "for the probes of one source past its budget in one interval: their count, time span and ports.\n"
      "Exit status: 0 rows shown, 1 none match (or no database), 2 bad input, 3 damaged or unreadable database.\n\n"
      "Examples:\n  portscope events --since 1h\n  portscope events --source 203.0.113.0/24 --port 22\n"
      "  portscope events --kind summary --json | jq '.[].portscope.summary.count'");
}

void AddAlertsCommand(CLI::App* app, AlertsOptions* o) {
  CLI::App* c = app->add_subcommand("alerts", "Port scans the canary recognised, one row per scan");
  AddDbOption(c, &o->db);
  AddFilterOptions(c, &o->filters, "Only this scan type: syn, connect, fin, null, xmas, ack, maimon, udp, mixed");
  c->add_flag("--active", o->active, "Only scans that have not ended");
  c->add_flag("--verbose,-v", o->verbose, "Show each scan's evidence, ports and hosts");
  c->add_option("--limit", o->limit, "Show the N most recently started (default 100; 0 shows all)")->check(CLI::Range(0, 100000000));
  o->common.Add(c);
  c->footer(
      "Exit status: 0 scans shown, 1 none match (or no database), 2 bad input, 3 damaged or unreadable database.\n\n"
      "Examples:\n  portscope alerts --since 1d\n  portscope alerts --kind syn --verbose\n"
      "  portscope alerts --json | jq '.[].portscope.scan.tool_hint'");
}

void AddReportCommand(CLI::App* app, ReportOptions* o) {
  CLI::App* c = app->add_subcommand("report", "Summary of what the canary saw: top sources and ports, scan types, timeline");
  AddDbOption(c, &o->db);
  c->add_option("--since", o->since, "The report covers from this time to now (default 24h; 10m, 2h, 7d, or an ISO time)");
  c->add_option("--top", o->top, "Rows in the top lists (default 10)")->check(CLI::Range(1, 10000));
  o->common.Add(c);
  c->footer("Examples:\n  portscope report\n  portscope report --since 7d --top 20\n  portscope report --json | jq .top_ports");
}

int RunEvents(const EventsOptions& o, const registry::Registry& reg) {
  int code = kExitOk;
  report::FilterText text = Text(o.filters);
  text.transport = o.transport;
  auto parsed = report::ParseEventFilters(text, store::NowUs(), kFlags);
  if (!parsed.ok()) return Fail(kExitUsage, parsed.status().message());
  store::EventQuery q = *parsed;
  q.limit = o.limit;
  std::string path = DbPath(o.db);
  auto db = OpenDb(path, &code);
  if (!db) return code;

  const Style style = o.common.MakeStyle();
  store::EcsOptions ecs;
  size_t rows = 0;
  std::string out = o.common.json ? "[" : "";
  Status st = db->ForEachEvent(q, [&](store::Event& e) {
    if (o.common.json) {
      out += rows ? ",\n" : "\n";
      out += store::DumpLine(store::EventToEcs(e, ecs));
    } else {
      if (rows == 0) out += EventTableHeader(style);
      out += EventTableRow(e, reg);
    }
    ++rows;
    if (out.size() > (1 << 16)) {
      Print(out);
      out.clear();
    }
    return true;
  });
  if (o.common.json) out += rows ? "\n]\n" : "]\n";
  Print(out);
  if (!st.ok()) return QueryFailed(st);
  if (rows == 0) {
    if (!o.common.json) std::fprintf(stderr, "portscope: no events%s in %s\n", Matching(q, o.filters).c_str(), EscapeForTerminal(path).c_str());
    return kExitNotFound;
  }
  if (o.limit && rows == o.limit) {
    auto total = db->CountEvents(q);
    if (total.ok() && *total > rows)
      Note(fmt::format("showing the newest {} of {} rows; --limit N shows more, --limit 0 all", WithCommas(rows),
                       WithCommas(*total)));
  }
  return kExitOk;
}

int RunAlerts(const AlertsOptions& o, const registry::Registry& reg) {
  (void)reg;
  int code = kExitOk;
  auto parsed = report::ParseAlertFilters(Text(o.filters), store::NowUs(), kFlags);
  if (!parsed.ok()) return Fail(kExitUsage, parsed.status().message());
  store::AlertQuery q = *parsed;
  q.limit = o.limit;
  q.active = o.active;  // in the query, so --limit counts active scans only
  std::string path = DbPath(o.db);
  auto db = OpenDb(path, &code);
  if (!db) return code;
  auto alerts = db->QueryAlerts(q);
  if (!alerts.ok()) return QueryFailed(alerts.status());

  if (o.common.json) {
    std::string out = "[";
    store::EcsOptions ecs;
    for (size_t i = 0; i < alerts->size(); ++i) out += (i ? ",\n" : "\n") + store::DumpLine(store::AlertToEcs((*alerts)[i], ecs));
    out += alerts->empty() ? "]\n" : "\n]\n";
    Print(out);
    return alerts->empty() ? kExitNotFound : kExitOk;
  }
  if (alerts->empty()) {
    std::fprintf(stderr, "portscope: no %sscans%s in %s\n", o.active ? "active " : "", Matching(q, o.filters).c_str(),
                 EscapeForTerminal(path).c_str());
    return kExitNotFound;
  }
  const Style style = o.common.MakeStyle();
  std::string out = AlertTableHeader(style);
  for (const auto& a : *alerts) out += AlertTableRows(a, o.verbose, style);
  Print(out);
  if (o.limit && alerts->size() == o.limit) {
    auto total = db->CountAlerts(q);
    if (total.ok() && *total > alerts->size())
      Note(fmt::format("showing the {} most recently started of {} scans; --limit 0 shows all", WithCommas(alerts->size()),
                       WithCommas(*total)));
  }
  return kExitOk;
}

int RunReport(const ReportOptions& o, const registry::Registry& reg) {
  uint64_t now = store::NowUs();
  auto since = report::ParseReportSince(o.since, now, kFlags);
  if (!since.ok()) return Fail(kExitUsage, since.status().message());
  int code = kExitOk;
  std::string path = DbPath(o.db);
  auto db = OpenDb(path, &code);
  if (!db) return code;
  store::ReportQuery q;
  q.since_us = *since;
  q.until_us = now;
  q.top = o.top;
  q.buckets = 24;
  auto report = db->BuildReport(q);
  if (!report.ok()) return QueryFailed(report.status());
  if (o.common.json) {
    Print(report::Dump(report::ReportJson(*report, reg, path), 2) + "\n");
  } else {
    Print(RenderReport(*report, reg, path, o.common.MakeStyle()));
  }
  return kExitOk;
}

}  // namespace portscope::cli
