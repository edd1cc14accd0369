#include "cli/common.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/text.h"

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

std::string FindHelper(const std::string& name) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  std::string dir(self, static_cast<size_t>(n));
  dir.erase(dir.rfind('/'));
  for (const std::string& candidate : {dir + "/" + name, dir + "/../libexec/portscope/" + name})
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  return "";
}

int ExecHelper(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  execv(args[0].c_str(), argv.data());
  return Fail(kExitIo, "cannot run " + EscapeForTerminal(args[0]) + ": " + std::strerror(errno));
}

}  // namespace portscope::cli
