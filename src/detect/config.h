// detect::Config: the run-time tunables of the scan detector. Every default
// and every bound is in limits.h, with its effect on memory and false
// positives; this file only groups them.
#ifndef PORTSCOPE_DETECT_CONFIG_H_
#define PORTSCOPE_DETECT_CONFIG_H_

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "detect/limits.h"

namespace portscope::detect {

/// A window rule: fires when one source's evidence within `window_us` shows
/// at least `min_ports` distinct ports (vertical), or `min_hosts` distinct
/// hosts (horizontal), or both `block_hosts` hosts and `block_ports` ports
/// (block). Counts are of distinct ports and hosts among the evidence, so each
/// must be <= kEvidenceRing; 0 disables that clause.
struct WindowRule {
  uint64_t window_us = 0;
  uint32_t min_ports = 0;
  uint32_t min_hosts = 0;
  uint32_t block_hosts = 0;
  uint32_t block_ports = 0;
  bool operator==(const WindowRule&) const = default;
};

struct TrwParams {
  bool enabled = true;
  double theta0 = kDefaultTrwTheta0;
  double theta1 = kDefaultTrwTheta1;
  double alpha = kDefaultTrwAlpha;
  double beta = kDefaultTrwBeta;
  bool operator==(const TrwParams&) const = default;
};

/// Whether answers from targets (SYN-ACK, RST, ICMP errors, UDP replies) are
/// visible. TRW needs them: where they are not, every attempt would look
/// unanswered. kAuto turns TRW on at the first answer matched to an attempt.
enum class Visibility : uint8_t { kAuto, kInboundOnly, kBothDirections };

struct Config {
  uint32_t max_sources = kDefaultMaxSources;
  uint32_t max_flows = kDefaultMaxFlows;
  uint32_t max_scans = kDefaultMaxScans;

  uint64_t answer_timeout_us = kDefaultAnswerTimeoutUs;
  uint64_t flow_idle_timeout_us = kDefaultFlowIdleTimeoutUs;
  uint64_t source_idle_timeout_us = kDefaultSourceIdleTimeoutUs;
  uint64_t scan_end_idle_us = kDefaultScanEndIdleUs;
  uint32_t scan_end_gap_factor = kDefaultScanEndGapFactor;
  uint64_t update_interval_us = kDefaultUpdateIntervalUs;
  uint32_t alert_burst = kDefaultAlertBurst;
  uint32_t alerts_per_minute = kDefaultAlertsPerMinute;

  WindowRule fast{kDefaultFastWindowUs, kDefaultFastMinPorts, kDefaultFastMinHosts, kDefaultFastBlockHosts,
                  kDefaultFastBlockPorts};
  WindowRule slow{kDefaultSlowWindowUs, kDefaultSlowMinPorts, kDefaultSlowMinHosts, kDefaultSlowBlockHosts,
                  kDefaultSlowBlockPorts};
  TrwParams trw;
  Visibility visibility = Visibility::kAuto;

  /// Canary ports: a single probe to one of these is an alert.
  std::vector<uint16_t> watched_tcp_ports;
  std::vector<uint16_t> watched_udp_ports;

  /// Checks every field against the bounds in limits.h; the message names the
  /// first field out of bounds.
  Status Validate() const;
  /// The same config with every out-of-bounds field clamped into bounds (what
  /// an Engine built from an invalid Config uses).
  Config Clamped() const;

  bool operator==(const Config&) const = default;
};

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_CONFIG_H_
