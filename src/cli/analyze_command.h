// `portscope analyze FILE...`: capture files through the decoders and the
// scan detector, as the canary runs them live.
#ifndef PORTSCOPE_CLI_ANALYZE_COMMAND_H_
#define PORTSCOPE_CLI_ANALYZE_COMMAND_H_

#include <string>
#include <vector>

#include "cli/common.h"
#include "registry/registry.h"

namespace portscope::cli {

struct AnalyzeOptions {
  Common common;
  std::vector<std::string> files;
  std::string config_file;
  std::string fast_window, slow_window;  // durations; "" keeps the default
  int fast_ports = -1, slow_ports = -1;  // -1 keeps the default
  std::string watch;                     // watched ports, e.g. "2202,2244/tcp"
  bool no_trw = false;
  bool no_rate_limit = false;
  bool progress = true;
};

void AddAnalyzeCommand(CLI::App* app, AnalyzeOptions* o);
int RunAnalyze(const AnalyzeOptions& o, const registry::Registry& reg);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_ANALYZE_COMMAND_H_
