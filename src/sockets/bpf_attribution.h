// Process attribution through a BPF iterator: the kernel walks every task's
// descriptor table once and hands back (pid, fd, inode) for each socket, which
// costs a fraction of resolving every /proc/PID/fd link (no dentry per
// descriptor, no path formatting, no parsing). Same contract as
// ProcFs::MapSockets, which stays the fallback: this route needs root
// (CAP_BPF + CAP_PERFMON), Linux 5.17+ with BTF (the loader relocates field
// offsets in the kernel), the initial pid namespace (the kernel reports
// global pids), and a binary built with it (CMake PORTSCOPE_BPF). When any of
// that is missing it fails fast, before calling on_match, and the caller walks
// /proc instead.
//
// The BPF program is sockets/bpf/socket_fds.bpf.c, embedded as a light
// skeleton generated at build time (sockets/bpf/socket_fds_loader.h): no
// libbpf at run time. Loading costs ~2 ms of CPU; the iteration ~0.3 us per
// socket descriptor (60,000: ~17 ms), against ~3.5 us per descriptor for the
// /proc walk.
//
// Thread safety: each call loads a program of its own and closes it before
// returning; calls share no state and may run concurrently.
#ifndef PORTSCOPE_SOCKETS_BPF_ATTRIBUTION_H_
#define PORTSCOPE_SOCKETS_BPF_ATTRIBUTION_H_

#include <cstdint>
#include <functional>

#include "base/status.h"
#include "sockets/procfs.h"

namespace portscope::sockets {

/// Where the wanted-inode test runs. In user space is never slower: with 60,000
/// socket descriptors on the machine, the kernel-side hash lookup costs as much
/// as copying a record out, whether 18 or 60,000 inodes are wanted, and filling
/// the map with 60,000 inodes adds ~40 ms (attribution_perftest, bench/RESULTS.md).
enum class BpfFilter {
  kUser,    // every socket descriptor crosses to user space; InodeIndex decides
  kKernel,  // a BPF hash map of the wanted inodes; only matches cross
};

/// True when this binary carries the BPF program (built with PORTSCOPE_BPF).
bool BpfAttributionBuiltIn();

/// Calls on_match(index, pid) for every process holding a descriptor to a
/// socket in `wanted`, each (index, pid) pair once, in pid order. On any
/// failure returns the reason and calls on_match not at all.
Status MapSocketsWithBpf(const InodeIndex& wanted, const std::function<void(uint32_t, int)>& on_match,
                         BpfFilter filter = BpfFilter::kUser);

}  // namespace portscope::sockets

#endif  // PORTSCOPE_SOCKETS_BPF_ATTRIBUTION_H_
