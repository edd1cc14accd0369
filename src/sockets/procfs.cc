#include "sockets/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <unordered_map>

#include "base/text.h"

namespace portscope::sockets {
namespace {

constexpr size_t kMaxProcFileBytes = 64 * 1024;  // status, stat, cgroup are far smaller
constexpr size_t kMaxCmdlineBytes = 4096;
constexpr size_t kMaxWalkThreads = 4;  // /proc walk threads, at most one per core

// getdents64 straight into a buffer: no DIR* allocation per directory, and a
// large buffer means few system calls for a process with 20,000 descriptors.
// struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, name.
constexpr size_t kDirentReclen = 16;
constexpr size_t kDirentName = 19;

template <typename Fn>
void ForEachEntry(int dirfd, Fn fn) {
  alignas(8) char buf[64 * 1024];
  for (;;) {
    long n = syscall(SYS_getdents64, dirfd, buf, sizeof buf);
    if (n <= 0) return;
    for (long off = 0; off + static_cast<long>(kDirentName) < n;) {
      uint16_t reclen;
      std::memcpy(&reclen, buf + off + kDirentReclen, sizeof reclen);
      if (reclen == 0 || off + reclen > n) return;
      const char* name = buf + off + kDirentName;
      off += reclen;
      if (name[0] == '.') continue;
      fn(name);
    }
  }
}

std::optional<int> PidOf(const char* name) {
  auto v = ParseUint(name, 0x7FFFFFFF);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

// Reads up to `cap` bytes of dirfd/path. errno is kept for the caller.
std::optional<std::string> ReadAt(int dirfd, const char* path, size_t cap) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < cap) {
    ssize_t n = read(fd, buf, std::min(sizeof buf, cap - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return out;
}

std::optional<std::string> ReadLinkAt(int dirfd, const char* path) {
  char buf[4096];
  ssize_t n = readlinkat(dirfd, path, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<uint64_t> ParseBracketed(std::string_view link, std::string_view prefix) {
  if (!link.starts_with(prefix) || link.size() < prefix.size() + 2 || link.back() != ']') return std::nullopt;
  std::string_view digits = link.substr(prefix.size(), link.size() - prefix.size() - 1);
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflow
    v = next;
  }
  return v;
}

}  // namespace

InodeIndex::InodeIndex(size_t expected) {
  size_t cap = 16;
  while (cap < expected * 2) cap <<= 1;
  keys_.assign(cap, 0);
  values_.assign(cap, 0);
  mask_ = cap - 1;
}

static size_t Mix(uint64_t x) {
  // Inodes are sequential; a multiplicative mix spreads them over the table.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<size_t>(x);
}

void InodeIndex::Insert(uint64_t inode, uint32_t index) {
  for (size_t i = Mix(inode) & mask_;; i = (i + 1) & mask_) {
    if (keys_[i] == inode) return;
    if (keys_[i] == 0) {
      keys_[i] = inode;
      values_[i] = index;
      ++size_;
      return;
    }
  }
}

int64_t InodeIndex::Find(uint64_t inode) const {
  for (size_t i = Mix(inode) & mask_;; i = (i + 1) & mask_) {
    if (keys_[i] == inode) return values_[i];
    if (keys_[i] == 0) return -1;
  }
}

std::vector<uint64_t> InodeIndex::Inodes() const {
  std::vector<uint64_t> out;
  out.reserve(size_);
  for (uint64_t key : keys_)
    if (key != 0) out.push_back(key);
  return out;
}

std::optional<uint64_t> ParseSocketLink(std::string_view link) { return ParseBracketed(link, "socket:["); }
std::optional<uint64_t> ParseNamespaceLink(std::string_view link) { return ParseBracketed(link, "net:["); }

std::optional<StatFields> ParseStat(std::string_view content) {
  size_t open = content.find('(');
  size_t close = content.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  StatFields f;
  f.comm = std::string(content.substr(open + 1, close - open - 1));
  auto rest = SplitWhitespace(Trim(content.substr(close + 1)));
  // rest[0] is field 3 (state); starttime is field 22.
  if (rest.size() < 20) return std::nullopt;
  auto ticks = rest[19];
  uint64_t v = 0;
  for (char c : ticks) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  f.start_ticks = v;
  return f;
}

std::optional<uint32_t> ParseStatusUid(std::string_view content) {
  size_t pos = content.find("\nUid:");
  if (pos == std::string_view::npos) return std::nullopt;
  size_t eol = content.find('\n', pos + 1);
  auto fields = SplitWhitespace(content.substr(pos + 5, eol == std::string_view::npos ? std::string_view::npos : eol - pos - 5));
  if (fields.size() < 2) return std::nullopt;
  auto v = ParseUint(fields[1], 0xFFFFFFFFu);
  if (!v) return std::nullopt;
  return *v;
}

std::optional<uint64_t> ParseBootTime(std::string_view content) {
  size_t pos = content.find("btime ");
  if (pos == std::string_view::npos || (pos > 0 && content[pos - 1] != '\n')) return std::nullopt;
  size_t eol = content.find('\n', pos);
  auto v = ParseUint(Trim(content.substr(pos + 6, eol == std::string_view::npos ? std::string_view::npos : eol - pos - 6)), 0xFFFFFFFFu);
  if (!v) return std::nullopt;
  return *v;
}

CgroupInfo ParseCgroup(std::string_view content) {
  std::string_view path;
  for (auto line : Split(content, '\n')) {
    auto parts = Split(line, ':');
    if (parts.size() < 3) continue;
    // The path may itself contain ':'; it is everything after the 2nd colon.
    size_t second = line.find(':', line.find(':') + 1);
    std::string_view p = line.substr(second + 1);
    if (parts[0] == "0" && parts[1].empty()) {
      path = p;
      break;
    }
    if (path.empty()) path = p;
  }
  CgroupInfo info;
  std::string_view unit;
  for (auto comp : Split(path, '/')) {
    for (std::string_view suffix : {".service", ".scope", ".socket", ".mount", ".swap"})
      if (comp.ends_with(suffix)) unit = comp;
    auto id_after = [&](std::string_view prefix, std::string_view end) -> std::string {
      if (!comp.starts_with(prefix) || !comp.ends_with(end)) return {};
      std::string_view id = comp.substr(prefix.size(), comp.size() - prefix.size() - end.size());
      return std::string(id.substr(0, 12));
    };
    if (auto id = id_after("docker-", ".scope"); !id.empty()) info.container = "docker:" + id;
    if (auto id = id_after("libpod-", ".scope"); !id.empty()) info.container = "podman:" + id;
    if (auto id = id_after("cri-containerd-", ".scope"); !id.empty()) info.container = "containerd:" + id;
    if (comp.starts_with("lxc.payload.")) info.container = "lxc:" + std::string(comp.substr(12));
    if (comp.starts_with("kubepods") && info.container.empty()) info.container = "kubernetes";
  }
  // cgroup v1 style /docker/<id> and /lxc/<name>.
  auto comps = Split(path, '/');
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    if (comps[i] == "docker" && !comps[i + 1].empty()) info.container = "docker:" + std::string(comps[i + 1].substr(0, 12));
    if (comps[i] == "lxc" && !comps[i + 1].empty()) info.container = "lxc:" + std::string(comps[i + 1]);
  }
  if (!unit.empty() && info.container.empty()) info.unit = std::string(unit);
  return info;
}

ProcFs::ProcFs(std::string root) : root_(std::move(root)) {
  long t = sysconf(_SC_CLK_TCK);
  if (t > 0) ticks_per_second_ = t;
}

uint64_t ProcFs::BootTime() const {
  if (!boot_time_) {
    boot_time_ = 0;
    int dirfd = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0) {
      if (auto stat = ReadAt(dirfd, "stat", kMaxProcFileBytes)) boot_time_ = ParseBootTime(*stat).value_or(0);
      close(dirfd);
    }
  }
  return *boot_time_;
}

void ProcFs::MapSockets(const InodeIndex& wanted, const std::function<void(uint32_t, int)>& on_match,
                        Incomplete* incomplete) const {
  int proc = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return;
  std::vector<int> pids;
  ForEachEntry(proc, [&](const char* name) {
    if (auto pid = PidOf(name)) pids.push_back(*pid);
  });
  // Resolving a descriptor costs the kernel ~2.5 us (a dentry per fd), and
  // that, not our code, is the walk's cost: share the processes among threads.
  // Each thread keeps its own matches and counters; they are merged in pid
  // order afterwards, so the result does not depend on scheduling.
  struct Part {
    std::vector<std::pair<uint32_t, int>> matches;
    Incomplete incomplete;
  };
  const size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxWalkThreads);
  std::vector<Part> parts(pids.size() < 64 ? 1 : threads);
  std::atomic<size_t> next{0};  // processes differ wildly in size: take the next one free
  auto walk = [&](size_t part) {
    Part& out = parts[part];
    char path[32];
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < pids.size();) {
      const int pid = pids[i];
      std::snprintf(path, sizeof path, "%d/fd", pid);
      int fds = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fds < 0) {
        if (errno == ENOENT || errno == ESRCH) ++out.incomplete.processes_vanished;
        else ++out.incomplete.processes_denied;
        continue;
      }
      ForEachEntry(fds, [&](const char* fd) {
        char link[64];
        ssize_t n = readlinkat(fds, fd, link, sizeof link);
        if (n <= 0) return;  // closed meanwhile, or not a link
        auto inode = ParseSocketLink(std::string_view(link, static_cast<size_t>(n)));
        if (!inode) return;
        int64_t index = wanted.Find(*inode);
        if (index >= 0) out.matches.emplace_back(static_cast<uint32_t>(index), pid);
      });
      close(fds);
    }
  };
  std::vector<std::thread> workers;
  for (size_t t = 1; t < parts.size(); ++t) workers.emplace_back(walk, t);
  walk(0);
  for (auto& w : workers) w.join();
  close(proc);
  std::vector<std::pair<uint32_t, int>> all;
  for (Part& part : parts) {
    all.insert(all.end(), part.matches.begin(), part.matches.end());
    incomplete->processes_vanished += part.incomplete.processes_vanished;
    incomplete->processes_denied += part.incomplete.processes_denied;
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [index, pid] : all) on_match(index, pid);
}

