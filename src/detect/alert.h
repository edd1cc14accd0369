// Alert: what detect/ says about one scan, and AlertSink, where it says it.
//
// A scan is one source's run of probes from the moment an algorithm
// recognises it until the source falls silent. Each scan produces one alert
// with phase kStarted, at most one kUpdated per update interval while new
// evidence arrives, and one kEnded with the final counts (never one per
// probe). All alerts of a scan share its scan_id.
//
// An Alert is a fixed-size value (no heap): the engine fills one on its stack
// and passes it to the sink, which copies what it keeps. Counts are exact up
// to the caps in limits.h; the field names say which numbers are lower bounds
// or estimates.
#ifndef PORTSCOPE_DETECT_ALERT_H_
#define PORTSCOPE_DETECT_ALERT_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "detect/limits.h"

namespace portscope::detect {

/// What one piece of evidence looked like on the wire.
enum class ProbeClass : uint8_t {
  kSyn,      // TCP SYN: half-open, refused or unanswered
  kConnect,  // TCP handshake completed, then closed without data
  kFin,
  kNull,
  kXmas,     // FIN+PSH+URG
  kAck,      // bare ACK (nmap -sA and -sW)
  kMaimon,   // FIN+ACK
  kUdp,
  kOddFlags, // any other TCP flag combination
};
inline constexpr int kProbeClassCount = 9;

/// The class of a TCP segment that is not a SYN, from its flags alone (FIN,
/// NULL, Xmas, ACK, Maimon; kOddFlags for any other combination, a SYN
/// included, whose class depends on what answers it).
ProbeClass TcpFlagsClass(uint8_t tcp_flags);

/// The scan type reported: the class of at least 90% of the evidence, else
/// kMixed.
enum class ScanKind : uint8_t { kSyn, kConnect, kFin, kNull, kXmas, kAck, kMaimon, kUdp, kMixed };

enum class ScanShape : uint8_t {
  kSingle,      // one target so far (a watched port touched, or TRW on few)
  kVertical,    // many ports, few hosts
  kHorizontal,  // one or few ports across many hosts
  kBlock,       // many of both
};

/// Bit flags: which algorithms have recognised the scan.
enum class Algorithm : uint8_t {
  kFastWindow = 1,
  kSlowWindow = 2,
  kTrw = 4,
  kWatchedPort = 8,
};

enum class AlertPhase : uint8_t { kStarted, kUpdated, kEnded };

enum class EndReason : uint8_t {
  kNone,      // phase is not kEnded
  kIdle,      // no probe for the scan's idle timeout
  kEvicted,   // its source or scan slot was needed for another
  kFinished,  // Engine::Finish (end of input)
};

/// What the packets say about the tool, when they say it.
enum class ToolHint : uint8_t { kNone, kMasscan, kNmapSyn, kZmap };

/// Evidence of a window rule at the moment it fired.
struct WindowEvidence {
  uint32_t targets = 0;  // distinct (host, port) evidence within the window
  uint32_t ports = 0;
  uint32_t hosts = 0;
  uint64_t span_us = 0;    // from the first to the last of them
  uint64_t window_us = 0;  // the rule's window
};

/// Threshold Random Walk state: at the moment it fired and now.
struct TrwEvidence {
  double likelihood_ratio = 1;  // product of per-outcome ratios since the last reset
  double threshold = 0;         // eta1 = beta / alpha
  uint32_t failures = 0;
  uint32_t successes = 0;
};

struct Alert {
  uint64_t scan_id = 0;  // 1, 2, ... per Engine, in order of recognition
  AlertPhase phase = AlertPhase::kStarted;
  EndReason end_reason = EndReason::kNone;
  IpAddress source;
  uint64_t first_seen_us = 0;  // first evidence of the scan
  uint64_t last_seen_us = 0;   // last probe
  uint64_t probes = 0;         // packets from the source counted as probes while it was tracked

