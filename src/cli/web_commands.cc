#include "cli/web_commands.h"

#include "cli/store_commands.h"

#include <limits.h>
#include <unistd.h>

#include "cli/cli11.h"
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/text.h"

namespace portscope::cli {
CLI::App* AddServeCommand(CLI::App* app, ServeOptions* o) {
  CLI::App* serve = app->add_subcommand("serve", "Serve the port reference site, its JSON API and /metrics");
  serve->add_option("--listen", o->listen,
                    "ADDR:PORT to listen on (default 127.0.0.1:8244; IPv6 as [::1]:8244; port 0 picks one)");
  serve->add_option("--token-file", o->token_file,
                    "File holding the token clients must present; required for any non-loopback address");
  AddDbOption(serve, &o->db);
  serve->footer(
      "Pages: /, /ports/N, /ports/A-B, /search?q=, /canary (the canary's dashboard). JSON: /api/ports/N,\n"
      "/api/ports/A-B, /api/search?q=, /api/events, /api/alerts, /api/report (the schemas of --json,\n"
      "docs/json.md; filters since, until, source, port, kind as in `portscope events`). Prometheus: /metrics. Read-only; stops on Ctrl-C or SIGTERM.\n"
      "With a token, clients send `Authorization: Bearer TOKEN`; a browser asks for a user name (any) and\n"
      "a password (the token).\n\n"
      "Examples:\n  portscope serve\n  portscope serve --listen [::1]:8244\n"
      "  head -c 24 /dev/urandom | base64 | tr '+/' '-_' > token && portscope serve --listen 0.0.0.0:8244 --token-file token");
  return serve;
}

int RunServe(const ServeOptions& o) {
  const std::string helper = FindHelper("portscope-serve");
  if (helper.empty())
    return Fail(kExitIo, "serve needs portscope-serve installed beside portscope (build target portscope-serve)");
  std::vector<std::string> args = {helper, "serve", "--listen", o.listen};
  if (!o.token_file.empty()) {
    args.push_back("--token-file");
    args.push_back(o.token_file);
  }
  if (!o.db.empty()) {
    args.push_back("--db");
    args.push_back(o.db);
  }
  return ExecHelper(std::move(args));
}

}  // namespace portscope::cli
