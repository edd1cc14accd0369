#include "cli/socket_commands.h"

#include <fmt/format.h>
#include <time.h>

#include "cli/cli11.h"
#include <atomic>
#include <csignal>
#include <map>
#include <tuple>

#include "base/text.h"
#include "cli/port_spec.h"
#include "cli/socket_output.h"
#include "registry/page.h"
#include "sockets/annotate.h"
#include "sockets/socket_table.h"

namespace portscope::cli {
namespace {

using sockets::SocketEntry;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// The time of a --watch round: local time for people (the table), ISO 8601
// UTC for programs (--json), as every other JSON time.
std::string Clock(bool utc_iso) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  char buf[40];
  if (utc_iso) {
    gmtime_r(&ts.tv_sec, &t);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  } else {
    localtime_r(&ts.tv_sec, &t);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &t);
  }
  return buf;
}

bool Keep(const ListeningOptions& o, const SocketEntry& s, const registry::Registry& reg) {
  if (!o.all && !s.listening()) return false;
  if (o.exposed && s.local.is_loopback()) return false;
  if (o.unassigned && reg.LookupBrief({s.local_port, s.proto}).status != registry::IanaStatus::kUnassigned)
    return false;
  return true;
}

}  // namespace

void AddWhoCommand(CLI::App* app, WhoOptions* o) {
  CLI::App* who = app->add_subcommand("who", "Which sockets and processes hold a port on this machine");
  who->add_option("port", o->port, "PORT or PORT/PROTO (tcp or udp)")->required();
  who->add_flag("--all-netns", o->all_netns, "Look in every network namespace (containers); needs root");
  o->common.Add(who);
  who->footer(
      "Lists every socket whose local or remote port is PORT, listening and connected, with the\n"
      "processes that hold it. Without root, other users' processes are hidden.\n"
      "Exit status: 0 something holds the port, 1 nothing does, 2 bad input.\n\n"
      "Examples:\n  portscope who 2244\n  sudo portscope who 53/udp --all-netns\n  portscope who --json 22 | jq .");
}

void AddListeningCommand(CLI::App* app, ListeningOptions* o) {
  CLI::App* l = app->add_subcommand("listening", "Every listening socket on this machine, with its process and flags");
  l->add_flag("--unassigned", o->unassigned, "Only ports IANA leaves unassigned");
  l->add_flag("--exposed", o->exposed, "Only sockets not bound to loopback");
  l->add_flag("--all", o->all, "Connections too, not only listeners");
  l->add_flag("--all-netns", o->all_netns, "Every network namespace (containers); needs root");
  l->add_flag("--tcp,-t", o->tcp_only, "TCP sockets only");
  l->add_flag("--udp,-u", o->udp_only, "UDP sockets only");
  l->add_option("--watch", o->watch_seconds, "Keep running; print listeners that appear and disappear, every SECONDS (default 2)")
      ->expected(0, 1)
      ->default_str("2")
      ->check(CLI::Range(0.05, 86400.0));
  l->add_option("--count", o->count, "With --watch: stop after this many rounds")->check(CLI::Range(1, 1000000));
  o->common.Add(l);
  l->footer(
      "Flags: wildcard (bound to all addresses), loopback-only, unassigned-port (IANA lists nothing\n"
      "there), dynamic-range (a listener in 49152-65535), no-process (kernel-owned or hidden).\n\n"
      "Examples:\n  portscope listening\n  portscope listening --exposed --unassigned\n"
      "  portscope listening --all --json | jq '.sockets | length'\n  portscope listening --watch 5");
}

int RunWho(const WhoOptions& o, const registry::Registry& reg) {
  auto spec = ParsePortSpec(o.port);
  if (!spec.ok()) return Fail(kExitUsage, spec.status().message());
  if (spec->size() != 1 || spec->front().lo != spec->front().hi)
    return Fail(kExitUsage, "`who` takes one port, e.g. `portscope who 2244` or `portscope who 53/udp`");
  const PortQuery& q = spec->front();
  if (q.proto && *q.proto != registry::Proto::kTcp && *q.proto != registry::Proto::kUdp)
    return Fail(kExitUsage, "`who` looks at tcp and udp sockets only");
  sockets::Query query;
  query.port = q.lo;
  query.tcp = !q.proto || *q.proto == registry::Proto::kTcp;
  query.udp = !q.proto || *q.proto == registry::Proto::kUdp;
  query.all_netns = o.all_netns;
  auto snap = sockets::TakeSnapshot(query);
  if (!snap.ok()) return Fail(kExitIo, snap.status().message());
  // Holders of the port first (listeners, then connections on it), then
  // connections from this machine to that port elsewhere.
  std::vector<const SocketEntry*> rows;
  for (int pass = 0; pass < 3; ++pass)
    for (const SocketEntry& s : snap->sockets) {
      bool local = s.local_port == q.lo;
      int want = local && s.listening() ? 0 : local ? 1 : 2;
      if (want == pass) rows.push_back(&s);
    }
  if (o.common.json) {
    Print(SocketsJson(*snap, rows, reg).dump(2) + "\n");
  } else if (rows.empty()) {
    std::string protos = q.proto ? std::string(registry::ProtoName(*q.proto)) : "tcp or udp";
    Print(fmt::format("nothing on this machine holds port {} ({}) now\n", q.lo, protos));
    if (q.lo == 0) Note(std::string("who holds port 0? ") + registry::kPortZeroHolders);
  } else {
    Print(RenderHolders(*snap, rows, reg, o.common.MakeStyle()));
  }
  if (std::string note = PrivilegeNote(*snap); !note.empty() && !rows.empty()) Note(note);
  return rows.empty() ? kExitNotFound : kExitOk;
}

