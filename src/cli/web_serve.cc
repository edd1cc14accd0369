// portscope-serve: `portscope serve` in a process of its own (see
// web_commands.h for why it is a separate binary).
#include <pthread.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>

#include "cli/cli11.h"
#include <atomic>
#include <cstdio>
#include <thread>

#include "base/text.h"
#include "cli/web_commands.h"
#include "registry/registry.h"
#include "registry/user_layers.h"
#include "web/auth.h"
#include "web/canary_site.h"
#include "web/metrics.h"
#include "web/router.h"
#include "web/server.h"
#include "web/site.h"

namespace portscope::cli {

int ServeMain(int argc, char** argv) {
  InitIostreams();
  CLI::App app{"portscope-serve: the server behind `portscope serve`", "portscope-serve"};
  ServeOptions o;
  AddServeCommand(&app, &o);
  app.require_subcommand(1, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(kExitUsage, std::string(e.what()) + " (see portscope serve --help)");
  }

  auto listen = web::ParseListenAddress(o.listen);
  if (!listen.ok()) return Fail(kExitUsage, listen.status().message());
  std::string token;
  if (!o.token_file.empty()) {
    auto t = web::ReadTokenFile(o.token_file);
    if (!t.ok()) return Fail(kExitUsage, t.status().message());
    token = std::move(t).value();
    struct stat st;
    if (stat(o.token_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      Note("the token file " + EscapeForTerminal(o.token_file) + " can be read by other users (chmod 600 it)");
  }
  if (!listen->loopback && token.empty())
    return Fail(kExitUsage, "refusing to listen on " + listen->ToString() +
                                " without a token: a non-loopback address needs --token-file FILE "
                                "(e.g. `head -c 24 /dev/urandom | base64 | tr '+/' '-_' > FILE`)");

  registry::UserLayers user = registry::UserLayers::Load(registry::UserRegistryDir());
  for (const auto& w : user.warnings()) std::fprintf(stderr, "portscope: warning: %s\n", w.c_str());
  const registry::Registry reg(user.views());

  // SIGINT and SIGTERM are taken by one thread with sigtimedwait, so the
  // server is stopped from ordinary code rather than from a signal handler.
  // Blocked here, before any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  web::Metrics metrics;
  web::Router router;
  web::CanaryOptions canary_options;
  canary_options.db_path = o.db;
  web::CanarySite canary(reg, &metrics, canary_options);
  web::SiteOptions site_options;
  site_options.port_section = [&canary](uint16_t port) { return canary.PortSection(port); };
  web::Site site(reg, &metrics, site_options);
  site.Register(&router);
  canary.Register(&router);
  web::ServerOptions options;
  options.listen = *listen;
  options.token = token;
  web::Server server(router, &metrics, options);
  if (Status s = server.Bind(); !s.ok())
    return Fail(s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIo, s.message());

  web::ListenAddress bound = *listen;
  bound.port = server.port();
  std::printf("portscope: serving http://%s/ (%s; Ctrl-C stops); canary database %s\n", bound.ToString().c_str(),
              token.empty() ? "loopback only, no token" : "clients need the token",
              EscapeForTerminal(canary.db_path()).c_str());
  std::fflush(stdout);

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    const timespec slice{0, 200 * 1000 * 1000};
    while (!done.load()) {
      if (sigtimedwait(&stop_signals, nullptr, &slice) > 0) {
        server.Stop();
        return;
      }
    }
  });
  Status run = server.Run();
  done = true;
  waiter.join();
  if (!run.ok()) return Fail(kExitIo, run.message());
  std::fprintf(stderr, "portscope: stopped\n");
  return kExitOk;
}

}  // namespace portscope::cli
