// `portscope canary`: the daemon that watches unused ports (connect mode),
// records every probe in the store and raises scan alerts. Flags here; the
// loop is canary::Daemon.
#ifndef PORTSCOPE_CLI_CANARY_COMMAND_H_
#define PORTSCOPE_CLI_CANARY_COMMAND_H_

#include <string>
#include <vector>

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
  // Which flags were given (they override the config file).
  CLI::App* app = nullptr;
};

void AddCanaryCommand(CLI::App* app, CanaryOptions* o);
int RunCanary(const CanaryOptions& o, const registry::Registry& reg);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_CANARY_COMMAND_H_
