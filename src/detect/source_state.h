// Per-source state of the scan detector (internal to detect/).
//
// One SourceState per remote address that sent probes, in a fixed-capacity
// AgedTable. Everything in it is a fixed array: memory per source is
// sizeof(SourceState) whatever the source sends. It holds
//  - counters of the probes and of the SYN fingerprints behind tool hints;
//  - the contact ring: tags of the last kContactRing distinct targets the
//    source tried, which tell a first contact (scored by TRW) from a repeat;
//  - the evidence ring: the last kEvidenceRing distinct targets whose probes
//    went unanswered, were refused, or were never used, with the time of the
//    probe; the window rules count distinct ports and hosts in it;
//  - the TRW walk (log likelihood ratio and its outcome counts).
#ifndef PORTSCOPE_DETECT_SOURCE_STATE_H_
#define PORTSCOPE_DETECT_SOURCE_STATE_H_

#include <array>
#include <cstdint>

#include "base/ip_address.h"
#include "detect/aged_table.h"
#include "detect/alert.h"
#include "detect/config.h"
#include "detect/limits.h"

namespace portscope::detect {

/// Set in EvidenceItem::proto when the host key is a hash of an IPv6 address
/// (else it is the IPv4 address itself).
inline constexpr uint8_t kHostIsV6 = 0x80;

struct EvidenceItem {
  uint64_t time_us = 0;   // when the probe was sent
  uint32_t host_key = 0;  // IPv4 address, or 32-bit keyed hash of an IPv6 one
  uint16_t port = 0;
  uint8_t proto = 0;      // packet::Transport, | kHostIsV6
  uint8_t cls = 0;        // ProbeClass
};

/// Bits of SourceState::fired.
inline constexpr uint8_t kFiredFast = 1;
inline constexpr uint8_t kFiredSlow = 2;
inline constexpr uint8_t kFiredTrw = 4;

struct alignas(64) SourceState {
  // Cache line 0: every packet of the source.
  IpAddress addr;
  AgedLinks links;
  // The table's list is in `queued_us` order; a touch only sets `touched_us`
  // and the entry is requeued lazily when it reaches the front (see
  // Engine::TouchSource), so a probe writes no other entry's links.
  uint64_t touched_us = 0;
  uint64_t queued_us = 0;
  uint32_t probes = 0;
  uint32_t scan = kNoSlot;     // the running scan in the scan table, if any
  uint8_t contact_next = 0;
  uint8_t evidence_next = 0;
  uint8_t evidence_size = 0;
  uint8_t fired = 0;           // kFired* rules that fired during the current scan

  // Cache line 1: every probe and every piece of evidence.
  alignas(64) uint64_t last_probe_us = 0;
  uint32_t syn_checked = 0;    // SYN attempts examined for tool hints
  uint32_t masscan_matches = 0;
  uint32_t nmap_matches = 0;
  uint32_t zmap_matches = 0;
  uint32_t same_sport = 0;     // SYN attempts from the first SYN's source port
  uint32_t evidence_lost = 0;  // overwritten in the ring before a scan started
  uint16_t first_sport = 0;
  std::array<uint16_t, kProbeClassCount> class_counts{};  // saturating, before a scan starts
  // Recent outcomes of the source's attempts, both halved when their sum
  // passes kOutcomeMemory: normal exchanges and evidence.
  uint8_t recent_benign = 0;
  uint8_t recent_evidence = 0;

  // Cache line 2: attempts, while TRW is active.
  alignas(64) std::array<uint32_t, kContactRing> contacts{};  // target tags, 0 = empty

  // Cache line 3.
  alignas(64) double trw_log_ratio = 0;
  uint32_t trw_failures = 0;
  uint32_t trw_successes = 0;

  // Cache lines 4-7: evidence before and while the window rules can fire.
  alignas(64) std::array<EvidenceItem, kEvidenceRing> evidence{};
};

/// Counts one outcome in the source's recent outcomes.
void NoteOutcome(SourceState& s, bool benign);
/// True when the source's recent attempts were mostly normal exchanges: its
/// failures are then not taken as a scan by the window rules (TRW, which
/// weighs both, still judges it).
inline bool MostlyBenign(const SourceState& s) { return s.recent_benign > s.recent_evidence; }

/// True when every rule has fired for the current scan: nothing more can be
/// learnt from the evidence ring.
inline bool AllFired(const SourceState& s) { return s.fired == (kFiredFast | kFiredSlow | kFiredTrw); }

/// Resets everything but the table links for a new source at `addr`. The
/// evidence ring's items are left as they were: nothing reads past
/// evidence_size.
void ResetSource(SourceState& s, const IpAddress& addr, uint64_t now_us);
/// Forgets the evidence, the fired rules and the TRW walk, keeping counters
/// and contacts: called when a scan ends so the next needs new evidence.
void ClearScanState(SourceState& s);

/// Records a contact with the target whose tag is `tag` (non-zero); true when
/// it is not among the last kContactRing distinct targets (a first contact).
bool NoteContact(SourceState& s, uint32_t tag);

/// Adds evidence for a target unless the ring already holds it; false for a
/// duplicate. When the ring is full the oldest item is overwritten and
/// counted in evidence_lost.
bool AddEvidence(SourceState& s, const EvidenceItem& item);

/// Distinct ports and hosts among the evidence probed within `window_us` of
/// the newest evidence.
WindowEvidence CountWindow(const SourceState& s, uint64_t window_us);
bool RuleFires(const WindowRule& rule, const WindowEvidence& w);
/// The fewest evidence items with which `rule` can fire (skip counting below).
uint32_t RuleMinimum(const WindowRule& rule);

/// The earliest probe time among the evidence (now when there is none).
uint64_t EarliestEvidence(const SourceState& s, uint64_t now_us);

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_SOURCE_STATE_H_
