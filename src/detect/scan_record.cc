#include "detect/scan_record.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "detect/keyed_hash.h"

namespace portscope::detect {

namespace {

constexpr uint32_t kHostSetMask = 2 * kScanExactHosts - 1;
static_assert((kHostSetMask & (kHostSetMask + 1)) == 0, "host set size must be a power of two");
static_assert(kScanHllRegisters == 256, "the sketch indexes registers by one byte");
static_assert(kHostChunk * 64 == 2 * kScanExactHosts, "one host_chunks bit per chunk");

constexpr uint32_t kNoHostSlot = 0xffffffffu;

// The host set's slot holding `key` (non-zero), or the empty slot ending its
// probe run, or kNoHostSlot past kMaxProbeDistance.
uint32_t HostSlot(const ScanRecord& r, uint32_t key) {
  uint32_t i = static_cast<uint32_t>(Mix64(key ^ r.secret)) & kHostSetMask;
  for (uint32_t d = 0; d < kMaxProbeDistance; ++d, i = (i + 1) & kHostSetMask) {
    if (r.host_set[i] == key || r.host_set[i] == 0) return i;
  }
  return kNoHostSlot;
}

// Returns true when the key was not in the set; sets `overflow` when it could
// not tell (the set is full or the probe run too long).
bool InsertHost(ScanRecord& r, uint32_t key, bool& overflow) {
  overflow = false;
  if (key == 0) {
    const bool added = !r.zero_key_seen;
    r.zero_key_seen = true;
    return added;
  }
  const uint32_t i = HostSlot(r, key);
  if (i != kNoHostSlot && r.host_set[i] == key) return false;
  if (i == kNoHostSlot || r.hosts_count >= kScanExactHosts) {
    overflow = true;
    return false;
  }
  r.host_set[i] = key;
  r.host_chunks |= uint64_t{1} << (i / kHostChunk);
  return true;
}

// One host into the HyperLogLog sketch (used once the exact set is full).
void AddToSketch(ScanRecord& r, uint32_t host_key) {
  const uint64_t h = Mix64(host_key ^ (r.secret >> 7) ^ 0x9e3779b97f4a7c15ULL);
  uint8_t& reg = r.hll[h >> 56];
  const uint8_t rho = static_cast<uint8_t>(std::countl_zero((h << 8) | 0x80) + 1);
  if (rho > reg) reg = rho;
}

ScanKind KindOf(const ScanRecord& r) {
  uint64_t total = 0;
  int best = 0;
  for (int c = 0; c < kProbeClassCount; ++c) {
    total += r.class_counts[c];
    if (r.class_counts[c] > r.class_counts[best]) best = c;
  }
  ProbeClass cls = static_cast<ProbeClass>(best);
  if (total == 0) {
    if (!r.has_touch_class) return ScanKind::kMixed;
    cls = r.touch_class;
  } else if (uint64_t{r.class_counts[best]} * 10 < total * 9) {
    return ScanKind::kMixed;
  }
  switch (cls) {
    case ProbeClass::kSyn: return ScanKind::kSyn;
    case ProbeClass::kConnect: return ScanKind::kConnect;
    case ProbeClass::kFin: return ScanKind::kFin;
    case ProbeClass::kNull: return ScanKind::kNull;
    case ProbeClass::kXmas: return ScanKind::kXmas;
    case ProbeClass::kAck: return ScanKind::kAck;
    case ProbeClass::kMaimon: return ScanKind::kMaimon;
    case ProbeClass::kUdp: return ScanKind::kUdp;
    case ProbeClass::kOddFlags: return ScanKind::kMixed;
  }
  return ScanKind::kMixed;
}

ScanShape ShapeOf(uint32_t hosts, uint32_t ports, const WindowRule& rule) {
  if (hosts <= 1 && ports <= 1) return ScanShape::kSingle;
  const uint32_t bh = rule.block_hosts ? rule.block_hosts : 2;
  const uint32_t bp = rule.block_ports ? rule.block_ports : 2;
  if (hosts >= bh && ports >= bp) return ScanShape::kBlock;
  return ports >= hosts ? ScanShape::kVertical : ScanShape::kHorizontal;
}

// The tool a source's SYNs look like, when at least 90% of at least 3 SYN
// attempts match one profile (see Engine::NoteSynFingerprint).
ToolHint HintOf(const ScanRecord& r, uint32_t& matches) {
  matches = 0;
  const uint32_t n = r.syn_checked;
  if (n < 3) return ToolHint::kNone;
  auto most = [n](uint32_t m) { return uint64_t{m} * 10 >= uint64_t{n} * 9; };
  if (most(r.masscan_matches)) {
    matches = r.masscan_matches;
    return ToolHint::kMasscan;
  }
  if (most(r.zmap_matches)) {
    matches = r.zmap_matches;
    return ToolHint::kZmap;
  }
  // nmap keeps one source port per scan (retransmissions may differ).
  if (most(r.nmap_matches) && uint64_t{r.same_sport} * 2 >= n) {
    matches = r.nmap_matches;
    return ToolHint::kNmapSyn;
  }
  return ToolHint::kNone;
}

}  // namespace

void ResetScan(ScanRecord& r, uint64_t id, const IpAddress& source, uint64_t secret) {
  static_cast<ScanHeader&>(r) = ScanHeader{};
  for (size_t g = 0; g < r.port_words.size(); ++g) {
    for (uint64_t bits = r.port_words[g]; bits != 0; bits &= bits - 1) r.port_bits[g * 64 + std::countr_zero(bits)] = 0;
    r.port_words[g] = 0;
  }
  for (uint64_t bits = r.host_chunks; bits != 0; bits &= bits - 1) {
    std::fill_n(r.host_set.begin() + std::countr_zero(bits) * kHostChunk, kHostChunk, 0u);
  }
  r.host_chunks = 0;  // the sketch is cleared when the set overflows
  r.id = id;
  r.source = source;
  r.secret = secret;
}

void AddTarget(ScanRecord& r, uint32_t host_key, const IpAddress* host, uint16_t port) {
  uint64_t& word = r.port_bits[port >> 6];
  const uint64_t bit = uint64_t{1} << (port & 63);
  if (!(word & bit)) {
    word |= bit;
    ++r.ports_count;
    r.port_words[port >> 12] |= uint64_t{1} << ((port >> 6) & 63);
  }
  if (r.host_set_full) {
    AddToSketch(r, host_key);
    return;
  }
  bool overflow = false;
  if (InsertHost(r, host_key, overflow)) {
    ++r.hosts_count;
    if (host != nullptr && r.hosts_listed < kAlertHosts) r.listed[r.hosts_listed++] = *host;
  } else if (overflow) {
    // From here on the hosts are only estimated. The sketch starts with
    // every host the set holds (a register is the maximum over the hosts
    // added, whatever their order), so it is as if each had been added to it
    // from the start, without the cost of that while the set is exact.
    r.host_set_full = true;
    r.hll.fill(0);
    for (uint32_t key : r.host_set) {
      if (key != 0) AddToSketch(r, key);
    }
    if (r.zero_key_seen) AddToSketch(r, 0);
    AddToSketch(r, host_key);
  }
}

bool HasPort(const ScanRecord& r, uint16_t port) { return (r.port_bits[port >> 6] >> (port & 63)) & 1; }

bool HasHost(const ScanRecord& r, uint32_t host_key) {
  if (host_key == 0) return r.zero_key_seen;
  const uint32_t i = HostSlot(r, host_key);
  return i != kNoHostSlot && r.host_set[i] == host_key;
}

uint32_t EstimateHosts(const ScanRecord& r) {
  if (!r.host_set_full) return r.hosts_count;
  constexpr double m = kScanHllRegisters;
  double sum = 0;
  int zeros = 0;
  for (uint8_t reg : r.hll) {
    sum += std::ldexp(1.0, -reg);
    zeros += reg == 0;
  }
  double e = (0.7213 / (1 + 1.079 / m)) * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);  // linear counting for small counts
  const double rounded = std::round(e);
  return rounded < r.hosts_count ? r.hosts_count : static_cast<uint32_t>(std::min(rounded, 4e9));
}

