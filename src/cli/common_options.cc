// Common's CLI11 options, apart from common.cc so that the `portscope` front
// binary (info_command.h) links no CLI11.
#include "cli/cli11.h"
#include "cli/common.h"

namespace portscope::cli {

void Common::Add(CLI::App* app) {
  app->add_flag("--json", json, "Print JSON (schema: docs/json.md)");
  app->add_option("--color", color, "Colour: auto (on a terminal, unless NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

}  // namespace portscope::cli
