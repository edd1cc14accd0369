// Every limit of the detect/ engine, in one place (STYLE.md section 5; after
// scanlogd's params.h).
//
// Two kinds of number live here:
//  - compile-time caps (k...): sizes of fixed arrays inside one source's or one
//    scan's state. They bound memory per tracked thing and cannot be changed
//    without a rebuild;
//  - defaults for the run-time tunables in detect::Config (kDefault...). A
//    Config may change them within the bounds below (kMax..., kMin...).
//
// Each number says what it means, what it costs in memory, and how it moves
// false positives (FP) and false negatives (FN). With every default the
// engine holds 73 MB, all allocated at construction (Engine::memory_bytes).
#ifndef PORTSCOPE_DETECT_LIMITS_H_
#define PORTSCOPE_DETECT_LIMITS_H_

#include <cstdint>

namespace portscope::detect {

inline constexpr uint64_t kSecondUs = 1'000'000;
inline constexpr uint64_t kMinuteUs = 60 * kSecondUs;
inline constexpr uint64_t kHourUs = 60 * kMinuteUs;

// ---------------------------------------------------------------------------
// Tables (run-time capacities)

/// Sources (remote addresses) tracked at once. Memory: 552 bytes each (512
/// of state, 32 of index, 8 of age ring), 36 MB at the default. When full, the least
/// recently active source without a running scan is evicted (counted); a
/// flood of spoofed sources can push a slow scanner out (FN), never cause an
/// alert.
inline constexpr uint32_t kDefaultMaxSources = 65'536;
inline constexpr uint32_t kMaxMaxSources = (1u << 24) - 1;

/// Connection attempts and connections followed at once, to pair answers with
/// the packets they answer. Memory: 104 bytes each (64 of state, 32 of
/// index, 8 of age ring), 27 MB at the default.
/// When full the oldest entry is evicted: an evicted attempt counts as
/// unanswered (a smaller table shortens the answer timeout under load: FP for
/// slow-answering services), an evicted connection is simply forgotten.
inline constexpr uint32_t kDefaultMaxFlows = 262'144;
inline constexpr uint32_t kMaxMaxFlows = (1u << 24) - 1;

/// Scans reported at once (sources with an open alert). Memory: 13.2 KB
/// each (exact port bitmap and host set), 14 MB at the default. When full,
/// the least recently active scan is ended early (an "ended" alert, reason
/// evicted) to make room, and its source cannot start another until it falls
/// idle (so a flood of scanners cannot churn the table).
inline constexpr uint32_t kDefaultMaxScans = 1'024;
inline constexpr uint32_t kMaxMaxScans = 1u << 16;

/// Longest linear-probing run in any hash index. An insert that finds no free
/// bucket within it is dropped and counted. With a keyed hash and a load of at
/// most 1/4 (4 buckets per entry, AgedTable) this does not happen by chance;
/// at 1/2 it did, about once in 20,000 inserts, which made results depend on
/// the hash key. It bounds the work an adversary who guessed the key could
/// force per packet.
inline constexpr uint32_t kMaxProbeDistance = 32;

/// How many of the oldest sources eviction looks at to find one without a
/// running scan. Larger protects reported scans better under a source flood
/// at a cost of that many cache misses per eviction.
inline constexpr uint32_t kEvictSearch = 8;

// ---------------------------------------------------------------------------
// Per-source state (compile-time caps)

/// Distinct targets (host, port, protocol) a source's recent contacts are
/// remembered by, to tell a first contact (the only kind TRW scores) from a
/// repeat. 4 bytes each (one cache line of SourceState). Too small: a client cycling through more services
/// than this gets its repeats scored as first contacts (they mostly succeed:
/// drives TRW towards benign, FN for mixed scanners).
inline constexpr uint32_t kContactRing = 16;

/// Evidence (targets whose probe went unanswered, was refused, or was never
/// used) remembered per source before an alert, 16 bytes each. It bounds every
/// window threshold: a rule needing more distinct ports or hosts than this can
/// never fire. Older evidence is overwritten (counted); the alert then reports
/// its counts as lower bounds.
inline constexpr uint32_t kEvidenceRing = 16;

/// How many recent attempt outcomes (normal exchanges vs evidence) a source's
/// window rules look back on: a source whose recent attempts were mostly
/// normal exchanges does not fire them (a browser that meets a few refused
/// hosts among hundreds it uses). Both counts are halved when their sum
/// passes this. Larger: a longer memory of good behaviour (FN for a client
/// that turns to scanning, which TRW still catches).
inline constexpr uint32_t kOutcomeMemory = 64;

// ---------------------------------------------------------------------------
// Per-scan state (compile-time caps)

/// Distinct target hosts counted exactly per scan; beyond it the count is a
/// lower bound plus a HyperLogLog estimate. 4 bytes x 2 per host.
inline constexpr uint32_t kScanExactHosts = 512;

/// HyperLogLog registers for the host estimate beyond kScanExactHosts. 1 byte
/// each; standard error 1.04 / sqrt(n): 6.5% at 256.
inline constexpr uint32_t kScanHllRegisters = 256;

/// Hosts and ports listed in an alert. Counts are kept separately and exactly
/// (up to the caps above); these only bound the lists shown to a person.
inline constexpr uint32_t kAlertHosts = 16;
inline constexpr uint32_t kAlertPorts = 32;
/// Runs of consecutive ports listed in an alert (the lowest ones), so that a
/// scan of 0-1000 reads as that, not as its first 32 ports.
inline constexpr uint32_t kAlertPortRanges = 16;

// ---------------------------------------------------------------------------
// Timing (run-time defaults)

/// How long an attempt may wait for an answer (SYN-ACK, RST, ICMP error, UDP
/// reply, or the client's own handshake ACK or data) before it counts as
/// unanswered. It also delays window alerts by up to this much when answers
/// are not visible. Longer: more attempts held (memory), fewer FPs on slow
/// links.
inline constexpr uint64_t kDefaultAnswerTimeoutUs = 3 * kSecondUs;

/// An established connection with no packet for this long is forgotten; a
/// later packet of it is then treated as mid-stream traffic (never evidence
/// when it carries data or TCP timestamps).
inline constexpr uint64_t kDefaultFlowIdleTimeoutUs = 5 * kMinuteUs;

/// A source with no probe for this long is forgotten (its evidence with it).
/// Must cover the slow window, or slow scans are forgotten between probes
/// (FN); longer keeps idle sources in the table (memory is fixed: it only
/// raises evictions).
inline constexpr uint64_t kDefaultSourceIdleTimeoutUs = 4 * kHourUs;

/// A scan ends when its source has sent no probe for max(this, factor x its
/// mean gap between probes), so a -T0 scan (one probe every 5 minutes) is
/// not ended and restarted between probes. Capped by the source idle timeout.
inline constexpr uint64_t kDefaultScanEndIdleUs = 60 * kSecondUs;
inline constexpr uint32_t kDefaultScanEndGapFactor = 4;

/// A running scan with new evidence is re-reported at most this often
/// (phase "updated"); 0 disables updates, leaving only "started" and "ended".
inline constexpr uint64_t kDefaultUpdateIntervalUs = 10 * kMinuteUs;

/// Alert rate limit (after scanlogd's LOG_COUNT_THRESHOLD): a token bucket of
/// this burst refilled at this rate. A scan that finds the bucket empty is
/// reported later ("started" is deferred, counted); its "ended" alert is
/// never dropped once "started" was sent.
inline constexpr uint32_t kDefaultAlertBurst = 100;
inline constexpr uint32_t kDefaultAlertsPerMinute = 600;

/// How often (engine time) idle scans are ended, deferred alerts retried and
/// updates sent. Cost: one pass over the running scans.
inline constexpr uint64_t kSweepIntervalUs = kSecondUs;

// ---------------------------------------------------------------------------
// Window rules (run-time defaults). A window rule fires when the evidence of
// one source whose probes fall within `window` shows at least `min_ports`
// distinct ports, or `min_hosts` distinct hosts, or both `block_hosts` hosts
// and `block_ports` ports. Lower numbers or longer windows: more FPs.

/// Fast (PortSentry/scanlogd model; scanlogd uses 7 weighted ports in 3 s).
/// nmap -T2 sends one probe per 0.4 s: 6 ports in 2.4 s.
inline constexpr uint64_t kDefaultFastWindowUs = 5 * kSecondUs;
inline constexpr uint32_t kDefaultFastMinPorts = 6;
inline constexpr uint32_t kDefaultFastMinHosts = 6;
inline constexpr uint32_t kDefaultFastBlockHosts = 3;
inline constexpr uint32_t kDefaultFastBlockPorts = 3;

/// Slow: nmap -T1 (one probe per 15 s) reaches 5 ports in one minute, -T0
/// (one per 5 minutes) in 20 minutes. 5 ports, not 10: a -T1 scan of a few
/// ports must be seen. Only failed, half-open or unused attempts count, so a
/// client of real services never gets there; a monitor that connects and
/// closes without a word to 5 ports does (it is probing: --ignore it).
inline constexpr uint64_t kDefaultSlowWindowUs = 4 * kHourUs;
inline constexpr uint32_t kDefaultSlowMinPorts = 5;
inline constexpr uint32_t kDefaultSlowMinHosts = 10;
inline constexpr uint32_t kDefaultSlowBlockHosts = 4;
inline constexpr uint32_t kDefaultSlowBlockPorts = 4;

// ---------------------------------------------------------------------------
// Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan, IEEE S&P 2004).
// theta0/theta1: probability that a first-contact attempt succeeds for a
// benign source / a scanner. alpha: target false positive rate; beta: target
// detection rate. Thresholds eta1 = beta/alpha (scanner) and
// eta0 = (1-beta)/(1-alpha) (benign). With the paper's values below a source
// is called a scanner after 4 failures in a row (ratio 4^4 = 256 >= 99) and
// benign after 4 successes. Raising alpha or lowering theta0 raises FPs.
inline constexpr double kDefaultTrwTheta0 = 0.8;
inline constexpr double kDefaultTrwTheta1 = 0.2;
inline constexpr double kDefaultTrwAlpha = 0.01;
inline constexpr double kDefaultTrwBeta = 0.99;

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_LIMITS_H_
