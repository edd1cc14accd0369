#include "cli/common.h"

#include <unistd.h>

#include "cli/cli11.h"
#include <cstdio>
#include <cstdlib>

namespace portscope::cli {

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "portscope: %s\n", message.c_str());
  return code;
}

void Print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

void Note(const std::string& message) { std::fprintf(stderr, "portscope: note: %s\n", message.c_str()); }

Style Common::MakeStyle() const {
  if (json || color == "never") return Style{false};
  if (color == "always") return Style{true};
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  bool dumb = term && std::string_view(term) == "dumb";
  return Style{isatty(STDOUT_FILENO) && !(no_color && *no_color) && !dumb};
}

void Common::Add(CLI::App* app) {
  app->add_flag("--json", json, "Print JSON (schema: docs/json.md)");
  app->add_option("--color", color, "Colour: auto (on a terminal, unless NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

}  // namespace portscope::cli
