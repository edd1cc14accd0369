// Engine: the source table, evidence and the algorithms that read it (window
// rules, TRW, watched ports), and the SYN fingerprints behind tool hints.
#include "detect/engine.h"

#include <algorithm>
#include <cmath>

namespace portscope::detect {

uint32_t Engine::FindSource(const IpAddress& addr) const {
  return sources_.Find(hash_.Address(addr), [&](const SourceState& s) { return SameAddress(s.addr, addr); });
}

// The source list is kept in queued_us order with second chances (CLOCK): a
// touch only stamps touched_us, and an entry found at the front with a touch
// newer than its queueing is requeued instead of evicted. The front is thus
// the least recently active entry up to one pass of the queue, and a probe
// writes only its own source's cache line.
uint32_t Engine::TouchSource(const IpAddress& addr, uint64_t h, uint64_t time_us, AlertSink& sink, uint32_t hint) {
  // Addresses are unique in the table: the hint's entry, when it holds this
  // address, is what the lookup would find.
  uint32_t slot = sources_.live(hint) && SameAddress(sources_[hint].addr, addr)
                      ? hint
                      : sources_.Find(h, [&](const SourceState& s) { return SameAddress(s.addr, addr); });
  if (slot != kNoSlot) {
    sources_[slot].touched_us = now_us_;
    return slot;
  }
  if (sources_.full()) {
    ++counters_.sources_evicted;
    RemoveSource(SourceToEvict(), EndReason::kEvicted, sink);
  }
  slot = sources_.Insert(h, 0);
  if (slot == kNoSlot) {
    ++counters_.sources_dropped;
    return kNoSlot;
  }
  ResetSource(sources_[slot], addr, now_us_);
  sources_[slot].last_probe_us = time_us;
  ++counters_.sources_created;
  return slot;
}

// Passes over up to kEvictSearch sources with a running scan: a flood of new
// sources should not end reported scans while idle entries can go instead.
uint32_t Engine::SourceToEvict() {
  uint32_t protected_passed = 0;
  for (uint32_t guard = 0; guard <= sources_.size() + kEvictSearch; ++guard) {
    const uint32_t front = sources_.Front(0);
    SourceState& s = sources_[front];
    const bool touched = s.touched_us > s.queued_us;
    const bool keep = touched || (s.scan != kNoSlot && protected_passed++ < kEvictSearch);
    if (!keep) return front;
    s.queued_us = now_us_;
    sources_.MoveToBack(front, 0);
  }
  return sources_.Front(0);
}

void Engine::RemoveSource(uint32_t source, EndReason reason, AlertSink& sink) {
  if (sources_[source].scan != kNoSlot) EndScan(sources_[source].scan, reason, sink);
  sources_.Remove(source);
}

// Expiry walks the front like eviction does; a source is forgotten between
// one and two idle timeouts after its last activity (two only when it was
// requeued just before falling idle).
void Engine::ExpireSources(AlertSink& sink) {
  for (uint32_t f = sources_.Front(0); f != kNoSlot; f = sources_.Front(0)) {
    SourceState& s = sources_[f];
    if (now_us_ >= s.touched_us + config_.source_idle_timeout_us) {
      ++counters_.sources_expired;
      RemoveSource(f, EndReason::kIdle, sink);
    } else if (s.touched_us > s.queued_us) {
      s.queued_us = now_us_;
      sources_.MoveToBack(f, 0);
    } else {
      break;
    }
  }
}

// Tool fingerprints of a SYN attempt (the hint is decided in FillAlert):
//  - masscan builds every probe from one template: window 1024, no options or
//    MSS only, and IP ID = (target address ^ target port ^ sequence number)
//    truncated to 16 bits (masscan templ-pkt.c);
//  - nmap -sS: window 1024, 2048, 3072 or 4096 and a single MSS option of
//    1460, from one source port per scan;
//  - zmap: IP ID 54321 and window 65535.
// An OS stack's SYN (Linux: window 64240, MSS, SACK, timestamps, window scale)
// matches none of them.
void Engine::NoteSynFingerprint(SourceState& s, const packet::Probe& p) {
  ++s.syn_checked;
  const bool mss_only = p.tcp_option_count == 1 && p.mss != 0 && !p.sack_permitted && !p.timestamps &&
                        p.wscale == 0xff;
  if (IsV4(p.dst) && p.window == 1024 && (p.tcp_option_count == 0 || mss_only) &&
      p.ip_id == static_cast<uint16_t>(V4Bits(p.dst) ^ p.dport ^ p.seq)) {
    ++s.masscan_matches;
  }
  if ((p.window == 1024 || p.window == 2048 || p.window == 3072 || p.window == 4096) && mss_only && p.mss == 1460) {
    ++s.nmap_matches;
  }
  if (IsV4(p.dst) && p.ip_id == 54321 && p.window == 65535) ++s.zmap_matches;
  if (s.syn_checked == 1) s.first_sport = p.sport;
  if (p.sport == s.first_sport) ++s.same_sport;
}

uint32_t Engine::CountProbe(const IpAddress& addr, const Hashes& h, uint64_t time_us, AlertSink& sink) {
  const uint32_t source = TouchSource(addr, h.source, time_us, sink, h.source_hint);
  if (source == kNoSlot) return kNoSlot;
  SourceState& s = sources_[source];
  ++s.probes;
  s.last_probe_us = std::max(s.last_probe_us, time_us);
  if (s.scan != kNoSlot) {
    ScanActivity& a = scans_[s.scan];
    ++a.probes;
    a.last_seen_us = std::max(a.last_seen_us, time_us);
    scans_.MoveToBack(s.scan, 0);
  }
  return source;
}

EvidenceItem Engine::MakeEvidence(const IpAddress& host, uint16_t port, uint8_t proto, ProbeClass cls,
                                  uint64_t time_us) const {
  EvidenceItem e;
  e.time_us = time_us;
  e.port = port;
  e.proto = proto;
  e.cls = static_cast<uint8_t>(cls);
  e.host_key = HostKey(host);
  if (!IsV4(host)) e.proto |= kHostIsV6;
  return e;
}

void Engine::AddSourceEvidence(uint32_t source, const EvidenceItem& item, const IpAddress& host, AlertSink& sink) {
  ++counters_.evidence;
  SourceState& s = sources_[source];
  // A source whose scan was evicted from a full scan table stays muted until
  // it goes idle: nothing it sends can start a scan.
  if (s.scan == kNoSlot && AllFired(s)) return;
  // A touch of a watched port was counted by its class when it was seen
  // (WatchedTouch); its evidence is not counted again.
  const bool touch = Watched(static_cast<uint8_t>(item.proto & ~kHostIsV6), item.port);
  if (s.scan != kNoSlot) {
    ScanRecord& r = scan_records_[s.scan];
    if (!touch) ++r.class_counts[item.cls];
    AddTarget(r, item.host_key, &host, item.port);
    r.dirty = true;
  } else if (!touch && s.class_counts[item.cls] != 0xffff) {
    ++s.class_counts[item.cls];
  }
  NoteOutcome(s, /*benign=*/false);
  // With a scan running and both window rules fired, the ring has no reader.
  if ((s.fired & (kFiredFast | kFiredSlow)) == (kFiredFast | kFiredSlow)) return;
  const uint32_t lost = s.evidence_lost;
  if (!AddEvidence(s, item)) return;
  if (s.evidence_lost != lost && s.scan == kNoSlot) ++counters_.evidence_overwritten;
  if (MostlyBenign(s)) return;
  if (!(s.fired & kFiredFast) && s.evidence_size >= fast_minimum_) {
    const WindowEvidence w = CountWindow(s, config_.fast.window_us);
    if (RuleFires(config_.fast, w)) {
      s.fired |= kFiredFast;
      Fire(source, Algorithm::kFastWindow, &w, nullptr, sink);
    }
  }
  if (!(s.fired & kFiredSlow) && s.evidence_size >= slow_minimum_) {
    const WindowEvidence w = CountWindow(s, config_.slow.window_us);
    if (RuleFires(config_.slow, w)) {
      s.fired |= kFiredSlow;
      Fire(source, Algorithm::kSlowWindow, &w, nullptr, sink);
    }
  }
}

// Threshold Random Walk, Jung et al. 2004, section 4: after each first-contact
// outcome multiply the likelihood ratio by theta1/theta0 (success) or
// (1-theta1)/(1-theta0) (failure); at eta1 the source is a scanner, at eta0
// benign. The paper then stops watching a benign source; here the walk
// restarts instead, so a client that later turns to scanning is still caught.
// After a scanner decision the walk is frozen until the scan ends.
void Engine::ScoreTrw(uint32_t source, bool success, AlertSink& sink) {
  SourceState& s = sources_[source];
  if (s.fired & kFiredTrw) return;
  s.trw_log_ratio += success ? trw_log_success_ : trw_log_failure_;
  ++(success ? s.trw_successes : s.trw_failures);
  // The tolerance keeps exact threshold hits (e.g. a ratio of exactly eta1)
  // from depending on rounding.
  if (s.trw_log_ratio >= trw_log_eta1_ - 1e-9) {
    s.fired |= kFiredTrw;
    ++counters_.trw_scanner_decisions;
    const TrwEvidence e{std::exp(s.trw_log_ratio), std::exp(trw_log_eta1_), s.trw_failures, s.trw_successes};
    Fire(source, Algorithm::kTrw, nullptr, &e, sink);
  } else if (s.trw_log_ratio <= trw_log_eta0_ + 1e-9) {
    ++counters_.trw_benign_decisions;
    s.trw_log_ratio = 0;
    s.trw_failures = s.trw_successes = 0;
  }
}

void Engine::Fire(uint32_t source, Algorithm algorithm, const WindowEvidence* window, const TrwEvidence* trw,
                  AlertSink& sink) {
  SourceState& s = sources_[source];
  const bool opened = s.scan == kNoSlot;
  const uint32_t scan = opened ? OpenScan(source, algorithm, sink) : s.scan;
  ScanRecord& r = scan_records_[scan];
  r.algorithms |= static_cast<uint8_t>(algorithm);
  if (window != nullptr) (algorithm == Algorithm::kFastWindow ? r.fast : r.slow) = *window;
  if (trw != nullptr) r.trw_fired = r.trw_now = *trw;
  r.dirty = true;
  if (opened) Announce(scan, sink);
}

void Engine::WatchedTouch(uint32_t source, const packet::Probe& p, ProbeClass cls, AlertSink& sink) {
  SourceState& s = sources_[source];
  const bool opened = s.scan == kNoSlot;
  const uint32_t scan = opened ? OpenScan(source, Algorithm::kWatchedPort, sink) : s.scan;
  ScanRecord& r = scan_records_[scan];
  r.algorithms |= static_cast<uint8_t>(Algorithm::kWatchedPort);
  if (r.watched_touches == 0) r.watched_port = p.dport;
  if (!r.has_touch_class) {
    r.has_touch_class = true;
    r.touch_class = cls;
  }
  ++r.watched_touches;
  // Every touch counts in the scan's type, by its class: a touch need not
  // become evidence (a connection to a canary that sends data is, for the
  // engine, a normal exchange), and nobody should be using the port at all.
  // Evidence about watched ports is not counted again (AddSourceEvidence).
  ++r.class_counts[static_cast<int>(cls)];
  AddTarget(r, HostKey(p.dst), &p.dst, p.dport);
  r.dirty = true;
  if (opened) Announce(scan, sink);
}

void Engine::UpdateTrwActive() {
  switch (config_.visibility) {
    case Visibility::kBothDirections:
      trw_active_ = config_.trw.enabled;
      break;
    case Visibility::kInboundOnly:
      trw_active_ = false;
      break;
    case Visibility::kAuto:
      trw_active_ = config_.trw.enabled && counters_.two_way;
      break;
  }
}

}  // namespace portscope::detect
