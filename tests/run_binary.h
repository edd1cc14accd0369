// Runs the real portscope binary for acceptance tests: argv (no shell), extra
// environment, optional stdin; captures stdout, stderr and the exit code.
#ifndef PORTSCOPE_TESTS_RUN_BINARY_H_
#define PORTSCOPE_TESTS_RUN_BINARY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace portscope::testing {

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

RunResult RunPortscope(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {},
                       const std::string& stdin_data = "");

/// ../shared/ beside the repository, or $PORTSCOPE_SHARED_DIR; "" when absent.
std::string SharedDir();
/// A fresh empty directory under the test's temp dir, removed with its contents
/// when the test process exits (PORTSCOPE_KEEP_TEST_DIRS=1 keeps it).
std::string MakeTempDir(const std::string& name);
std::string ReadFileOrDie(const std::string& path);

/// A port that binds now on 0.0.0.0 and :: for both TCP and UDP, picked at
/// random in 10000-30999, below the kernel's ephemeral range
/// (net.ipv4.ip_local_port_range), so the connections of tests running
/// beside this one cannot take it, and below the socket fixture's 31000+.
/// Aborts the test process if none is found in 200 tries.
uint16_t UnusedPort();

}  // namespace portscope::testing

#endif  // PORTSCOPE_TESTS_RUN_BINARY_H_
