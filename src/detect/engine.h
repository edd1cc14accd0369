// detect::Engine: recognises port scans in a stream of probes.
//
// Pure: probes in, alerts out. No I/O and no clock: time comes with each
// probe (Probe::time_us) and with Flush(); the engine's clock is the latest
// time it has been given, so the same probes give the same alerts. All state
// is allocated at construction (limits.h says how much); Process() does not
// allocate.
//
// What it recognises (each with its thresholds in Config):
//  - window rules: many distinct ports (vertical), hosts (horizontal) or both
//    (block) among one source's failed probes within a short window (fast
//    scans) or a long one (slow scans);
//  - Threshold Random Walk over the outcomes of a source's first contacts,
//    where answers are visible;
//  - any probe to a watched (canary) port.
// A probe counts as evidence only once its outcome is known and is not a
// normal exchange: refused (RST, ICMP unreachable), unanswered within the
// answer timeout, half-open, or a connection closed without sending data.
// Answers (SYN-ACK, RST, ICMP errors, UDP replies) are paired with the
// attempt they answer, never taken for probes by the answering host.
//
// Thread-compatible: one thread at a time.
#ifndef PORTSCOPE_DETECT_ENGINE_H_
#define PORTSCOPE_DETECT_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "detect/aged_table.h"
#include "detect/alert.h"
#include "detect/config.h"
#include "detect/flow_state.h"
#include "detect/keyed_hash.h"
#include "detect/scan_record.h"
#include "detect/source_state.h"
#include "detect/table_memory.h"
#include "packet/probe.h"

