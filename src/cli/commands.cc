#include "cli/commands.h"

#include <unistd.h>

#include <fmt/format.h>

#include "cli/cli11.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/text.h"
#include "cli/analyze_command.h"
#include "cli/canary_command.h"
#include "cli/common.h"
#include "cli/info_command.h"
#include "cli/output.h"
#include "cli/socket_commands.h"
#include "cli/socket_output.h"
#include "cli/store_commands.h"
#include "cli/web_commands.h"
#include "sockets/socket_table.h"
#include "cli/port_spec.h"
#include "registry/page.h"
#include "registry/registry.h"
#include "registry/user_layers.h"

#ifndef PORTSCOPE_VERSION
#define PORTSCOPE_VERSION "dev"
#endif

namespace portscope::cli {
namespace {

using registry::PortRef;
using registry::Proto;
using registry::Registry;

int RunPage(const Common& common, const std::string& arg, size_t width) {
  auto q = ParsePortSpec(arg);
  if (!q.ok()) return Fail(kExitUsage, q.status().message());
  if (q->size() == 1 && q->front().lo == q->front().hi && q->front().proto)
    return Fail(kExitUsage, fmt::format("`page` takes a port without a protocol (its page covers them all): "
                                        "`portscope page {}`",
                                        q->front().lo));
  if (q->size() != 1 || q->front().lo != q->front().hi)
    return Fail(kExitUsage, "`page` takes one port number, e.g. `portscope page 2244`");
  LoadedRegistry loaded;
  const Registry& reg = loaded.get();
  uint16_t port = q->front().lo;
  registry::Article article = registry::BuildArticle(reg, port);
  if (!common.json) {
    Print(RenderArticle(article, common.MakeStyle(), width));
    return kExitOk;
  }
  nlohmann::ordered_json art;
  art["title"] = article.title;
  art["sections"] = nlohmann::ordered_json::array();
  for (const auto& s : article.sections) {
    nlohmann::ordered_json js;
    js["heading"] = s.heading;
    js["paragraphs"] = nlohmann::ordered_json::array();
    for (const auto& p : s.paragraphs) js["paragraphs"].push_back({{"text", p.text}, {"code", p.code}});
    art["sections"].push_back(std::move(js));
  }
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (Proto p : reg.DefaultProtos(port)) {
    auto j = PortJson(reg.Lookup(PortRef{port, p}));
    j["article"] = art;
    arr.push_back(std::move(j));
  }
  Print(arr.dump(2) + "\n");
  return kExitOk;
}

int RunSearch(const Common& common, const std::string& text, const std::string& proto, size_t limit) {
  if (Trim(text).empty()) return Fail(kExitUsage, "search text is empty");
  registry::SearchOptions opts;
  opts.limit = limit;
  if (!proto.empty()) {
    opts.proto = registry::ParseProto(proto);
    if (!opts.proto)
      return Fail(kExitUsage, "unknown protocol '" + EscapeForTerminal(proto) + "': use tcp, udp, sctp or dccp");
  }
  LoadedRegistry loaded;
  const Registry& reg = loaded.get();
  auto hits = reg.Search(text, opts);
  if (common.json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& h : hits) {
      auto j = PortJson(reg.Lookup(h.ref));
      j["match"] = report::MatchJson(h);
      arr.push_back(std::move(j));
    }
    Print(arr.dump(2) + "\n");
    return hits.empty() ? kExitNotFound : kExitOk;
  }
  if (hits.empty()) {
    std::fprintf(stderr, "portscope: nothing matches \"%s\"\n", EscapeForTerminal(text).c_str());
    return kExitNotFound;
  }
  const Style style = common.MakeStyle();
  std::string out;
  for (const auto& h : hits) {
    std::string port = h.port_hi == h.ref.port ? fmt::format("{}/{}", h.ref.port, registry::ProtoName(h.ref.proto))
                                               : fmt::format("{}-{}/{}", h.ref.port, h.port_hi, registry::ProtoName(h.ref.proto));
    out += fmt::format("{:<16} {:<22} {}  {}\n", port, EscapeForTerminal(h.name),
                       EscapeForTerminal(h.description), style.dim(SourceTag(h.source)));
  }
  Print(out);
  return kExitOk;
}

int RunDbInfo(const Common& common) {
  std::string dir = registry::UserRegistryDir();
  registry::UserLayers user = registry::UserLayers::Load(dir);
  for (const auto& w : user.warnings()) std::fprintf(stderr, "portscope: warning: %s\n", w.c_str());
  Registry reg(user.views());
  auto is_user = [&](const registry::LayerView* l) {
    for (const auto& v : user.views())
      if (&v == l) return true;
    return false;
  };
  if (common.json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto* l : reg.layers()) {
      auto j = SourceJson(l);
      j["origin"] = is_user(l) ? registry::UserLayerPath(dir, l->kind) : std::string(l->origin);
      j["built_in"] = !is_user(l);
      j["services"] = l->services.size() + l->ranges.size();
      j["frequencies"] = l->frequencies.size();
      j["notes"] = l->notes.size();
      arr.push_back(std::move(j));
    }
    Print(arr.dump(2) + "\n");
    return kExitOk;
  }
  const Style style = common.MakeStyle();
  std::string out;
  for (const auto* l : reg.layers()) {
    // An imported layer's name, version and date come from the file it was made of.
    out += style.bold(fmt::format("{:<11} {}", SourceTag(l), EscapeForTerminal(l->name))) + "\n";
    out += fmt::format("            version  {}\n", l->version.empty() ? "-" : EscapeForTerminal(l->version));
    out += fmt::format("            date     {}\n", l->date.empty() ? "-" : EscapeForTerminal(l->date));
    out += fmt::format("            from     {}{}\n",
                       EscapeForTerminal(is_user(l) ? registry::UserLayerPath(dir, l->kind) : std::string(l->origin)),
                       is_user(l) ? " (imported; overrides the built-in data)" : " (built in at compile time)");
    std::vector<std::string> counts;
    if (!l->services.empty() || !l->ranges.empty())
      counts.push_back(fmt::format("{} service rows ({} ranges)", WithCommas(l->services.size() + l->ranges.size()),
                                   WithCommas(l->ranges.size())));
    if (!l->frequencies.empty()) counts.push_back(fmt::format("{} port frequencies", WithCommas(l->frequencies.size())));
    if (!l->notes.empty()) {
      size_t security = 0;
      for (const auto& n : l->notes) security += n.kind == registry::NoteKind::kSecurity;
      counts.push_back(fmt::format("{} unofficial uses, {} security notes", WithCommas(l->notes.size() - security),
                                   WithCommas(security)));
    }
    std::string joined;
    for (const auto& c : counts) joined += (joined.empty() ? "" : ", ") + c;
    out += fmt::format("            records  {}\n", joined);
  }
  out += fmt::format("user registry: {}\n", dir.empty() ? "(none: no HOME)" : dir);
  Print(out);
  return kExitOk;
}

