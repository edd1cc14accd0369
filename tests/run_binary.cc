#include "run_binary.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace portscope::testing {

RunResult RunPortscope(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env,
                       const std::string& stdin_data) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // A clean environment: tests must not see the developer's imported data.
    std::map<std::string, std::string> e = {{"PATH", "/usr/bin:/bin"},
                                            {"HOME", "/nonexistent-portscope-test-home"},
                                            {"PORTSCOPE_DATA_DIR", "/nonexistent-portscope-test-data"}};
    for (const auto& [k, v] : env) e[k] = v;
    std::vector<std::string> strings;
    for (const auto& [k, v] : e) strings.push_back(k + "=" + v);
    std::vector<char*> envp, argv;
    for (auto& s : strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string bin = PORTSCOPE_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execve(bin.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  RunResult r;
  size_t written = 0;
  if (stdin_data.empty()) close(in[1]);
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {stdin_data.empty() ? -1 : in[1], POLLOUT, 0}};
  int open_count = 2;
  while (open_count > 0 || fds[2].fd >= 0) {
    if (poll(fds, 3, 60000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(fds[2].fd, stdin_data.data() + written, stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n <= 0 || written == stdin_data.size()) {
        close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string SharedDir() {
  if (const char* d = std::getenv("PORTSCOPE_SHARED_DIR"); d && *d) return d;
  std::string d = PORTSCOPE_SHARED_DIR;
  struct stat st;
  return stat(d.c_str(), &st) == 0 ? d : "";
}

namespace {

// The directories MakeTempDir made, removed when the test process exits
// (not in forked children, which share the list but not the ownership).
// PORTSCOPE_KEEP_TEST_DIRS=1 keeps them for a post-mortem.
struct TempDirs {
  pid_t owner = getpid();
  std::vector<std::filesystem::path> dirs;
};

TempDirs& Made() {
  static TempDirs* made = [] {
    auto* m = new TempDirs;
    std::atexit([] {
      TempDirs& t = Made();
      const char* keep = std::getenv("PORTSCOPE_KEEP_TEST_DIRS");
      if (getpid() != t.owner || (keep != nullptr && *keep != '\0' && *keep != '0')) return;
      for (const auto& d : t.dirs) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
      }
    });
    return m;
  }();
  return *made;
}

}  // namespace

std::string MakeTempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("portscope-test-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Made().dirs.push_back(dir);
  return dir.string();
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace portscope::testing

namespace portscope::testing {
namespace {

bool Binds(int family, int type, uint16_t port) {
  const int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int rc;
  if (family == AF_INET6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(port);
    const int only = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(port);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  close(fd);
  return rc == 0;
}

}  // namespace

uint16_t UnusedPort() {
  unsigned low = 32768, high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  // Registered ports below the ephemeral range and below 31000, where the
  // socket fixture (Listening.AllMatchesSs...) binds its listeners; above
  // the ephemeral range on a machine whose range starts very low.
  const unsigned top = std::min(low, 31000u);
  auto pick = top > 10100 ? std::uniform_int_distribution<unsigned>(10000, top - 1)
                          : std::uniform_int_distribution<unsigned>(std::min(high + 1, 65535u), 65535);
  std::random_device seed;
  std::mt19937 rng(seed());
  for (int i = 0; i < 200; ++i) {
    const auto port = static_cast<uint16_t>(pick(rng));
    if (Binds(AF_INET, SOCK_STREAM, port) && Binds(AF_INET6, SOCK_STREAM, port) &&
        Binds(AF_INET, SOCK_DGRAM, port) && Binds(AF_INET6, SOCK_DGRAM, port))
      return port;
  }
  std::fprintf(stderr, "UnusedPort: no port outside %u-%u binds for TCP and UDP\n", low, high);
  std::abort();
}

}  // namespace portscope::testing
