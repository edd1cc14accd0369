// The one place where what the canary sees becomes what the store keeps:
// detect::Alert -> store::AlertRecord, Observation and packet::Probe ->
// store::Event. Pure functions; no I/O.
#ifndef PORTSCOPE_CANARY_RECORDS_H_
#define PORTSCOPE_CANARY_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "canary/observation.h"
#include "detect/alert.h"
#include "packet/probe.h"
#include "store/event.h"

namespace portscope::canary {

/// `scan_id_base` is added to the engine's scan id (ids stay unique in a run
/// when the engine is rebuilt); `now_us` is when the alert was raised.
store::AlertRecord ToAlertRecord(const detect::Alert& a, std::string_view sensor, uint64_t scan_id_base,
                                 uint64_t now_us);

/// A connect-mode observation (kClosed or kDatagram) as a stored event:
/// action "connect" or "datagram", payload as received.
store::Event ObservationToEvent(const Observation& o, std::string_view sensor);

/// A captured packet as a stored event: action named after the TCP flags
/// ("syn", "fin", "null", "xmas", "ack", "maimon", "tcp" for any other
/// combination) or "datagram" for UDP; at most `max_payload` payload bytes.
store::Event PacketToEvent(const packet::Probe& p, std::string_view sensor, size_t max_payload);

/// The probe the engine sees when an observation starts: an accepted
/// connection's SYN (marked as a full TCP stack's, so it classes as a
/// connect), or a UDP datagram with its payload. The payload view points
/// into `o`.
packet::Probe ObservationProbe(const Observation& o);

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_RECORDS_H_
