// Process attribution from /proc: which processes hold which socket inodes,
// and who those processes are.
//
// The join runs in the direction that scales (a prototype of the issue found
// it ~3x cheaper than ss -p's): sockets are dumped first, their inodes go into
// an open-addressing hash, and only then is every /proc/PID/fd walked with
// readlinkat relative to an open directory, keeping just the links whose
// inode is wanted. Details (comm, exe, cmdline, user, cgroup, netns) are read
// only for processes that matched. A process that exits mid-walk, or that we
// may not inspect, is counted in Incomplete and skipped, never an error.
//
// The root is a parameter, so tests run the same code on recorded /proc trees.
#ifndef PORTSCOPE_SOCKETS_PROCFS_H_
#define PORTSCOPE_SOCKETS_PROCFS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "sockets/socket_entry.h"

namespace portscope::sockets {

/// Open-addressing hash from socket inode to a caller's index. Fixed size,
/// chosen at construction (load factor <= 0.5); linear probing.
class InodeIndex {
 public:
  explicit InodeIndex(size_t expected);
  /// REQUIRES: inode != 0. A second insert of an inode keeps the first index.
  void Insert(uint64_t inode, uint32_t index);
  /// The index for `inode`, or -1.
  int64_t Find(uint64_t inode) const;
  /// Every inode held, in table order.
  std::vector<uint64_t> Inodes() const;
  size_t size() const { return size_; }

 private:
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  size_t mask_;
  size_t size_ = 0;
};

/// Parsers over file contents (never paths).
/// "socket:[12345]" -> 12345.
std::optional<uint64_t> ParseSocketLink(std::string_view link);
/// "net:[4026531840]" -> 4026531840.
std::optional<uint64_t> ParseNamespaceLink(std::string_view link);
struct StatFields {
  std::string comm;
  uint64_t start_ticks = 0;  // field 22: clock ticks after boot
};
/// /proc/PID/stat. comm is taken up to the *last* ')' (comm may contain one).
std::optional<StatFields> ParseStat(std::string_view content);
/// Effective uid from the "Uid:" line of /proc/PID/status.
std::optional<uint32_t> ParseStatusUid(std::string_view content);
/// "btime" from /proc/stat.
std::optional<uint64_t> ParseBootTime(std::string_view content);
struct CgroupInfo {
  std::string unit;       // systemd unit: "nms.service", "session-2.scope"
  std::string container;  // "docker:3f2a9c1b0d4e", "podman:...", "lxc:web", "kubernetes:pod..."
};
/// /proc/PID/cgroup (v2 "0::/path" preferred, else the first path).
CgroupInfo ParseCgroup(std::string_view content);

class ProcFs {
 public:
  explicit ProcFs(std::string root = "/proc");

  /// Calls on_match(index, pid) for every descriptor of every process that
  /// refers to a socket in `wanted`.
  void MapSockets(const InodeIndex& wanted, const std::function<void(uint32_t, int)>& on_match,
                  Incomplete* incomplete) const;
  /// Details of one process; nullopt (and counted) when it vanished.
  std::optional<ProcessInfo> ReadProcess(int pid, Incomplete* incomplete) const;
  /// Distinct network namespaces: inode -> one pid inside it.
  std::vector<std::pair<uint64_t, int>> NetworkNamespaces() const;
  /// The namespace this process is in (0 if unknown).
  uint64_t OwnNetworkNamespace() const;
  const std::string& root() const { return root_; }

 private:
  std::string UserName(uint32_t uid) const;
  uint64_t BootTime() const;
  std::string root_;
  mutable std::unordered_map<uint32_t, std::string> users_;  // uid -> name cache
  // "btime" of <root>/stat, read on the first process that needs it: a
  // snapshot that finds no socket (the card's here line) never reads it.
  mutable std::optional<uint64_t> boot_time_;
  long ticks_per_second_ = 100;
};

}  // namespace portscope::sockets

#endif  // PORTSCOPE_SOCKETS_PROCFS_H_
