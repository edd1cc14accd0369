// The portscope command line: subcommands, flags, exit codes.
//
// Exit codes: 0 success; 1 a search or lookup that found nothing; 2 bad input
// (arguments, files); 3 an I/O failure (a file that cannot be written).
#ifndef PORTSCOPE_CLI_COMMANDS_H_
#define PORTSCOPE_CLI_COMMANDS_H_

namespace portscope::cli {

int Main(int argc, char** argv);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_COMMANDS_H_
