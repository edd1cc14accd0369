// Engine: construction, the clock, scan lifecycle and alert emission. The
// per-packet logic is in engine_packets.cc, per-source logic in
// engine_sources.cc.
#include "detect/engine.h"

#include <algorithm>
#include <cmath>

namespace portscope::detect {

namespace {

bool Ignorable(const IpAddress& a) {
  if (IsV4(a)) {
    const uint32_t v = V4Bits(a);
    return v == 0 || (v >> 28) == 0xe || v == 0xffffffffu;  // unspecified, multicast, limited broadcast
  }
  return a.bytes()[0] == 0xff || a.is_unspecified();  // IPv6 multicast, ::
}

}  // namespace

Engine::Engine(const Config& config, uint64_t seed)
    : config_(config.Clamped()),
      hash_(seed),
      sources_(config_.max_sources),
      flows_(config_.max_flows),
      scans_(config_.max_scans),
      scan_records_(MakeTableArray<ScanRecord>(config_.max_scans)),
      watched_(2 * 65536 / 64) {
  for (uint16_t p : config_.watched_tcp_ports) watched_[p >> 6] |= uint64_t{1} << (p & 63);
  for (uint16_t p : config_.watched_udp_ports) watched_[1024 + (p >> 6)] |= uint64_t{1} << (p & 63);
  const TrwParams& t = config_.trw;
  trw_log_success_ = std::log(t.theta1 / t.theta0);
  trw_log_failure_ = std::log((1 - t.theta1) / (1 - t.theta0));
  trw_log_eta1_ = std::log(t.beta / t.alpha);
  trw_log_eta0_ = std::log((1 - t.beta) / (1 - t.alpha));
  fast_minimum_ = RuleMinimum(config_.fast);
  slow_minimum_ = RuleMinimum(config_.slow);
  tokens_ = config_.alert_burst;
  last_dst_hash_ = hash_.Address(last_dst_);
  UpdateTrwActive();
  // A secret for the scans' host sets and sketches, derived from the key.
  scan_secret_ = hash_.Address(IpAddress());
}

Counters Engine::counters() const {
  Counters c = counters_;
  c.sources_tracked = sources_.size();
  c.flows_tracked = flows_.size();
  c.scans_active = scans_.size();
  return c;
}

size_t Engine::memory_bytes() const {
  return sizeof(*this) + sources_.memory_bytes() + flows_.memory_bytes() + scans_.memory_bytes() +
         scans_.capacity() * sizeof(ScanRecord) + watched_.size() * sizeof(uint64_t);
}

[[gnu::always_inline]] inline void Engine::HashProbe(const packet::Probe& p, Hashes& h) {
  const uint8_t proto = static_cast<uint8_t>(p.transport);
  h.source = hash_.Address(p.src);
  // A canary sees few destinations (its own addresses): remember the last.
  if (!SameAddress(p.dst, last_dst_)) {
    last_dst_ = p.dst;
    last_dst_hash_ = hash_.Address(p.dst);
  }
  h.src_endpoint = EndpointHash(h.source, p.sport, proto);
  h.dst_endpoint = EndpointHash(last_dst_hash_, p.dport, proto);
  h.flow = FlowHash(h.src_endpoint, h.dst_endpoint);
  h.flow_hint = kNoSlot;
  h.source_hint = kNoSlot;
}

namespace {
bool Hashed(const packet::Probe& p) {
  return p.transport == packet::Transport::kTcp || p.transport == packet::Transport::kUdp;
}
}  // namespace

// Inlined into both callers: a call per probe costs more than its body saves.
[[gnu::always_inline]] inline void Engine::ProcessHashed(const packet::Probe& p, const Hashes& h, AlertSink& sink) {
  ++counters_.probes;
  if (p.time_us < now_us_) ++counters_.time_regressions;
  Advance(p.time_us, sink);
  if (Ignorable(p.dst) || Ignorable(p.src)) {
    ++counters_.ignored;
    return;
  }
  switch (p.transport) {
    case packet::Transport::kTcp:
      ProcessTcp(p, h, sink);
      break;
    case packet::Transport::kUdp:
      ProcessUdp(p, h, sink);
      break;
    case packet::Transport::kIcmp:
    case packet::Transport::kIcmpv6:
      ProcessIcmp(p, sink);
      break;
    default:
      ++counters_.ignored;
      break;
  }
}

void Engine::Process(const packet::Probe& p, AlertSink& sink) {
  Hashes h;
  if (Hashed(p)) HashProbe(p, h);
  ProcessHashed(p, h, sink);
}

// Four stages per probe: hash it and prefetch its two index buckets kAhead
// probes early; prefetch the entries those buckets point at kAhead/2 probes
// early; kNear probes early, prefetch the source of the flow it belongs to
// (for an answer, its initiator, which judging the outcome updates; for any
// packet of a flow, the source its outcome is noted on); process it. Each
// stage reads only lines an earlier stage requested, so a probe's misses
// overlap with those of the next few.
void Engine::ProcessBatch(std::span<const packet::Probe> probes, AlertSink& sink) {
  constexpr size_t kAhead = 16;
  constexpr size_t kNear = 4;
  constexpr size_t kRing = 2 * kAhead;
  Hashes ring[kRing];
  const Hashes unhashed;
  const size_t n = probes.size();
  auto prepare = [&](size_t i) {
    if (!Hashed(probes[i])) return;
    Hashes& h = ring[i % kRing];
    HashProbe(probes[i], h);
    flows_.PrefetchBucket(h.flow);
    sources_.PrefetchBucket(h.source);
  };
  for (size_t i = 0; i < std::min(n, kAhead); ++i) prepare(i);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) prepare(i + kAhead);
    if (i + kAhead / 2 < n && Hashed(probes[i + kAhead / 2])) {
      Hashes& h = ring[(i + kAhead / 2) % kRing];
      h.flow_hint = flows_.PeekSlot(h.flow);
      flows_.PrefetchSlot(h.flow_hint, 1);
      // Line 2 is the contact ring, which a new attempt reads while TRW is on.
      h.source_hint = sources_.PeekSlot(h.source);
      sources_.PrefetchSlot(h.source_hint, TrwActive() ? 3 : 2);
    }
    if (i + kNear < n && Hashed(probes[i + kNear])) {
      const uint32_t flow = ring[(i + kNear) % kRing].flow_hint;
      // Probes in between may have removed or replaced the flow: only a hint.
      if (flows_.live(flow)) {
        const FlowState& f = flows_[flow];
        sources_.PrefetchSlot(f.source_hint, 2);
        // A reset refuses or ends the attempt: evidence for the initiator.
        if (probes[i + kNear].tcp_flags & packet::tcp_flags::kRst) sources_.PrefetchSlot(f.source_hint, 1, 4);
        // Its first answer or refusal scores a first contact: the TRW walk's line.
        if ((f.flags & kFlowFirstContact) && !(f.flags & kFlowTrwScored) && TrwActive()) {
          sources_.PrefetchSlot(f.source_hint, 1, 3);
        }
      }
    }
    PrefetchVictims();
    ProcessHashed(probes[i], Hashed(probes[i]) ? ring[i % kRing] : unhashed, sink);
  }
}

