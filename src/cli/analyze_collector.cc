#include "cli/analyze_collector.h"

#include "base/text.h"

namespace portscope::cli {

RunList RunsOfBitmap(std::span<const uint64_t> bits, size_t max) {
  RunList out;
  for (const auto& [first, last] : SplitPortRuns(detect::BitmapPorts(bits, 65536))) {
    if (out.runs.size() == max) {
      out.complete = false;
      break;
    }
    out.runs.push_back({first, last});
  }
  return out;
}

RunList RunsOf(const detect::Alert& a, const RunList* more) {
  if (more != nullptr) return *more;
  RunList r;
  r.runs.assign(a.port_ranges.begin(), a.port_ranges.begin() + a.port_ranges_listed);
  r.complete = !a.port_ranges_more;
  return r;
}

void Collector::OnAlert(const detect::Alert& a) {
  auto it = scans_.find(a.scan_id);
  if (it == scans_.end()) {
    if (scans_.size() >= limits_.max_scans) {
      ++not_listed_;
      return;
    }
    it = scans_.emplace(a.scan_id, detect::Alert{}).first;
  }
  it->second = a;
  it->second.port_bitmap = {};  // a view of the engine's record, valid only during this call
  KeepRuns(a);
}

// From the scan's last alert only ("ended": every listed scan gets one, at
// the latest from Engine::Finish), once.
void Collector::KeepRuns(const detect::Alert& a) {
  if (a.phase != detect::AlertPhase::kEnded || !a.port_ranges_more || a.port_bitmap.empty()) return;
  RunList r = RunsOfBitmap(a.port_bitmap, limits_.max_runs);
  if (runs_kept_ + r.runs.size() > limits_.runs_budget) return;
  runs_kept_ += r.runs.size();
  runs_.emplace(a.scan_id, std::move(r));
}

detect::Config SizedForFiles(detect::Config config, uint64_t total_bytes) {
  constexpr uint64_t kMinProbeRecord = 40;
  const uint64_t most = total_bytes / kMinProbeRecord + 1;
  auto fit = [most](uint32_t& capacity) {
    if (most < capacity) capacity = static_cast<uint32_t>(most);
  };
  fit(config.max_sources);
  fit(config.max_flows);
  fit(config.max_scans);
  return config;
}

}  // namespace portscope::cli
