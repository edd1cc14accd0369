#include "sockets/bpf_attribution.h"

#include <algorithm>
#include <utility>
#include <vector>

#ifdef PORTSCOPE_HAVE_BPF
#include <linux/capability.h>
#include <linux/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "sockets/bpf/socket_fd.h"
#include "sockets/bpf/socket_fds_loader.h"
#endif

namespace portscope::sockets {

#ifndef PORTSCOPE_HAVE_BPF

bool BpfAttributionBuiltIn() { return false; }

Status MapSocketsWithBpf(const InodeIndex&, const std::function<void(uint32_t, int)>&, BpfFilter) {
  return Status::NotFound(
      "built without the BPF route (PORTSCOPE_BPF=OFF, or clang, bpftool, libbpf or kernel BTF missing at build time)");
}

#else

namespace {

// CAP_BPF and CAP_PERFMON arrived in Linux 5.8 headers.
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;
// The initial pid namespace's inode number (include/linux/proc_ns.h): the
// iterator reports pids as the initial namespace numbers them.
constexpr ino_t kInitialPidNamespaceInode = 0xEFFFFFFCU;

Status BpfError(const std::string& what, int negative_errno) {
  return Status::IoError(what + ": " + std::strerror(-negative_errno));
}

bool HasBpfCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  auto has = [&](int cap) { return ((data[cap / 32].effective >> (cap % 32)) & 1U) != 0; };
  return has(CAP_SYS_ADMIN) || (has(kCapBpf) && has(kCapPerfmon));
}

struct LoaderDeleter {
  void operator()(portscope_socket_fds* s) const { portscope_socket_fds_destroy(s); }
};
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads the iterator to its end through one fixed buffer, keeping only the
// (pid, index) pairs of wanted sockets: memory does not grow with the number
// of descriptors on the machine.
Status ReadMatches(int iter_fd, const InodeIndex& wanted, std::vector<std::pair<int, uint32_t>>* matches) {
  constexpr size_t kRecord = sizeof(portscope_socket_fd);
  std::vector<portscope_socket_fd> records(4096);
  char* base = reinterpret_cast<char*>(records.data());
  const size_t capacity = records.size() * kRecord;
  size_t bytes = 0;  // held in the buffer (a partial record carried over)
  for (;;) {
    ssize_t n = read(iter_fd, base + bytes, capacity - bytes);
    // EAGAIN: the kernel stops a read after 1,000,000 objects that printed
    // nothing (descriptors filtered out); the next read resumes.
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Status::PosixError("read the BPF iterator", errno);
    if (n == 0) break;
    bytes += static_cast<size_t>(n);
    const size_t whole = bytes / kRecord;
    for (size_t k = 0; k < whole; ++k) {
      const portscope_socket_fd& r = records[k];
      int64_t index = wanted.Find(r.inode);
      if (index >= 0 && r.tgid > 0) matches->emplace_back(static_cast<int>(r.tgid), static_cast<uint32_t>(index));
    }
    std::memmove(base, base + whole * kRecord, bytes - whole * kRecord);
    bytes -= whole * kRecord;
  }
  if (bytes != 0) return Status::Corrupt("BPF iterator returned a partial record");
  return Status::Ok();
}

}  // namespace

bool BpfAttributionBuiltIn() { return true; }

Status MapSocketsWithBpf(const InodeIndex& wanted, const std::function<void(uint32_t, int)>& on_match,
                         BpfFilter filter) {
  // Cheap refusals first: without them a load attempt costs milliseconds.
  if (!HasBpfCapabilities()) return Status::InvalidArgument("the BPF route needs root (CAP_BPF and CAP_PERFMON)");
  struct stat pid_ns;
  if (stat("/proc/self/ns/pid", &pid_ns) != 0) return Status::PosixError("/proc/self/ns/pid", errno);
  if (pid_ns.st_ino != kInitialPidNamespaceInode)
    return Status::InvalidArgument("the BPF route reports global pids; this process is in a child pid namespace");
  if (wanted.size() == 0) return Status::Ok();

  const bool in_kernel = filter == BpfFilter::kKernel;
  portscope_socket_fds* raw = nullptr;
  const char* step = nullptr;
  // The map is preallocated: size it only when it is used.
  const auto map_size = static_cast<__u32>(in_kernel ? wanted.size() : 1);
  if (int err = portscope_socket_fds_load(in_kernel, map_size, &raw, &step); err != 0)
    return BpfError(step, err);
  std::unique_ptr<portscope_socket_fds, LoaderDeleter> bpf(raw);
  if (in_kernel) {
    const std::vector<uint64_t> all = wanted.Inodes();
    const std::vector<__u64> inodes(all.begin(), all.end());
    if (int err = portscope_socket_fds_add_wanted(bpf.get(), inodes.data(), static_cast<__u32>(inodes.size()));
        err != 0)
      return BpfError("fill the BPF map of wanted sockets", err);
  }
  const int iter_fd = portscope_socket_fds_open_iter(bpf.get());
  if (iter_fd < 0) return BpfError("start the BPF iterator", iter_fd);
  Fd iter(iter_fd);
  std::vector<std::pair<int, uint32_t>> matches;  // (pid, index) of wanted sockets only
  if (Status st = ReadMatches(iter.get(), wanted, &matches); !st.ok()) return st;
  // Threads with descriptor tables of their own repeat their process's pairs.
  std::sort(matches.begin(), matches.end());
  matches.erase(std::unique(matches.begin(), matches.end()), matches.end());
  for (const auto& [pid, index] : matches) on_match(index, pid);
  return Status::Ok();
}

#endif  // PORTSCOPE_HAVE_BPF

}  // namespace portscope::sockets