int RunDbImport(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Fail(kExitUsage, "cannot read " + EscapeForTerminal(path) + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << (path == "-" ? std::cin.rdbuf() : file.rdbuf());
  const std::string content = ss.str();
  auto summary = registry::ImportSource(content, path, registry::UserRegistryDir());
  if (!summary.ok()) {
    int code = summary.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIo;
    return Fail(code, EscapeForTerminal(path) + ": " + summary.status().message() +
                          " (nothing was imported; the previous registry is unchanged)");
  }
  // The name and version come from the file: escaped like any other outside text.
  std::printf("imported %s rows of %s (%s) into %s\n", WithCommas(summary->rows).c_str(),
              EscapeForTerminal(summary->name).c_str(),
              summary->version.empty() ? "no version" : EscapeForTerminal(summary->version).c_str(),
              EscapeForTerminal(summary->path).c_str());
  return kExitOk;
}

int RunDbReset(const std::string& which) {
  std::optional<registry::SourceKind> kind;
  if (which == "iana") kind = registry::SourceKind::kIana;
  else if (which == "nmap") kind = registry::SourceKind::kNmap;
  else if (!which.empty()) return Fail(kExitUsage, "db reset takes iana, nmap or nothing (both)");
  auto n = registry::ResetUserLayers(registry::UserRegistryDir(), kind);
  if (!n.ok()) return Fail(kExitIo, n.status().message());
  std::printf("removed %d imported layer(s); the built-in data is in use\n", *n);
  return kExitOk;
}

}  // namespace

