#include "cli/web_commands.h"

int main(int argc, char** argv) { return portscope::cli::ServeMain(argc, argv); }
