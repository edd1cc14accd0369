// The read side of Database: events and alerts by filter, and the report's
// aggregates. Filters become one WHERE clause over the indexes (time, source,
// port, kind); a CIDR is a BETWEEN on the 16-byte address.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <variant>

#include "store/database.h"
#include "store/db_internal.h"
#include "store/port_set.h"

namespace portscope::store {
namespace internal {

namespace {
void HasPort(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 2 || sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  const void* p = sqlite3_value_blob(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  int64_t port = sqlite3_value_int64(argv[1]);
  if (!p || n <= 0 || port < 0 || port > 65535) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  std::string_view blob(static_cast<const char*>(p), static_cast<size_t>(n));
  sqlite3_result_int(ctx, PortSet::EncodedContains(blob, static_cast<uint16_t>(port)) ? 1 : 0);
}
}  // namespace

int RegisterFunctions(sqlite3* db) {
  return sqlite3_create_function_v2(db, "ps_has_port", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                    nullptr, HasPort, nullptr, nullptr, nullptr);
}

}  // namespace internal

namespace {

using internal::IpBlob;
using internal::IpFromBlob;

// A WHERE clause and the values for its ?N, bound in order.
struct Where {
  std::string sql;
  std::vector<std::variant<uint64_t, std::string, std::string_view>> args;  // string_view: a blob
  void And(const std::string& clause) { sql += (sql.empty() ? " WHERE " : " AND ") + clause; }
  std::string Arg(uint64_t v) {
    args.emplace_back(v);
    return fmt::format("?{}", args.size());
  }
  std::string Text(std::string v) {
    args.emplace_back(std::move(v));
    return fmt::format("?{}", args.size());
  }
  std::string Blob(std::string_view v) {
    args.emplace_back(v);
    return fmt::format("?{}", args.size());
  }
  void BindAll(sql::Statement* s) const {
    for (size_t i = 0; i < args.size(); ++i) {
      int n = static_cast<int>(i + 1);
      if (auto* u = std::get_if<uint64_t>(&args[i])) s->Bind(n, *u);
      else if (auto* t = std::get_if<std::string>(&args[i])) s->BindText(n, *t);
      else s->BindBlob(n, std::get<std::string_view>(args[i]));
    }
  }
};

Where EventWhere(const EventQuery& q) {
  Where w;
  if (q.since_us) {
    // A summary row begins at its first probe and may end within the next
    // interval: look back one interval and test its end.
    uint64_t back = *q.since_us > internal::kMaxSummarySpanUs ? *q.since_us - internal::kMaxSummarySpanUs : 0;
    w.And(fmt::format("time_us >= {} AND last_us >= {}", w.Arg(back), w.Arg(*q.since_us)));
  }
  if (q.until_us) w.And("time_us <= " + w.Arg(*q.until_us));
  if (q.source) w.And(fmt::format("src BETWEEN {} AND {}", w.Blob(IpBlob(q.source->first())), w.Blob(IpBlob(q.source->last()))));
  if (q.port) {
    std::string p = w.Arg(*q.port);
    w.And(fmt::format("(dport = {0} OR (action = 'summary' AND ps_has_port(ports, {0})))", p));
  }
  if (q.action) w.And("action = " + w.Text(*q.action));
  if (q.transport) w.And("transport = " + w.Text(std::string(TransportName(*q.transport))));
  return w;
}

constexpr std::string_view kEventColumns =
    "id, time_us, sensor, src, sport, dst, dport, transport, tcp_flags, action, payload, payload_truncated, "
    "service, count, last_us, port_count, ports";

Event ReadEvent(const sql::Statement& s) {
  Event e;
  e.id = s.Int(0);
  e.time_us = s.U64(1);
  e.sensor = std::string(s.Text(2));
  e.src = IpFromBlob(s.Blob(3));
  e.sport = static_cast<uint16_t>(s.Int(4));
  e.dst = IpFromBlob(s.Blob(5));
  e.dport = static_cast<uint16_t>(s.Int(6));
  e.transport = ParseTransport(s.Text(7)).value_or(Transport::kMixed);
  e.tcp_flags = static_cast<uint8_t>(s.Int(8));
  e.action = std::string(s.Text(9));
  e.payload = std::string(s.Blob(10));
  e.payload_truncated = s.Int(11) != 0;
  e.service = std::string(s.Text(12));
  e.count = s.U64(13);
  e.last_us = s.U64(14);
  e.distinct_ports = static_cast<uint32_t>(s.Int(15));
  if (e.summary() && !s.IsNull(16)) {
    PortSet ports;
    (void)PortSet::Decode(s.Blob(16), &ports);
    e.ports = ports.ToVector();
  }
  return e;
}

Where AlertWhere(const AlertQuery& q) {
  Where w;
  if (q.since_us) w.And("last_seen_us >= " + w.Arg(*q.since_us));
  if (q.until_us) w.And("min(first_seen_us, started_us) <= " + w.Arg(*q.until_us));
  if (q.source)
    w.And(fmt::format("source BETWEEN {} AND {}", w.Blob(IpBlob(q.source->first())), w.Blob(IpBlob(q.source->last()))));
  if (q.port) w.And(fmt::format("ps_has_port(ports, {})", w.Arg(*q.port)));
  if (q.kind) w.And("kind = " + w.Text(std::string(ScanKindName(*q.kind))));
  if (q.phase) w.And("phase = " + w.Text(std::string(AlertPhaseName(*q.phase))));
  if (q.active) w.And("phase != " + w.Text(std::string(AlertPhaseName(AlertPhase::kEnded))));
  if (q.id) w.And("id = " + w.Arg(static_cast<uint64_t>(std::max<int64_t>(0, *q.id))));
  return w;
}

constexpr std::string_view kAlertColumns =
    "id, run_id, scan_id, sensor, phase, started_us, updated_us, source, kind, shape, algorithms, first_seen_us, "
    "last_seen_us, probes, port_count, host_count, ports, hosts, evidence, tool_hint, ended_reason";

// The runs table's writer counters, in WriterCounters' order.
constexpr std::string_view kCounterColumns[] = {"events_enqueued",  "events_dropped", "events_summarized",
                                                 "alerts_enqueued",  "alerts_dropped", "sources_evicted",
                                                 "sink_errors"};

// The counter columns, each passed through `wrap` ("{}" keeps it).
std::string CounterColumns(std::string_view wrap) {
  std::string out;
  for (std::string_view c : kCounterColumns) out += (out.empty() ? "" : ", ") + fmt::format(fmt::runtime(wrap), c);
  return out;
}

// Reads the counters from kCounterColumns, the first at column `first`.
WriterCounters ReadCounters(const sql::Statement& s, int first) {
  WriterCounters c;
  c.events_enqueued = s.U64(first);
  c.events_dropped = s.U64(first + 1);
  c.events_summarized = s.U64(first + 2);
  c.alerts_enqueued = s.U64(first + 3);
  c.alerts_dropped = s.U64(first + 4);
  c.sources_evicted = s.U64(first + 5);
  c.sink_errors = s.U64(first + 6);
  return c;
}

AlertRecord ReadAlert(const sql::Statement& s) {
  AlertRecord a;
  a.id = s.Int(0);
  a.run_id = s.Int(1);
  a.scan_id = s.U64(2);
  a.sensor = std::string(s.Text(3));
  a.phase = ParseAlertPhase(s.Text(4)).value_or(AlertPhase::kUpdated);
  a.started_us = s.U64(5);
  a.time_us = s.U64(6);
  a.source = IpFromBlob(s.Blob(7));
  a.kind = ParseScanKind(s.Text(8)).value_or(ScanKind::kMixed);
  a.shape = ParseScanShape(s.Text(9)).value_or(ScanShape::kSingle);
  a.algorithms = SplitAlgorithms(s.Text(10));
  a.first_seen_us = s.U64(11);
  a.last_seen_us = s.U64(12);
  a.probes = s.U64(13);
  a.port_count = static_cast<uint32_t>(s.Int(14));
  a.host_count = static_cast<uint32_t>(s.Int(15));
  PortSet ports;
  (void)PortSet::Decode(s.Blob(16), &ports);
  a.ports = ports.ToVector();
  std::string_view hosts = s.Blob(17);
  for (size_t i = 0; i + 16 <= hosts.size(); i += 16) a.hosts.push_back(IpFromBlob(hosts.substr(i, 16)));
  a.evidence = std::string(s.Text(18));
  a.tool_hint = std::string(s.Text(19));
  a.ended_reason = std::string(s.Text(20));
  return a;
}

// "SELECT <what> FROM <from>" with the filter, for a single count.
Result<uint64_t> Count(sql::Connection& conn, std::string_view what, std::string_view from, const Where& w) {
  auto s = conn.Prepare(fmt::format("SELECT {} FROM {}{}", what, from, w.sql));
  if (!s.ok()) return s.status();
  w.BindAll(&*s);
  Status st;
  uint64_t n = s->Step(&st) ? s->U64(0) : 0;
  if (!st.ok()) return st;
  return n;
}

}  // namespace

Status Database::ForEachEvent(const EventQuery& q, const std::function<bool(Event&)>& f) {
  Where w = EventWhere(q);
  std::string text = fmt::format("SELECT {} FROM events{}", kEventColumns, w.sql);
  if (q.limit) text += fmt::format(" ORDER BY time_us DESC, id DESC LIMIT {}", q.limit);
  else text += " ORDER BY time_us, id";
  auto s = conn_.Prepare(text);
  if (!s.ok()) return s.status();
  w.BindAll(&*s);
  Status st;
  if (!q.limit) {
    while (s->Step(&st)) {
      Event e = ReadEvent(*s);
      if (!f(e)) break;
    }
    return st;
  }
  // The newest N, handed out oldest first.
  std::vector<Event> rows;
  while (s->Step(&st)) rows.push_back(ReadEvent(*s));
  if (!st.ok()) return st;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it)
    if (!f(*it)) break;
  return Status::Ok();
}

Result<std::vector<Event>> Database::QueryEvents(const EventQuery& q) {
  std::vector<Event> out;
  Status st = ForEachEvent(q, [&](Event& e) {
    out.push_back(std::move(e));
    return true;
  });
  if (!st.ok()) return st;
  return out;
}

Result<uint64_t> Database::CountEvents(const EventQuery& q) {
  return Count(conn_, "count(*)", "events", EventWhere(q));
}

Result<std::vector<AlertRecord>> Database::QueryAlerts(const AlertQuery& q) {
  Where w = AlertWhere(q);
  std::string text = fmt::format("SELECT {} FROM alerts{}", kAlertColumns, w.sql);
  if (q.limit) text += fmt::format(" ORDER BY started_us DESC, id DESC LIMIT {}", q.limit);
  else text += " ORDER BY started_us, id";
  auto s = conn_.Prepare(text);
  if (!s.ok()) return s.status();
  w.BindAll(&*s);
  std::vector<AlertRecord> out;
  Status st;
  while (s->Step(&st)) out.push_back(ReadAlert(*s));
  if (!st.ok()) return st;
  if (q.limit) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<RunRecord>> Database::QueryRuns(size_t limit) {
  std::string text = "SELECT id, started_us, updated_us, sensor, hostname, version, pid, " + CounterColumns("{}") +
                     " FROM runs ORDER BY id DESC";
  if (limit) text += fmt::format(" LIMIT {}", limit);
  auto s = conn_.Prepare(text);
  if (!s.ok()) return s.status();
  std::vector<RunRecord> out;
  Status st;
  while (s->Step(&st)) {
    RunRecord r;
    r.id = s->Int(0);
    r.started_us = s->U64(1);
    r.updated_us = s->U64(2);
    r.sensor = std::string(s->Text(3));
    r.hostname = std::string(s->Text(4));
    r.version = std::string(s->Text(5));
    r.pid = s->Int(6);
    r.counters = ReadCounters(*s, 7);
    out.push_back(std::move(r));
  }
  if (!st.ok()) return st;
  return out;
}

Result<RunTotals> Database::SumRuns() {
  auto s = conn_.Prepare("SELECT count(*), " + CounterColumns("coalesce(sum({}), 0)") + " FROM runs");
  if (!s.ok()) return s.status();
  RunTotals t;
  Status st;
  if (s->Step(&st)) {
    t.runs = s->U64(0);
    t.sum = ReadCounters(*s, 1);
  }
  if (!st.ok()) return st;
  return t;
}

Result<uint64_t> Database::CountSources(uint64_t since_us) {
  EventQuery q;
  q.since_us = since_us;
  return Count(conn_, "count(DISTINCT src)", "events", EventWhere(q));
}

Result<uint64_t> Database::CountAlerts(const AlertQuery& q) {
  return Count(conn_, "count(*)", "alerts", AlertWhere(q));
}

Result<Report> Database::BuildReport(const ReportQuery& q) {
  if (q.until_us <= q.since_us || q.buckets == 0) return Status::InvalidArgument("the report window is empty");
  Report r;
  r.since_us = q.since_us;
  r.until_us = q.until_us;
  r.bucket_us = std::max<uint64_t>(1, (q.until_us - q.since_us + q.buckets - 1) / q.buckets);
  r.timeline_probes.assign(q.buckets, 0);
  r.timeline_scans.assign(q.buckets, 0);

  EventQuery window;
  window.since_us = q.since_us;
  window.until_us = q.until_us;
  Where ew = EventWhere(window);
  Status st;
  auto run = [&](const std::string& text, const Where& w, const std::function<void(const sql::Statement&)>& row) -> Status {
    auto s = conn_.Prepare(text);
    if (!s.ok()) return s.status();
    w.BindAll(&*s);
    Status step;
    while (s->Step(&step)) row(*s);
    return step;
  };

  // One pass over the window's rows (in time order, so the table is read
  // nearly sequentially) gives the totals, per-source and per-port counts
  // and the timeline; separate GROUP BY queries would each read it again.
  struct SourceAcc {
    uint64_t probes = 0, first_us = UINT64_MAX, last_us = 0;
  };
  // Keyed: the sources are whatever addresses the probes came from.
  std::unordered_map<IpAddress, SourceAcc, SeededIpHash> by_source(64, SeededIpHash{RandomHashSeed()});
  std::unordered_map<uint32_t, uint64_t> by_port;  // port << 8 | transport -> stored probes
  st = run("SELECT src, dport, transport, action = 'summary', count, time_us, last_us FROM events" + ew.sql, ew,
           [&](const sql::Statement& s) {
             IpAddress src = IpFromBlob(s.Blob(0));
             bool summary = s.Int(3) != 0;
             uint64_t count = s.U64(4), t = s.U64(5), last = s.U64(6);
             if (summary) {
               ++r.summary_rows;
               r.probes_summarized += count;
             } else {
               ++r.events_stored;
               auto tr = ParseTransport(s.Text(2)).value_or(Transport::kMixed);
               ++by_port[(static_cast<uint32_t>(s.Int(1)) << 8) | static_cast<uint32_t>(tr)];
             }
             SourceAcc& a = by_source[src];
             a.probes += count;
             a.first_us = std::min(a.first_us, t);
             a.last_us = std::max(a.last_us, last);
             uint64_t b = (std::max(t, q.since_us) - q.since_us) / r.bucket_us;
             if (b < r.timeline_probes.size()) r.timeline_probes[b] += count;
           });
  if (!st.ok()) return st;
  r.sources = by_source.size();

  // Top sources by probes, with exact distinct ports (summaries included).
  for (const auto& [src, a] : by_source) {
    Report::SourceRow row;
    row.src = src;
    row.probes = a.probes;
    row.first_us = a.first_us;
    row.last_us = a.last_us;
    r.top_sources.push_back(row);
  }
  auto by_probes = [](const Report::SourceRow& a, const Report::SourceRow& b) {
    return a.probes != b.probes ? a.probes > b.probes : a.src < b.src;
  };
  size_t keep = std::min(q.top, r.top_sources.size());
  std::partial_sort(r.top_sources.begin(), r.top_sources.begin() + static_cast<std::ptrdiff_t>(keep),
                    r.top_sources.end(), by_probes);
  r.top_sources.resize(keep);
  for (Report::SourceRow& row : r.top_sources) {
    EventQuery one = window;
    one.source = Cidr::Host(row.src);
    Where w = EventWhere(one);
    PortSet ports;
    st = run("SELECT action = 'summary', dport, ports FROM events" + w.sql, w, [&](const sql::Statement& s) {
      if (s.Int(0)) {
        PortSet more;
        (void)PortSet::Decode(s.Blob(2), &more);
        ports.Merge(more);
      } else {
        ports.Insert(static_cast<uint16_t>(s.Int(1)));
      }
    });
    if (!st.ok()) return st;
    row.ports = ports.size();
  }

  // Top ports (stored events only: a summary keeps its ports, not per-port
  // counts), then their distinct sources, one indexed query each.
  for (const auto& [key, n] : by_port) {
    Report::PortRow row;
    row.port = static_cast<uint16_t>(key >> 8);
    row.transport = static_cast<Transport>(key & 0xff);
    row.probes = n;
    r.top_ports.push_back(row);
  }
  auto port_order = [](const Report::PortRow& a, const Report::PortRow& b) {
    if (a.probes != b.probes) return a.probes > b.probes;
    return a.port != b.port ? a.port < b.port : a.transport < b.transport;
  };
  keep = std::min(q.top, r.top_ports.size());
  std::partial_sort(r.top_ports.begin(), r.top_ports.begin() + static_cast<std::ptrdiff_t>(keep), r.top_ports.end(),
                    port_order);
  r.top_ports.resize(keep);
  for (Report::PortRow& row : r.top_ports) {
    Where w = ew;
    w.And(fmt::format("dport = {} AND transport = {} AND action != 'summary'", w.Arg(row.port),
                      w.Text(std::string(TransportName(row.transport)))));
    st = run("SELECT count(DISTINCT src) FROM events" + w.sql, w, [&](const sql::Statement& s) { row.sources = s.U64(0); });
    if (!st.ok()) return st;
  }

  // Scans: kinds, tool hints, per-source counts, timeline of starts.
  AlertQuery aq;
  aq.since_us = q.since_us;
  aq.until_us = q.until_us;
  Where aw = AlertWhere(aq);
  std::map<ScanKind, Report::KindRow> kinds;
  std::map<std::string, uint64_t> hints;
  std::map<IpAddress, uint64_t> scans_by_source;
  st = run("SELECT kind, probes, tool_hint, source, min(first_seen_us, started_us) FROM alerts" + aw.sql, aw,
           [&](const sql::Statement& s) {
             ++r.scans;
             ScanKind k = ParseScanKind(s.Text(0)).value_or(ScanKind::kMixed);
             auto& row = kinds[k];
             row.kind = k;
             ++row.scans;
             row.probes += s.U64(1);
             std::string hint(s.Text(2));
             if (!hint.empty()) {
               // "likely masscan: 20 of 20 ..." -> "masscan"
               std::string key = hint;
               if (key.rfind("likely ", 0) == 0) key = key.substr(7);
               if (size_t colon = key.find(':'); colon != std::string::npos) key = key.substr(0, colon);
               ++hints[key];
             }
             ++scans_by_source[IpFromBlob(s.Blob(3))];
             uint64_t started = s.U64(4);
             if (started >= q.since_us) {
               uint64_t b = (started - q.since_us) / r.bucket_us;
               if (b < r.timeline_scans.size()) ++r.timeline_scans[b];
             } else if (!r.timeline_scans.empty()) {
               ++r.timeline_scans[0];  // began before the window, still active in it
             }
           });
  if (!st.ok()) return st;
  for (auto& [k, row] : kinds) r.scan_kinds.push_back(row);
  std::stable_sort(r.scan_kinds.begin(), r.scan_kinds.end(),
                   [](const auto& a, const auto& b) { return a.scans > b.scans; });
  for (auto& [h, n] : hints) r.tool_hints.push_back({h, n});
  std::stable_sort(r.tool_hints.begin(), r.tool_hints.end(),
                   [](const auto& a, const auto& b) { return a.scans > b.scans; });
  for (Report::SourceRow& row : r.top_sources)
    if (auto it = scans_by_source.find(row.src); it != scans_by_source.end()) row.scans = it->second;

  // Writer counters of the runs active in the window.
  Where rw;
  std::string since = rw.Arg(q.since_us), until = rw.Arg(q.until_us);
  rw.And(fmt::format("updated_us >= {} AND started_us <= {}", since, until));
  st = run("SELECT count(*), coalesce(sum(events_dropped), 0), coalesce(sum(alerts_dropped), 0), "
           "coalesce(sum(sources_evicted), 0), coalesce(sum(sink_errors), 0) FROM runs" + rw.sql,
           rw, [&](const sql::Statement& s) {
             r.runs = s.U64(0);
             r.events_dropped = s.U64(1);
             r.alerts_dropped = s.U64(2);
             r.sources_evicted = s.U64(3);
             r.sink_errors = s.U64(4);
           });
  if (!st.ok()) return st;
  return r;
}

}  // namespace portscope::store
