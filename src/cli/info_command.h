// `portscope PORT...` (also `portscope info PORT...`): one card per port,
// with what holds it here. Kept apart from the rest of the CLI, without
// CLI11, so that the `portscope` binary people run for a lookup is small:
// it runs TryFastInfo and execs portscope-cli for anything else
// (front_main.cc). Start-up is most of a lookup's cost (bench/RESULTS.md).
#ifndef PORTSCOPE_CLI_INFO_COMMAND_H_
#define PORTSCOPE_CLI_INFO_COMMAND_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/common.h"
#include "registry/registry.h"
#include "registry/user_layers.h"

namespace portscope::cli {

/// The registry with the user's imported layers; warns once about damaged ones.
class LoadedRegistry {
 public:
  LoadedRegistry();
  const registry::Registry& get() const { return reg_; }

 private:
  registry::UserLayers user_;
  registry::Registry reg_;
};

/// `portscope info ARGS...`: ARGS are port specs, or "-" for stdin.
int RunInfo(const Common& common, const std::vector<std::string>& args);

/// The names of portscope's subcommands (anything else first is a port).
bool IsSubcommand(std::string_view a);

/// `portscope --json who 2244` means `portscope who --json 2244`: the
/// options every command takes (--json, --color) may come before the
/// command's name, which is moved to the front.
void HoistSubcommand(std::vector<std::string>& args);
/// argv names no subcommand nor --help/--version: it means `portscope info ...`.
bool ImpliesInfo(const std::vector<std::string>& args);

/// `portscope PORT... [--json] [--color WHEN]` run directly: the exit code,
/// or nullopt when `args` (argv) is anything else, for CLI11 to parse.
std::optional<int> TryFastInfo(const std::vector<std::string>& args);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_INFO_COMMAND_H_
