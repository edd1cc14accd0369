// Observation: what a connect-mode listener saw of one probe. The canary turns
// it into a detect Probe (at once, so the first touch of a watched port is an
// event immediately) and into a stored event (when its first bytes are in).
#ifndef PORTSCOPE_CANARY_OBSERVATION_H_
#define PORTSCOPE_CANARY_OBSERVATION_H_

#include <cstdint>
#include <string>

#include "base/ip_address.h"
#include "registry/types.h"

namespace portscope::canary {

struct Observation {
  enum class Phase : uint8_t {
    kOpened,    // a TCP connection was accepted (no bytes yet)
    kClosed,    // the TCP connection is done: payload holds what it sent
    kDatagram,  // a UDP datagram: payload holds its first bytes
  };
  Phase phase = Phase::kOpened;
  uint64_t time_us = 0;   // when the connection was accepted / the datagram arrived
  uint64_t done_us = 0;   // kClosed: when we closed it
  IpAddress src;
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  registry::Proto proto = registry::Proto::kTcp;
  std::string payload;         // raw bytes, at most the configured cap
  uint32_t payload_len = 0;    // datagram: its full length; TCP: bytes read
  bool payload_truncated = false;
  bool peer_closed = false;    // TCP: the prober closed first (FIN) or reset
};

class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  /// Called on the listener's thread; must not block for long.
  virtual void OnObservation(const Observation& o) = 0;
};

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_OBSERVATION_H_