namespace portscope::detect {

/// Everything counted, for /metrics and for honesty about what was dropped.
struct Counters {
  // Input.
  uint64_t probes = 0;                // Process() calls
  uint64_t ignored = 0;               // not TCP/UDP/ICMP error; multicast or broadcast destination
  uint64_t midstream = 0;             // TCP traffic of connections whose start was not seen
  uint64_t answers = 0;               // packets paired with the attempt or connection they answer
  uint64_t unmatched_answers = 0;     // SYN-ACK, RST, ICMP error or UDP reply answering nothing seen
  uint64_t time_regressions = 0;      // probes older than the engine clock (processed at its time)
  bool two_way = false;               // answers have been seen (TRW on, in Visibility::kAuto)
  // Sources.
  uint64_t sources_tracked = 0;       // now
  uint64_t sources_created = 0;
  uint64_t sources_expired = 0;
  uint64_t sources_evicted = 0;       // table full
  uint64_t sources_dropped = 0;       // no bucket within the probe cap
  // Flows.
  uint64_t flows_tracked = 0;         // now
  uint64_t attempts = 0;              // connection attempts and probes started
  uint64_t retransmissions = 0;
  uint64_t attempts_answered = 0;     // SYN-ACK or UDP reply
  uint64_t attempts_refused = 0;      // RST or ICMP unreachable
  uint64_t attempts_unanswered = 0;   // answer timeout
  uint64_t flows_evicted = 0;         // table full (an evicted attempt counts as unanswered)
  uint64_t flows_dropped = 0;         // no bucket within the probe cap
  // Evidence and decisions.
  uint64_t evidence = 0;              // probes judged scan evidence
  uint64_t benign = 0;                // attempts judged normal exchanges
  uint64_t evidence_overwritten = 0;  // evidence ring overflows before a scan started
  uint64_t trw_benign_decisions = 0;  // walks that reached eta0 (and restarted)
  uint64_t trw_scanner_decisions = 0;
  // Scans and alerts.
  uint64_t scans_active = 0;          // now
  uint64_t scans_started = 0;
  uint64_t scans_evicted = 0;         // ended early to make room
  uint64_t alerts_started = 0;
  uint64_t alerts_updated = 0;
  uint64_t alerts_ended = 0;
  uint64_t alerts_deferred = 0;       // "started" postponed by the rate limit
  uint64_t alerts_dropped = 0;        // scans that ended before the rate limit let them be reported
};

class Engine {
 public:
  /// `seed` keys the hash tables (use a random one in production; it changes
  /// no result, only memory layout). An invalid config is clamped into bounds
  /// (see Config::Validate to report it instead).
  Engine(const Config& config, uint64_t seed);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Takes one probe. May emit alerts (a scan recognised, or ended because its
  /// slot was needed or time passed).
  void Process(const packet::Probe& probe, AlertSink& sink);
  /// Takes probes in order, exactly as Process() on each would (same alerts,
  /// same state), but faster on large tables: it hashes each probe and
  /// prefetches the table entries it will need several probes ahead, so that
  /// the cache misses of neighbouring probes overlap.
  void ProcessBatch(std::span<const packet::Probe> probes, AlertSink& sink);
  /// Advances the clock to `now_us` (if later) and does what time brings:
  /// unanswered attempts become evidence, idle scans end, idle state expires.
  /// Call it periodically when probes may stop arriving.
  void Flush(uint64_t now_us, AlertSink& sink);
  /// End of input: every waiting attempt is judged as if its timeout passed,
  /// then every running scan ends (reason kFinished). The engine stays usable.
  void Finish(AlertSink& sink);

  /// A snapshot (the "now" fields are filled in on the call).
  Counters counters() const;
  const Config& config() const { return config_; }
  uint64_t now_us() const { return now_us_; }
  /// Bytes held by the engine's tables: fixed at construction.
  size_t memory_bytes() const;
  /// Whether `port` is a watched (canary) port of `transport` (TCP or UDP),
  /// as config().watched_*_ports says.
  bool IsWatched(packet::Transport transport, uint16_t port) const {
    return (transport == packet::Transport::kTcp || transport == packet::Transport::kUdp) &&
           Watched(static_cast<uint8_t>(transport), port);
  }

 private:
  // FIFO rings (aged_table.h) for the lists consumed from the front, so the
  // next victims can be prefetched. kOpen stays a linked list: an open flow
  // moves to its back on every packet, and as a ring (tried) its holes cost
  // more than the prefetching saved.
  using SourceTable = AgedTable<SourceState, 1, /*kFifoLists=*/1>;
  using FlowTable = AgedTable<FlowState, kFlowLists, /*kFifoLists=*/1 << kAwaiting>;
  using ScanPool = AgedPool<ScanActivity, 1>;

  enum class Outcome : uint8_t {
    kRefused,     // RST or ICMP unreachable from the responder side
    kUnanswered,  // timeout
    kEvicted,     // flow table full: unanswered, but not scored by TRW
    kHalfOpen,    // SYN-ACK answered by the initiator's RST, or never ACKed
    kUnused,      // handshake completed, closed without the initiator sending data
    kBenign,      // a normal exchange, or nothing to judge
  };

  // The keyed hashes of a TCP or UDP probe, computed once (ahead of time by
  // ProcessBatch).
  struct Hashes {
    uint64_t src_endpoint = 0;  // (src, sport, proto)
    uint64_t dst_endpoint = 0;  // (dst, dport, proto): also the target's identity
    uint64_t flow = 0;          // symmetric in the two endpoints
    uint64_t source = 0;        // src address
    uint32_t flow_hint = kNoSlot;  // ProcessBatch: the flow entry its index run points at first
    uint32_t source_hint = kNoSlot;  // and the source entry
  };

  // engine.cc: clock, batching, sweeping, alerts.
  void HashProbe(const packet::Probe& p, Hashes& h);
  void PrefetchVictims();
  void PrefetchSourceVictims();
  void ProcessHashed(const packet::Probe& p, const Hashes& h, AlertSink& sink);
  void Advance(uint64_t time_us, AlertSink& sink);
  [[gnu::cold, gnu::noinline]] void JudgeEveryFlow(AlertSink& sink);
  void Sweep(AlertSink& sink);
  uint32_t OpenScan(uint32_t source, Algorithm algorithm, AlertSink& sink);
  void Announce(uint32_t scan, AlertSink& sink);
  void EndScan(uint32_t scan, EndReason reason, AlertSink& sink);
  void Emit(uint32_t scan, AlertPhase phase, EndReason reason, AlertSink& sink);
  bool TakeToken();
  void SyncScan(uint32_t scan);

  // engine_packets.cc: per-protocol handling and flow outcomes.
  void ProcessTcp(const packet::Probe& p, const Hashes& h, AlertSink& sink);
  void ProcessUdp(const packet::Probe& p, const Hashes& h, AlertSink& sink);
  void ProcessIcmp(const packet::Probe& p, AlertSink& sink);
  // `hint`: a slot that may hold the flow (ProcessBatch's), or kNoSlot.
  uint32_t FindFlow(uint64_t hash, const IpAddress& a, uint16_t a_port, const IpAddress& b, uint16_t b_port,
                    uint8_t proto, uint32_t hint) const;
  uint32_t NewFlow(uint64_t hash, FlowStage stage, uint64_t time_us, AlertSink& sink);
  void StartAttempt(const packet::Probe& p, const Hashes& h, FlowStage stage, ProbeClass cls, AlertSink& sink);
  void Answered(uint32_t flow, bool visible, AlertSink& sink);
  void NoteAnsweredTarget(const FlowState& f);
  void SawAnswer();
  void Judge(uint32_t flow, Outcome outcome, AlertSink& sink);
  void Resolve(uint32_t flow, Outcome outcome, AlertSink& sink);
  void ExpireFlows(AlertSink& sink);
  uint64_t FlowAgeUs(const FlowState& f) const { return uint64_t{now_ms_ - f.time_ms} * 1000; }
  // The flow's last activity is now.
  void StampNow(FlowState& f) const {
    f.time_ms = now_ms_;
    f.links.user = static_cast<uint16_t>(now_us_ % 1000);
  }
  // Whether the front of `list` has been idle for `timeout_us` or more.
  bool FlowDue(uint32_t list, uint64_t timeout_us) const {
    const uint32_t front = flows_.Front(list);
    return front != kNoSlot && FlowAgeUs(flows_[front]) >= timeout_us;
  }
  uint64_t FlowTimeUs(const FlowState& f) const;
  uint32_t FlowSource(FlowState& f, AlertSink& sink);
  uint32_t KnownSource(const FlowState& f) const;

  // engine_sources.cc: sources, evidence, TRW, hints.
  uint32_t FindSource(const IpAddress& addr) const;
  // `hint`: a slot that may hold the source (ProcessBatch's), or kNoSlot.
  uint32_t TouchSource(const IpAddress& addr, uint64_t hash, uint64_t time_us, AlertSink& sink,
                       uint32_t hint = kNoSlot);
  uint32_t CountProbe(const IpAddress& addr, const Hashes& h, uint64_t time_us, AlertSink& sink);
  uint32_t SourceToEvict();
  void RemoveSource(uint32_t source, EndReason reason, AlertSink& sink);
  void ExpireSources(AlertSink& sink);
  void NoteSynFingerprint(SourceState& s, const packet::Probe& p);
  void AddSourceEvidence(uint32_t source, const EvidenceItem& item, const IpAddress& host, AlertSink& sink);
  void ScoreTrw(uint32_t source, bool success, AlertSink& sink);
  void Fire(uint32_t source, Algorithm algorithm, const WindowEvidence* window, const TrwEvidence* trw,
            AlertSink& sink);
  void WatchedTouch(uint32_t source, const packet::Probe& p, ProbeClass cls, AlertSink& sink);
  // TCP or UDP (any other proto reads the UDP map).
  bool Watched(uint8_t proto, uint16_t port) const {
    const size_t word = (proto == static_cast<uint8_t>(packet::Transport::kTcp) ? 0 : 1024) + (port >> 6);
    return (watched_[word] >> (port & 63)) & 1;
  }
  bool TrwActive() const { return trw_active_; }
  void UpdateTrwActive();
  // A target host's key in evidence and scan records: the IPv4 address, or
  // 32 bits of the keyed hash of an IPv6 one.
  uint32_t HostKey(const IpAddress& host) const {
    return IsV4(host) ? V4Bits(host) : static_cast<uint32_t>(hash_.Address(host) >> 32);
  }
  EvidenceItem MakeEvidence(const IpAddress& host, uint16_t port, uint8_t proto, ProbeClass cls,
                            uint64_t time_us) const;

  Config config_;
  KeyedHash hash_;
  SourceTable sources_;
  FlowTable flows_;
  ScanPool scans_;                        // slots and recency of running scans
  TableArray<ScanRecord> scan_records_;   // their records, by the same slot
  std::vector<uint64_t> watched_;  // 65,536-bit maps: TCP's, then UDP's
  double trw_log_success_;  // log(theta1 / theta0)
  double trw_log_failure_;  // log((1 - theta1) / (1 - theta0))
  double trw_log_eta1_;     // log(beta / alpha)
  double trw_log_eta0_;     // log((1 - beta) / (1 - alpha))
  uint32_t fast_minimum_;
  uint32_t slow_minimum_;
  uint64_t scan_secret_;
  bool trw_active_ = false;     // TRW on (config, and answers seen under kAuto)
  IpAddress last_dst_;          // HashProbe's one-entry cache
  uint64_t last_dst_hash_ = 0;
  uint64_t now_us_ = 0;
  uint32_t now_ms_ = 0;  // now_us_ / 1000 modulo 2^32, for flow ages
  uint64_t next_sweep_us_ = 0;
  uint32_t victim_near_ = 0;  // PrefetchVictims: kAwaiting ring positions prefetched up to
  uint32_t victim_far_ = 0;
  uint32_t source_victim_near_ = 0;  // and the source ring's
  uint32_t source_victim_far_ = 0;
  double tokens_;
  uint64_t tokens_at_us_ = 0;
  uint64_t next_scan_id_ = 1;
  Counters counters_;
};

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_ENGINE_H_
