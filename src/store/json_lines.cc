#include "store/json_lines.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "base/text.h"
#include "store/time_text.h"

namespace portscope::store {
namespace {

using Json = nlohmann::ordered_json;

Json ObserverFor(std::string_view sensor, const EcsOptions& o) {
  Json j;
  if (!o.hostname.empty()) j["hostname"] = o.hostname;
  j["name"] = std::string(sensor);
  j["type"] = "sensor";
  j["vendor"] = "portscope";
  j["product"] = "portscope";
  return j;
}

}  // namespace

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) | (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string EscapedPreview(std::string_view bytes, size_t max_bytes) {
  return EscapeForTerminal(bytes.substr(0, std::min(bytes.size(), max_bytes)));
}

std::string TcpFlagNames(uint8_t flags) {
  static constexpr const char* kNames[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (!(flags & (1u << i))) continue;
    if (!out.empty()) out += ',';
    out += kNames[i];
  }
  return out;
}

Json EventToEcs(const Event& e, const EcsOptions& o) {
  Json j;
  j["@timestamp"] = FormatRfc3339(e.time_us);
  Json ev;
  ev["kind"] = "event";
  ev["category"] = Json::array({"network"});
  ev["type"] = Json::array({e.summary() ? "info" : "connection"});
  ev["action"] = e.action;
  ev["dataset"] = "portscope.canary";
  ev["module"] = "portscope";
  if (e.id) ev["id"] = std::to_string(e.id);
  if (e.summary()) {
    ev["start"] = FormatRfc3339(e.time_us);
    ev["end"] = FormatRfc3339(e.end_us());
  }
  j["event"] = std::move(ev);
  bool ports = (e.transport == Transport::kTcp || e.transport == Transport::kUdp) && !e.summary();
  Json src;
  src["ip"] = e.src.ToString();
  if (ports) src["port"] = e.sport;
  j["source"] = std::move(src);
  Json dst;
  if (!e.summary() || !e.dst.is_unspecified()) dst["ip"] = e.dst.ToString();
  if (ports || (e.summary() && e.distinct_ports == 1 && e.dport != 0)) dst["port"] = e.dport;
  j["destination"] = dst.empty() ? Json::object() : std::move(dst);
  Json net;
  if (e.transport != Transport::kMixed) net["transport"] = std::string(TransportName(e.transport));
  net["type"] = e.src.is_v4() ? "ipv4" : "ipv6";
  j["network"] = std::move(net);
  j["observer"] = ObserverFor(e.sensor, o);

  Json ps;
  ps["service"] = e.service.empty() ? Json(nullptr) : Json(e.service);
  if (e.transport == Transport::kTcp && !e.summary()) ps["tcp_flags"] = TcpFlagNames(e.tcp_flags);
  if (!e.summary()) {
    ps["payload"] = {{"bytes", e.payload.size()},
                     {"truncated", e.payload_truncated},
                     {"base64", Base64(e.payload)},
                     {"preview", EscapedPreview(e.payload, o.preview_bytes)},
                     {"preview_cut", e.payload.size() > o.preview_bytes}};
  } else {
    Json sm;
    sm["count"] = e.count;
    sm["first"] = FormatRfc3339(e.time_us);
    sm["last"] = FormatRfc3339(e.end_us());
    sm["distinct_ports"] = e.distinct_ports;
    Json list = Json::array();
    for (size_t i = 0; i < e.ports.size() && i < o.max_ports; ++i) list.push_back(e.ports[i]);
    sm["ports"] = std::move(list);
    ps["summary"] = std::move(sm);
  }
  j["portscope"] = std::move(ps);
  return j;
}

Json AlertToEcs(const AlertRecord& a, const EcsOptions& o) {
  Json j;
  j["@timestamp"] = FormatRfc3339(a.time_us);
  std::string phase(AlertPhaseName(a.phase));
  j["message"] = fmt::format("{} scan ({}) from {}: {} to {} on {} ({})", ScanKindName(a.kind), ScanShapeName(a.shape),
                             a.source.ToString(), CountOf(a.probes, "probe", "probes"),
                             CountOf(a.port_count, "port", "ports"), CountOf(a.host_count, "host", "hosts"), phase);
  Json ev;
  ev["kind"] = "alert";
  ev["category"] = Json::array({"intrusion_detection", "network"});
  ev["type"] = Json::array({"info"});
  ev["action"] = "port-scan-" + phase;
  ev["dataset"] = "portscope.canary";
  ev["module"] = "portscope";
  if (a.id) ev["id"] = std::to_string(a.id);
  ev["start"] = FormatRfc3339(a.first_seen_us);
  ev["end"] = FormatRfc3339(a.last_seen_us);
  j["event"] = std::move(ev);
  j["source"] = {{"ip", a.source.ToString()}};
  j["network"] = {{"type", a.source.is_v4() ? "ipv4" : "ipv6"}};
  j["rule"] = {{"name", "port scan"}, {"category", "reconnaissance"}};
  j["threat"] = {{"framework", "MITRE ATT&CK"},
                 {"technique",
                  {{"id", Json::array({"T1046"})},
                   {"name", Json::array({"Network Service Discovery"})},
                   {"reference", Json::array({"https://attack.mitre.org/techniques/T1046/"})}}}};
  j["observer"] = ObserverFor(a.sensor, o);

  Json scan;
  scan["id"] = a.scan_id;
  if (a.run_id) scan["run"] = a.run_id;
  scan["phase"] = phase;
  if (a.started_us) scan["started"] = FormatRfc3339(a.started_us);
  scan["kind"] = std::string(ScanKindName(a.kind));
  scan["shape"] = std::string(ScanShapeName(a.shape));
  scan["algorithms"] = a.algorithms;
  scan["first_seen"] = FormatRfc3339(a.first_seen_us);
  scan["last_seen"] = FormatRfc3339(a.last_seen_us);
  scan["probes"] = a.probes;
  scan["port_count"] = a.port_count;
  scan["host_count"] = a.host_count;
  scan["ports"] = a.ports;
  Json hosts = Json::array();
  for (const auto& h : a.hosts) hosts.push_back(h.ToString());
  scan["hosts"] = std::move(hosts);
  scan["evidence"] = a.evidence;
  scan["tool_hint"] = a.tool_hint.empty() ? Json(nullptr) : Json(a.tool_hint);
  scan["ended_reason"] = a.ended_reason.empty() ? Json(nullptr) : Json(a.ended_reason);
  j["portscope"] = {{"scan", std::move(scan)}};
  return j;
}

std::string DumpLine(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Result<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path, const EcsOptions& options) {
  if (path == "-") return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, stdout, options));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Status::PosixError("cannot open the JSON log " + EscapeForTerminal(path), errno);
  FILE* f = fdopen(fd, "a");
  if (!f) {
    int err = errno;
    close(fd);
    return Status::PosixError("cannot open the JSON log " + EscapeForTerminal(path), err);
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, f, options));
}

