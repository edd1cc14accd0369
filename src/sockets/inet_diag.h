// sock_diag (inet_diag) requests and replies as bytes. Pure functions: the
// request builder and the reply parser take and return buffers, so the parser
// is tested on recorded replies, offline, at every truncation length.
#ifndef PORTSCOPE_SOCKETS_INET_DIAG_H_
#define PORTSCOPE_SOCKETS_INET_DIAG_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "sockets/socket_entry.h"

namespace portscope::sockets {

/// What to ask the kernel for. The port filter is compiled into inet_diag
/// bytecode and runs in the kernel, as `ss 'sport = :N'` does.
struct DiagRequest {
  uint8_t family;  // AF_INET or AF_INET6
  registry::Proto proto;  // kTcp or kUdp
  uint32_t states;        // bit mask of 1 << SockState
  std::optional<uint16_t> port;  // local OR remote port equals this
  uint32_t seq = 1;
};

inline constexpr uint32_t kAllStates = 0xFFFFFFFFu;
inline constexpr uint32_t kListenStates =
    (1u << static_cast<int>(SockState::kListen)) | (1u << static_cast<int>(SockState::kClose));

std::vector<uint8_t> BuildDiagRequest(const DiagRequest& req);

/// Where a reply datagram left the dump.
enum class DumpProgress { kMore, kDone, kInterrupted };

/// Parses one datagram of a dump reply, appending sockets to `out`. Errors:
/// an NLMSG_ERROR from the kernel, a message for another sequence number, or a
/// malformed message (lengths that do not fit the bytes held). Sockets of
/// `proto` with states outside `states` are dropped (UDP ignores the mask).
Result<DumpProgress> ParseDiagReply(std::span<const uint8_t> datagram, const DiagRequest& req,
                                    std::vector<SocketEntry>* out);

}  // namespace portscope::sockets

#endif  // PORTSCOPE_SOCKETS_INET_DIAG_H_