// With the flow table full, each new attempt evicts the older of the two
// lists' fronts, mostly a flow waiting for an answer (about a fifth are open
// flows idle the longest), and expiry takes the oldest waiting flows too: the
// front of kAwaiting, whose next entries its ring shows in advance
// (aged_table.h). Their lines are requested in two steps: the flow when it is
// kLead ring positions from the front, then, half as far, what removing and
// judging it reads (its index bucket, its initiator's source and first
// evidence line), found in the flow's line requested earlier. Each position
// is visited once by each cursor; a hint only (holes are skipped, compaction
// may leave the cursors off).
[[gnu::always_inline]] inline void Engine::PrefetchVictims() {
  constexpr uint32_t kLead = 16;
  constexpr int kMaxSteps = 3;  // per probe: the front moves about one position per probe or less
  const uint32_t front = flows_.RingFront(kAwaiting);
  const auto ahead = [front](uint32_t pos) { return static_cast<int32_t>(pos - front); };
  if (ahead(victim_near_) < 0 || ahead(victim_near_) > static_cast<int32_t>(kLead)) victim_near_ = front;
  if (ahead(victim_far_) < static_cast<int32_t>(kLead / 2) || ahead(victim_far_) > static_cast<int32_t>(2 * kLead)) {
    victim_far_ = front + kLead / 2;
  }
  for (int n = 0; n < kMaxSteps && ahead(victim_near_) < static_cast<int32_t>(kLead / 2); ++n, ++victim_near_) {
    const uint32_t slot = flows_.RingSlotAt(kAwaiting, victim_near_);
    if (slot == kNoSlot) continue;
    const FlowState& f = flows_[slot];
    flows_.PrefetchBucket(f.links.hash_lo);
    sources_.PrefetchSlot(f.source_hint, 2);
    sources_.PrefetchSlot(f.source_hint, 1, 4);
    // A first contact timing out is a TRW failure: the walk's line.
    if ((f.flags & kFlowFirstContact) && TrwActive()) sources_.PrefetchSlot(f.source_hint, 1, 3);
    // When the source was evicted since (a full source table), judging
    // re-creates it: its index bucket.
    if (sources_.full()) sources_.PrefetchBucket(hash_.Address(f.init));
  }
  for (int n = 0; n < kMaxSteps && ahead(victim_far_) < static_cast<int32_t>(kLead); ++n, ++victim_far_) {
    const uint32_t slot = flows_.RingSlotAt(kAwaiting, victim_far_);
    if (slot != kNoSlot) flows_.PrefetchSlot(slot, 1);
  }
  if (sources_.full()) PrefetchSourceVictims();
  // A full table evicts the older of the two fronts; the open list's front
  // (a linked list, nothing ahead of it known) is read on every probe by
  // Advance, so only its bucket and its successor can be requested.
  if (flows_.full()) {
    const uint32_t open = flows_.Front(kOpen);
    if (open != kNoSlot) {
      flows_.PrefetchBucket(flows_[open].links.hash_lo);
      flows_.PrefetchSlot(flows_.Next(open), 1);
    }
  }
}

