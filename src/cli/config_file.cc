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

Status LoadDetectConfigText(std::string_view text, const std::string& origin, detect::Config* c) {
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const auto& err = parsed.error();
    return Status::InvalidArgument(origin + ":" + std::to_string(err.source().begin.line) + ": " +
                                   std::string(err.description()));
  }
  const toml::table& root = parsed.table();
  const toml::table* detect = root["detect"].as_table();
  if (!detect) return Status::Ok();
  auto bad = [&](const std::string& key, const std::string& why) {
    return Status::InvalidArgument(origin + ": [detect] " + key + ": " + why);
  };
  for (const auto& [k, node] : *detect) {
    const std::string key(k.str());
    auto as_count = [&](uint32_t* out) -> Status {
      auto v = node.value<int64_t>();
      if (!v || *v < 0 || *v > 0xFFFFFFFFll) return bad(key, "expected a whole number >= 0");
      *out = static_cast<uint32_t>(*v);
      return Status::Ok();
    };
    auto as_duration = [&](uint64_t* out) -> Status {
      if (auto s = node.value<std::string>()) {
        auto d = ParseDurationUs(*s);
        if (!d.ok()) return bad(key, d.status().message());
        *out = *d;
        return Status::Ok();
      }
      if (auto v = node.value<int64_t>(); v && *v >= 0) {
        *out = static_cast<uint64_t>(*v) * 1'000'000;
        return Status::Ok();
      }
      return bad(key, "expected a duration such as \"5s\"");
    };
    auto as_ports = [&](std::vector<uint16_t>* out) -> Status {
      const toml::array* arr = node.as_array();
      if (!arr) return bad(key, "expected a list of ports");
      out->clear();
      for (const auto& e : *arr) {
        auto v = e.value<int64_t>();
        if (!v || *v < 0 || *v > 65535) return bad(key, "ports are numbers 0-65535");
        out->push_back(static_cast<uint16_t>(*v));
      }
      return Status::Ok();
    };
    Status s = Status::Ok();
    if (key == "fast_window") s = as_duration(&c->fast.window_us);
    else if (key == "fast_ports") s = as_count(&c->fast.min_ports);
    else if (key == "fast_hosts") s = as_count(&c->fast.min_hosts);
    else if (key == "slow_window") s = as_duration(&c->slow.window_us);
    else if (key == "slow_ports") s = as_count(&c->slow.min_ports);
    else if (key == "slow_hosts") s = as_count(&c->slow.min_hosts);
    else if (key == "answer_timeout") s = as_duration(&c->answer_timeout_us);
    else if (key == "scan_end_idle") s = as_duration(&c->scan_end_idle_us);
    else if (key == "max_sources") s = as_count(&c->max_sources);
    else if (key == "max_flows") s = as_count(&c->max_flows);
    else if (key == "max_scans") s = as_count(&c->max_scans);
    else if (key == "watched_tcp") s = as_ports(&c->watched_tcp_ports);
    else if (key == "watched_udp") s = as_ports(&c->watched_udp_ports);
    else if (key == "trw") {
      auto v = node.value<bool>();
      if (!v) s = bad(key, "expected true or false");
      else c->trw.enabled = *v;
    } else {
      s = bad(key, "unknown key");
    }
    if (!s.ok()) return s;
  }
  return c->Validate();
}

Status LoadDetectConfig(const std::string& path, detect::Config* config) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read config file " + EscapeForTerminal(path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return LoadDetectConfigText(ss.str(), path, config);
}

}  // namespace portscope::cli
