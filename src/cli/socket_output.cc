#include "cli/socket_output.h"

#include <fmt/format.h>

#include <ctime>

#include "base/text.h"
#include "sockets/annotate.h"

namespace portscope::cli {

using sockets::Annotation;
using sockets::ProcessInfo;
using sockets::Snapshot;
using sockets::SocketEntry;

namespace {

std::string Local(const SocketEntry& s) { return sockets::FormatEndpoint(s.local, s.local_port, s.v6); }
std::string Remote(const SocketEntry& s) {
  if (s.remote_port == 0 && s.remote.is_unspecified()) return "*";
  return sockets::FormatEndpoint(s.remote, s.remote_port, s.v6);
}

// "10:02" today, else "2026-11-20 10:02", in local time.
std::string Since(uint64_t unix_time) {
  if (unix_time == 0) return "";
  time_t t = static_cast<time_t>(unix_time), now = time(nullptr);
  tm then_tm, now_tm;
  localtime_r(&t, &then_tm);
  localtime_r(&now, &now_tm);
  char buf[32];
  bool today = then_tm.tm_yday == now_tm.tm_yday && then_tm.tm_year == now_tm.tm_year;
  strftime(buf, sizeof buf, today ? "%H:%M" : "%Y-%m-%d %H:%M", &then_tm);
  return buf;
}

std::string Iso(uint64_t unix_time) {
  if (unix_time == 0) return "";
  time_t t = static_cast<time_t>(unix_time);
  tm tm_utc;
  gmtime_r(&t, &tm_utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return buf;
}

// "pid 4242 `nmsd` (user nms, unit nms.service)" for each owner.
std::string Owners(const Snapshot& snap, const SocketEntry& s) {
  std::string out;
  for (int pid : s.pids) {
    if (!out.empty()) out += ", ";
    auto it = snap.processes.find(pid);
    if (it == snap.processes.end()) {
      out += fmt::format("pid {} (exited)", pid);
      continue;
    }
    const ProcessInfo& p = it->second;
    std::vector<std::string> details;
    if (!p.user.empty()) details.push_back("user " + EscapeForTerminal(p.user));
    if (!p.unit.empty()) details.push_back("unit " + EscapeForTerminal(p.unit));
    if (!p.container.empty()) details.push_back("container " + EscapeForTerminal(p.container));
    std::string d;
    for (const auto& x : details) d += (d.empty() ? "" : ", ") + x;
    out += fmt::format("pid {} `{}`", pid, EscapeForTerminal(p.name));
    if (!d.empty()) out += " (" + d + ")";
    if (std::string since = Since(p.start_time_unix); !since.empty()) out += " since " + since;
  }
  return out;
}

std::string IanaText(const Annotation& a) {
  switch (a.iana) {
    case registry::IanaStatus::kAssigned: return "IANA: " + EscapeForTerminal(a.service);
    case registry::IanaStatus::kReserved: return "IANA: reserved";
    case registry::IanaStatus::kUnassigned: return "IANA: unassigned";
    case registry::IanaStatus::kUnknown: return "IANA: no data";
  }
  return "";
}

std::string FlagsText(const Annotation& a) {
  std::string out;
  for (auto f : a.flags) out += (out.empty() ? "" : ",") + std::string(f);
  return out.empty() ? "-" : out;
}

}  // namespace

std::string PrivilegeNote(const Snapshot& snap) {
  if (snap.privileged) return "";
  return fmt::format(
      "not running as root: sockets of other users' processes show no process "
      "({} processes could not be inspected); run with sudo to see them",
      snap.incomplete.processes_denied);
}

std::string RenderHolders(const Snapshot& snap, const std::vector<const SocketEntry*>& rows,
                          const registry::Registry& reg, const Style& st) {
  std::string out;
  for (const SocketEntry* s : rows) {
    Annotation a = sockets::Annotate(*s, reg);
    std::string where = st.bold(Local(*s) + "/" + std::string(registry::ProtoName(s->proto)));
    std::string state(sockets::StateName(s->state, s->proto));
    std::string line = where;
    if (!s->listening()) line += " <-> " + Remote(*s);
    line += " " + state;
    if (!s->pids.empty()) {
      line += (s->listening() ? " is held by " : ", held by ") + Owners(snap, *s);
    } else {
      line += s->inode == 0 || s->state == sockets::SockState::kTimeWait
                  ? ", owned by the kernel (no process)"
                  : ", no process visible" + std::string(snap.privileged ? "" : " (run as root to see others')");
    }
    line += "; " + IanaText(a);
    out += line + "\n";
    for (int pid : s->pids) {
      auto it = snap.processes.find(pid);
      if (it == snap.processes.end()) continue;
      const ProcessInfo& p = it->second;
      if (!p.exe.empty()) out += "    exe  " + EscapeForTerminal(p.exe) + "\n";
      if (!p.cmdline.empty()) out += "    cmd  " + EscapeForTerminal(p.cmdline) + "\n";
    }
    std::vector<std::string> notes;
    for (auto f : a.flags) {
      if (f == "no-process") continue;
      notes.push_back(f == "wildcard" ? "wildcard: " + std::string(a.wildcard) : std::string(f));
    }
    if (!notes.empty()) {
      std::string joined;
      for (const auto& n : notes) joined += (joined.empty() ? "" : "; ") + n;
      out += "    " + st.dim(joined) + "\n";
    }
  }
  return out;
}

std::string RenderSocketTable(const Snapshot& snap, const std::vector<const SocketEntry*>& rows,
                              const registry::Registry& reg, const Style& st, bool show_netns) {
  std::string out = st.bold(fmt::format("{:<5} {:<28} {:<28} {:<11} {:<24} {:<10} {:<16} {}", "PROTO",
                                        "LOCAL", "REMOTE", "STATE", "PROCESS", "USER", "SERVICE", "FLAGS"));
  if (show_netns) out += st.bold("  NETNS");
  out += '\n';
  for (const SocketEntry* s : rows) {
    Annotation a = sockets::Annotate(*s, reg);
    std::string proc = "-", user = "-";
    if (!s->pids.empty()) {
      auto it = snap.processes.find(s->pids[0]);
      proc = std::to_string(s->pids[0]) + "/" + (it != snap.processes.end() ? EscapeForTerminal(it->second.name) : "?");
      if (s->pids.size() > 1) proc += fmt::format(" +{}", s->pids.size() - 1);
      if (it != snap.processes.end()) user = EscapeForTerminal(it->second.user);
    }
    std::string service = a.iana == registry::IanaStatus::kAssigned ? EscapeForTerminal(a.service)
                          : a.iana == registry::IanaStatus::kReserved ? "(reserved)"
                                                                      : "(unassigned)";
    std::string flags = FlagsText(a);
    if (a.has("unassigned-port") || a.has("dynamic-range")) flags = st.yellow(flags);
    out += fmt::format("{:<5} {:<28} {:<28} {:<11} {:<24} {:<10} {:<16} {}", registry::ProtoName(s->proto),
                       Local(*s), Remote(*s), sockets::StateName(s->state, s->proto), proc, user, service, flags);
    if (show_netns) out += fmt::format("  {}", s->netns);
    out += '\n';
  }
  return out;
}

std::string RenderHere(const Snapshot& snap, registry::PortRef ref, const Style& st) {
  std::vector<std::string> holders;
  for (const SocketEntry& s : snap.sockets) {
    if (s.local_port != ref.port || s.proto != ref.proto || !s.listening()) continue;
    std::string who = s.pids.empty() ? std::string(snap.privileged ? "no process" : "process hidden (not root)")
                                     : Owners(snap, s);
    holders.push_back(Local(s) + " " + std::string(sockets::StateName(s.state, s.proto)) + " by " + who);
  }
  if (holders.empty()) return "nothing on this machine listens on it now";
  std::string out;
  for (size_t i = 0; i < holders.size(); ++i) out += (i ? "\n               " : "") + st.green(holders[i]);
  return out;
}

nlohmann::ordered_json SocketJson(const Snapshot& snap, const SocketEntry& s, const registry::Registry& reg) {
  using nlohmann::ordered_json;
  Annotation a = sockets::Annotate(s, reg);
  ordered_json j;
  j["proto"] = registry::ProtoName(s.proto);
  j["family"] = s.v6 ? "inet6" : "inet";
  j["local_address"] = s.v6 && s.local.is_v4() ? "::ffff:" + s.local.ToString() : s.local.ToString();
  j["local_port"] = s.local_port;
  bool unconnected = s.remote_port == 0 && s.remote.is_unspecified();
  j["remote_address"] = unconnected ? ordered_json(nullptr)
                                    : ordered_json(s.v6 && s.remote.is_v4() ? "::ffff:" + s.remote.ToString()
                                                                            : s.remote.ToString());
  j["remote_port"] = unconnected ? ordered_json(nullptr) : ordered_json(s.remote_port);
  j["state"] = sockets::StateName(s.state, s.proto);
  j["listening"] = s.listening();
  j["inode"] = s.inode;
  j["uid"] = s.uid;
  j["netns"] = s.netns;
  j["v6only"] = s.v6only ? ordered_json(*s.v6only) : ordered_json(nullptr);
  ordered_json procs = ordered_json::array();
  for (int pid : s.pids) {
    ordered_json p;
    p["pid"] = pid;
    auto it = snap.processes.find(pid);
    if (it != snap.processes.end()) {
      const ProcessInfo& info = it->second;
      p["name"] = info.name;
      p["exe"] = info.exe.empty() ? ordered_json(nullptr) : ordered_json(info.exe);
      p["cmdline"] = info.cmdline;
      p["user"] = info.user;
      p["uid"] = info.uid;
      p["unit"] = info.unit.empty() ? ordered_json(nullptr) : ordered_json(info.unit);
      p["container"] = info.container.empty() ? ordered_json(nullptr) : ordered_json(info.container);
      p["start_time"] = info.start_time_unix ? ordered_json(Iso(info.start_time_unix)) : ordered_json(nullptr);
      p["netns"] = info.netns;
    }
    procs.push_back(std::move(p));
  }
  j["processes"] = std::move(procs);
  ordered_json svc;
  svc["name"] = a.service.empty() ? ordered_json(nullptr) : ordered_json(a.service);
  svc["iana_status"] = registry::IanaStatusKey(a.iana);
  svc["range"] = registry::RangeKey(a.range);
  j["service"] = std::move(svc);
  j["flags"] = ordered_json::array();
  for (auto f : a.flags) j["flags"].push_back(f);
  j["wildcard"] = a.wildcard.empty() ? ordered_json(nullptr) : ordered_json(a.wildcard);
  return j;
}

nlohmann::ordered_json SocketsJson(const Snapshot& snap, const std::vector<const SocketEntry*>& rows,
                                   const registry::Registry& reg) {
  nlohmann::ordered_json j;
  j["sockets"] = nlohmann::ordered_json::array();
  for (const SocketEntry* s : rows) j["sockets"].push_back(SocketJson(snap, *s, reg));
  j["incomplete"] = snap.incomplete.total();
  j["incomplete_detail"] = {{"processes_vanished", snap.incomplete.processes_vanished},
                            {"processes_denied", snap.incomplete.processes_denied},
                            {"namespaces_denied", snap.incomplete.namespaces_denied}};
  j["privileged"] = snap.privileged;
  j["attribution"] = snap.attribution == sockets::Attribution::kNone
                         ? nlohmann::ordered_json(nullptr)
                         : nlohmann::ordered_json(sockets::AttributionName(snap.attribution));
  j["attribution_fallback"] = snap.bpf_fallback_reason.empty() ? nlohmann::ordered_json(nullptr)
                                                                : nlohmann::ordered_json(snap.bpf_fallback_reason);
  return j;
}

}  // namespace portscope::cli