int RunListening(const ListeningOptions& o, const registry::Registry& reg) {
  sockets::Query query;
  query.listening_only = !o.all;
  query.all_netns = o.all_netns;
  if (o.tcp_only != o.udp_only) {
    query.tcp = o.tcp_only;
    query.udp = o.udp_only;
  }
  const Style style = o.common.MakeStyle();
  if (o.watch_seconds <= 0) {
    if (o.count != 0) return Fail(kExitUsage, "--count needs --watch SECONDS (it counts the rounds of --watch)");
    auto snap = sockets::TakeSnapshot(query);
    if (!snap.ok()) return Fail(kExitIo, snap.status().message());
    std::vector<const SocketEntry*> rows;
    for (const SocketEntry& s : snap->sockets)
      if (Keep(o, s, reg)) rows.push_back(&s);
    if (o.common.json) {
      Print(SocketsJson(*snap, rows, reg).dump(2) + "\n");
    } else {
      Print(RenderSocketTable(*snap, rows, reg, style, o.all_netns));
    }
    if (std::string note = PrivilegeNote(*snap); !note.empty()) Note(note);
    // As `who` for a port nobody holds: 1 is "nothing found" (README).
    return rows.empty() ? kExitNotFound : kExitOk;
  }

  // --watch: print what appears and disappears between rounds, until a
  // signal or --count rounds.
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  using Key = std::tuple<uint64_t, int, IpAddress, uint16_t, bool, uint64_t>;
  std::map<Key, nlohmann::ordered_json> before;
  bool first = true;
  for (int round = 0; !g_stop && (o.count == 0 || round < o.count); ++round) {
    auto snap = sockets::TakeSnapshot(query);
    if (!snap.ok()) return Fail(kExitIo, snap.status().message());
    std::map<Key, nlohmann::ordered_json> now;
    std::map<Key, const SocketEntry*> entries;
    for (const SocketEntry& s : snap->sockets) {
      if (!Keep(o, s, reg)) continue;
      Key k{s.netns, static_cast<int>(s.proto), s.local, s.local_port, s.v6, s.inode};
      now.emplace(k, SocketJson(*snap, s, reg));
      entries.emplace(k, &s);
    }
    std::string stamp = Clock(o.common.json);
    std::string out;
    auto line = [&](char sign, const nlohmann::ordered_json& j, const char* event) {
      if (o.common.json) {
        nlohmann::ordered_json e;
        e["time"] = stamp;
        e["event"] = event;
        e["socket"] = j;
        out += e.dump() + "\n";
        return;
      }
      std::string procs;
      for (const auto& p : j["processes"])
        procs += fmt::format(" {}/{}", p["pid"].get<int>(), EscapeForTerminal(p.value("name", "?")));
      const std::string address = j["local_address"].get<std::string>();
      out += fmt::format("{} {} {} {}:{} {}{}\n", stamp, sign, j["proto"].get<std::string>(),
                         address.find(':') != std::string::npos ? "[" + address + "]" : address,
                         j["local_port"].get<int>(),
                         j["state"].get<std::string>(), procs.empty() ? " (no process)" : procs);
    };
    if (first) {
      if (!o.common.json) out += fmt::format("{} watching {} listeners (every {} s; Ctrl-C to stop)\n", stamp, now.size(), o.watch_seconds);
      for (const auto& [k, j] : now) line('=', j, "present");
    } else {
      for (const auto& [k, j] : now)
        if (!before.count(k)) line('+', j, "appeared");
      for (const auto& [k, j] : before)
        if (!now.count(k)) line('-', j, "disappeared");
    }
    Print(out);
    std::fflush(stdout);
    before = std::move(now);
    first = false;
    if (o.count != 0 && round + 1 >= o.count) break;
    timespec ts{static_cast<time_t>(o.watch_seconds), static_cast<long>((o.watch_seconds - static_cast<time_t>(o.watch_seconds)) * 1e9)};
    while (!g_stop && nanosleep(&ts, &ts) != 0) {
    }
  }
  return kExitOk;
}

}  // namespace portscope::cli
