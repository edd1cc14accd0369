// `portscope`: answers `portscope PORT...` itself and execs portscope-cli,
// with the same arguments and PID, for everything else (CMakeLists.txt says
// why there are two binaries).
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/info_command.h"

int main(int argc, char** argv) {
  using namespace portscope::cli;
  std::vector<std::string> args(argv, argv + argc);
  HoistSubcommand(args);
  if (auto code = TryFastInfo(args)) return *code;
  std::string cli = FindHelper("portscope-cli");
  if (cli.empty())
    return Fail(kExitIo, "portscope-cli not found beside portscope or in ../libexec/portscope (a broken install)");
  args[0] = cli;
  return ExecHelper(std::move(args));
}
