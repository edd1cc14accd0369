#include "detect/config.h"

#include <algorithm>
#include <string>

namespace portscope::detect {

namespace {

constexpr uint64_t kMinTimeoutUs = 1000;           // 1 ms
constexpr uint64_t kMaxTimeoutUs = 7 * 24 * kHourUs;  // a week
constexpr uint32_t kMaxGapFactor = 1000;

template <typename T>
T Clamp(T v, T lo, T hi) {
  return std::min(std::max(v, lo), hi);
}

// A duration in microseconds in the largest unit that states it exactly.
std::string Duration(uint64_t us) {
  struct Unit {
    uint64_t us;
    const char* name;
  };
  for (Unit u : {Unit{86'400'000'000, "d"}, Unit{3'600'000'000, "h"}, Unit{60'000'000, "min"}, Unit{1'000'000, "s"},
                 Unit{1'000, "ms"}}) {
    if (us != 0 && us % u.us == 0) return std::to_string(us / u.us) + " " + u.name;
  }
  return us == 0 ? "0 s" : std::to_string(us) + " us";
}

// One place for every bound, so Validate and Clamped cannot disagree: each
// check either reports (validate) or repairs (clamp).
class Checker {
 public:
  explicit Checker(bool repair) : repair_(repair) {}

  template <typename T>
  void Range(const char* name, T& v, T lo, T hi) {
    if (v >= lo && v <= hi) return;
    // Times are microseconds inside, but given as durations (5s, 4h): the
    // message says them the same way, under the name without "_us".
    std::string_view n(name);
    if (n.ends_with("_us")) {
      const std::string shown(n.substr(0, n.size() - 3));
      Fail(shown.c_str(), "must be between " + Duration(lo) + " and " + Duration(hi) + " (it is " + Duration(v) + ")");
    } else {
      Fail(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    if (repair_) v = Clamp(v, lo, hi);
  }
  // A rule threshold: 0 (clause off) or 2..kEvidenceRing.
  void Threshold(const char* name, uint32_t& v) {
    if (v == 0 || (v >= 2 && v <= kEvidenceRing)) return;
    Fail(name, "must be 0 (off) or between 2 and " + std::to_string(kEvidenceRing));
    if (repair_) v = Clamp<uint32_t>(v, 2, kEvidenceRing);
  }
  void Probability(const char* name, double& v) {
    if (v > 0 && v < 1) return;
    Fail(name, "must be strictly between 0 and 1");
    if (repair_) v = Clamp(v, 0.001, 0.999);
  }
  void Fail(const char* name, const std::string& what) {
    if (status_.ok()) status_ = Status::InvalidArgument(std::string("detect config: ") + name + " " + what);
  }
  Status status() const { return status_; }

 private:
  bool repair_;
  Status status_;
};

void CheckRule(Checker& c, const char* name, WindowRule& r) {
  const std::string n(name);
  c.Range((n + ".window_us").c_str(), r.window_us, kMinTimeoutUs, kMaxTimeoutUs);
  c.Threshold((n + ".min_ports").c_str(), r.min_ports);
  c.Threshold((n + ".min_hosts").c_str(), r.min_hosts);
  c.Threshold((n + ".block_hosts").c_str(), r.block_hosts);
  c.Threshold((n + ".block_ports").c_str(), r.block_ports);
  if ((r.block_hosts == 0) != (r.block_ports == 0)) {
    c.Fail((n + ".block_hosts").c_str(), "and block_ports must both be 0 or both set");
    r.block_hosts = r.block_ports = 0;
  }
}

Status Check(Config& c, bool repair) {
  Checker k(repair);
  k.Range("max_sources", c.max_sources, 1u, kMaxMaxSources);
  k.Range("max_flows", c.max_flows, 1u, kMaxMaxFlows);
  k.Range("max_scans", c.max_scans, 1u, kMaxMaxScans);
  k.Range("answer_timeout_us", c.answer_timeout_us, kMinTimeoutUs, kMaxTimeoutUs);
  k.Range("flow_idle_timeout_us", c.flow_idle_timeout_us, c.answer_timeout_us, kMaxTimeoutUs);
  CheckRule(k, "fast", c.fast);
  CheckRule(k, "slow", c.slow);
  const uint64_t longest_window = std::max(c.fast.window_us, c.slow.window_us);
  k.Range("source_idle_timeout_us", c.source_idle_timeout_us, longest_window, kMaxTimeoutUs);
  k.Range("scan_end_idle_us", c.scan_end_idle_us, kMinTimeoutUs, c.source_idle_timeout_us);
  k.Range("scan_end_gap_factor", c.scan_end_gap_factor, 1u, kMaxGapFactor);
  k.Range("update_interval_us", c.update_interval_us, uint64_t{0}, kMaxTimeoutUs);
  k.Range("alert_burst", c.alert_burst, 1u, 1u << 20);
  k.Range("alerts_per_minute", c.alerts_per_minute, 1u, 1u << 24);
  k.Probability("trw.theta0", c.trw.theta0);
  k.Probability("trw.theta1", c.trw.theta1);
  k.Probability("trw.alpha", c.trw.alpha);
  k.Probability("trw.beta", c.trw.beta);
  if (c.trw.theta1 >= c.trw.theta0) {
    k.Fail("trw.theta1", "must be below trw.theta0 (scanners succeed less often)");
    if (repair) c.trw = TrwParams{};
  }
  if (c.trw.alpha >= c.trw.beta) {
    k.Fail("trw.alpha", "must be below trw.beta");
    if (repair) c.trw = TrwParams{};
  }
  return k.status();
}

}  // namespace

Status Config::Validate() const {
  Config copy = *this;
  return Check(copy, /*repair=*/false);
}

Config Config::Clamped() const {
  Config copy = *this;
  (void)Check(copy, /*repair=*/true);
  return copy;
}

}  // namespace portscope::detect
