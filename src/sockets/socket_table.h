// The socket table of this machine: what `portscope who` and `listening`
// read. Linux: netlink sock_diag for the sockets, /proc for their owners; the
// interface is what a macOS (proc_pidinfo) or Windows (GetExtendedTcpTable)
// implementation would provide too.
#ifndef PORTSCOPE_SOCKETS_SOCKET_TABLE_H_
#define PORTSCOPE_SOCKETS_SOCKET_TABLE_H_

#include <optional>
#include <string>

#include "base/status.h"
#include "sockets/socket_entry.h"

namespace portscope::sockets {

struct Query {
  std::optional<uint16_t> port;  // local or remote port (of a connected socket); filtered in the kernel
  bool listening_only = false;   // TCP LISTEN and unconnected UDP
  bool tcp = true;
  bool udp = true;
  bool processes = true;     // attribute owners from /proc
  bool all_netns = false;    // every network namespace on the machine (root)
  // Find owners with the BPF iterator (sockets/bpf_attribution.h) when it
  // can run, else walk /proc. false, or PORTSCOPE_NO_BPF=1 in the
  // environment, walks /proc always (tests, comparisons). Only with the real
  // /proc: a proc_root of recorded files is walked as such.
  bool bpf = true;
  std::string proc_root = "/proc";
};

/// Takes one snapshot. Fails only when the kernel cannot be asked at all
/// (no netlink); everything per-process or per-namespace is counted in
/// Snapshot::incomplete instead.
Result<Snapshot> TakeSnapshot(const Query& query);

/// Orders sockets as the listings show them: by local port, then protocol,
/// local address, remote address, remote port.
void SortSockets(std::vector<SocketEntry>* sockets);

}  // namespace portscope::sockets

#endif  // PORTSCOPE_SOCKETS_SOCKET_TABLE_H_
