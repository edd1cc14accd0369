#include "sockets/bpf_attribution.h"

#include <algorithm>
#include <utility>
#include <vector>

#ifdef PORTSCOPE_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "socket_fds.skel.h"  // generated at build time (src/sockets/CMakeLists.txt)
#include "sockets/bpf/socket_fd.h"
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

// libbpf reports through a global callback. Keep its last warning for the
// Status instead of printing it: a failed load is an expected, silent fallback.
thread_local std::string last_libbpf_warning;

int CaptureLibbpfWarning(enum libbpf_print_level level, const char* format, va_list args) {
  if (level != LIBBPF_WARN) return 0;
  char buf[512];
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  if (n > 0) {
    last_libbpf_warning.assign(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
    while (!last_libbpf_warning.empty() && last_libbpf_warning.back() == '\n') last_libbpf_warning.pop_back();
  }
  return 0;
}

Status LibbpfError(const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err < 0 ? -err : err);
  if (!last_libbpf_warning.empty()) msg += " (" + last_libbpf_warning + ")";
  return Status::IoError(msg);
}

bool HasBpfCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  auto has = [&](int cap) { return ((data[cap / 32].effective >> (cap % 32)) & 1U) != 0; };
  return has(CAP_SYS_ADMIN) || (has(kCapBpf) && has(kCapPerfmon));
}

struct SkeletonDeleter {
  void operator()(socket_fds_bpf* s) const { socket_fds_bpf__destroy(s); }
};
struct LinkDeleter {
  void operator()(bpf_link* l) const { bpf_link__destroy(l); }
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

Status FillWanted(int map_fd, const std::vector<uint64_t>& inodes) {
  std::vector<__u8> present(inodes.size(), 1);
  __u32 count = static_cast<__u32>(inodes.size());
  // One syscall for the whole set (hash maps batch since Linux 5.6); one per
  // inode where batching is missing.
  if (bpf_map_update_batch(map_fd, inodes.data(), present.data(), &count, nullptr) == 0) return Status::Ok();
  for (uint64_t inode : inodes)
    if (int err = bpf_map_update_elem(map_fd, &inode, &present[0], BPF_ANY); err != 0)
      return LibbpfError("fill the BPF map of wanted sockets", err);
  return Status::Ok();
}

// Reads the iterator to its end: whole records or an error.
Result<std::vector<portscope_socket_fd>> ReadRecords(int iter_fd) {
  std::vector<portscope_socket_fd> records(4096);
  size_t bytes = 0;
  for (;;) {
    if (bytes == records.size() * sizeof(portscope_socket_fd)) records.resize(records.size() * 2);
    char* base = reinterpret_cast<char*>(records.data());
    ssize_t n = read(iter_fd, base + bytes, records.size() * sizeof(portscope_socket_fd) - bytes);
    // EAGAIN: the kernel stops a read after 1,000,000 objects that printed
    // nothing (descriptors filtered out); the next read resumes.
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Status::PosixError("read the BPF iterator", errno);
    if (n == 0) break;
    bytes += static_cast<size_t>(n);
  }
  if (bytes % sizeof(portscope_socket_fd) != 0) return Status::Corrupt("BPF iterator returned a partial record");
  records.resize(bytes / sizeof(portscope_socket_fd));
  return records;
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

  static std::once_flag quiet;
  std::call_once(quiet, [] { libbpf_set_print(CaptureLibbpfWarning); });
  last_libbpf_warning.clear();

  const bool in_kernel = filter == BpfFilter::kKernel;
  std::unique_ptr<socket_fds_bpf, SkeletonDeleter> skel(socket_fds_bpf__open());
  if (!skel) return LibbpfError("open the BPF object", errno);
  skel->rodata->only_wanted = in_kernel;
  if (in_kernel) {
    if (int err = bpf_map__set_max_entries(skel->maps.wanted, static_cast<__u32>(wanted.size())); err != 0)
      return LibbpfError("size the BPF map", err);
  }
  if (int err = socket_fds_bpf__load(skel.get()); err != 0) return LibbpfError("load the BPF iterator", err);
  if (in_kernel)
    if (Status s = FillWanted(bpf_map__fd(skel->maps.wanted), wanted.Inodes()); !s.ok()) return s;
  std::unique_ptr<bpf_link, LinkDeleter> link(bpf_program__attach_iter(skel->progs.socket_fds, nullptr));
  if (!link) return LibbpfError("attach the BPF iterator", errno);
  Fd iter(bpf_iter_create(bpf_link__fd(link.get())));
  if (iter.get() < 0) return LibbpfError("create the BPF iterator", iter.get());
  auto records = ReadRecords(iter.get());
  if (!records.ok()) return records.status();

  std::vector<std::pair<int, uint32_t>> matches;  // (pid, index)
  for (const portscope_socket_fd& r : *records) {
    int64_t index = wanted.Find(r.inode);
    if (index >= 0 && r.tgid > 0) matches.emplace_back(static_cast<int>(r.tgid), static_cast<uint32_t>(index));
  }
  // Threads with descriptor tables of their own repeat their process's pairs.
  std::sort(matches.begin(), matches.end());
  matches.erase(std::unique(matches.begin(), matches.end()), matches.end());
  for (const auto& [pid, index] : matches) on_match(index, pid);
  return Status::Ok();
}

#endif  // PORTSCOPE_HAVE_BPF

}  // namespace portscope::sockets
