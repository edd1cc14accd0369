// What the canary records: one probe of a watched port (Event), a summary of
// the probes past a source's budget (an Event with action "summary"), and the
// state of one port scan (AlertRecord). Plain value types shared by every
// sink and by the queries; independent of detect/ and canary/, which map their
// own types onto these.
#ifndef PORTSCOPE_STORE_EVENT_H_
#define PORTSCOPE_STORE_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"

namespace portscope::store {

/// kMixed appears only on summary rows whose probes used several transports.
enum class Transport : uint8_t { kTcp, kUdp, kIcmp, kMixed };
std::string_view TransportName(Transport t);  // "tcp", "udp", "icmp", "mixed"
std::optional<Transport> ParseTransport(std::string_view name);

/// The action of a summary row.
inline constexpr std::string_view kSummaryAction = "summary";
/// Every action the canary records (canary/records.cc): a connection, a
/// datagram, a packet named after its TCP flags (detect's probe classes,
/// "tcp" for other combinations), a summary row.
inline constexpr std::string_view kEventActions[] = {"connect", "datagram", "syn", "fin",  "null",
                                                     "xmas",    "ack",      "maimon", "tcp", kSummaryAction};

/// One probe as stored, or (action == kSummaryAction) the probes of one source
/// in one budget interval that were counted but not stored one by one.
struct Event {
  uint64_t time_us = 0;  // microseconds since the Unix epoch; a summary's first probe
  std::string sensor;    // which canary saw it (its configured name, by default the hostname)
  IpAddress src;
  uint16_t sport = 0;
  IpAddress dst;
  uint16_t dport = 0;
  Transport transport = Transport::kTcp;
  uint8_t tcp_flags = 0;  // as on the wire (RFC 9293), 0 when not TCP
  /// What the probe did, a short word the producer chooses: "connect",
  /// "datagram", "syn", "fin", "null", "xmas", "ack", "maimon", ...
  std::string action;
  /// Bytes the prober sent, exactly as received (any byte value, not text).
  /// The producer caps it; the database cuts it at StoreOptions::max_payload.
  std::string payload;
  bool payload_truncated = false;  // the prober sent more than `payload` holds
  std::string service;             // IANA name of dport, or ""

  // Summary rows only (count is 1, last_us == time_us, distinct_ports 1 on a
  // plain event).
  uint64_t count = 1;        // probes this row stands for
  uint64_t last_us = 0;      // last probe; 0 on input means time_us
  uint32_t distinct_ports = 1;
  std::vector<uint16_t> ports;  // a summary's distinct destination ports, ascending (read side)

  int64_t id = 0;  // database row id when read back, else 0

  bool summary() const { return action == kSummaryAction; }
  uint64_t first_us() const { return time_us; }
  uint64_t end_us() const { return last_us ? last_us : time_us; }
};

enum class AlertPhase : uint8_t { kStarted, kUpdated, kEnded };
std::string_view AlertPhaseName(AlertPhase p);  // "started", "updated", "ended"
std::optional<AlertPhase> ParseAlertPhase(std::string_view name);

/// The scan type: the class of nearly all the evidence, else kMixed.
enum class ScanKind : uint8_t { kSyn, kConnect, kFin, kNull, kXmas, kAck, kMaimon, kUdp, kMixed };
std::string_view ScanKindName(ScanKind k);  // "syn", "connect", ..., "mixed"
std::optional<ScanKind> ParseScanKind(std::string_view name);

enum class ScanShape : uint8_t { kSingle, kVertical, kHorizontal, kBlock };
std::string_view ScanShapeName(ScanShape s);  // "single", "vertical", "horizontal", "block"
std::optional<ScanShape> ParseScanShape(std::string_view name);

/// One alert about one scan. The detector sends several per scan (started,
/// updated, ended) with the same scan_id; the database keeps one row per scan
/// in which the latest alert wins, except that the time of the first one
/// received is kept as started_us.
struct AlertRecord {
  uint64_t scan_id = 0;  // unique per writer run (the database adds the run)
  AlertPhase phase = AlertPhase::kStarted;
  uint64_t time_us = 0;  // when this alert was raised
  std::string sensor;
  IpAddress source;
  ScanKind kind = ScanKind::kMixed;
  ScanShape shape = ScanShape::kSingle;
  std::vector<std::string> algorithms;  // those that recognised the scan: "fast-window", "trw", ...
  uint64_t first_seen_us = 0;
  uint64_t last_seen_us = 0;
  uint64_t probes = 0;
  uint32_t port_count = 0;  // distinct ports (the detector's count; ports below may be capped)
  uint32_t host_count = 0;  // distinct target hosts
  std::vector<uint16_t> ports;     // capped by the producer and at kMaxAlertPorts here
  std::vector<IpAddress> hosts;    // capped by the producer and at kMaxAlertHosts here
  std::string evidence;   // why the detector thinks it is a scan, one line per algorithm
  std::string tool_hint;  // e.g. "likely masscan: ...", or ""
  std::string ended_reason;  // "idle", "evicted", "finished"; "" until ended

  // Read side only.
  int64_t id = 0;
  int64_t run_id = 0;
  uint64_t started_us = 0;  // time_us of the first alert of the scan the database received
};

/// Caps the database applies whatever the producer sends.
inline constexpr size_t kMaxAlertPorts = 1024;
inline constexpr size_t kMaxAlertHosts = 256;
inline constexpr size_t kMaxTextField = 4096;  // evidence, tool_hint, action, sensor, service

/// "algorithms" as stored: joined with commas.
std::string JoinAlgorithms(const std::vector<std::string>& a);
std::vector<std::string> SplitAlgorithms(std::string_view s);

}  // namespace portscope::store

#endif  // PORTSCOPE_STORE_EVENT_H_
