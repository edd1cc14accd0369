#include "canary/stealth.h"

#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace portscope::canary {
namespace {

pid_t supervisor_pid = 0;  // set in the child

int LastCap() {
  int last = CAP_LAST_CAP;
  if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
    if (std::fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    std::fclose(f);
  }
  return last;
}

// The supervisor only runs nft and signals the canary (which runs as another
// user by then): keep CAP_NET_ADMIN and CAP_KILL, in the bounding set too, so
// that the nft it starts (as uid 0) gets nothing more either.
Status KeepOnlyNetAdmin() {
  if (geteuid() != 0) return Status::Ok();
  // Shrinking the bounding set needs CAP_SETPCAP, which a sandbox (the
  // systemd unit's CapabilityBoundingSet) may have removed already; the
  // capability sets below shrink without it.
  const int last_cap = LastCap();  // reads /proc once
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (cap == CAP_NET_ADMIN || cap == CAP_KILL) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EPERM) break;
      if (errno != EINVAL) return Status::PosixError("PR_CAPBSET_DROP", errno);
    }
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].permitted = data[0].effective = (1u << CAP_NET_ADMIN) | (1u << CAP_KILL);
  if (syscall(SYS_capset, &header, data) != 0) return Status::PosixError("capset", errno);
  return Status::Ok();
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

Result<std::optional<int>> SuperviseStealth(const NftRules& rules, void (*note)(const std::string&)) {
  auto say = [note](const std::string& s) {
    if (note) note(s);
  };
  auto leftover = RemoveLeftoverTable();
  if (!leftover.ok()) return leftover.status();
  if (*leftover) say(std::string("removed the nftables table '") + kNftTable + "' left by an earlier run");
  if (Status s = InstallTable(rules); !s.ok()) return s;

  // Signals wait in the mask until the supervisor asks for them (parent) or
  // the daemon's signalfd takes them (child): none is lost in between.
  sigset_t handled, old;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&handled, sig);
  if (sigprocmask(SIG_BLOCK, &handled, &old) != 0) {
    Status s = Status::PosixError("sigprocmask", errno);
    (void)RemoveTable();
    return s;
  }
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    Status s = Status::PosixError("fork", errno);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    (void)RemoveTable();
    return s;
  }
  if (child == 0) {
    supervisor_pid = parent;
    sigset_t mask = old;
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    // Until FollowSupervisor: a dead supervisor must not leave the canary
    // running (the mask holds SIGTERM; SIGKILL needs none).
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(1);
    return std::optional<int>();
  }

  if (Status s = KeepOnlyNetAdmin(); !s.ok()) say("supervisor keeps its privileges: " + s.message());
  int status = 0;
  for (;;) {
    siginfo_t info{};
    int sig = sigwaitinfo(&handled, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      // The canary flushes and exits (or reloads, on SIGHUP); its exit comes
      // back as SIGCHLD. It runs as another user: this needs CAP_KILL.
      if (kill(child, sig) != 0 && errno != ESRCH)
        say(std::string("cannot pass signal ") + std::to_string(sig) + " on to the canary: " + std::strerror(errno));
      continue;
    }
    pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) break;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  int code = ExitCodeOf(status);
  if (Status s = RemoveTable(); !s.ok()) {
    say("could not remove the nftables table (the next start removes it): " + s.message());
    if (code == 0) code = 1;
  }
  return std::optional<int>(code);
}

Status FollowSupervisor() {
  if (supervisor_pid == 0) return Status::Ok();
  if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) return Status::PosixError("PR_SET_PDEATHSIG", errno);
  if (getppid() != supervisor_pid) return Status::IoError("the stealth supervisor has gone");
  return Status::Ok();
}

}  // namespace portscope::canary
