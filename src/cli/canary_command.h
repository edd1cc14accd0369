// `portscope canary`: the daemon that watches unused ports (connect mode),
// records every probe in the store and raises scan alerts. Flags here; the
// loop is canary::Daemon.
#ifndef PORTSCOPE_CLI_CANARY_COMMAND_H_
#define PORTSCOPE_CLI_CANARY_COMMAND_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "canary/alert_listener.h"

#include "cli/common.h"
#include "cli/config_file.h"
#include "registry/registry.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace portscope::cli {

struct CanaryOptions {
  std::string config_file;
  bool check_config = false;
  CanarySettings flags;                 // values given on the command line
  std::vector<std::string> ignore_args;  // --ignore, each a comma-separated list
  std::vector<std::string> allow_args;   // --allow, likewise
  // Which flags were given (they override the config file).
  CLI::App* app = nullptr;
  // The whole command line, argv[0] first: --webhook hands it to
  // portscope-canary-notify.
  std::vector<std::string> argv;
};

/// --webhook's settings, for the factory below.
struct WebhookSettings {
  std::string url;
  std::string template_name;
  uint32_t rate_per_minute = 10;
  std::string ca_file;
};
struct WebhookListener {
  std::unique_ptr<canary::AlertListener> listener;  // null when only checked
  /// After the daemon stopped: waits a little for what is queued, then
  /// returns the counters in one line. Before `listener` is destroyed.
  std::function<std::string()> finish;
  std::string description;                          // "https://hooks.slack.com:443/… (slack, 10/min)"
};
/// Makes the webhook listener (check_only: validates, starts nothing). Set
/// only in portscope-canary-notify, the helper that links the notify library:
/// cpp-httplib's OpenSSL, zlib and brotli would make every `portscope`
/// command slower to start (web_commands.h). Without it, a canary given a
/// webhook execs that helper with the same arguments (same PID).
using WebhookFactory = Result<WebhookListener> (*)(const WebhookSettings& s, bool check_only);
void SetWebhookFactory(WebhookFactory f);

void AddCanaryCommand(CLI::App* app, CanaryOptions* o);
int RunCanary(const CanaryOptions& o, const registry::Registry& reg);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_CANARY_COMMAND_H_
