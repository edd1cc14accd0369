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
//
//   [canary]                # `portscope canary`: one key per flag (see its --help)
//   ports = "2202,2244,40000-40010/tcp"   unassigned = 0   seed = 1
//   bind = "0.0.0.0"        db = "/var/lib/portscope/canary.db"
//   json = "/var/log/portscope/canary.json"   syslog = false   syslog_to = "/dev/log"
//   read_bytes = 256        read_ms = 2000    max_open = 4096
//   ignore = ["10.0.0.0/8"] user = "nobody"   sensor = "dmz-1"   quiet = false
//   webhook = "https://hooks.slack.com/services/..."   webhook_template = "slack"
//   webhook_rate = 10       webhook_ca = ""
//   block = false           block_timeout = 3600   allow = ["192.0.2.10", "10.1.0.0/16"]
//   stealth = false         interface = "any" capture_buffer_mb = 32
//   retain_days = 30        retain_mib = 1024   # the database's retention (0: no limit)
#ifndef PORTSCOPE_CLI_CONFIG_FILE_H_
#define PORTSCOPE_CLI_CONFIG_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

/// The [canary] section: `portscope canary`'s flags, by the same names
/// (dashes become underscores). Values are checked for type and range here;
/// their meaning (ports, addresses) where the flags are checked.
struct CanarySettings {
  std::string ports;         // a --ports spec
  uint32_t unassigned = 0;
  uint64_t seed = 0;
  std::string bind;
  std::string db;
  std::string json;
  bool syslog = false;
  std::string syslog_to;
  uint32_t read_bytes = 256;
  uint32_t read_ms = 2000;
  uint32_t max_open = 4096;
  std::vector<std::string> ignore;  // addresses and CIDR blocks
  std::string user;
  std::string sensor;
  bool quiet = false;
  std::string webhook;                      // URL; "" for none
  std::string webhook_template = "generic"; // generic, slack, teams
  uint32_t webhook_rate = 10;               // notifications per minute, 0 for no cap
  std::string webhook_ca;                   // PEM CA file for an https receiver
  bool block = false;
  uint32_t block_timeout = 3600;            // seconds
  std::vector<std::string> allow;           // never blocked: addresses and CIDR blocks
  bool stealth = false;            // capture + nftables drop instead of binding
  std::string interface;           // stealth: capture interface ("" = any)
  uint32_t capture_buffer_mb = 32; // stealth: kernel capture ring, MiB
  uint32_t retain_days = 30;       // events and scans older than this go; 0: kept forever
  uint32_t retain_mib = 1024;      // past this size the oldest events go; 0: no limit
};

/// Reads [detect] and [canary] from `path` (fields not named keep their
/// values). Any other section, or an unknown key, is an error naming it.
Status LoadCanaryConfig(const std::string& path, detect::Config* detect, CanarySettings* canary);
Status LoadCanaryConfigText(std::string_view text, const std::string& origin, detect::Config* detect,
                            CanarySettings* canary);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_CONFIG_FILE_H_
