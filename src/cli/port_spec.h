// Parsing of the port arguments users type: "22", "22/tcp", "22,80,2200-2250",
// "2244/udp". Every mistake is a clear message; nothing is guessed.
#ifndef PORTSCOPE_CLI_PORT_SPEC_H_
#define PORTSCOPE_CLI_PORT_SPEC_H_

#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "registry/types.h"

namespace portscope::cli {

struct PortQuery {
  uint16_t lo;
  uint16_t hi;
  std::optional<registry::Proto> proto;  // none: show the usual protocols
  size_t count() const { return static_cast<size_t>(hi) - lo + 1; }
};

/// One argument: comma-separated items, each PORT or LO-HI, with /PROTO.
Result<std::vector<PortQuery>> ParsePortSpec(std::string_view spec);

/// Watched (canary) ports: "2202,2244" watches TCP and UDP, "2244/tcp" or
/// "40000-40010/udp" one protocol. Sorted, without duplicates; sctp and dccp
/// are refused (the canary watches TCP and UDP).
struct WatchPorts {
  std::vector<uint16_t> tcp;
  std::vector<uint16_t> udp;
};
Result<WatchPorts> ParseWatchPorts(std::string_view spec);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_PORT_SPEC_H_