// Likewise for the sources: with the table full a new source evicts the front
// of the CLOCK ring (or requeues it when it was touched since), reading its
// first line, and removes it from the index (its bucket).
[[gnu::always_inline]] inline void Engine::PrefetchSourceVictims() {
  constexpr uint32_t kLead = 16;
  constexpr int kMaxSteps = 3;
  const uint32_t front = sources_.RingFront(0);
  const auto ahead = [front](uint32_t pos) { return static_cast<int32_t>(pos - front); };
  uint32_t& near = source_victim_near_;
  uint32_t& far = source_victim_far_;
  if (ahead(near) < 0 || ahead(near) > static_cast<int32_t>(kLead)) near = front;
  if (ahead(far) < static_cast<int32_t>(kLead / 2) || ahead(far) > static_cast<int32_t>(2 * kLead)) {
    far = front + kLead / 2;
  }
  for (int n = 0; n < kMaxSteps && ahead(near) < static_cast<int32_t>(kLead / 2); ++n, ++near) {
    const uint32_t slot = sources_.RingSlotAt(0, near);
    if (slot != kNoSlot) sources_.PrefetchBucket(sources_[slot].links.hash_lo);
  }
  for (int n = 0; n < kMaxSteps && ahead(far) < static_cast<int32_t>(kLead); ++n, ++far) {
    const uint32_t slot = sources_.RingSlotAt(0, far);
    if (slot != kNoSlot) sources_.PrefetchSlot(slot, 1);
  }
}

void Engine::ExpireFlows(AlertSink& sink) {
  for (uint32_t f = flows_.Front(kAwaiting); f != kNoSlot; f = flows_.Front(kAwaiting)) {
    if (FlowAgeUs(flows_[f]) < config_.answer_timeout_us) break;
    // Flows stamped in the same millisecond fall due together, a burst of
    // up to a few hundred: the cursors move on with the front, as in Finish.
    PrefetchVictims();
    Resolve(f, Outcome::kUnanswered, sink);
  }
  for (uint32_t f = flows_.Front(kOpen); f != kNoSlot; f = flows_.Front(kOpen)) {
    if (FlowAgeUs(flows_[f]) < config_.flow_idle_timeout_us) break;
    Resolve(f, flows_[f].stage == FlowStage::kSynAcked ? Outcome::kHalfOpen : Outcome::kBenign, sink);
  }
}

void Engine::Flush(uint64_t now_us, AlertSink& sink) {
  Advance(now_us, sink);
  Sweep(sink);
  next_sweep_us_ = now_us_ + kSweepIntervalUs;
}

