// What `portscope analyze` keeps of the engine's alerts: the latest alert of
// each scan, and for scans whose ports form more runs than an alert lists,
// the longer run list read from the alert's port bitmap. Memory is bounded
// by the limits below whatever the capture holds. And the engine's table
// sizes for captures whose size is known.
#ifndef PORTSCOPE_CLI_ANALYZE_COLLECTOR_H_
#define PORTSCOPE_CLI_ANALYZE_COLLECTOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "detect/alert.h"
#include "detect/config.h"

namespace portscope::cli {

/// Scans listed at most. A crafted capture can start a scan every few
/// packets (one touch of a --watch port is one), each kept until the end
/// (~0.7 KB): past the cap, alerts of scans not yet listed are counted, not
/// kept (~70 MB at the cap).
inline constexpr size_t kMaxListedScans = 100'000;

/// A scan's ports as runs listed past the alert's own kAlertPortRanges
/// (nmap's default scan makes 636): up to kMaxRuns per scan, and kRunsBudget
/// in all (4 bytes each), so that memory stays bounded however many scans a
/// capture holds; past the budget a scan keeps the alert's lowest runs.
inline constexpr size_t kMaxRuns = 1024;
inline constexpr size_t kRunsBudget = size_t{1} << 20;

struct RunList {
  std::vector<detect::Alert::PortRange> runs;
  bool complete = true;
};

/// Runs of the ports set in an alert's bitmap, lowest first, at most `max`.
RunList RunsOfBitmap(std::span<const uint64_t> bits, size_t max);

/// The alert's own runs, or `more` (the collector's longer list) when set.
RunList RunsOf(const detect::Alert& a, const RunList* more);

class Collector : public detect::AlertSink {
 public:
  struct Limits {
    size_t max_scans = kMaxListedScans;
    size_t max_runs = kMaxRuns;      // per scan
    size_t runs_budget = kRunsBudget;  // for all scans
  };
  Collector() = default;
  explicit Collector(const Limits& limits) : limits_(limits) {}

  void OnAlert(const detect::Alert& a) override;
  /// The latest alert of each listed scan, by scan id (port_bitmap cleared).
  const std::map<uint64_t, detect::Alert>& scans() const { return scans_; }
  /// Scans seen after max_scans were listed.
  uint64_t not_listed() const { return not_listed_; }
  /// The scan's runs past the alert's own list, or null (the alert's list is
  /// complete, or the budget was spent).
  const RunList* runs(uint64_t scan_id) const {
    auto it = runs_.find(scan_id);
    return it == runs_.end() ? nullptr : &it->second;
  }

 private:
  void KeepRuns(const detect::Alert& a);

  Limits limits_;
  std::map<uint64_t, detect::Alert> scans_;
  std::map<uint64_t, RunList> runs_;
  size_t runs_kept_ = 0;
  uint64_t not_listed_ = 0;
};

/// `config` with its table capacities cut to what captures totalling
/// `total_bytes` can need. Every probe creates at most one source, one flow
/// and one running scan, so a capture of N bytes needs no more of each than
/// it can hold probes: a classic pcap record is 16 bytes of header and, for
/// a frame that decodes to a TCP or UDP probe, at least 28 (raw IPv4, 20, and
/// a UDP header, 8; TCP's is 20), so N / 40 bounds them; pcapng's blocks are
/// larger. Tables that large never fill, so the result is the one the
/// full-size tables give, and a small file costs its engine a few megabytes
/// rather than 73 (on these VMs, memory a process has not touched before
/// costs up to ~2.5 ms a megabyte to fault in). Only for regular files whose
/// size is known before reading.
detect::Config SizedForFiles(detect::Config config, uint64_t total_bytes);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_ANALYZE_COLLECTOR_H_