int Main(int argc, char** argv) {
  // `portscope 2244` means `portscope info 2244`.
  std::vector<std::string> args(argv, argv + argc);
  HoistSubcommand(args);
  if (auto code = TryFastInfo(args)) return *code;
  if (ImpliesInfo(args)) args.insert(args.begin() + 1, "info");
  InitIostreams();  // CLI11 writes help and errors to std::cout/cerr
  if (args.size() >= 2 && args[1] == "help") args[1] = "--help";
  if (args.size() >= 3 && (args[1] == "info" || args[1] == "page")) {
    for (size_t i = 2; i < args.size(); ++i) {
      const std::string& a = args[i];
      // A negative number is a bad port, not an unknown option: say so plainly.
      if (a.size() >= 2 && a[0] == '-' && a[1] >= '0' && a[1] <= '9')
        return Fail(kExitUsage, ParsePortSpec(a).status().message());
      // CLI11 would report a missing port before an unknown option.
      if (args[1] == "info" && a.starts_with("--") && a != "--json" && a != "--help" &&
          a != "--color" && !a.starts_with("--color="))
        return Fail(kExitUsage, "unknown option '" + EscapeForTerminal(a) + "' (see portscope --help)");
    }
  }

  CLI::App app{"portscope: what a port is, who holds it here, who is knocking", "portscope"};
  app.set_version_flag("--version", std::string("portscope ") + PORTSCOPE_VERSION);
  app.require_subcommand(0, 1);
  app.footer(
      "Examples:\n"
      "  portscope 2244                 what port 2244 is (tcp and udp)\n"
      "  portscope 22,80,2200-2250/tcp  several ports and ranges\n"
      "  cut -d' ' -f3 ports.txt | portscope -   ports from stdin\n"
      "  portscope page 2202            the long article about port 2202\n"
      "  portscope search postgres      find ports by name, description, RFC\n"
      "  portscope who 2244             which process holds port 2244 here\n"
      "  portscope listening --exposed  listeners not bound to loopback\n"
      "  portscope canary --ports 2244  watch unused ports: record probes, recognise scans\n"
      "  portscope events --since 1h    probes the canary recorded\n"
      "  portscope alerts               port scans it recognised\n"
      "  portscope report               top sources and ports, scan types, timeline\n"
      "  portscope db info              which data sources are in use\n"
      "  portscope serve                the same as web pages and JSON on 127.0.0.1:8244\n\n"
      "Exit status: 0 ok, 1 nothing found, 2 bad input, 3 I/O error.");

  Common info_common;
  std::vector<std::string> info_ports;
  CLI::App* info = app.add_subcommand("info", "Show the facts card for ports (the default command)");
  info->add_option("ports", info_ports, "PORT[/PROTO], lists (22,80) and ranges (2200-2250); - reads stdin")
      ->required();
  info_common.Add(info);
  info->footer("Examples:\n  portscope 2244\n  portscope info 22/tcp 53/udp\n  portscope --json 2202 | jq .");

  Common page_common;
  std::string page_port;
  size_t width = 78;
  CLI::App* page = app.add_subcommand("page", "The explanatory article about one port");
  page->add_option("port", page_port, "port number")->required();
  page->add_option("--width", width, "wrap text at this many columns")->check(CLI::Range(20, 400));
  page_common.Add(page);
  page->footer("Example:\n  portscope page 2244");

  Common search_common;
  std::string search_text, search_proto;
  size_t limit = 20;
  CLI::App* search = app.add_subcommand("search", "Find ports by service name, alias, description, assignee or RFC");
  search->add_option("text", search_text,
                    "what to look for, e.g. http, postgres, or an RFC number such as rfc4251 (RFC numbers are "
                    "in the IANA CSV's references: portscope db import it first)")
      ->required();
  search->add_option("--proto", search_proto, "only this protocol (tcp, udp, sctp, dccp)");
  search->add_option("--limit", limit, "at most this many results (default 20)")->check(CLI::Range(1, 100000));
  search_common.Add(search);
  search->footer(
      "Examples:\n  portscope search http\n  portscope search postgres\n  portscope search --proto udp --limit 5 dns\n"
      "  portscope search rfc4251      (after portscope db import service-names-port-numbers.csv)");

  WhoOptions who_options;
  AddWhoCommand(&app, &who_options);
  ListeningOptions listening_options;
  AddListeningCommand(&app, &listening_options);
  AnalyzeOptions analyze_options;
  AddAnalyzeCommand(&app, &analyze_options);
  EventsOptions events_options;
  AddEventsCommand(&app, &events_options);
  AlertsOptions alerts_options;
  AddAlertsCommand(&app, &alerts_options);
  ReportOptions report_options;
  AddReportCommand(&app, &report_options);
  ServeOptions serve_options;
  AddServeCommand(&app, &serve_options);
  CanaryOptions canary_options;
  AddCanaryCommand(&app, &canary_options);

  CLI::App* db = app.add_subcommand("db", "The registry's data sources");
  db->require_subcommand(1);
  Common db_info_common;
  CLI::App* db_info = db->add_subcommand("info", "List the sources in use, their versions, dates and record counts");
  db_info_common.Add(db_info);
  std::string import_path;
  CLI::App* db_import = db->add_subcommand("import", "Import a newer IANA CSV or nmap-services file (overrides the built-in one)");
  db_import->add_option("file", import_path, "service-names-port-numbers.csv from IANA, or nmap-services; - for stdin")->required();
  db_import->footer("Example:\n  curl -O https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv\n"
                    "  portscope db import service-names-port-numbers.csv");
  std::string reset_which;
  CLI::App* db_reset = db->add_subcommand("reset", "Remove imported sources and go back to the built-in data");
  db_reset->add_option("source", reset_which, "iana or nmap (default: both)");

  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(kExitUsage, std::string(e.what()) + " (see portscope --help)");
  }

  if (info->parsed()) return RunInfo(info_common, info_ports);
  if (page->parsed()) return RunPage(page_common, page_port, width);
  if (search->parsed()) return RunSearch(search_common, search_text, search_proto, limit);
  if (db_info->parsed()) return RunDbInfo(db_info_common);
  if (app.got_subcommand("who")) return RunWho(who_options, LoadedRegistry().get());
  if (app.got_subcommand("listening")) return RunListening(listening_options, LoadedRegistry().get());
  if (app.got_subcommand("analyze")) return RunAnalyze(analyze_options, LoadedRegistry().get());
  if (app.got_subcommand("events")) return RunEvents(events_options, LoadedRegistry().get());
  if (app.got_subcommand("alerts")) return RunAlerts(alerts_options, LoadedRegistry().get());
  if (app.got_subcommand("report")) return RunReport(report_options, LoadedRegistry().get());
  if (app.got_subcommand("serve")) return RunServe(serve_options);
  if (app.got_subcommand("canary")) {
    canary_options.argv = args;
    return RunCanary(canary_options, LoadedRegistry().get());
  }
  if (db_import->parsed()) return RunDbImport(import_path);
  if (db_reset->parsed()) return RunDbReset(reset_which);
  std::fputs(app.help().c_str(), stdout);
  return kExitOk;
}

}  // namespace portscope::cli
