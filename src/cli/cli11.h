// CLI11, without the start-up cost of <iostream>.
//
// CLI11's headers include <iostream>. With GCC 12's libstdc++ (linked
// statically here), every translation unit that includes it carries a static
// std::ios_base::Init, which builds the standard streams and the classic
// locale (~90k instructions and a dozen page faults) before main() runs,
// even for `portscope 22/tcp`, which never touches a stream. Here the stream
// objects are declared as libstdc++'s <iostream> declares them, minus that
// static object, and InitIostreams() constructs it on the paths that do use
// streams (everything that parses arguments with CLI11). GCC 13's libstdc++
// does the same thing itself.
//
// Call InitIostreams() before any use of std::cin/cout/cerr/clog in a
// translation unit that includes this header.
#ifndef PORTSCOPE_CLI_CLI11_H_
#define PORTSCOPE_CLI_CLI11_H_

#include <istream>
#include <ostream>

#if defined(__GLIBCXX__) && !defined(_GLIBCXX_IOSTREAM)
#define _GLIBCXX_IOSTREAM 1
namespace std {
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
extern wistream wcin;
extern wostream wcout;
extern wostream wcerr;
extern wostream wclog;
}  // namespace std
#else
#include <iostream>
#endif

#include <CLI/CLI.hpp>

namespace portscope::cli {

/// Constructs the standard streams once (what <iostream>'s static object
/// would have done at start-up). Cheap after the first call.
inline void InitIostreams() {
  static const std::ios_base::Init init;
  (void)init;
}

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_CLI11_H_
