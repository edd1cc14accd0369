// Pieces every subcommand shares: exit codes, error printing, output flags.
#ifndef PORTSCOPE_CLI_COMMON_H_
#define PORTSCOPE_CLI_COMMON_H_

#include <string>
#include <vector>

#include "cli/output.h"

namespace CLI {
class App;
}

namespace portscope::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNotFound = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIo = 3;

/// Prints "portscope: MESSAGE" on stderr and returns `code`.
int Fail(int code, const std::string& message);
/// Writes to stdout as is.
void Print(const std::string& s);
/// Prints "portscope: note: MESSAGE" on stderr.
void Note(const std::string& message);

/// A helper binary (portscope-serve, portscope-canary-notify) beside this
/// one, or in ../libexec/portscope/ (an installed layout); "" when neither exists.
std::string FindHelper(const std::string& name);
/// Execs args[0] with `args` (same PID); returns only on failure, as Fail(kExitIo).
int ExecHelper(std::vector<std::string> args);

/// --json and --color, which every command takes.
struct Common {
  bool json = false;
  std::string color = "auto";
  Style MakeStyle() const;
  void Add(CLI::App* app);
};

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_COMMON_H_