std::string ProcFs::UserName(uint32_t uid) const {
  if (auto it = users_.find(uid); it != users_.end()) return it->second;
  passwd pw;
  passwd* result = nullptr;
  char buf[4096];
  std::string name = (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result)
                         ? std::string(result->pw_name)
                         : std::to_string(uid);
  users_.emplace(uid, name);
  return name;
}

std::optional<ProcessInfo> ProcFs::ReadProcess(int pid, Incomplete* incomplete) const {
  std::string dir = root_ + "/" + std::to_string(pid);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    ++incomplete->processes_vanished;
    return std::nullopt;
  }
  ProcessInfo p;
  p.pid = pid;
  auto stat = ReadAt(fd, "stat", kMaxProcFileBytes);
  auto fields = stat ? ParseStat(*stat) : std::nullopt;
  if (!fields) {
    close(fd);
    ++incomplete->processes_vanished;
    return std::nullopt;
  }
  p.name = fields->comm;
  if (uint64_t boot = BootTime()) p.start_time_unix = boot + fields->start_ticks / static_cast<uint64_t>(ticks_per_second_);
  if (auto status = ReadAt(fd, "status", kMaxProcFileBytes)) {
    if (auto uid = ParseStatusUid(*status)) {
      p.uid = *uid;
      p.user = UserName(*uid);
    }
  }
  if (auto exe = ReadLinkAt(fd, "exe")) p.exe = *exe;
  if (auto cmd = ReadAt(fd, "cmdline", kMaxCmdlineBytes)) {
    for (char& c : *cmd)
      if (c == '\0') c = ' ';
    p.cmdline = std::string(Trim(*cmd));
  }
  if (auto cg = ReadAt(fd, "cgroup", kMaxProcFileBytes)) {
    CgroupInfo info = ParseCgroup(*cg);
    p.unit = std::move(info.unit);
    p.container = std::move(info.container);
  }
  if (auto ns = ReadLinkAt(fd, "ns/net")) p.netns = ParseNamespaceLink(*ns).value_or(0);
  close(fd);
  return p;
}

std::vector<std::pair<uint64_t, int>> ProcFs::NetworkNamespaces() const {
  std::map<uint64_t, int> seen;
  int proc = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return {};
  char path[48];
  ForEachEntry(proc, [&](const char* name) {
    auto pid = PidOf(name);
    if (!pid) return;
    std::snprintf(path, sizeof path, "%d/ns/net", *pid);
    if (auto link = ReadLinkAt(proc, path))
      if (auto ino = ParseNamespaceLink(*link)) seen.emplace(*ino, *pid);
  });
  close(proc);
  return {seen.begin(), seen.end()};
}

uint64_t ProcFs::OwnNetworkNamespace() const {
  auto link = ReadLinkAt(AT_FDCWD, (root_ + "/self/ns/net").c_str());
  return link ? ParseNamespaceLink(*link).value_or(0) : 0;
}

}  // namespace portscope::sockets
