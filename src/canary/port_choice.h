// Choosing canary ports: `--unassigned N` picks ports IANA leaves unassigned
// (for TCP and UDP) that nothing here holds and that the kernel will not hand
// out as ephemeral ports, spread over the ranges scanners sweep.
#ifndef PORTSCOPE_CANARY_PORT_CHOICE_H_
#define PORTSCOPE_CANARY_PORT_CHOICE_H_

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "base/status.h"
#include "registry/registry.h"

namespace portscope::canary {

struct PortChoice {
  size_t count = 0;
  uint64_t seed = 0;
  std::set<uint16_t> held;                       // ports something here holds (tcp or udp)
  std::pair<uint16_t, uint16_t> ephemeral{32768, 60999};  // net.ipv4.ip_local_port_range
};

/// Half of the ports are the unassigned ports nmap's data finds open most
/// often (what a scanner's top-ports list reaches first); the other half are
/// drawn, with `seed`, one from each of equal slices of the remaining
/// candidates, so they cover the whole port space. Sorted. Deterministic for
/// a given registry, seed and held set. Fails if fewer candidates exist.
Result<std::vector<uint16_t>> ChooseUnassignedPorts(const registry::Registry& reg, const PortChoice& choice);

/// Reads /proc/sys/net/ipv4/ip_local_port_range (default 32768-60999).
std::pair<uint16_t, uint16_t> EphemeralPortRange();

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_PORT_CHOICE_H_
