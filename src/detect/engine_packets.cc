// Engine: what each packet means, and how an attempt's outcome is judged.
//
// Every TCP/UDP packet is looked up in the flow table by its two endpoints
// (one lookup finds either direction). With a flow, the direction decides:
// from its initiator it is a retransmission, the handshake's ACK, data or a
// close; from its responder it is an answer (SYN-ACK, RST, reply) and is
// attributed to the attempt, never counted as the responder probing anyone.
// Without a flow, a SYN or a UDP datagram starts an attempt, a FIN, NULL or
// Xmas segment is evidence at once (no connection ever looks like that), a
// bare ACK or FIN+ACK waits for its answer (it may belong to a connection
// that began before we looked), and anything carrying data or TCP timestamps
// is mid-stream traffic of an unseen connection.
//
// An attempt is judged once:
//   answered and used (data from the initiator, a UDP reply)   benign
//   refused (RST from the responder, ICMP unreachable)         evidence, TRW failure
//   unanswered within the answer timeout                       evidence, TRW failure
//   SYN-ACK then the initiator's RST, or never ACKed           evidence (half-open SYN)
//   handshake completed, closed without data                   evidence (connect)
// TRW scores only first contacts, and only while answers are visible.
#include "detect/engine.h"

namespace portscope::detect {

namespace {

namespace tf = packet::tcp_flags;
constexpr uint8_t kTcp = static_cast<uint8_t>(packet::Transport::kTcp);
constexpr uint8_t kUdp = static_cast<uint8_t>(packet::Transport::kUdp);

uint32_t TargetTag(uint64_t endpoint_hash) {
  const uint32_t t = static_cast<uint32_t>(endpoint_hash >> 32);
  return t != 0 ? t : 1;
}

// SACK, timestamps or window scale: a SYN from an operating system's connect()
// rather than from a raw-socket scanner.
bool OsSyn(const packet::Probe& p) { return p.sack_permitted || p.timestamps || p.wscale != 0xff; }

bool IcmpError(const packet::Probe& p, bool& unreachable) {
  if (p.transport == packet::Transport::kIcmp) {
    // Type 3 code 4 is "fragmentation needed" (path MTU discovery), not a refusal.
    unreachable = p.icmp_type == 3 && p.icmp_code != 4;
    return p.icmp_type == 3 || p.icmp_type == 4 || p.icmp_type == 5 || p.icmp_type == 11 || p.icmp_type == 12;
  }
  unreachable = p.icmp_type == 1;
  return p.icmp_type >= 1 && p.icmp_type <= 4;
}

}  // namespace

uint32_t Engine::FindFlow(uint64_t hash, const IpAddress& a, uint16_t a_port, const IpAddress& b, uint16_t b_port,
                          uint8_t proto, uint32_t hint) const {
  const auto same = [&](const FlowState& f) {
    if (f.proto != proto) return false;
    if (f.init_port == a_port && f.resp_port == b_port && SameAddress(f.init, a) && SameAddress(f.resp, b)) {
      return true;
    }
    return f.init_port == b_port && f.resp_port == a_port && SameAddress(f.init, b) && SameAddress(f.resp, a);
  };
  // The entry ProcessBatch's prefetch stage found first for this hash is
  // nearly always the answer, and a table holds each flow once: when it is
  // this flow, the bucket walk is not needed.
  if (flows_.live(hint) && same(flows_[hint])) return hint;
  return flows_.Find(hash, same);
}

uint64_t Engine::FlowTimeUs(const FlowState& f) const {
  const uint64_t now_ms = now_us_ / 1000;
  return (now_ms - static_cast<uint32_t>(static_cast<uint32_t>(now_ms) - f.time_ms)) * 1000 + f.links.user;
}

uint32_t Engine::NewFlow(uint64_t hash, FlowStage stage, uint64_t time_us, AlertSink& sink) {
  if (flows_.full()) {
    // Evict the older of the two list fronts. An evicted attempt is judged
    // unanswered (a full table shortens the answer timeout rather than hide
    // a scan), an evicted connection is forgotten.
    const uint32_t a = flows_.Front(kAwaiting);
    const uint32_t o = flows_.Front(kOpen);
    const uint32_t victim =
        a == kNoSlot ? o : (o == kNoSlot ? a : (FlowAgeUs(flows_[o]) >= FlowAgeUs(flows_[a]) ? o : a));
    ++counters_.flows_evicted;
    const FlowState& v = flows_[victim];
    Resolve(victim,
            v.links.list == kAwaiting ? Outcome::kEvicted
                                      : (v.stage == FlowStage::kSynAcked ? Outcome::kHalfOpen : Outcome::kBenign),
            sink);
  }
  const uint32_t slot = flows_.Insert(hash, kAwaiting);
  if (slot == kNoSlot) {
    ++counters_.flows_dropped;
    return kNoSlot;
  }
  FlowState& f = flows_[slot];
  f.stage = stage;
  f.flags = 0;
  f.time_ms = static_cast<uint32_t>(time_us / 1000);
  f.links.user = static_cast<uint16_t>(time_us % 1000);
  f.source_hint = kNoSlot;
  return slot;
}

// The initiator's source if it is tracked: the flow's slot hint when it still
// holds that address (addresses are unique in the table, so this is what
// FindSource would return, without hashing the address and reading its
// bucket), else a lookup.
uint32_t Engine::KnownSource(const FlowState& f) const {
  if (sources_.live(f.source_hint) && SameAddress(sources_[f.source_hint].addr, f.init)) return f.source_hint;
  return FindSource(f.init);
}

// The initiator's source, found through the flow's slot hint when it still
// holds that address, else looked up (and re-created if it was evicted).
uint32_t Engine::FlowSource(FlowState& f, AlertSink& sink) {
  uint32_t source = f.source_hint;
  if (sources_.live(source) && SameAddress(sources_[source].addr, f.init)) {
    sources_[source].touched_us = now_us_;
  } else {
    source = TouchSource(f.init, hash_.Address(f.init), FlowTimeUs(f), sink);
    f.source_hint = source;
  }
  return source;
}

void Engine::StartAttempt(const packet::Probe& p, const Hashes& h, FlowStage stage, ProbeClass cls,
                          AlertSink& sink) {
  const uint8_t proto = static_cast<uint8_t>(p.transport);
  // The flow first: making room may judge old attempts, which may create and
  // evict sources; after this point only this probe's source is touched.
  const uint32_t flow = NewFlow(h.flow, stage, p.time_us, sink);
  ++counters_.attempts;
  const uint32_t source = CountProbe(p.src, h, p.time_us, sink);
  bool first = false;
  if (source != kNoSlot) {
    SourceState& s = sources_[source];
    // Only TRW asks whether a contact is the first, so the contact ring is
    // skipped while it is off. Under Visibility::kAuto, attempts made before
    // the first answer switched it on count as first contacts.
    if (TrwActive()) {
      first = NoteContact(s, TargetTag(h.dst_endpoint));
    } else {
      first = config_.trw.enabled && config_.visibility == Visibility::kAuto;
    }
    if (stage == FlowStage::kAttempt && proto == kTcp) NoteSynFingerprint(s, p);
  }
  if (flow != kNoSlot) {
    FlowState& f = flows_[flow];
    f.init = p.src;
    f.resp = p.dst;
    f.init_port = p.sport;
    f.resp_port = p.dport;
    f.proto = proto;
    f.cls = static_cast<uint8_t>(cls);
    f.source_hint = source;
    if (first && stage == FlowStage::kAttempt) f.flags |= kFlowFirstContact;
    if (stage == FlowStage::kRecorded) f.flags |= kFlowJudged;
  }
  if (source == kNoSlot) return;
  if (Watched(proto, p.dport)) WatchedTouch(source, p, cls, sink);
  if (stage == FlowStage::kRecorded) {
    AddSourceEvidence(source, MakeEvidence(p.dst, p.dport, proto, cls, p.time_us), p.dst, sink);
  }
}

void Engine::SawAnswer() {
  ++counters_.answers;
  if (!counters_.two_way) {
    counters_.two_way = true;
    UpdateTrwActive();
  }
}

// An answer from a target of a running scan is an open port (or a live host)
// the scanner found, and one of the scan's targets, though not evidence: it
// is listed with them when the scan already has that host or that port (a
// vertical scan's open port, a horizontal scan's live host), so that
// `nmap -sU` over 30 ports is not reported as the 29 that did not answer.
// Other answered traffic of a scanning source (its DNS lookups) is not.
void Engine::NoteAnsweredTarget(const FlowState& f) {
  const uint32_t source = KnownSource(f);
  if (source == kNoSlot || sources_[source].scan == kNoSlot) return;
  ScanRecord& r = scan_records_[sources_[source].scan];
  const uint32_t key = HostKey(f.resp);
  if (!HasHost(r, key) && !HasPort(r, f.resp_port)) return;
  AddTarget(r, key, &f.resp, f.resp_port);
  r.dirty = true;
}

void Engine::Answered(uint32_t flow, bool visible, AlertSink& sink) {
  FlowState& f = flows_[flow];
  ++counters_.attempts_answered;
  if (visible) SawAnswer();
  NoteAnsweredTarget(f);
  f.stage = f.proto == kTcp ? FlowStage::kSynAcked : FlowStage::kOpen;
  StampNow(f);
  flows_.MoveToBack(flow, kOpen);
  if (f.proto != kTcp) {
    f.flags |= kFlowJudged;
    ++counters_.benign;
    const uint32_t source = KnownSource(f);
    if (source != kNoSlot) NoteOutcome(sources_[source], /*benign=*/true);
  }
  if ((f.flags & kFlowFirstContact) && !(f.flags & kFlowTrwScored) && TrwActive()) {
    f.flags |= kFlowTrwScored;
    const uint32_t source = FlowSource(f, sink);
    if (source != kNoSlot) ScoreTrw(source, /*success=*/true, sink);
  }
}

void Engine::Judge(uint32_t flow, Outcome outcome, AlertSink& sink) {
  FlowState& f = flows_[flow];
  if (f.flags & kFlowJudged) return;
  f.flags |= kFlowJudged;
  ProbeClass cls = static_cast<ProbeClass>(f.cls);
  bool trw_failure = false;
  switch (outcome) {
    case Outcome::kRefused:
      ++counters_.attempts_refused;
      trw_failure = true;
      break;
    case Outcome::kUnanswered:
      ++counters_.attempts_unanswered;
      trw_failure = true;
      break;
    case Outcome::kEvicted:
      break;
    case Outcome::kHalfOpen:
      cls = ProbeClass::kSyn;
      break;
    case Outcome::kUnused:
      cls = ProbeClass::kConnect;
      break;
    case Outcome::kBenign: {
      ++counters_.benign;
      // Only a used connection is a good mark; one merely forgotten is none.
      const uint32_t source = (f.flags & kFlowUsed) ? KnownSource(f) : kNoSlot;
      if (source != kNoSlot) NoteOutcome(sources_[source], /*benign=*/true);
      return;
    }
  }
  const bool score = trw_failure && (f.flags & kFlowFirstContact) && !(f.flags & kFlowTrwScored) && TrwActive();
  if (score) f.flags |= kFlowTrwScored;
  const EvidenceItem item = MakeEvidence(f.resp, f.resp_port, f.proto, cls, FlowTimeUs(f));
  const uint32_t source = FlowSource(f, sink);
  if (source == kNoSlot) return;
  AddSourceEvidence(source, item, f.resp, sink);
  if (score) ScoreTrw(source, /*success=*/false, sink);
}

void Engine::Resolve(uint32_t flow, Outcome outcome, AlertSink& sink) {
  Judge(flow, outcome, sink);
  flows_.Remove(flow);
}

void Engine::ProcessTcp(const packet::Probe& p, const Hashes& h, AlertSink& sink) {
  const uint8_t flags = p.tcp_flags & (tf::kFin | tf::kSyn | tf::kRst | tf::kPsh | tf::kAck | tf::kUrg);
  const uint32_t flow = FindFlow(h.flow, p.src, p.sport, p.dst, p.dport, kTcp, h.flow_hint);
  const bool forward = flow != kNoSlot && flows_[flow].init_port == p.sport && SameAddress(flows_[flow].init, p.src);
  const bool syn = flags & tf::kSyn;
  const bool ack = flags & tf::kAck;
  const bool rst = flags & tf::kRst;

  if (syn && !ack && !rst && !(flags & tf::kFin)) {  // a connection attempt
    if (flow != kNoSlot) {
      if (forward && flows_[flow].stage == FlowStage::kAttempt) {
        ++counters_.retransmissions;
        CountProbe(p.src, h, p.time_us, sink);
        return;
      }
      // The 4-tuple is reused: the old connection is over.
      Resolve(flow, flows_[flow].stage == FlowStage::kSynAcked ? Outcome::kHalfOpen : Outcome::kBenign, sink);
    }
    StartAttempt(p, h, FlowStage::kAttempt, OsSyn(p) ? ProbeClass::kConnect : ProbeClass::kSyn, sink);
    return;
  }
  if (syn && ack && !rst) {
    if (flow != kNoSlot && !forward && flows_[flow].stage == FlowStage::kAttempt) {
      Answered(flow, /*visible=*/true, sink);
    } else if (flow != kNoSlot && !forward) {
      ++counters_.answers;  // a retransmitted SYN-ACK
    } else {
      ++counters_.unmatched_answers;  // backscatter, or a SYN we did not see
    }
    return;
  }
  if (rst) {
    if (flow == kNoSlot) {
      ++counters_.unmatched_answers;
      return;
    }
    const FlowStage stage = flows_[flow].stage;
    if (!forward) {
      SawAnswer();
      const bool refused = stage == FlowStage::kAttempt || stage == FlowStage::kProbe;
      Resolve(flow, refused ? Outcome::kRefused : Outcome::kBenign, sink);
    } else if (stage == FlowStage::kAttempt || stage == FlowStage::kSynAcked) {
      Resolve(flow, Outcome::kHalfOpen, sink);  // the scanner's kernel resets the SYN-ACK
    } else if (stage == FlowStage::kOpen) {
      Resolve(flow, (flows_[flow].flags & kFlowUsed) ? Outcome::kBenign : Outcome::kUnused, sink);
    } else {
      Resolve(flow, Outcome::kUnanswered, sink);  // a probe withdrawn by its sender
    }
    return;
  }

  if (flow != kNoSlot) {
    FlowState& f = flows_[flow];
    if (forward) {
      if (ack && (f.stage == FlowStage::kAttempt || f.stage == FlowStage::kSynAcked)) {
        // The handshake's ACK. Without a visible SYN-ACK it still proves one
        // was sent (answers are not visible here).
        if (f.stage == FlowStage::kAttempt) Answered(flow, /*visible=*/false, sink);
        f.stage = FlowStage::kOpen;
      }
      if (f.stage == FlowStage::kProbe || f.stage == FlowStage::kRecorded) {
        ++counters_.retransmissions;
        CountProbe(p.src, h, p.time_us, sink);
        return;
      }
      if (p.payload_wire_len > 0 && f.stage == FlowStage::kOpen && !(f.flags & kFlowUsed)) {
        f.flags |= kFlowUsed;
        Judge(flow, Outcome::kBenign, sink);
      }
      if ((flags & tf::kFin) && f.stage == FlowStage::kOpen && !(f.flags & kFlowUsed)) {
        Judge(flow, Outcome::kUnused, sink);  // connect() then close: nmap -sT
      }
    } else {
      ++counters_.answers;
      if (f.stage == FlowStage::kProbe) {
        // The responder carries on a connection we saw only mid-stream.
        ++counters_.midstream;
        f.stage = FlowStage::kOpen;
        Judge(flow, Outcome::kBenign, sink);
      }
    }
    if (f.links.list == kOpen) {
      StampNow(f);
      flows_.MoveToBack(flow, kOpen);
    }
    return;
  }
  if (p.payload_wire_len > 0 || p.timestamps) {
    ++counters_.midstream;
    return;
  }
  const ProbeClass cls = TcpFlagsClass(flags);
  const bool may_be_connection = cls == ProbeClass::kAck || cls == ProbeClass::kMaimon;
  StartAttempt(p, h, may_be_connection ? FlowStage::kProbe : FlowStage::kRecorded, cls, sink);
}

void Engine::ProcessUdp(const packet::Probe& p, const Hashes& h, AlertSink& sink) {
  const uint32_t flow = FindFlow(h.flow, p.src, p.sport, p.dst, p.dport, kUdp, h.flow_hint);
  if (flow != kNoSlot) {
    FlowState& f = flows_[flow];
    const bool forward = f.init_port == p.sport && SameAddress(f.init, p.src);
    if (!forward && f.stage == FlowStage::kAttempt) {
      Answered(flow, /*visible=*/true, sink);
      return;
    }
    if (forward && f.stage == FlowStage::kAttempt) {
      ++counters_.retransmissions;
      CountProbe(p.src, h, p.time_us, sink);
      return;
    }
    if (!forward) ++counters_.answers;
    StampNow(f);
    flows_.MoveToBack(flow, kOpen);
    return;
  }
  // A datagram from a service port to an ephemeral one, with data, is a reply
  // whose request we missed (capture started late, asymmetric route), not the
  // service probing its client.
  if (p.sport < 1024 && p.dport >= 32768 && p.payload_wire_len > 0) {
    ++counters_.unmatched_answers;
    return;
  }
  StartAttempt(p, h, FlowStage::kAttempt, ProbeClass::kUdp, sink);
}

void Engine::ProcessIcmp(const packet::Probe& p, AlertSink& sink) {
  bool unreachable = false;
  if (!IcmpError(p, unreachable)) {
    ++counters_.ignored;
    return;
  }
  const uint8_t proto = static_cast<uint8_t>(p.quoted_transport);
  if (!p.quoted_valid || (proto != kTcp && proto != kUdp)) {
    ++counters_.unmatched_answers;
    return;
  }
  // The error quotes the datagram it answers: the original sender is the
  // quoted source. Only an error about the initiator's packet judges it.
  const uint64_t fh = FlowHash(EndpointHash(hash_.Address(p.quoted_src), p.quoted_sport, proto),
                               EndpointHash(hash_.Address(p.quoted_dst), p.quoted_dport, proto));
  const uint32_t flow = FindFlow(fh, p.quoted_src, p.quoted_sport, p.quoted_dst, p.quoted_dport, proto, kNoSlot);
  if (flow == kNoSlot || flows_[flow].init_port != p.quoted_sport || !SameAddress(flows_[flow].init, p.quoted_src)) {
    ++counters_.unmatched_answers;
    return;
  }
  SawAnswer();
  const FlowStage stage = flows_[flow].stage;
  if (unreachable && (stage == FlowStage::kAttempt || stage == FlowStage::kProbe)) {
    Resolve(flow, Outcome::kRefused, sink);
  }
}

}  // namespace portscope::detect