  ScanKind kind = ScanKind::kMixed;
  std::array<uint32_t, kProbeClassCount> class_counts{};  // evidence per ProbeClass
  ScanShape shape = ScanShape::kSingle;

  /// Distinct target hosts: exact when hosts_exact, else a lower bound; the
  /// estimate (HyperLogLog) equals it when exact.
  uint32_t hosts_at_least = 0;
  bool hosts_exact = true;
  uint32_t hosts_estimated = 0;
  /// Distinct port numbers (any protocol): exact unless evidence was
  /// overwritten before the alert (then a lower bound).
  uint32_t ports_at_least = 0;
  bool ports_exact = true;
  /// Up to kAlertHosts hosts in first-seen order. IPv6 hosts probed before the
  /// alert are known by hash only and may be missing from the list.
  std::array<IpAddress, kAlertHosts> hosts{};
  uint8_t hosts_listed = 0;
  /// The lowest kAlertPorts distinct ports.
  std::array<uint16_t, kAlertPorts> ports{};
  uint8_t ports_listed = 0;
  /// The same ports as runs of consecutive numbers: the lowest
  /// kAlertPortRanges runs, and whether there are more.
  struct PortRange {
    uint16_t first = 0;
    uint16_t last = 0;
  };
  std::array<PortRange, kAlertPortRanges> port_ranges{};
  uint8_t port_ranges_listed = 0;
  bool port_ranges_more = false;

  Algorithm algorithm = Algorithm::kFastWindow;  // the first to fire
  uint8_t algorithms = 0;                        // every one that fired (Algorithm bits)
  WindowEvidence fast;                           // valid when kFastWindow fired
  WindowEvidence slow;                           // valid when kSlowWindow fired
  TrwEvidence trw_fired;                         // valid when kTrw fired
  TrwEvidence trw_now;                           // the walk as it stands (two-way traffic only)
  uint16_t watched_port = 0;                     // the first watched port touched
  uint32_t watched_touches = 0;

  ToolHint hint = ToolHint::kNone;  // "likely", never certain
  uint32_t hint_matches = 0;        // SYN probes matching the hint's profile
  uint32_t hint_checked = 0;        // SYN probes examined

  /// Every port of the scan, not only the lowest listed above: bit p % 64 of
  /// word p / 64 (65,536 bits), set for each distinct port probed. A view of
  /// the engine's scan record, valid only during AlertSink::OnAlert (a sink
  /// that keeps the alert must copy what it needs, or clear this); empty in
  /// an Alert not made by the engine.
  std::span<const uint64_t> port_bitmap;

  bool fired(Algorithm a) const { return (algorithms & static_cast<uint8_t>(a)) != 0; }
};

/// Receives alerts. Called synchronously from Engine::Process/Flush/Finish.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void OnAlert(const Alert& alert) = 0;
};

std::string_view ProbeClassName(ProbeClass c);
std::string_view ScanKindName(ScanKind k);   // "syn", "connect", ..., "mixed"
std::string_view ScanShapeName(ScanShape s);
std::string_view AlgorithmName(Algorithm a);  // "fast-window", "slow-window", "trw", "watched-port"
std::string_view AlertPhaseName(AlertPhase p);
std::string_view EndReasonName(EndReason r);
std::string_view ToolHintName(ToolHint h);    // "masscan", "nmap -sS", "zmap"

/// One line per fired algorithm, e.g. "trw: likelihood ratio 256 >= 99 after
/// 4 failures, 0 successes". Allocates; for sinks, not the packet path.
std::string DescribeEvidence(const Alert& alert);
/// "likely masscan: 20 of 20 SYN probes ..." or "" when no hint.
std::string DescribeHint(const Alert& alert);
/// A one-line summary for logs and tests.
std::string Summarize(const Alert& alert);
/// The ports set in an Alert::port_bitmap, lowest first, at most `max`.
/// Allocates; for sinks, not the packet path.
std::vector<uint16_t> BitmapPorts(std::span<const uint64_t> bitmap, size_t max);

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_ALERT_H_
