// ScanRecord: the state of one running scan (internal to detect/).
//
// A record is taken from a fixed pool when an algorithm recognises a scan and
// returned when the scan ends. It counts the scan's targets exactly within
// fixed memory: a 65,536-bit port bitmap (every port number, exact), a set of
// up to kScanExactHosts host keys (exact up to there, a lower bound after)
// and a HyperLogLog sketch for the host count beyond the set.
//
// A host key is the IPv4 address itself, or for IPv6 a 32-bit keyed hash of
// the address (two IPv6 hosts share a key with odds of about n^2 / 2^33).
#ifndef PORTSCOPE_DETECT_SCAN_RECORD_H_
#define PORTSCOPE_DETECT_SCAN_RECORD_H_

#include <array>
#include <cstdint>

#include "base/ip_address.h"
#include "detect/aged_table.h"
#include "detect/alert.h"
#include "detect/config.h"
#include "detect/limits.h"

namespace portscope::detect {

// The record's small fields, reset as a whole for each new scan; the large
// sets (ScanRecord) are cleared only where the previous scan wrote.
struct ScanHeader {
  uint64_t id = 0;
  IpAddress source;
  uint64_t secret = 0;  // keys the host set and the sketch
  uint64_t first_seen_us = 0;
  uint64_t last_seen_us = 0;  // copied from ScanActivity when an alert is filled
  uint64_t last_emit_us = 0;
  uint64_t probes = 0;        // likewise
  bool announced = false;  // kStarted was sent
  bool dirty = false;      // evidence since the last alert
  uint8_t algorithms = 0;
  Algorithm first_algorithm = Algorithm::kFastWindow;
  bool has_touch_class = false;
  ProbeClass touch_class = ProbeClass::kSyn;  // class of a watched-port touch

  WindowEvidence fast;
  WindowEvidence slow;
  TrwEvidence trw_fired;
  TrwEvidence trw_now;
  uint16_t watched_port = 0;
  uint32_t watched_touches = 0;

  // Copied from the source at each alert (the source may be gone at the end).
  uint32_t syn_checked = 0;
  uint32_t masscan_matches = 0;
  uint32_t nmap_matches = 0;
  uint32_t zmap_matches = 0;
  uint32_t same_sport = 0;

  std::array<uint32_t, kProbeClassCount> class_counts{};
  bool lost_before_start = false;  // evidence was overwritten before the scan started
  uint32_t ports_count = 0;
  bool host_set_full = false;      // hosts beyond the set are only estimated
  bool zero_key_seen = false;  // host key 0 marks empty slots, so it is kept aside
  uint32_t hosts_count = 0;
  uint8_t hosts_listed = 0;
};

/// Host-set slots per bit of ScanRecord::host_chunks.
inline constexpr uint32_t kHostChunk = 2 * kScanExactHosts / 64;

struct ScanRecord : ScanHeader {
  std::array<uint64_t, 65536 / 64> port_bits{};
  // Which words of port_bits (one bit per word) and which kHostChunk-slot
  // chunks of host_set hold something: ResetScan clears only those, so
  // opening a scan costs what the last one wrote, not 13 KB.
  std::array<uint64_t, 65536 / 64 / 64> port_words{};
  uint64_t host_chunks = 0;
  std::array<uint32_t, 2 * kScanExactHosts> host_set{};
  // HyperLogLog registers: valid only once host_set_full (filled then from
  // the set, and by every host after).
  std::array<uint8_t, kScanHllRegisters> hll{};
  std::array<IpAddress, kAlertHosts> listed{};  // the first hosts_listed are valid
};

/// What every probe of a scanning source updates, kept apart from the 13 KB
/// record in a compact pool (Engine::scans_, whose slots index the records),
/// so that a probe and the choice of the least active scan touch only it.
struct ScanActivity {
  AgedLinks links;
  uint64_t last_seen_us = 0;
  uint64_t probes = 0;
};

/// Clears a record for a new scan.
void ResetScan(ScanRecord& r, uint64_t id, const IpAddress& source, uint64_t secret);

/// Counts one target. `host` is the full address when known (for the list),
/// else null.
void AddTarget(ScanRecord& r, uint32_t host_key, const IpAddress* host, uint16_t port);

/// Whether the scan's targets include this port, or this host (false when
/// not known: a host past the exact set).
bool HasPort(const ScanRecord& r, uint16_t port);
bool HasHost(const ScanRecord& r, uint32_t host_key);

/// HyperLogLog estimate of the distinct hosts added (exact count when the
/// host set never overflowed).
uint32_t EstimateHosts(const ScanRecord& r);

/// Fills everything an alert says about the scan except phase and end reason.
/// `shape_rule` provides the block thresholds for the shape.
void FillAlert(const ScanRecord& r, const WindowRule& shape_rule, Alert& a);

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_SCAN_RECORD_H_