JsonLinesSink::~JsonLinesSink() {
  if (file_ && file_ != stdout) fclose(file_);
  else if (file_) fflush(file_);
}

Status JsonLinesSink::Reopen() {
  if (path_ == "-") return Status::Ok();
  auto fresh = Open(path_, options_);
  if (!fresh.ok()) return fresh.status();
  if (file_) fclose(file_);
  file_ = (*fresh)->file_;
  (*fresh)->file_ = nullptr;
  return Status::Ok();
}

Status JsonLinesSink::Write(const Batch& batch) {
  if (!file_) return Status::IoError("the JSON log is closed");
  std::string out;
  auto line = [&](const Json& j) {
    out += DumpLine(j);
    out += '\n';
  };
  for (const Event& e : batch.events) line(EventToEcs(e, options_));
  for (const Summary& s : batch.summaries)
    if (s.final && s.count > 0) line(EventToEcs(SummaryToEvent(s), options_));
  for (const AlertRecord& a : batch.alerts) line(AlertToEcs(a, options_));
  if (out.empty()) return Status::Ok();
  if (fwrite(out.data(), 1, out.size(), file_) != out.size() || fflush(file_) != 0)
    return Status::PosixError("cannot write the JSON log " + EscapeForTerminal(path_), errno);
  return Status::Ok();
}

}  // namespace portscope::store
