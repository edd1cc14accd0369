// FlowState: one connection attempt or connection followed by the engine
// (internal to detect/), so that an answer is paired with the packet it
// answers and a probe's outcome becomes known.
//
// A flow is keyed by both endpoints and the protocol; `init` is the endpoint
// that sent first (the possible scanner), `resp` the one it contacted. The
// hash is symmetric in the two endpoints, so a packet in either direction
// finds the flow with one lookup; the direction then tells a probe from an
// answer: a packet from resp:y to init:x answers what init:x sent to resp:y.
//
// Flows wait on one of two age-ordered lists: kAwaiting (an attempt or probe
// waiting for its answer; time_ms is when it was sent, expiry after the answer
// timeout) and kOpen (answered or established; time_ms is the last packet,
// expiry after the idle timeout). time_ms is the capture time in milliseconds
// modulo 2^32 (49.7 days); ages are taken modulo 2^32 too, which is exact
// because no flow outlives the longest timeout Config allows (a week).
#ifndef PORTSCOPE_DETECT_FLOW_STATE_H_
#define PORTSCOPE_DETECT_FLOW_STATE_H_

#include <cstdint>

#include "base/ip_address.h"
#include "detect/aged_table.h"
#include "detect/keyed_hash.h"

namespace portscope::detect {

enum FlowList : uint32_t { kAwaiting = 0, kOpen = 1, kFlowLists = 2 };

enum class FlowStage : uint8_t {
  kAttempt,    // TCP SYN or first UDP datagram sent; no answer yet
  kProbe,      // a bare ACK or FIN+ACK to no known connection; no answer yet
  kRecorded,   // a FIN/NULL/Xmas/odd probe, already evidence; kept to pair its RST
  kSynAcked,   // the responder sent SYN-ACK; the initiator has not ACKed
  kOpen,       // TCP handshake completed, UDP answered, or mid-stream traffic
};

/// Bits of FlowState::flags.
inline constexpr uint8_t kFlowFirstContact = 1;  // TRW scores its outcome
inline constexpr uint8_t kFlowOsSyn = 2;         // the SYN carried an OS stack's options
inline constexpr uint8_t kFlowUsed = 4;          // the initiator sent data
inline constexpr uint8_t kFlowJudged = 8;        // evidence or benign, decided
inline constexpr uint8_t kFlowTrwScored = 16;

struct alignas(64) FlowState {
  IpAddress init;
  IpAddress resp;
  uint16_t init_port = 0;
  uint16_t resp_port = 0;
  uint8_t proto = 0;  // packet::Transport
  FlowStage stage = FlowStage::kAttempt;
  uint8_t flags = 0;
  uint8_t cls = 0;  // ProbeClass the flow's evidence will have
  AgedLinks links;  // links.user: microseconds past time_ms (0-999), for evidence times
  uint32_t time_ms = 0;
  uint32_t source_hint = kNoSlot;  // the initiator's source slot when last seen (may be stale)
};

static_assert(sizeof(FlowState) == 64, "one cache line per flow");

/// A flow's hash from its endpoints' keyed hashes: symmetric, so both
/// directions find the flow; the fold by a fixed odd constant spreads the sum
/// over every bit (the index uses the low ones).
inline uint64_t FlowHash(uint64_t endpoint_a, uint64_t endpoint_b) {
  return hash_internal::Fold(endpoint_a + endpoint_b, 0x9fb21c651e98df25ULL);
}

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_FLOW_STATE_H_
