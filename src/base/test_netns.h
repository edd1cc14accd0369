// For tests only: runs a function in a network namespace of its own (a
// forked child that unshares CLONE_NEWNET and brings its loopback up), so
// that captures, firewall rules and packets never touch the host's network
// or another engineer's test. Needs root.
#ifndef PORTSCOPE_BASE_TEST_NETNS_H_
#define PORTSCOPE_BASE_TEST_NETNS_H_

#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>

namespace portscope::testing {

/// Brings `lo` up in the calling thread's network namespace; "" or why not.
inline std::string LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return std::string("socket: ") + strerror(errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  std::string why;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) why = std::string("SIOCGIFFLAGS lo: ") + strerror(errno);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (why.empty() && ioctl(s, SIOCSIFFLAGS, &ifr) != 0) why = std::string("SIOCSIFFLAGS lo: ") + strerror(errno);
  close(s);
  return why;
}

/// Forks; the child enters a new network namespace with loopback up and runs
/// `body`, which returns "" on success or what went wrong. Returns the same
/// (or why the child failed). The child is killed (by pid) after
/// `timeout_s`.
inline std::string RunInPrivateNetns(const std::function<std::string()>& body, int timeout_s = 60) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t child = fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    close(fds[0]);
    std::string why;
    if (unshare(CLONE_NEWNET) != 0) why = std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
    if (why.empty()) why = LoopbackUp();
    if (why.empty()) why = body();
    (void)!write(fds[1], why.data(), why.size());
    _exit(why.empty() ? 0 : 1);
  }
  close(fds[1]);
  std::string why;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(child, SIGKILL);
      why += " (timed out)";
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    why.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (why.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) why = "child failed without a reason";
  return why;
}

}  // namespace portscope::testing

#endif  // PORTSCOPE_BASE_TEST_NETNS_H_
