// What the registry and the socket's own facts say about a socket: the
// service IANA registered on its port, and flags worth a look.
#ifndef PORTSCOPE_SOCKETS_ANNOTATE_H_
#define PORTSCOPE_SOCKETS_ANNOTATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "registry/registry.h"
#include "sockets/socket_entry.h"

namespace portscope::sockets {

struct Annotation {
  std::string_view service;  // IANA's name for the local port, "" when none
  registry::IanaStatus iana = registry::IanaStatus::kUnknown;
  registry::RangeClass range = registry::RangeClass::kSystem;
  /// "wildcard", "loopback-only", "unassigned-port", "dynamic-range", "no-process".
  std::vector<std::string_view> flags;
  /// For a wildcard socket: "all IPv4 addresses", "all IPv6 addresses and IPv4
  /// too", "all IPv6 addresses only".
  std::string_view wildcard;
  bool has(std::string_view flag) const;
};

/// The port looked up is the local port (what the socket holds).
Annotation Annotate(const SocketEntry& s, const registry::Registry& reg);

/// Text for an address as ss prints it: IPv4, "[v6]", and IPv4-mapped IPv6
/// as "[::ffff:a.b.c.d]" for AF_INET6 sockets.
std::string FormatAddress(const IpAddress& a, bool v6_socket);
/// "0.0.0.0:22", "[::1]:2244", "*:*" for an unconnected remote.
std::string FormatEndpoint(const IpAddress& a, uint16_t port, bool v6_socket);

}  // namespace portscope::sockets

#endif  // PORTSCOPE_SOCKETS_ANNOTATE_H_
