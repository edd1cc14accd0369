#include "cli/config_file.h"

#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "base/text.h"

namespace portscope::cli {

Result<uint64_t> ParseDurationUs(std::string_view text) {
  std::string_view t = Trim(text);
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  auto n = ParseUint(t.substr(0, digits), 0xFFFFFFFFu);
  std::string_view unit = t.substr(digits);
  uint64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1'000'000;
  else if (unit == "ms") scale = 1'000;
  else if (unit == "m") scale = 60'000'000;
  else if (unit == "h") scale = 3'600'000'000ull;
  else if (unit == "d") scale = 86'400'000'000ull;
  if (!n || scale == 0)
    return Status::InvalidArgument("bad duration '" + EscapeForTerminal(text) + "': use e.g. 500ms, 5s, 10m, 4h, 1d");
  return *n * scale;
}

namespace {

Result<toml::table> ParseToml(std::string_view text, const std::string& origin) {
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const auto& err = parsed.error();
    return Status::InvalidArgument(origin + ":" + std::to_string(err.source().begin.line) + ": " +
                                   std::string(err.description()));
  }
  return std::move(parsed).table();
}

Result<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read config file " + EscapeForTerminal(path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Typed reads of one key's value; each error names the section and key.
class KeyReader {
 public:
  KeyReader(const std::string& origin, std::string_view section, std::string key, const toml::node& node)
      : origin_(origin), section_(section), key_(std::move(key)), node_(node) {}
  const std::string& key() const { return key_; }

  Status Bad(const std::string& why) const {
    // The path and a quoted TOML key may hold any bytes.
    return Status::InvalidArgument(EscapeForTerminal(origin_) + ": [" + std::string(section_) + "] " +
                                   EscapeForTerminal(key_) + ": " + why);
  }
  Status Count(uint32_t* out, int64_t max = 0xFFFFFFFFll) const {
    auto v = node_.value<int64_t>();
    if (!v || *v < 0 || *v > max) return Bad("expected a whole number from 0 to " + std::to_string(max));
    *out = static_cast<uint32_t>(*v);
    return Status::Ok();
  }
  Status Count64(uint64_t* out) const {
    auto v = node_.value<int64_t>();
    if (!v || *v < 0) return Bad("expected a whole number >= 0");
    *out = static_cast<uint64_t>(*v);
    return Status::Ok();
  }
  Status Duration(uint64_t* out) const {
    if (auto s = node_.value<std::string>()) {
      auto d = ParseDurationUs(*s);
      if (!d.ok()) return Bad(d.status().message());
      *out = *d;
      return Status::Ok();
    }
    if (auto v = node_.value<int64_t>(); v && *v >= 0) {
      *out = static_cast<uint64_t>(*v) * 1'000'000;
      return Status::Ok();
    }
    return Bad("expected a duration such as \"5s\"");
  }
  Status Ports(std::vector<uint16_t>* out) const {
    const toml::array* arr = node_.as_array();
    if (!arr) return Bad("expected a list of ports");
    out->clear();
    for (const auto& e : *arr) {
      auto v = e.value<int64_t>();
      if (!v || *v < 0 || *v > 65535) return Bad("ports are numbers 0-65535");
      out->push_back(static_cast<uint16_t>(*v));
    }
    return Status::Ok();
  }
  Status Bool(bool* out) const {
    auto v = node_.value<bool>();
    if (!v) return Bad("expected true or false");
    *out = *v;
    return Status::Ok();
  }
  Status String(std::string* out) const {
    auto v = node_.value<std::string>();
    if (!v) return Bad("expected a string");
    *out = *v;
    return Status::Ok();
  }
  Status Strings(std::vector<std::string>* out) const {
    const toml::array* arr = node_.as_array();
    if (!arr) return Bad("expected a list of strings");
    out->clear();
    for (const auto& e : *arr) {
      auto v = e.value<std::string>();
      if (!v) return Bad("expected a list of strings");
      out->push_back(*v);
    }
    return Status::Ok();
  }

