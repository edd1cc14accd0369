// The socket table's vocabulary: one row per kernel socket, the processes
// that hold it, and the snapshot a query returns.
#ifndef PORTSCOPE_SOCKETS_SOCKET_ENTRY_H_
#define PORTSCOPE_SOCKETS_SOCKET_ENTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ip_address.h"
#include "registry/types.h"

namespace portscope::sockets {

/// Kernel TCP states (include/net/tcp_states.h); UDP uses kEstablished for a
/// connected socket and kClose for an unconnected one.
enum class SockState : uint8_t {
  kUnknown = 0,
  kEstablished = 1,
  kSynSent,
  kSynRecv,
  kFinWait1,
  kFinWait2,
  kTimeWait,
  kClose,
  kCloseWait,
  kLastAck,
  kListen,
  kClosing,
  kNewSynRecv,
};
/// ss's names: "ESTAB", "LISTEN", "UNCONN" (UDP kClose), "TIME-WAIT", ...
std::string_view StateName(SockState s, registry::Proto proto);

struct SocketEntry {
  registry::Proto proto = registry::Proto::kTcp;
  IpAddress local;
  IpAddress remote;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  SockState state = SockState::kUnknown;
  uint32_t uid = 0;
  uint64_t inode = 0;      // 0 for sockets without one (TIME-WAIT, SYN-RECV)
  bool v6 = false;         // an AF_INET6 socket (may still carry IPv4-mapped traffic)
  std::optional<bool> v6only;  // AF_INET6 only: IPV6_V6ONLY, when the kernel says
  uint64_t netns = 0;      // inode of the network namespace it was dumped from
  std::vector<int> pids;   // every process holding a descriptor to it

  bool listening() const {
    return state == SockState::kListen || (proto == registry::Proto::kUdp && state == SockState::kClose);
  }
};

struct ProcessInfo {
  int pid = 0;
  std::string name;     // comm
  std::string exe;      // /proc/PID/exe target, "" when not readable
  std::string cmdline;  // NUL-separated arguments joined by spaces, capped
  uint32_t uid = 0;
  std::string user;     // name for uid, or the number
  uint64_t start_time_unix = 0;  // seconds since the epoch, 0 when unknown
  std::string unit;       // systemd unit from the cgroup, e.g. "nms.service"
  std::string container;  // e.g. "docker:3f2a9c1b0d4e"
  uint64_t netns = 0;
};

/// Why a result may be incomplete: things skipped, not errors.
struct Incomplete {
  uint32_t processes_vanished = 0;  // exited while we looked
  uint32_t processes_denied = 0;    // /proc entries we may not read (not root)
  uint32_t namespaces_denied = 0;   // network namespaces we could not enter
  uint32_t total() const { return processes_vanished + processes_denied + namespaces_denied; }
};

/// How the sockets' processes were found.
enum class Attribution : uint8_t {
  kNone,  // not asked for, or no sockets to attribute
  kBpf,   // a BPF iterator over every task's descriptors (root)
  kProc,  // /proc/PID/fd links
};
/// Its name in --json.
std::string_view AttributionName(Attribution a);

struct Snapshot {
  std::vector<SocketEntry> sockets;
  std::unordered_map<int, ProcessInfo> processes;
  Incomplete incomplete;
  bool privileged = false;  // could see every process (root or CAP_SYS_PTRACE)
  Attribution attribution = Attribution::kNone;
  std::string bpf_fallback_reason;  // why /proc was walked, when BPF was tried; "" otherwise
};

}  // namespace portscope::sockets

#endif  // PORTSCOPE_SOCKETS_SOCKET_ENTRY_H_
