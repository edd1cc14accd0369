#include "cli/canary_command.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli11.h"
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "base/cidr.h"
#include "base/text.h"
#include "canary/blocker.h"
#include "canary/daemon.h"
#include "canary/nft.h"
#include "canary/port_choice.h"
#include "canary/privileges.h"
#include "canary/stealth.h"
#include "canary/stealth_feed.h"
#include "cli/port_spec.h"
#include "cli/socket_output.h"
#include "sockets/socket_table.h"
#include "store/database.h"
#include "store/json_lines.h"
#include "store/syslog.h"

#ifndef PORTSCOPE_VERSION
#define PORTSCOPE_VERSION "dev"
#endif

namespace portscope::cli {
namespace {

WebhookFactory g_webhook_factory = nullptr;

bool Given(const CanaryOptions& o, const char* flag) { return o.app && o.app->count(flag) > 0; }

// The settings in force: the config file's, with every flag given on the
// command line taking precedence.
struct Settings {
  detect::Config detect;
  CanarySettings canary;
};

// The canary's own detection capacities, unless [detect] sets them: in
// connect mode a source is a completed handshake (no spoofing) and a flow
// lives while its connection is open (at most --max-open), so the engine
// needs 24 MiB instead of the 77 MiB sized for captures.
constexpr uint32_t kCanaryMaxSources = 16384;
constexpr uint32_t kCanaryMaxFlows = 16384;

Result<Settings> LoadSettings(const CanaryOptions& o) {
  Settings s;
  s.detect.max_sources = kCanaryMaxSources;
  s.detect.max_flows = kCanaryMaxFlows;
  if (!o.config_file.empty())
    if (Status st = LoadCanaryConfig(o.config_file, &s.detect, &s.canary); !st.ok()) return st;
  CanarySettings& c = s.canary;
  const CanarySettings& f = o.flags;
  if (Given(o, "--ports")) c.ports = f.ports;
  if (Given(o, "--unassigned")) c.unassigned = f.unassigned;
  if (Given(o, "--seed")) c.seed = f.seed;
  if (Given(o, "--bind")) c.bind = f.bind;
  if (Given(o, "--db")) c.db = f.db;
  if (Given(o, "--json")) c.json = f.json;
  if (Given(o, "--syslog")) c.syslog = f.syslog;
  if (Given(o, "--syslog-to")) {
    c.syslog_to = f.syslog_to;
    c.syslog = true;
  }
  if (Given(o, "--read-bytes")) c.read_bytes = f.read_bytes;
  if (Given(o, "--read-ms")) c.read_ms = f.read_ms;
  if (Given(o, "--max-open")) c.max_open = f.max_open;
  if (Given(o, "--user")) c.user = f.user;
  if (Given(o, "--sensor")) c.sensor = f.sensor;
  if (Given(o, "--quiet")) c.quiet = f.quiet;
  if (Given(o, "--stealth")) c.stealth = f.stealth;
  if (Given(o, "--interface")) c.interface = f.interface;
  if (Given(o, "--capture-buffer")) c.capture_buffer_mb = f.capture_buffer_mb;
  if (Given(o, "--retain-days")) c.retain_days = f.retain_days;
  if (Given(o, "--retain-mib")) c.retain_mib = f.retain_mib;
  if (Given(o, "--webhook")) c.webhook = f.webhook;
  if (Given(o, "--webhook-template")) c.webhook_template = f.webhook_template;
  if (Given(o, "--webhook-rate")) c.webhook_rate = f.webhook_rate;
  if (Given(o, "--webhook-ca")) c.webhook_ca = f.webhook_ca;
  if (Given(o, "--block")) c.block = f.block;
  if (Given(o, "--block-timeout")) c.block_timeout = f.block_timeout;
  auto lists = [&](const char* flag, const std::vector<std::string>& args, std::vector<std::string>* out) {
    if (!Given(o, flag)) return;
    out->clear();
    for (const auto& arg : args)
      for (auto item : Split(arg, ',')) out->emplace_back(Trim(item));
  };
  lists("--ignore", o.ignore_args, &c.ignore);
  lists("--allow", o.allow_args, &c.allow);
  return s;
}

// --ignore and --allow: addresses and CIDR blocks.
Result<std::vector<Cidr>> ParseCidrs(const char* flag, const std::vector<std::string>& items) {
  std::vector<Cidr> out;
  for (const auto& item : items) {
    auto c = Cidr::Parse(Trim(item));
    if (!c)
      return Status::InvalidArgument(std::string(flag) + ": '" + EscapeForTerminal(item) +
                                     "' is not an address or a CIDR block (e.g. 192.0.2.7, 10.0.0.0/8, 2001:db8::/32)");
    out.push_back(*c);
  }
  return out;
}
Result<std::vector<Cidr>> ParseIgnore(const std::vector<std::string>& items) { return ParseCidrs("--ignore", items); }

// Whether a listening socket would conflict with binding `bind` (unset: every
// address) on its port.
bool Conflicts(const sockets::SocketEntry& s, const std::optional<IpAddress>& bind) {
  if (!bind || bind->is_unspecified() || s.local.is_unspecified()) return true;
  return s.local == *bind;
}

// Ports something here already holds: refused, naming the holder.
Status CheckHeld(const canary::ListenerOptions& l, const sockets::Snapshot& snap) {
  auto check = [&](registry::Proto proto, const std::vector<uint16_t>& ports) -> Status {
    std::set<uint16_t> wanted(ports.begin(), ports.end());
    for (const sockets::SocketEntry& s : snap.sockets) {
      if (s.proto != proto || !s.listening() || !wanted.count(s.local_port) || !Conflicts(s, l.bind_address)) continue;
      const registry::PortRef ref{s.local_port, proto};
      return Status::InvalidArgument(fmt::format(
          "port {}/{} is already held: {}; portscope never takes a port in use (leave it out of --ports)", ref.port,
          registry::ProtoName(proto), RenderHere(snap, ref, Style{})));
    }
    return Status::Ok();
  };
  if (Status s = check(registry::Proto::kTcp, l.tcp_ports); !s.ok()) return s;
  return check(registry::Proto::kUdp, l.udp_ports);
}

// The directories Database::Open will create for `path` (missing ancestors).
std::vector<std::string> MissingDirs(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto dir = std::filesystem::path(path).parent_path(); !dir.empty() && !std::filesystem::exists(dir, ec);
       dir = dir.parent_path()) {
    out.push_back(dir.string());
    if (dir == dir.parent_path()) break;
  }
  return out;
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "canary";
  return buf;
}

// One line per alert on stderr (the journal, under systemd).
class StderrAlerts : public canary::AlertListener {
 public:
  void OnAlert(const store::AlertRecord& a) override {
    // The lowest ports of the scan, as runs; ",..." when it has more.
    const std::string ports = PortRuns(a.ports, 60, a.port_count > a.ports.size());
    std::string line = fmt::format(
        "portscope: alert {} scan {} from {}: {} {}, {} port{} ({}), {} probe{}, {}{}\n", store::AlertPhaseName(a.phase),
        a.scan_id, a.source.ToString(), store::ScanKindName(a.kind), store::ScanShapeName(a.shape), a.port_count,
        a.port_count == 1 ? "" : "s", ports, a.probes, a.probes == 1 ? "" : "s", store::JoinAlgorithms(a.algorithms),
        a.ended_reason.empty() ? "" : ", ended: " + a.ended_reason);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }
};

// Everything RunCanary needs, checked, before anything is opened.
struct Plan {
  Settings settings;
  canary::ListenerOptions listener;
  std::vector<Cidr> ignore;
  std::vector<Cidr> allow;
  std::string db;
  std::string user;  // "" when not root (nothing to drop)
};

Result<Plan> MakePlan(const CanaryOptions& o, Settings settings, const registry::Registry& reg,
                      sockets::Snapshot* snap) {
  Plan p;
  p.settings = std::move(settings);
  const CanarySettings& c = p.settings.canary;
  if (c.ports.empty() && c.unassigned == 0)
    return Status::InvalidArgument("give the ports to watch: --ports 2202,2244,40000-40010 or --unassigned 20");
  if (!c.ports.empty()) {
    auto w = ParseWatchPorts(c.ports);
    if (!w.ok()) return Status::InvalidArgument("--ports: " + w.status().message());
    p.listener.tcp_ports = w->tcp;
    p.listener.udp_ports = w->udp;
    const bool zero = std::find(w->tcp.begin(), w->tcp.end(), 0) != w->tcp.end() ||
                      std::find(w->udp.begin(), w->udp.end(), 0) != w->udp.end();
    if (zero && !c.stealth)
      return Status::InvalidArgument(
          "--ports: port 0 cannot be watched in connect mode: binding it gives a random free port instead. "
          "Start the range at 1, or use --stealth, which sees probes to port 0 without binding it");
  }
  if (!c.bind.empty()) {
    auto a = IpAddress::Parse(Trim(c.bind));
    if (!a) return Status::InvalidArgument("--bind: '" + EscapeForTerminal(c.bind) + "' is not an IPv4 or IPv6 address");
    p.listener.bind_address = *a;
  }
  if (c.unassigned > 0) {
    canary::PortChoice choice;
    choice.count = c.unassigned;
    choice.seed = c.seed;
    choice.ephemeral = canary::EphemeralPortRange();
    for (const auto& s : snap->sockets) choice.held.insert(s.local_port);
    for (uint16_t port : p.listener.tcp_ports) choice.held.insert(port);  // already chosen by --ports
    auto chosen = canary::ChooseUnassignedPorts(reg, choice);
    if (!chosen.ok()) return Status::InvalidArgument("--unassigned: " + chosen.status().message());
    for (uint16_t port : *chosen) {
      p.listener.tcp_ports.push_back(port);
      p.listener.udp_ports.push_back(port);
    }
  }
  for (auto* v : {&p.listener.tcp_ports, &p.listener.udp_ports}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  if (c.read_bytes == 0 || c.read_bytes > 65536) return Status::InvalidArgument("--read-bytes: use 1 to 65536");
  if (c.read_ms == 0 || c.read_ms > 600000) return Status::InvalidArgument("--read-ms: use 1 to 600000");
  if (c.max_open == 0 || c.max_open > 1000000) return Status::InvalidArgument("--max-open: use 1 to 1000000");
  if (c.retain_days > 36500) return Status::InvalidArgument("--retain-days: use 0 (keep) to 36500");
  if (c.retain_mib > (1u << 22)) return Status::InvalidArgument("--retain-mib: use 0 (no limit) to 4194304");
  if (c.capture_buffer_mb == 0 || c.capture_buffer_mb > 1024)
    return Status::InvalidArgument("--capture-buffer: use 1 to 1024 (MiB)");
  if (!c.stealth && (!c.interface.empty() || Given(o, "--capture-buffer")))
    return Status::InvalidArgument("--interface and --capture-buffer apply to --stealth only");
  if (c.stealth && !c.bind.empty()) return Status::InvalidArgument("--bind does not apply to --stealth (nothing is bound)");
  p.listener.read_bytes = c.read_bytes;
  p.listener.read_ms = c.read_ms;
  p.listener.max_open = c.max_open;
  auto ignore = ParseIgnore(c.ignore);
  if (!ignore.ok()) return ignore.status();
  p.ignore = std::move(*ignore);
  auto allow = ParseCidrs("--allow", c.allow);
  if (!allow.ok()) return allow.status();
  p.allow = std::move(*allow);
  if (c.block && geteuid() != 0) return Status::InvalidArgument("--block needs root (nft, CAP_NET_ADMIN)");
  if (c.block && (c.block_timeout == 0 || c.block_timeout > 86400 * 365))
    return Status::InvalidArgument("--block-timeout: use 1 to 31536000 seconds");
  if (!c.block && !c.allow.empty()) return Status::InvalidArgument("--allow lists sources --block never blocks: give --block too");
  // Every bound port is watched: one probe is an alert.
  detect::Config& d = p.settings.detect;
  d.watched_tcp_ports.insert(d.watched_tcp_ports.end(), p.listener.tcp_ports.begin(), p.listener.tcp_ports.end());
  d.watched_udp_ports.insert(d.watched_udp_ports.end(), p.listener.udp_ports.begin(), p.listener.udp_ports.end());
  if (Status s = d.Validate(); !s.ok()) return s;
  p.db = c.db.empty() ? store::DefaultDatabasePath() : c.db;
  if (geteuid() == 0) p.user = c.user.empty() ? canary::DefaultUnprivilegedUser() : c.user;
  // Before any file is made: a user it cannot become leaves nothing behind.
  if (!p.user.empty())
    if (Status s = canary::CheckUser(p.user); !s.ok()) return Status::InvalidArgument("--user: " + s.message());
  if (Status s = CheckHeld(p.listener, *snap); !s.ok()) return s;
  return p;
}

// Removes portscope's nftables table when RunCanary returns, however it returns.
struct BlockTable {
  BlockTable() = default;
  BlockTable(const BlockTable&) = delete;
  ~BlockTable() {
    if (Status s = canary::RemoveTable(); !s.ok()) Note("--block: " + s.message());
  }
};

// The --allow entries that are single addresses, for an accept rule ahead
// of the block sets (belt and braces: the Blocker never adds any of them).
std::vector<IpAddress> AllowedHosts(const std::vector<Cidr>& allow) {
  std::vector<IpAddress> out;
  for (const Cidr& a : allow)
    if (a.first() == a.last()) out.push_back(a.first());
  return out;
}

// Runs portscope-canary-notify with this process's arguments (same PID).
// Runs the helper in this process's place with this command's arguments
// (`argv` as the command line gave them, argv[0] first).
int ExecNotifyHelper(const std::vector<std::string>& argv) {
  const std::string helper = FindHelper("portscope-canary-notify");
  if (helper.empty())
    return Fail(kExitIo, "--webhook needs portscope-canary-notify installed beside portscope (build target portscope-canary-notify)");
  if (argv.empty()) return Fail(kExitIo, "--webhook: this command's arguments were not kept (a bug)");
  std::vector<std::string> args = argv;
  args[0] = helper;
  return ExecHelper(std::move(args));
}


int Exit(const Status& s) {
  return Fail(s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIo, s.message());
}

}  // namespace

void AddCanaryCommand(CLI::App* app, CanaryOptions* o) {
  CLI::App* c = app->add_subcommand("canary", "Watch unused ports: record every probe, never answer, recognise scans");
  o->app = c;
  CanarySettings& f = o->flags;
  c->add_option("--ports", f.ports,
                "ports to watch: lists and ranges, TCP and UDP (2202,2244,40000-40010); /tcp or /udp after an item "
                "watches one protocol (2244/tcp,40000-40010/udp)");
  c->add_option("--unassigned", f.unassigned,
                "also watch N ports IANA leaves unassigned that nothing here holds (TCP and UDP)")
      ->check(CLI::Range(1, 65535));
  c->add_option("--seed", f.seed, "seed for --unassigned's choice (same seed, same ports)");
  c->add_option("--bind", f.bind, "address to bind (default: every address, IPv6 and IPv4)");
  c->add_option("--db", f.db,
                "the canary's database (default: $PORTSCOPE_DB, else /var/lib/portscope/canary.db as root, else "
                "$XDG_STATE_HOME/portscope/canary.db or ~/.local/state/portscope/canary.db)");
  c->add_option("--json", f.json, "also write events and alerts as JSON lines (ECS) to FILE, - for stdout");
  c->add_flag("--syslog", f.syslog, "also send events and alerts to syslog (RFC 5424, /dev/log)");
  c->add_option("--syslog-to", f.syslog_to, "syslog target: /dev/log, unix:PATH, udp:HOST:PORT (implies --syslog)");
  c->add_option("--read-bytes", f.read_bytes, "first bytes kept per connection or datagram (default 256)");
  c->add_option("--read-ms", f.read_ms, "how long a connection may take to send them, ms (default 2000)");
  c->add_option("--max-open", f.max_open, "connections held open at once; past it the oldest is closed (default 4096)");
  c->add_option("--retain-days", f.retain_days,
                "the database keeps events and scans this many days (default 30, 0: forever)");
  c->add_option("--retain-mib", f.retain_mib,
                "past this size the database drops its oldest events first (default 1024, 0: no limit)");
  c->add_option("--ignore", o->ignore_args,
                "sources recorded but never alerted on: addresses and CIDR blocks, comma-separated, repeatable");
  c->add_option("--user", f.user, "user to run as after binding (default as root: nobody)");
  c->add_option("--sensor", f.sensor, "this canary's name in events and alerts (default: the hostname)");
  c->add_option("--webhook", f.webhook, "POST a JSON notification per scan (start, and end) to this http(s) URL");
  c->add_option("--webhook-template", f.webhook_template,
                "body: generic (the schema of `portscope alerts --json`), slack or teams (default generic)");
  c->add_option("--webhook-rate", f.webhook_rate,
                "notifications per minute at most; past it one digest of what was held (default 10, 0: no cap)");
  c->add_option("--webhook-ca", f.webhook_ca, "PEM file of the CAs that verify an https receiver (default: the system's)");
  c->add_flag("--block", f.block, "add scanning sources to an nftables set that drops their packets (root; off by default)");
  c->add_option("--block-timeout", f.block_timeout, "how long a block lasts, seconds (default 3600)");
  c->add_option("--allow", o->allow_args,
                "sources --block never blocks: addresses and CIDR blocks, comma-separated, repeatable");
  c->add_option("--config", o->config_file, "TOML file: [canary] takes every flag above, [detect] the thresholds");
  c->add_flag("--check-config", o->check_config, "check the config and flags, print what would be watched, exit");
  c->add_flag("--quiet", f.quiet, "no start-up line and no alert lines on stderr (errors still)");
  c->add_flag("--stealth", f.stealth,
              "bind nothing: drop packets to the ports with an nftables table and capture them (root: CAP_NET_ADMIN, "
              "CAP_NET_RAW); scanners see the ports filtered");
  c->add_option("--interface", f.interface, "--stealth: interface to capture on (default: any)");
  c->add_option("--capture-buffer", f.capture_buffer_mb, "--stealth: kernel capture buffer, MiB (default 32)");
  c->footer(
      "Connect mode: binds the ports, accepts every connection, keeps its first bytes, never writes a\n"
      "byte, closes with RST; records UDP datagrams, never replies. Every probe is an event in the\n"
      "database (read it with `portscope events`, `alerts`, `report`); a probe of a watched port is an\n"
      "alert at once, one line each on stderr. A port something else holds is refused, never taken.\n\n"
      "Stealth mode (--stealth): binds nothing. An nftables table of portscope's own (inet portscope)\n"
      "drops every packet to the watched ports, so the host sends no SYN-ACK, RST or ICMP and scanners\n"
      "see the ports filtered; libpcap captures the probes before netfilter drops them. A small\n"
      "supervisor keeps CAP_NET_ADMIN to remove the table when the canary exits (the canary itself keeps\n"
      "only CAP_NET_RAW); a table left by a crash is removed at the next start.\n\n"
      "Signals: SIGTERM/SIGINT write what is queued and exit 0. SIGHUP reopens the --json file (after\n"
      "logrotate) and reloads the config file's [detect] thresholds and [canary] ignore list (flags\n"
      "given on the command line keep their values); ports, bind, read limits, db and user need a restart.\n\n"
      "--webhook: one notification per scan when it starts and at most one when it ends, at most\n"
      "--webhook-rate per minute (the rest in one digest), retried while the receiver is down.\n"
      "--block: adds scanners to an nftables set (table inet portscope) that drops them for\n"
      "--block-timeout seconds; --allow and --ignore sources are never blocked.\n\n"
      "Examples:\n"
      "  portscope canary --ports 2202,2244,40000-40010\n"
      "  portscope canary --unassigned 20 --seed 7 --json /var/log/portscope/canary.json\n"
      "  portscope canary --ports 2244 --webhook https://hooks.slack.com/services/... --webhook-template slack\n"
      "  portscope canary --ports 2244 --block --allow 192.0.2.10,10.1.0.0/16\n"
      "  portscope canary --stealth --ports 2202,2244 --interface eth0\n"
      "  portscope canary --config /etc/portscope/canary.toml --check-config");
}

int RunCanary(const CanaryOptions& o, const registry::Registry& reg) {
  auto settings = LoadSettings(o);
  if (!settings.ok()) return Exit(settings.status());
  // Without the notify library, hand over to the helper before any other
  // work: it does all of it again, as this same process.
  if (!settings->canary.webhook.empty() && !g_webhook_factory) return ExecNotifyHelper(o.argv);
  sockets::Query q;
  q.listening_only = true;
  auto snap = sockets::TakeSnapshot(q);
  if (!snap.ok()) return Fail(kExitIo, "cannot read the socket table: " + snap.status().message());
  auto plan = MakePlan(o, std::move(*settings), reg, &*snap);
  if (!plan.ok()) return Exit(plan.status());
  const CanarySettings& c = plan->settings.canary;
  const std::string sensor = c.sensor.empty() ? Hostname() : c.sensor;
  const std::string interface = c.interface.empty() ? "any" : c.interface;
  // Names from the config (interface, db, user) are escaped wherever they are printed.
  const std::string shown_user = EscapeForTerminal(plan->user);
  const std::string where = c.stealth ? "interface " + EscapeForTerminal(interface) + " (stealth: capture, nftables drop)"
                            : plan->listener.bind_address ? plan->listener.bind_address->ToString()
                                                          : "every address";
  auto list = [](const std::vector<uint16_t>& v) { return v.empty() ? std::string("none") : PortRuns(v); };
  auto retention = [&] {
    std::string age = c.retain_days ? fmt::format("{} days", c.retain_days) : "forever";
    std::string size = c.retain_mib ? fmt::format("{} MiB", c.retain_mib) : "no size limit";
    return "kept " + age + ", " + size;
  };
  const std::string summary = fmt::format("{} tcp ({}) and {} udp ({}) on {}; db {} ({})",
                                          plan->listener.tcp_ports.size(), list(plan->listener.tcp_ports),
                                          plan->listener.udp_ports.size(), list(plan->listener.udp_ports), where,
                                          EscapeForTerminal(plan->db), retention());
  WebhookSettings ws{c.webhook, c.webhook_template, c.webhook_rate, c.webhook_ca};
  std::string extras;
  if (!c.webhook.empty()) {
    auto checked = g_webhook_factory(ws, true);
    if (!checked.ok()) return Exit(checked.status());
    extras += "; webhook " + checked->description;
  }
  if (c.block)
    extras += fmt::format("; blocking scanners for {} s ({} allowed)", c.block_timeout, plan->allow.size());
  if (o.check_config) {
    std::printf("config ok: would watch %s%s%s\n", summary.c_str(), extras.c_str(),
                plan->user.empty() ? "" : (", running as " + shown_user).c_str());
    return kExitOk;
  }

  if (c.stealth) {
    // The supervisor owns the nftables table and returns here, once the
    // canary (its child) has ended and the table is gone.
    canary::NftRules rules;
    rules.drop_tcp = plan->listener.tcp_ports;
    rules.drop_udp = plan->listener.udp_ports;
    // --block's sets; no accept rules for --allow here: they would come
    // before the drops and let the host answer those sources (the Blocker
    // never blocks them anyway).
    rules.block_sets = c.block;
    std::fflush(nullptr);
    auto supervised = canary::SuperviseStealth(rules, [](const std::string& m) { Note(m); });
    if (!supervised.ok()) return Fail(kExitIo, "--stealth: " + supervised.status().message());
    if (supervised->has_value()) return **supervised;
  }

  // Sinks, opened as root: the database first (the primary one).
  std::vector<std::unique_ptr<store::Sink>> sinks;
  std::vector<std::string> owned_paths = MissingDirs(plan->db);
  store::OpenOptions oo;
  oo.write = true;
  oo.create = true;
  oo.move_aside_damaged = true;
  oo.sensor = sensor;
  oo.version = PORTSCOPE_VERSION;
  oo.max_payload = c.read_bytes;
  oo.retention.max_age_s = uint64_t{c.retain_days} * 86400;
  oo.retention.max_bytes = uint64_t{c.retain_mib} << 20;
  auto db = store::Database::Open(plan->db, oo);
  if (!db.ok()) return Fail(kExitIo, db.status().message());
  for (const auto& w : (*db)->warnings()) Note(w);
  sinks.push_back(std::move(*db));
  for (const char* suffix : {"", "-wal", "-shm"}) owned_paths.push_back(plan->db + suffix);
  if (!c.json.empty()) {
    auto json = store::JsonLinesSink::Open(c.json, store::EcsOptions{.hostname = sensor});
    if (!json.ok()) return Fail(kExitIo, "--json: " + json.status().message());
    sinks.push_back(std::move(*json));
    if (c.json != "-") owned_paths.push_back(c.json);
  }
  if (c.syslog) {
    store::SyslogOptions so;
    so.target = c.syslog_to.empty() ? "/dev/log" : c.syslog_to;
    auto sys = store::SyslogSink::Open(so);
    if (!sys.ok()) return Fail(kExitIo, "--syslog: " + sys.status().message());
    sinks.push_back(std::move(*sys));
  }

  // Stealth: the capture, opened while still root.
  std::unique_ptr<canary::StealthFeed> feed;
  if (c.stealth) {
    packet::LiveCaptureOptions lo;
    lo.interface = interface;
    lo.tcp_ports = plan->listener.tcp_ports;
    lo.udp_ports = plan->listener.udp_ports;
    lo.payload_bytes = c.read_bytes;
    lo.buffer_bytes = c.capture_buffer_mb << 20;
    auto opened = canary::StealthFeed::Open(lo);
    if (!opened.ok()) return Exit(opened.status());
    feed = std::move(*opened);
  }

  canary::DaemonOptions d;
  d.listener = plan->listener;
  if (c.stealth) {
    d.listener.tcp_ports.clear();  // bind nothing; read_bytes still caps stored payloads
    d.listener.udp_ports.clear();
  }
  d.config.detect = plan->settings.detect;
  d.config.ignore = plan->ignore;
  d.sensor = sensor;
  d.registry = &reg;
  d.log = [](const std::string& m) { Note(m); };
  if (!o.config_file.empty()) {
    // SIGHUP: the file again, with the same flags and the ports in use.
    const canary::ListenerOptions ports = plan->listener;
    d.reload = [&o, ports]() -> Result<canary::ReloadableConfig> {
      auto s = LoadSettings(o);
      if (!s.ok()) return s.status();
      auto ignore = ParseIgnore(s->canary.ignore);
      if (!ignore.ok()) return ignore.status();
      canary::ReloadableConfig r;
      r.detect = s->detect;
      r.detect.watched_tcp_ports.insert(r.detect.watched_tcp_ports.end(), ports.tcp_ports.begin(), ports.tcp_ports.end());
      r.detect.watched_udp_ports.insert(r.detect.watched_udp_ports.end(), ports.udp_ports.begin(), ports.udp_ports.end());
      if (Status st = r.detect.Validate(); !st.ok()) return st;
      r.ignore = std::move(*ignore);
      return r;
    };
  }
  auto daemon = canary::Daemon::Create(std::move(d), std::move(sinks));
  if (!daemon.ok()) {
    // Between the check and the bind something took a port: name it now.
    sockets::Query again;
    again.listening_only = true;
    if (auto s = sockets::TakeSnapshot(again); s.ok())
      if (Status held = CheckHeld(plan->listener, *s); !held.ok()) return Exit(held);
    return Exit(daemon.status());
  }
  if (feed)
    if (Status s = feed->Attach(daemon->get(), [](const std::string& m) { Note(m); }); !s.ok()) return Exit(s);
  StderrAlerts stderr_alerts;
  if (!c.quiet) (*daemon)->AddAlertListener(&stderr_alerts);

  // --block: portscope's nftables table with the block sets, made as root
  // (a leftover from a crash goes first) and removed at exit. In stealth
  // mode the supervisor's table has them.
  std::optional<BlockTable> block_table;
  if (c.block && !c.stealth) {
    canary::NftRules rules;
    rules.block_sets = true;
    rules.allow = AllowedHosts(plan->allow);
    if (auto leftover = canary::RemoveLeftoverTable(); !leftover.ok()) return Exit(leftover.status());
    if (Status s = canary::InstallTable(rules); !s.ok()) return Fail(kExitIo, "--block: " + s.message());
    block_table.emplace();
  }

  if (!plan->user.empty()) {
    if (Status s = canary::GiveToUser(owned_paths, plan->user); !s.ok()) return Exit(s);
    // --block keeps CAP_NET_ADMIN: nft runs after the drop.
    if (Status s = canary::DropPrivileges(canary::DropTo{plan->user, c.stealth, c.block}); !s.ok()) return Exit(s);
  }
  // Listeners with threads start after the drop: a thread keeps the
  // capabilities it started with.
  std::unique_ptr<canary::Blocker> blocker;
  if (c.block) {
    canary::BlockOptions bo;
    bo.timeout_s = c.block_timeout;
    bo.allow = plan->allow;
    // Not bo.ignore: the Daemon keeps ignored sources from the engine, so
    // they raise no alert, and its list follows SIGHUP reloads (a copy here
    // would not).
    blocker = std::make_unique<canary::Blocker>(bo);
    (*daemon)->AddAlertListener(blocker.get());
  }
  WebhookListener webhook;
  if (!c.webhook.empty()) {
    auto made = g_webhook_factory(ws, false);
    if (!made.ok()) return Exit(made.status());
    webhook = std::move(*made);
    (*daemon)->AddAlertListener(webhook.listener.get());
  }
  if (c.stealth)
    if (Status s = canary::FollowSupervisor(); !s.ok()) return Exit(s);
  if (!c.quiet)
    std::fprintf(stderr, "portscope: canary watching %s%s%s; pid %d%s\n", summary.c_str(), extras.c_str(),
                 plan->user.empty() ? "" : (", as " + shown_user).c_str(), static_cast<int>(getpid()),
                 c.stealth ? fmt::format(" (supervisor {})", getppid()).c_str() : "");
  Status run = (*daemon)->Run();
  if (feed && !c.quiet) {
    // What a flood cost, in counters that add up: captured probes = probes
    // handled; events = accepted + dropped; accepted = committed +
    // summarized (+ lost to a failing sink).
    if (auto st = feed->Stats(); st.ok()) Note(canary::DescribeCaptureStats(EscapeForTerminal(interface), *st));
    const canary::DaemonStats ds = (*daemon)->stats();
    const store::WriterStats ws = (*daemon)->writer_stats();
    Note(fmt::format("daemon: {} probes handled, {} alerts; {} events: {} accepted ({} committed, {} summarized, {} "
                     "lost), {} dropped (queue full); {} alerts dropped; {} budget sources evicted; {} summaries "
                     "({} probes) dropped (writer behind)",
                     ds.packet_probes, ds.alerts, ds.events, ws.counters.events_enqueued, ws.events_committed,
                     ws.counters.events_summarized, ws.events_lost, ws.counters.events_dropped,
                     ws.counters.alerts_dropped, ws.counters.sources_evicted, ws.summaries_dropped,
                     ws.summary_probes_dropped));
    const detect::Counters ec = (*daemon)->engine_counters();
    Note(fmt::format("engine: {} probes, {} sources created, {} expired, {} evicted (table full), {} dropped; {} flows "
                     "evicted, {} dropped; {} scans started, {} evicted; alerts {} started, {} deferred, {} dropped",
                     ec.probes, ec.sources_created, ec.sources_expired, ec.sources_evicted, ec.sources_dropped,
                     ec.flows_evicted, ec.flows_dropped, ec.scans_started, ec.scans_evicted, ec.alerts_started,
                     ec.alerts_deferred, ec.alerts_dropped));
  }
  daemon->reset();  // no alert comes after this: the listeners may go
  if (!c.quiet && blocker) {
    auto b = blocker->stats();
    Note(fmt::format("--block: {} sources blocked, {} failed{}, {} allowlisted, {} dropped (queue full)", b.blocked,
                     b.failed, b.last_error.empty() ? "" : " (" + EscapeForTerminal(b.last_error.substr(0, 400)) + ")",
                     b.skipped_allowed,
                     b.dropped_queue_full));
  }
  blocker.reset();
  if (webhook.finish) {
    std::string line = webhook.finish();  // delivers what it still can (a bounded wait)
    if (!c.quiet) Note(line);
  }
  webhook.listener.reset();
  if (!run.ok()) return Fail(kExitIo, run.message());
  return kExitOk;
}

void SetWebhookFactory(WebhookFactory f) { g_webhook_factory = f; }

}  // namespace portscope::cli
