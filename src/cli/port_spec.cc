#include "cli/port_spec.h"

#include <algorithm>
#include <string>

#include "base/text.h"

namespace portscope::cli {
namespace {

Result<uint16_t> ParsePort(std::string_view s, std::string_view item) {
  if (s.empty()) return Status::InvalidArgument("missing port number in '" + EscapeForTerminal(item) + "'");
  bool digits = true;
  for (char c : s) digits &= (c >= '0' && c <= '9');
  if (!digits)
    return Status::InvalidArgument("invalid port '" + EscapeForTerminal(s) +
                                   "': a port is a number from 0 to 65535");
  auto v = ParseUint(s, 65535);
  if (!v)
    return Status::InvalidArgument("port " + EscapeForTerminal(s) +
                                   " is out of range: ports are 0 to 65535");
  return static_cast<uint16_t>(*v);
}

}  // namespace

Result<std::vector<PortQuery>> ParsePortSpec(std::string_view spec) {
  std::vector<PortQuery> out;
  if (Trim(spec).empty()) return Status::InvalidArgument("empty port: give a port such as 2244 or 22/tcp");
  for (std::string_view item : Split(spec, ',')) {
    item = Trim(item);
    if (item.empty())
      return Status::InvalidArgument("empty item in port list '" + EscapeForTerminal(spec) + "'");
    PortQuery q{};
    std::string_view ports = item;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view proto = item.substr(slash + 1);
      auto p = registry::ParseProto(proto);
      if (!p)
        return Status::InvalidArgument("unknown protocol '" + EscapeForTerminal(proto) +
                                       "' in '" + EscapeForTerminal(item) +
                                       "': use tcp, udp, sctp or dccp");
      q.proto = p;
      ports = item.substr(0, slash);
    }
    if (ports.starts_with('-'))
      return Status::InvalidArgument("invalid port '" + EscapeForTerminal(ports) +
                                     "': ports are 0 to 65535, never negative");
    auto dash = ports.find('-');
    auto lo = ParsePort(ports.substr(0, dash), item);
    if (!lo.ok()) return lo.status();
    q.lo = q.hi = *lo;
    if (dash != std::string_view::npos) {
      auto hi = ParsePort(ports.substr(dash + 1), item);
      if (!hi.ok()) return hi.status();
      if (*hi < *lo)
        return Status::InvalidArgument("range " + EscapeForTerminal(ports) +
                                       " runs backwards: write the lower port first");
      q.hi = *hi;
    }
    out.push_back(q);
  }
  return out;
}

Result<WatchPorts> ParseWatchPorts(std::string_view spec) {
  auto queries = ParsePortSpec(spec);
  if (!queries.ok()) return queries.status();
  WatchPorts w;
  for (const PortQuery& q : *queries) {
    if (q.proto && *q.proto != registry::Proto::kTcp && *q.proto != registry::Proto::kUdp)
      return Status::InvalidArgument("the canary watches tcp and udp ports only, not " +
                                     std::string(registry::ProtoName(*q.proto)));
    for (uint32_t p = q.lo; p <= q.hi; ++p) {
      if (!q.proto || *q.proto == registry::Proto::kTcp) w.tcp.push_back(static_cast<uint16_t>(p));
      if (!q.proto || *q.proto == registry::Proto::kUdp) w.udp.push_back(static_cast<uint16_t>(p));
    }
  }
  for (auto* v : {&w.tcp, &w.udp}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return w;
}

}  // namespace portscope::cli
