// The TOML config file shared by `analyze` and `canary`. Each section maps
// onto the options of one module; an unknown key or a value of the wrong type
// is an error naming it (a typo must never silently change what is watched).
//
//   [detect]
//   fast_window = "5s"      fast_ports = 6     fast_hosts = 6
//   slow_window = "4h"      slow_ports = 10    slow_hosts = 10
//   answer_timeout = "3s"   scan_end_idle = "60s"
//   max_sources = 65536     max_flows = 262144
//   trw = true              watched_tcp = [2202, 2244]   watched_udp = [2244]
#ifndef PORTSCOPE_CLI_CONFIG_FILE_H_
#define PORTSCOPE_CLI_CONFIG_FILE_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "detect/config.h"

namespace portscope::cli {

/// "250ms", "5s", "10m", "4h", "1d", or a plain number of seconds.
Result<uint64_t> ParseDurationUs(std::string_view text);

/// Reads the [detect] section of `path` into `*config` (fields not named keep
/// their values). Other sections are left to their owners.
Status LoadDetectConfig(const std::string& path, detect::Config* config);
/// The same from TOML text (tests).
Status LoadDetectConfigText(std::string_view text, const std::string& origin, detect::Config* config);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_CONFIG_FILE_H_
