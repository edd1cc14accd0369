#include "canary/nft.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace portscope::canary {
namespace {

std::string PortSet(const std::vector<uint16_t>& ports) {
  std::string s = "{ ";
  for (size_t i = 0; i < ports.size(); ++i) s += (i ? ", " : "") + std::to_string(ports[i]);
  return s + " }";
}

}  // namespace

Status RunNft(const std::vector<std::string>& args, std::string* out) {
  int pipes[2];
  if (pipe2(pipes, O_CLOEXEC) != 0) return Status::PosixError("pipe", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes[1], STDERR_FILENO);
  std::vector<std::string> argv_strings = {"nft"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, "nft", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipes[1]);
  if (rc != 0) {
    close(pipes[0]);
    return Status::PosixError("run nft (apt-get install nftables)", rc);
  }
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = read(pipes[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < (1 << 20)) output.append(buf, static_cast<size_t>(n));
  }
  close(pipes[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (out) *out = output;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd = "nft";
    for (const auto& a : args) cmd += " " + a;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return Status::IoError(cmd + " failed: " + output);
  }
  return Status::Ok();
}

Result<bool> RemoveLeftoverTable() {
  std::string out;
  if (!RunNft({"list", "tables"}, &out).ok()) return Status::IoError("cannot list nftables tables (needs CAP_NET_ADMIN)");
  if (out.find(std::string("table inet ") + kNftTable + "\n") == std::string::npos &&
      !out.ends_with(std::string("table inet ") + kNftTable))
    return false;
  if (Status s = RemoveTable(); !s.ok()) return s;
  return true;
}

std::vector<std::vector<std::string>> InstallCommands(const NftRules& r) {
  const std::string t = kNftTable;
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"add", "table", "inet", t});
  // Priority -200: before conntrack (-200 is raw) would still see the packet
  // in AF_PACKET captures, which run before netfilter; dropping here means
  // the host sends no SYN-ACK, RST or ICMP unreachable for watched ports.
  cmds.push_back({"add", "chain", "inet", t, "input", "{", "type", "filter", "hook", "input", "priority",
                  "-200", ";", "policy", "accept", ";", "}"});
  for (const IpAddress& a : r.allow)
    cmds.push_back({"add", "rule", "inet", t, "input", a.is_v4() ? "ip" : "ip6", "saddr", a.ToString(), "accept"});
  if (r.block_sets) {
    cmds.push_back({"add", "set", "inet", t, "blocked4", "{", "type", "ipv4_addr", ";", "flags", "timeout", ";", "}"});
    cmds.push_back({"add", "set", "inet", t, "blocked6", "{", "type", "ipv6_addr", ";", "flags", "timeout", ";", "}"});
    cmds.push_back({"add", "rule", "inet", t, "input", "ip", "saddr", "@blocked4", "drop"});
    cmds.push_back({"add", "rule", "inet", t, "input", "ip6", "saddr", "@blocked6", "drop"});
  }
  if (!r.drop_tcp.empty())
    cmds.push_back({"add", "rule", "inet", t, "input", "tcp", "dport", PortSet(r.drop_tcp), "drop"});
  if (!r.drop_udp.empty())
    cmds.push_back({"add", "rule", "inet", t, "input", "udp", "dport", PortSet(r.drop_udp), "drop"});
  return cmds;
}

Status InstallTable(const NftRules& rules) {
  for (const auto& cmd : InstallCommands(rules)) {
    if (Status s = RunNft(cmd); !s.ok()) {
      (void)RemoveTable();  // nothing half-made stays behind
      return s;
    }
  }
  return Status::Ok();
}

Status BlockSource(const IpAddress& source, uint32_t timeout_s) {
  // `add element` leaves the timeout of an element already in the set as it
  // was, so a source blocked again would be let go at the first timeout.
  // One nft transaction (atomic: no moment unblocked) makes sure it is there,
  // deletes it and adds it back with a fresh timeout.
  const std::string set = source.is_v4() ? "blocked4" : "blocked6", addr = source.ToString();
  const std::string timeout = std::to_string(timeout_s) + "s";
  return RunNft({"add", "element", "inet", kNftTable, set, "{", addr, "timeout", timeout, "}", ";",
                 "delete", "element", "inet", kNftTable, set, "{", addr, "}", ";",
                 "add", "element", "inet", kNftTable, set, "{", addr, "timeout", timeout, "}"});
}

Status RemoveTable() { return RunNft({"delete", "table", "inet", kNftTable}); }

}  // namespace portscope::canary