void Engine::Finish(AlertSink& sink) {
  // Judge what is still waiting as if its time had run out: a quarter of a
  // million flows at the end of a busy capture, each a few cache misses
  // (its index bucket, its initiator's source), which PrefetchVictims
  // requests ahead as it does for evictions.
  while (flows_.Front(kAwaiting) != kNoSlot) {
    PrefetchVictims();
    Resolve(flows_.Front(kAwaiting), Outcome::kUnanswered, sink);
  }
  for (uint32_t f = flows_.Front(kOpen); f != kNoSlot;) {
    const uint32_t next = flows_.Next(f);
    if (flows_[f].stage == FlowStage::kSynAcked) Resolve(f, Outcome::kHalfOpen, sink);
    f = next;
  }
  while (scans_.Front(0) != kNoSlot) EndScan(scans_.Front(0), EndReason::kFinished, sink);
}

// A gap longer than any flow may live (a capture resumed after days): every
// flow is judged now, before its millisecond time stamp can wrap.
void Engine::JudgeEveryFlow(AlertSink& sink) {
  while (flows_.Front(kAwaiting) != kNoSlot) Resolve(flows_.Front(kAwaiting), Outcome::kUnanswered, sink);
  while (flows_.Front(kOpen) != kNoSlot) {
    const uint32_t f = flows_.Front(kOpen);
    Resolve(f, flows_[f].stage == FlowStage::kSynAcked ? Outcome::kHalfOpen : Outcome::kBenign, sink);
  }
}

// Inlined into ProcessBatch, as are HashProbe and the Prefetch*Victims: as
// calls (GCC's choice), these four cost pipeline_perftest about a fifth of
// its throughput (1.23x in alternating runs; bench/RESULTS.md, issue 4,
// session 4).
[[gnu::always_inline]] inline void Engine::Advance(uint64_t time_us, AlertSink& sink) {
  if (time_us > now_us_ && time_us - now_us_ >= config_.flow_idle_timeout_us && flows_.size() != 0) [[unlikely]] {
    JudgeEveryFlow(sink);
  }
  if (time_us > now_us_) {
    now_us_ = time_us;
    now_ms_ = static_cast<uint32_t>(now_us_ / 1000);
  }
  // Most probes expire nothing: the two fronts are checked here, inline,
  // and ExpireFlows is called only when one of them is due.
  if (FlowDue(kAwaiting, config_.answer_timeout_us) || FlowDue(kOpen, config_.flow_idle_timeout_us)) ExpireFlows(sink);
  if (now_us_ >= next_sweep_us_) {
    Sweep(sink);
    next_sweep_us_ = now_us_ + kSweepIntervalUs;
  }
}

void Engine::Sweep(AlertSink& sink) {
  for (uint32_t slot = scans_.Front(0); slot != kNoSlot;) {
    const uint32_t next = scans_.Next(slot);
    ScanRecord& r = scan_records_[slot];
    const ScanActivity& act = scans_[slot];
    // A scan ends after max(scan_end_idle, factor x mean gap) of silence, so
    // that a slow scan is not cut into pieces between its probes.
    const uint64_t span = act.last_seen_us - std::min(r.first_seen_us, act.last_seen_us);
    const uint64_t mean_gap = act.probes > 1 ? span / (act.probes - 1) : 0;
    const uint64_t idle_limit = std::min(
        std::max(config_.scan_end_idle_us, mean_gap * config_.scan_end_gap_factor), config_.source_idle_timeout_us);
    if (now_us_ >= act.last_seen_us + idle_limit) {
      EndScan(slot, EndReason::kIdle, sink);
    } else if (!r.announced) {
      Announce(slot, sink);
    } else if (config_.update_interval_us != 0 && r.dirty &&
               now_us_ >= r.last_emit_us + config_.update_interval_us && TakeToken()) {
      Emit(slot, AlertPhase::kUpdated, EndReason::kNone, sink);
    }
    slot = next;
  }
  ExpireSources(sink);
}