namespace {

// The runs of consecutive set bits in the port bitmap, lowest first, a word
// at a time: a run's end is the first clear bit after its start.
void ListPortRanges(const ScanRecord& r, Alert& a) {
  a.port_ranges_listed = 0;
  a.port_ranges_more = false;
  constexpr uint32_t kBits = 64;
  const uint32_t total = static_cast<uint32_t>(r.port_bits.size()) * kBits;
  // The first set (want_set) or clear bit at or after `from`, or `total`.
  auto find = [&](uint32_t from, bool want_set) {
    for (uint32_t w = from / kBits; w < r.port_bits.size(); ++w) {
      uint64_t bits = want_set ? r.port_bits[w] : ~r.port_bits[w];
      if (w == from / kBits) bits &= ~uint64_t{0} << (from % kBits);
      if (bits != 0) return w * kBits + static_cast<uint32_t>(std::countr_zero(bits));
    }
    return total;
  };
  for (uint32_t start = find(0, true); start < total; start = find(start, true)) {
    if (a.port_ranges_listed == kAlertPortRanges) {
      a.port_ranges_more = true;
      return;
    }
    const uint32_t end = find(start, false);  // one past the run
    a.port_ranges[a.port_ranges_listed++] = {static_cast<uint16_t>(start), static_cast<uint16_t>(end - 1)};
    start = end;
  }
}

}  // namespace

void FillAlert(const ScanRecord& r, const WindowRule& shape_rule, Alert& a) {
  a.scan_id = r.id;
  a.source = r.source;
  a.first_seen_us = r.first_seen_us;
  a.last_seen_us = r.last_seen_us;
  a.probes = r.probes;
  a.class_counts = r.class_counts;
  a.kind = KindOf(r);
  a.hosts_at_least = r.hosts_count;
  a.hosts_exact = !r.host_set_full && !r.lost_before_start;
  a.hosts_estimated = EstimateHosts(r);
  a.ports_at_least = r.ports_count;
  a.ports_exact = !r.lost_before_start;
  a.shape = ShapeOf(a.hosts_estimated, a.ports_at_least, shape_rule);
  a.hosts_listed = r.hosts_listed;
  for (uint32_t i = 0; i < r.hosts_listed; ++i) a.hosts[i] = r.listed[i];
  a.ports_listed = 0;
  for (uint32_t w = 0; w < r.port_bits.size() && a.ports_listed < kAlertPorts; ++w) {
    for (uint64_t bits = r.port_bits[w]; bits != 0 && a.ports_listed < kAlertPorts; bits &= bits - 1) {
      a.ports[a.ports_listed++] = static_cast<uint16_t>(w * 64 + std::countr_zero(bits));
    }
  }
  ListPortRanges(r, a);
  a.port_bitmap = r.port_bits;
  a.algorithm = r.first_algorithm;
  a.algorithms = r.algorithms;
  a.fast = r.fast;
  a.slow = r.slow;
  a.trw_fired = r.trw_fired;
  a.trw_now = r.trw_now;
  a.watched_port = r.watched_port;
  a.watched_touches = r.watched_touches;
  a.hint_checked = r.syn_checked;
  a.hint = HintOf(r, a.hint_matches);
}

}  // namespace portscope::detect
