#include "detect/source_state.h"

#include <algorithm>

namespace portscope::detect {

static_assert(sizeof(SourceState) == 512, "SourceState layout drifted; update limits.h memory notes");
static_assert(kEvidenceRing <= 255 && kContactRing <= 255, "ring indices are uint8_t");

// Field by field rather than `s = SourceState{}`: that builds a 512-byte
// temporary and copies it, and writes the evidence ring's four cache lines,
// which are never read beyond evidence_size.
void ResetSource(SourceState& s, const IpAddress& addr, uint64_t now_us) {
  s.addr = addr;
  s.touched_us = now_us;
  s.queued_us = now_us;
  s.probes = 0;
  s.scan = kNoSlot;
  s.contact_next = 0;
  s.evidence_next = 0;
  s.evidence_size = 0;
  s.fired = 0;
  s.last_probe_us = now_us;
  s.syn_checked = 0;
  s.masscan_matches = 0;
  s.nmap_matches = 0;
  s.zmap_matches = 0;
  s.same_sport = 0;
  s.evidence_lost = 0;
  s.first_sport = 0;
  s.class_counts.fill(0);
  s.recent_benign = 0;
  s.recent_evidence = 0;
  s.contacts.fill(0);
  s.trw_log_ratio = 0;
  s.trw_failures = 0;
  s.trw_successes = 0;
}

void ClearScanState(SourceState& s) {
  s.evidence_next = 0;
  s.evidence_size = 0;
  s.fired = 0;
  s.trw_log_ratio = 0;
  s.trw_failures = 0;
  s.trw_successes = 0;
  s.evidence_lost = 0;
  s.class_counts.fill(0);
}

void NoteOutcome(SourceState& s, bool benign) {
  uint8_t& n = benign ? s.recent_benign : s.recent_evidence;
  if (n < 255) ++n;
  if (s.recent_benign + s.recent_evidence > kOutcomeMemory) {
    s.recent_benign /= 2;
    s.recent_evidence /= 2;
  }
}

bool NoteContact(SourceState& s, uint32_t tag) {
  for (uint32_t t : s.contacts) {
    if (t == tag) return false;
  }
  s.contacts[s.contact_next] = tag;
  s.contact_next = static_cast<uint8_t>((s.contact_next + 1) % kContactRing);
  return true;
}

bool AddEvidence(SourceState& s, const EvidenceItem& item) {
  for (uint32_t i = 0; i < s.evidence_size; ++i) {
    const EvidenceItem& e = s.evidence[i];
    if (e.host_key == item.host_key && e.port == item.port && e.proto == item.proto) return false;
  }
  if (s.evidence_size == kEvidenceRing) {
    ++s.evidence_lost;
  } else {
    ++s.evidence_size;
  }
  s.evidence[s.evidence_next] = item;
  s.evidence_next = static_cast<uint8_t>((s.evidence_next + 1) % kEvidenceRing);
  return true;
}

WindowEvidence CountWindow(const SourceState& s, uint64_t window_us) {
  WindowEvidence w;
  w.window_us = window_us;
  const uint32_t n = s.evidence_size;
  if (n == 0) return w;
  // Evidence is added when a probe's outcome is known, which is not always in
  // the order the probes were sent (a refusal comes before a timeout), so the
  // window is anchored at the newest probe time rather than the last item.
  uint64_t newest = 0;
  for (uint32_t i = 0; i < n; ++i) newest = std::max(newest, s.evidence[i].time_us);
  const uint64_t start = newest >= window_us ? newest - window_us : 0;
  std::array<uint16_t, kEvidenceRing> ports;
  std::array<uint32_t, kEvidenceRing> hosts;
  uint64_t oldest = newest;
  for (uint32_t i = 0; i < n; ++i) {
    const EvidenceItem& e = s.evidence[i];
    if (e.time_us < start) continue;
    oldest = std::min(oldest, e.time_us);
    ports[w.targets] = e.port;
    hosts[w.targets] = e.host_key;
    ++w.targets;
  }
  // At most kEvidenceRing items: quadratic distinct counting beats any set.
  for (uint32_t i = 0; i < w.targets; ++i) {
    bool new_port = true;
    bool new_host = true;
    for (uint32_t j = 0; j < i; ++j) {
      new_port &= ports[j] != ports[i];
      new_host &= hosts[j] != hosts[i];
    }
    w.ports += new_port;
    w.hosts += new_host;
  }
  w.span_us = newest - oldest;
  return w;
}

bool RuleFires(const WindowRule& rule, const WindowEvidence& w) {
  if (rule.min_ports != 0 && w.ports >= rule.min_ports) return true;
  if (rule.min_hosts != 0 && w.hosts >= rule.min_hosts) return true;
  return rule.block_hosts != 0 && w.hosts >= rule.block_hosts && w.ports >= rule.block_ports;
}

uint32_t RuleMinimum(const WindowRule& rule) {
  uint32_t m = kEvidenceRing + 1;
  if (rule.min_ports != 0) m = std::min(m, rule.min_ports);
  if (rule.min_hosts != 0) m = std::min(m, rule.min_hosts);
  if (rule.block_hosts != 0) m = std::min(m, std::max(rule.block_hosts, rule.block_ports));
  return m;
}

uint64_t EarliestEvidence(const SourceState& s, uint64_t now_us) {
  uint64_t t = now_us;
  for (uint32_t i = 0; i < s.evidence_size; ++i) t = std::min(t, s.evidence[i].time_us);
  return t;
}

}  // namespace portscope::detect