uint32_t Engine::OpenScan(uint32_t source, Algorithm algorithm, AlertSink& sink) {
  if (scans_.full()) {
    // The least recently active scan goes (the list is kept in activity
    // order on the compact ScanActivity array).
    const uint32_t victim = scans_.Front(0);
    ++counters_.scans_evicted;
    EndScan(victim, EndReason::kEvicted, sink);
  }
  SourceState& s = sources_[source];
  const uint32_t slot = scans_.Allocate(0);
  ScanRecord& r = scan_records_[slot];
  ResetScan(r, next_scan_id_++, s.addr, scan_secret_);
  r.first_seen_us = EarliestEvidence(s, s.last_probe_us);
  scans_[slot].last_seen_us = s.last_probe_us;
  scans_[slot].probes = s.probes;
  r.lost_before_start = s.evidence_lost != 0;
  r.algorithms = static_cast<uint8_t>(algorithm);
  r.first_algorithm = algorithm;
  for (int c = 0; c < kProbeClassCount; ++c) r.class_counts[c] = s.class_counts[c];
  for (uint32_t i = 0; i < s.evidence_size; ++i) {
    const EvidenceItem& e = s.evidence[i];
    if (e.proto & kHostIsV6) {
      AddTarget(r, e.host_key, nullptr, e.port);
    } else {
      const IpAddress host = IpAddress::V4(e.host_key);
      AddTarget(r, e.host_key, &host, e.port);
    }
  }
  s.scan = slot;
  ++counters_.scans_started;
  return slot;
}

void Engine::Announce(uint32_t scan, AlertSink& sink) {
  if (TakeToken()) {
    Emit(scan, AlertPhase::kStarted, EndReason::kNone, sink);
  } else {
    ++counters_.alerts_deferred;
  }
}

void Engine::EndScan(uint32_t scan, EndReason reason, AlertSink& sink) {
  ScanRecord& r = scan_records_[scan];
  // A scan whose "started" was never sent reports once, as ended, if the
  // rate limit allows; one that was announced always gets its end.
  if (r.announced || TakeToken()) {
    Emit(scan, AlertPhase::kEnded, reason, sink);
  } else {
    ++counters_.alerts_dropped;
  }
  const uint32_t source = FindSource(r.source);
  if (source != kNoSlot && sources_[source].scan == scan) {
    sources_[source].scan = kNoSlot;
    // A scan that ended needs new evidence to start another. One evicted to
    // make room keeps its source's fired rules, so that under a flood of
    // scanners the same sources do not reopen scans in turn.
    if (reason != EndReason::kEvicted) {
      ClearScanState(sources_[source]);
    } else {
      sources_[source].fired = kFiredFast | kFiredSlow | kFiredTrw;
    }
  }
  scans_.Free(scan);
}

void Engine::Emit(uint32_t scan, AlertPhase phase, EndReason reason, AlertSink& sink) {
  SyncScan(scan);
  ScanRecord& r = scan_records_[scan];
  r.last_seen_us = scans_[scan].last_seen_us;
  r.probes = scans_[scan].probes;
  Alert a;
  FillAlert(r, config_.fast, a);
  a.phase = phase;
  a.end_reason = reason;
  r.announced = true;
  r.dirty = false;
  r.last_emit_us = now_us_;
  switch (phase) {
    case AlertPhase::kStarted: ++counters_.alerts_started; break;
    case AlertPhase::kUpdated: ++counters_.alerts_updated; break;
    case AlertPhase::kEnded: ++counters_.alerts_ended; break;
  }
  sink.OnAlert(a);
}

// Token bucket (scanlogd's log flood limit, deterministic in engine time).
bool Engine::TakeToken() {
  if (now_us_ > tokens_at_us_) {
    const double refill = static_cast<double>(now_us_ - tokens_at_us_) * config_.alerts_per_minute / kMinuteUs;
    tokens_ = std::min<double>(config_.alert_burst, tokens_ + refill);
    tokens_at_us_ = now_us_;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void Engine::SyncScan(uint32_t scan) {
  ScanRecord& r = scan_records_[scan];
  const uint32_t source = FindSource(r.source);
  if (source == kNoSlot) return;
  const SourceState& s = sources_[source];
  r.syn_checked = s.syn_checked;
  r.masscan_matches = s.masscan_matches;
  r.nmap_matches = s.nmap_matches;
  r.zmap_matches = s.zmap_matches;
  r.same_sport = s.same_sport;
  if (TrwActive()) {
    r.trw_now = TrwEvidence{std::exp(s.trw_log_ratio), std::exp(trw_log_eta1_), s.trw_failures, s.trw_successes};
  }
}

}  // namespace portscope::detect
