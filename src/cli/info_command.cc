// `portscope PORT...`: the port card, and the fast path that runs it without
// CLI11 (info_command.h).
#include "cli/info_command.h"

#include <stdio.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/text.h"
#include "cli/output.h"
#include "cli/port_spec.h"
#include "cli/socket_output.h"
#include "registry/registry.h"
#include "report/port_json.h"
#include "sockets/socket_table.h"

namespace portscope::cli {

using registry::PortRef;
using registry::Proto;
using registry::Registry;

LoadedRegistry::LoadedRegistry()
    : user_(registry::UserLayers::Load(registry::UserRegistryDir())), reg_(user_.views()) {
  for (const auto& w : user_.warnings()) std::fprintf(stderr, "portscope: warning: %s\n", w.c_str());
}

namespace {

// Reads port specs from stdin, one or more per line (commas or spaces).
// Blank lines and '#' comments are skipped, as in /etc/services: a pipeline
// such as `awk '{print $7}' log | sort -un | portscope -` yields an empty
// line for every log line without that field.
Result<std::vector<PortQuery>> ReadStdinSpecs() {
  std::vector<PortQuery> out;
  // C stdio, not iostreams: this file is part of the small `portscope`
  // front binary, which stays free of <iostream>'s start-up cost.
  char* buf = nullptr;
  size_t cap = 0;
  size_t number = 0;
  struct Free {
    char** p;
    ~Free() { std::free(*p); }
  } free_buf{&buf};
  for (ssize_t n; (n = getline(&buf, &cap, stdin)) >= 0;) {
    ++number;
    std::string_view l(buf, static_cast<size_t>(n));
    l = Trim(l.substr(0, l.find('#')));
    for (auto word : SplitWhitespace(l)) {
      auto q = ParsePortSpec(word);
      if (!q.ok()) return Status::InvalidArgument("stdin line " + std::to_string(number) + ": " + q.status().message());
      out.insert(out.end(), q->begin(), q->end());
    }
  }
  if (out.empty()) return Status::InvalidArgument("no ports on stdin");
  return out;
}

Result<std::vector<PortQuery>> CollectQueries(const std::vector<std::string>& args) {
  std::vector<PortQuery> all;
  for (const auto& a : args) {
    Result<std::vector<PortQuery>> q = a == "-" ? ReadStdinSpecs() : ParsePortSpec(a);
    if (!q.ok()) return q.status();
    all.insert(all.end(), q->begin(), q->end());
  }
  return all;
}

}  // namespace

int RunInfo(const Common& common, const std::vector<std::string>& args) {
  if (args.empty()) return Fail(kExitUsage, "give at least one port, e.g. `portscope 2244` (see --help)");
  auto queries = CollectQueries(args);
  if (!queries.ok()) return Fail(kExitUsage, queries.status().message());
  LoadedRegistry loaded;
  const Registry& reg = loaded.get();
  const Style style = common.MakeStyle();
  // What holds the ports here now: one snapshot for the whole command, the
  // port filter in the kernel when there is a single port.
  // Listeners only: the kernel then skips its table of connections, so the
  // line costs little even on a machine with tens of thousands of them.
  sockets::Query here_query;
  here_query.listening_only = true;
  if (queries->size() == 1 && queries->front().lo == queries->front().hi) here_query.port = queries->front().lo;
  // Only the protocols asked about: `22/tcp` needs no UDP dumps.
  if (std::all_of(queries->begin(), queries->end(), [](const PortQuery& q) { return q.proto.has_value(); })) {
    here_query.tcp = std::any_of(queries->begin(), queries->end(), [](const PortQuery& q) { return *q.proto == Proto::kTcp; });
    here_query.udp = std::any_of(queries->begin(), queries->end(), [](const PortQuery& q) { return *q.proto == Proto::kUdp; });
  }
  auto here = sockets::TakeSnapshot(here_query);
  // Output is streamed: `portscope --json 0-65535` must not hold 260k objects.
  std::vector<const registry::LayerView*> used;
  std::string out = common.json ? "[\n" : "";
  bool first = true;
  for (const PortQuery& q : *queries) {
    for (uint32_t port = q.lo; port <= q.hi; ++port) {
      std::vector<Proto> protos = q.proto ? std::vector<Proto>{*q.proto}
                                          : reg.DefaultProtos(static_cast<uint16_t>(port));
      for (Proto p : protos) {
        registry::PortFacts f = reg.Lookup(PortRef{static_cast<uint16_t>(port), p});
        if (common.json) {
          if (!first) out += ",\n";
          auto j = PortJson(f);
          if (here.ok()) {
            j["here"] = nlohmann::ordered_json::array();
            for (const auto& s : here->sockets)
              if (s.local_port == port && s.proto == p) j["here"].push_back(SocketJson(*here, s, reg));
          } else {
            j["here"] = nullptr;
          }
          out += j.dump(2);
        } else {
          for (const auto* l : f.sources())
            if (std::find(used.begin(), used.end(), l) == used.end()) used.push_back(l);
          if (!first) out += '\n';
          std::string here_line = here.ok() ? RenderHere(*here, f.ref, style)
                                            : "unknown (" + here.status().message() + ")";
          out += RenderCard(f, style, here_line);
        }
        first = false;
        if (out.size() > (1 << 16)) {
          Print(out);
          out.clear();
        }
      }
    }
  }
  out += common.json ? "\n]\n" : "\n" + RenderLegend(used, style);
  Print(out);
  return kExitOk;
}

namespace {

// `portscope PORT...` is the command people type most, and CLI11's set-up of
// the whole command table costs more instructions than the lookup itself (about
// 300k of 660k, bench/RESULTS.md). When every argument is a port spec or one of
// info's own flags, run it directly; anything else goes through CLI11.
std::optional<int> FastInfo(const std::vector<std::string>& args) {
  Common common;
  std::vector<std::string> ports;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      common.json = true;
    } else if (a.starts_with("--color=")) {
      common.color = a.substr(8);
    } else if (a == "--color" && i + 1 < args.size()) {
      common.color = args[++i];
    } else if (!a.empty() && (a[0] >= '0' && a[0] <= '9')) {
      ports.push_back(a);
    } else {
      return std::nullopt;
    }
  }
  if (ports.empty() || (common.color != "auto" && common.color != "always" && common.color != "never"))
    return std::nullopt;
  return RunInfo(common, ports);
}

}  // namespace

bool IsSubcommand(std::string_view a) {
  return a == "info" || a == "page" || a == "search" || a == "db" || a == "help" || a == "who" ||
         a == "listening" || a == "analyze" || a == "events" || a == "alerts" || a == "report" || a == "serve" || a == "canary";
}

void HoistSubcommand(std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json" || a.starts_with("--color=")) continue;
    if (a == "--color") {
      ++i;  // its value
      continue;
    }
    if (i > 1 && IsSubcommand(a)) {
      const auto at = args.begin() + static_cast<std::ptrdiff_t>(i);
      std::rotate(args.begin() + 1, at, at + 1);
    }
    return;
  }
}

bool ImpliesInfo(const std::vector<std::string>& args) {
  return args.size() >= 2 && !IsSubcommand(args[1]) && args[1] != "-h" && args[1] != "--help" &&
         args[1] != "--version";
}

std::optional<int> TryFastInfo(const std::vector<std::string>& args) {
  if (!ImpliesInfo(args)) return std::nullopt;
  return FastInfo(args);
}

}  // namespace portscope::cli