 private:
  const std::string& origin_;
  std::string_view section_;
  std::string key_;
  const toml::node& node_;
};

Status ReadDetectSection(const toml::table& root, const std::string& origin, detect::Config* c) {
  const toml::table* detect = root["detect"].as_table();
  if (!detect) return Status::Ok();
  for (const auto& [k, node] : *detect) {
    KeyReader r(origin, "detect", std::string(k.str()), node);
    const std::string& key = r.key();
    Status s = Status::Ok();
    if (key == "fast_window") s = r.Duration(&c->fast.window_us);
    else if (key == "fast_ports") s = r.Count(&c->fast.min_ports);
    else if (key == "fast_hosts") s = r.Count(&c->fast.min_hosts);
    else if (key == "slow_window") s = r.Duration(&c->slow.window_us);
    else if (key == "slow_ports") s = r.Count(&c->slow.min_ports);
    else if (key == "slow_hosts") s = r.Count(&c->slow.min_hosts);
    else if (key == "answer_timeout") s = r.Duration(&c->answer_timeout_us);
    else if (key == "scan_end_idle") s = r.Duration(&c->scan_end_idle_us);
    else if (key == "max_sources") s = r.Count(&c->max_sources);
    else if (key == "max_flows") s = r.Count(&c->max_flows);
    else if (key == "max_scans") s = r.Count(&c->max_scans);
    else if (key == "watched_tcp") s = r.Ports(&c->watched_tcp_ports);
    else if (key == "watched_udp") s = r.Ports(&c->watched_udp_ports);
    else if (key == "trw") s = r.Bool(&c->trw.enabled);
    else s = r.Bad("unknown key");
    if (!s.ok()) return s;
  }
  return c->Validate();
}

Status ReadCanarySection(const toml::table& root, const std::string& origin, CanarySettings* c) {
  const toml::node* section = root.get("canary");
  if (!section) return Status::Ok();
  const toml::table* canary = section->as_table();
  if (!canary) return Status::InvalidArgument(origin + ": canary must be a section ([canary])");
  for (const auto& [k, node] : *canary) {
    KeyReader r(origin, "canary", std::string(k.str()), node);
    const std::string& key = r.key();
    Status s = Status::Ok();
    if (key == "ports") s = r.String(&c->ports);
    else if (key == "unassigned") s = r.Count(&c->unassigned, 65535);
    else if (key == "seed") s = r.Count64(&c->seed);
    else if (key == "bind") s = r.String(&c->bind);
    else if (key == "db") s = r.String(&c->db);
    else if (key == "json") s = r.String(&c->json);
    else if (key == "syslog") s = r.Bool(&c->syslog);
    else if (key == "syslog_to") s = r.String(&c->syslog_to);
    else if (key == "read_bytes") s = r.Count(&c->read_bytes, 65536);
    else if (key == "read_ms") s = r.Count(&c->read_ms, 600000);
    else if (key == "max_open") s = r.Count(&c->max_open, 1000000);
    else if (key == "ignore") s = r.Strings(&c->ignore);
    else if (key == "user") s = r.String(&c->user);
    else if (key == "sensor") s = r.String(&c->sensor);
    else if (key == "quiet") s = r.Bool(&c->quiet);
    else if (key == "webhook") s = r.String(&c->webhook);
    else if (key == "webhook_template") s = r.String(&c->webhook_template);
    else if (key == "webhook_rate") s = r.Count(&c->webhook_rate, 100000);
    else if (key == "webhook_ca") s = r.String(&c->webhook_ca);
    else if (key == "block") s = r.Bool(&c->block);
    else if (key == "block_timeout") s = r.Count(&c->block_timeout, 86400 * 365);
    else if (key == "allow") s = r.Strings(&c->allow);
    else if (key == "stealth") s = r.Bool(&c->stealth);
    else if (key == "interface") s = r.String(&c->interface);
    else if (key == "capture_buffer_mb") s = r.Count(&c->capture_buffer_mb, 1024);
    else if (key == "retain_days") s = r.Count(&c->retain_days, 36500);
    else if (key == "retain_mib") s = r.Count(&c->retain_mib, 1u << 22);
    else s = r.Bad("unknown key");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Status LoadDetectConfigText(std::string_view text, const std::string& origin, detect::Config* c) {
  auto root = ParseToml(text, origin);
  if (!root.ok()) return root.status();
  return ReadDetectSection(*root, origin, c);
}

Status LoadCanaryConfigText(std::string_view text, const std::string& origin, detect::Config* detect,
                            CanarySettings* canary) {
  auto root = ParseToml(text, origin);
  if (!root.ok()) return root.status();
  for (const auto& [k, node] : *root)
    if (k.str() != "detect" && k.str() != "canary")
      return Status::InvalidArgument(origin + ": unknown section or key '" + EscapeForTerminal(k.str()) +
                                     "' (portscope canary reads [detect] and [canary])");
  if (Status s = ReadDetectSection(*root, origin, detect); !s.ok()) return s;
  return ReadCanarySection(*root, origin, canary);
}

Status LoadCanaryConfig(const std::string& path, detect::Config* detect, CanarySettings* canary) {
  auto text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return LoadCanaryConfigText(*text, path, detect, canary);
}

Status LoadDetectConfig(const std::string& path, detect::Config* config) {
  auto text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return LoadDetectConfigText(*text, path, config);
}

}  // namespace portscope::cli
