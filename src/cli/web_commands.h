// `portscope serve`: the port reference site, its JSON API and /metrics.
//
// The server runs in a helper binary, portscope-serve, installed beside
// portscope: cpp-httplib comes from Debian as a shared library that pulls in
// OpenSSL, zlib and brotli, and linking those into portscope itself would
// make every `portscope PORT` start ~5x slower (5.5 ms instead of 0.9 ms,
// measured with hyperfine). So `portscope serve` parses its options here and
// execs the helper with them (same PID: scripts may signal it), and the
// helper validates them and serves.
#ifndef PORTSCOPE_CLI_WEB_COMMANDS_H_
#define PORTSCOPE_CLI_WEB_COMMANDS_H_

#include <string>

#include "cli/common.h"

namespace portscope::cli {

struct ServeOptions {
  std::string listen = "127.0.0.1:8244";
  std::string token_file;
  std::string db;  // the canary's database; "" is store::DefaultDatabasePath()
};

/// Adds the `serve` subcommand (options, help) to `app`.
CLI::App* AddServeCommand(CLI::App* app, ServeOptions* o);
/// Execs `portscope-serve serve` with `o`; returns only on failure.
int RunServe(const ServeOptions& o);

/// portscope-serve's main: parses the same options, then serves in this
/// process until SIGINT or SIGTERM.
int ServeMain(int argc, char** argv);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_WEB_COMMANDS_H_
