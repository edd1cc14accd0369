#include "cli/commands.h"

int main(int argc, char** argv) { return portscope::cli::Main(argc, argv); }
