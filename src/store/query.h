// What the read side asks of the database (events, alerts, the report) and
// what it gets back: filters in, structured rows out. Wording and layout for
// people belong to cli/ and web/.
#ifndef PORTSCOPE_STORE_QUERY_H_
#define PORTSCOPE_STORE_QUERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/cidr.h"
#include "base/ip_address.h"
#include "store/event.h"
#include "store/sink.h"

namespace portscope::store {

struct EventQuery {
  std::optional<uint64_t> since_us;  // rows with a probe at or after this time
  std::optional<uint64_t> until_us;  // rows that began at or before this time
  std::optional<Cidr> source;
  /// Rows whose destination port is this, and summaries that include it.
  std::optional<uint16_t> port;
  std::optional<std::string> action;  // "connect", "syn", ..., "summary"
  std::optional<Transport> transport;
  /// 0: every row, oldest first. N: the newest N rows, returned oldest first.
  size_t limit = 0;
};

struct AlertQuery {
  std::optional<uint64_t> since_us;  // scans seen at or after this time
  std::optional<uint64_t> until_us;  // scans that began at or before this time
  std::optional<Cidr> source;
  std::optional<uint16_t> port;      // scans whose listed ports include it
  std::optional<ScanKind> kind;
  std::optional<AlertPhase> phase;
  std::optional<int64_t> id;  // the row with this id (AlertRecord::id)
  bool active = false;        // only scans that have not ended
  /// 0: every scan, oldest first. N: the N most recently started, oldest first.
  size_t limit = 0;
};

struct ReportQuery {
  uint64_t since_us = 0;
  uint64_t until_us = 0;  // REQUIRES: until_us > since_us
  size_t top = 10;
  uint32_t buckets = 24;  // timeline resolution: (until - since) / buckets each
};

struct Report {
  uint64_t since_us = 0, until_us = 0;
  uint64_t events_stored = 0;      // rows stored one by one in the window
  uint64_t probes_summarized = 0;  // probes counted in summary rows only
  uint64_t summary_rows = 0;
  uint64_t sources = 0;            // distinct sources
  uint64_t scans = 0;              // alerts (one per scan) seen in the window

  struct SourceRow {
    IpAddress src;
    uint64_t probes = 0;  // stored + summarized
    uint64_t ports = 0;   // distinct destination ports, summaries included
    uint64_t scans = 0;
    uint64_t first_us = 0, last_us = 0;
  };
  std::vector<SourceRow> top_sources;  // most probes first

  struct PortRow {
    uint16_t port = 0;
    Transport transport = Transport::kTcp;
    uint64_t probes = 0;   // stored events only (summaries keep no per-port counts)
    uint64_t sources = 0;  // distinct sources among them
  };
  std::vector<PortRow> top_ports;

  struct KindRow {
    ScanKind kind = ScanKind::kMixed;
    uint64_t scans = 0;
    uint64_t probes = 0;
  };
  std::vector<KindRow> scan_kinds;  // most scans first
  struct HintRow {
    std::string hint;  // the tool named in the hint ("masscan"), or the whole hint
    uint64_t scans = 0;
  };
  std::vector<HintRow> tool_hints;

  uint64_t bucket_us = 0;
  std::vector<uint64_t> timeline_probes;  // per bucket, summaries at their first probe
  std::vector<uint64_t> timeline_scans;   // scans started per bucket

  /// Writer counters summed over the canary runs active in the window.
  uint64_t events_dropped = 0;
  uint64_t alerts_dropped = 0;
  uint64_t sources_evicted = 0;
  uint64_t sink_errors = 0;
  uint64_t runs = 0;
};

/// One canary run (one Writer) as the runs table keeps it: who, since when,
/// and its counters as of its latest batch.
struct RunRecord {
  int64_t id = 0;
  uint64_t started_us = 0;
  uint64_t updated_us = 0;  // the latest batch written (0: none yet)
  std::string sensor, hostname, version;
  int64_t pid = 0;
  WriterCounters counters;
};

/// The writer counters of every run the database holds, summed.
struct RunTotals {
  uint64_t runs = 0;
  WriterCounters sum;
};

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_QUERY_H_
