// Linux socket table: one netlink socket per namespace, four dumps (IPv4 and
// IPv6, TCP and UDP) with the port filter as kernel bytecode, then the owners:
// one pass of a BPF iterator over every task's descriptors when it can run
// (root), else one walk of /proc; details of the owners come from /proc.
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <span>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <tuple>

#include "sockets/bpf_attribution.h"
#include "sockets/inet_diag.h"
#include "sockets/procfs.h"
#include "sockets/socket_table.h"

namespace portscope::sockets {
namespace {

constexpr int kMaxDumpRetries = 3;  // NLM_F_DUMP_INTR: the table changed mid-dump

class NetlinkSocket {
 public:
  NetlinkSocket() : nl_(mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC)) {}
  ~NetlinkSocket() {
    if (nl_) mnl_socket_close(nl_);
  }
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  Status Open() {
    if (!nl_) return Status::PosixError("netlink socket", errno);
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return Status::PosixError("netlink bind", errno);
    int size = 1 << 20;  // fewer, larger reads for big tables
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return Status::Ok();
  }

  // One complete dump; retried from scratch when the kernel says it was interrupted.
  Status Dump(DiagRequest req, std::vector<SocketEntry>* out) {
    std::span<uint8_t> buf(buffer_.get(), kBufferSize);
    for (int attempt = 0; attempt < kMaxDumpRetries; ++attempt) {
      const size_t start = out->size();
      req.seq = ++seq_;
      std::vector<uint8_t> msg = BuildDiagRequest(req);
      if (mnl_socket_sendto(nl_, msg.data(), msg.size()) < 0) return Status::PosixError("netlink send", errno);
      for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Status::PosixError("netlink receive", errno);
        auto progress = ParseDiagReply({buf.data(), static_cast<size_t>(n)}, req, out);
        if (!progress.ok()) return progress.status();
        if (*progress == DumpProgress::kMore) continue;
        if (*progress == DumpProgress::kDone) return Status::Ok();
        out->resize(start);  // interrupted: start over
        break;
      }
    }
    return Status::IoError("sock_diag dump kept changing under us; try again");
  }

 private:
  // Not zeroed: the kernel writes what we read (zeroing 64 KB per dump was
  // a fifth of `portscope 22/tcp`'s instructions).
  static constexpr size_t kBufferSize = 64 * 1024;
  std::unique_ptr<uint8_t[]> buffer_{new uint8_t[kBufferSize]};
  mnl_socket* nl_;
  uint32_t seq_ = static_cast<uint32_t>(getpid()) << 8;
};

Status DumpNamespace(const Query& q, uint64_t netns, std::vector<SocketEntry>* out) {
  NetlinkSocket nl;
  if (Status s = nl.Open(); !s.ok()) return s;
  const size_t start = out->size();
  for (registry::Proto proto : {registry::Proto::kTcp, registry::Proto::kUdp}) {
    if ((proto == registry::Proto::kTcp && !q.tcp) || (proto == registry::Proto::kUdp && !q.udp)) continue;
    for (uint8_t family : {AF_INET, AF_INET6}) {
      // Listening TCP means LISTEN alone: any other state bit makes the kernel
      // walk its whole table of connections (~2 ms on these machines, even
      // when empty). Listening UDP means unconnected (CLOSE).
      const uint32_t listen_states = proto == registry::Proto::kTcp
                                         ? 1u << static_cast<int>(SockState::kListen)
                                         : 1u << static_cast<int>(SockState::kClose);
      DiagRequest req{family, proto, q.listening_only ? listen_states : kAllStates, q.port};
      if (Status s = nl.Dump(req, out); !s.ok()) return s;
    }
  }
  // The kernel's filter is sport == P or dport == P. For P = 0 the second
  // test passes every unconnected socket (its remote port reads 0), which
  // holds some other port: such a socket is on P only by its local port.
  if (q.port) {
    auto elsewhere = [&](const SocketEntry& s) {
      return s.local_port != *q.port && s.remote_port == 0 && s.remote.is_unspecified();
    };
    out->erase(std::remove_if(out->begin() + static_cast<std::ptrdiff_t>(start), out->end(), elsewhere), out->end());
  }
  for (size_t i = start; i < out->size(); ++i) (*out)[i].netns = netns;
  return Status::Ok();
}

// Which route finds the owners: the BPF iterator unless the query, the
// environment or a proc_root of recorded files rules it out.
bool TryBpf(const Query& q) {
  if (!q.bpf || q.proc_root != "/proc") return false;
  const char* no_bpf = std::getenv("PORTSCOPE_NO_BPF");
  return no_bpf == nullptr || no_bpf[0] == '\0' || std::strcmp(no_bpf, "0") == 0;
}

}  // namespace

void SortSockets(std::vector<SocketEntry>* sockets) {
  std::sort(sockets->begin(), sockets->end(), [](const SocketEntry& a, const SocketEntry& b) {
    return std::tie(a.local_port, a.proto, a.netns, a.local, a.remote, a.remote_port, a.inode) <
           std::tie(b.local_port, b.proto, b.netns, b.local, b.remote, b.remote_port, b.inode);
  });
}

Result<Snapshot> TakeSnapshot(const Query& q) {
  Snapshot snap;
  snap.privileged = geteuid() == 0;
  ProcFs proc(q.proc_root);
  const uint64_t own_ns = proc.OwnNetworkNamespace();
  if (Status s = DumpNamespace(q, own_ns, &snap.sockets); !s.ok()) return s;

  if (q.all_netns) {
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    for (auto [ns, pid] : proc.NetworkNamespaces()) {
      if (ns == own_ns) continue;
      std::string path = q.proc_root + "/" + std::to_string(pid) + "/ns/net";
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || home < 0 || setns(fd, CLONE_NEWNET) != 0) {
        ++snap.incomplete.namespaces_denied;
        if (fd >= 0) close(fd);
        continue;
      }
      close(fd);
      Status s = DumpNamespace(q, ns, &snap.sockets);
      if (setns(home, CLONE_NEWNET) != 0) {
        close(home);
        return Status::PosixError("return to the original network namespace", errno);
      }
      if (!s.ok()) ++snap.incomplete.namespaces_denied;
    }
    if (home >= 0) close(home);
  }

  if (q.processes && !snap.sockets.empty()) {
    InodeIndex index(snap.sockets.size());
    for (size_t i = 0; i < snap.sockets.size(); ++i)
      if (snap.sockets[i].inode != 0) index.Insert(snap.sockets[i].inode, static_cast<uint32_t>(i));
    std::set<int> owners;
    auto on_match = [&](uint32_t i, int pid) {
      auto& pids = snap.sockets[i].pids;
      if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
      owners.insert(pid);
    };
    snap.attribution = Attribution::kProc;
    if (TryBpf(q)) {
      // A failure here (not root, no BTF, verifier) is expected and silent:
      // MapSocketsWithBpf calls on_match only when it succeeds, so /proc
      // starts from nothing.
      Status bpf = MapSocketsWithBpf(index, on_match);
      if (bpf.ok()) snap.attribution = Attribution::kBpf;
      else snap.bpf_fallback_reason = bpf.message();
    }
    if (snap.attribution == Attribution::kProc) proc.MapSockets(index, on_match, &snap.incomplete);
    for (int pid : owners)
      if (auto info = proc.ReadProcess(pid, &snap.incomplete)) snap.processes.emplace(pid, std::move(*info));
    for (auto& s : snap.sockets) std::sort(s.pids.begin(), s.pids.end());
  }
  SortSockets(&snap.sockets);
  return snap;
}

}  // namespace portscope::sockets
