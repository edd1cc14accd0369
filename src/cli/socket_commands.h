// `portscope who` and `portscope listening`: the sockets of this machine.
#ifndef PORTSCOPE_CLI_SOCKET_COMMANDS_H_
#define PORTSCOPE_CLI_SOCKET_COMMANDS_H_

#include <string>

#include "cli/common.h"
#include "registry/registry.h"

namespace portscope::cli {

struct WhoOptions {
  Common common;
  std::string port;
  bool all_netns = false;
};

struct ListeningOptions {
  Common common;
  bool unassigned = false;
  bool exposed = false;
  bool all = false;
  bool all_netns = false;
  bool tcp_only = false;
  bool udp_only = false;
  double watch_seconds = 0;  // 0: print once
  int count = 0;             // --watch rounds; 0: until interrupted
};

void AddWhoCommand(CLI::App* app, WhoOptions* o);
void AddListeningCommand(CLI::App* app, ListeningOptions* o);
int RunWho(const WhoOptions& o, const registry::Registry& reg);
int RunListening(const ListeningOptions& o, const registry::Registry& reg);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_SOCKET_COMMANDS_H_
