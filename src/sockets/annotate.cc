#include "sockets/annotate.h"

#include <algorithm>

namespace portscope::sockets {

bool Annotation::has(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

Annotation Annotate(const SocketEntry& s, const registry::Registry& reg) {
  Annotation a;
  auto brief = reg.LookupBrief(registry::PortRef{s.local_port, s.proto});
  a.service = brief.name;
  a.iana = brief.status;
  a.range = registry::ClassOf(s.local_port);
  if (s.local.is_unspecified()) {
    a.flags.push_back("wildcard");
    if (!s.v6) a.wildcard = "all IPv4 addresses";
    else if (s.v6only.value_or(false)) a.wildcard = "all IPv6 addresses only";
    else if (s.v6only.has_value()) a.wildcard = "all IPv6 addresses and IPv4 too";
    else a.wildcard = "all IPv6 addresses";
  } else if (s.local.is_loopback()) {
    a.flags.push_back("loopback-only");
  }
  if (brief.status == registry::IanaStatus::kUnassigned) a.flags.push_back("unassigned-port");
  if (s.listening() && a.range == registry::RangeClass::kDynamic) a.flags.push_back("dynamic-range");
  if (s.pids.empty()) a.flags.push_back("no-process");
  return a;
}

std::string FormatAddress(const IpAddress& a, bool v6_socket) {
  if (!v6_socket) return a.ToString();
  if (a.is_v4()) return "[::ffff:" + a.ToString() + "]";
  return "[" + a.ToString() + "]";
}

std::string FormatEndpoint(const IpAddress& a, uint16_t port, bool v6_socket) {
  if (port == 0 && a.is_unspecified()) return v6_socket ? "[::]:*" : "0.0.0.0:*";
  return FormatAddress(a, v6_socket) + ":" + std::to_string(port);
}

}  // namespace portscope::sockets
