// Human and JSON renderings of the socket table, annotated with the registry.
#ifndef PORTSCOPE_CLI_SOCKET_OUTPUT_H_
#define PORTSCOPE_CLI_SOCKET_OUTPUT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "registry/registry.h"
#include "sockets/socket_entry.h"

namespace portscope::cli {

/// The answer to "who holds this port": one paragraph per socket.
std::string RenderHolders(const sockets::Snapshot& snap, const std::vector<const sockets::SocketEntry*>& rows,
                          const registry::Registry& reg, const Style& style);
/// The `listening` table.
std::string RenderSocketTable(const sockets::Snapshot& snap, const std::vector<const sockets::SocketEntry*>& rows,
                              const registry::Registry& reg, const Style& style, bool show_netns);
/// The card's "here" line for one (port, proto).
std::string RenderHere(const sockets::Snapshot& snap, registry::PortRef ref, const Style& style);

/// {"sockets": [...], "incomplete": N, ...}; schema in docs/json.md.
nlohmann::ordered_json SocketsJson(const sockets::Snapshot& snap, const std::vector<const sockets::SocketEntry*>& rows,
                                   const registry::Registry& reg);
nlohmann::ordered_json SocketJson(const sockets::Snapshot& snap, const sockets::SocketEntry& s,
                                  const registry::Registry& reg);

/// The one-line note for users who are not root, or "" when none is due.
std::string PrivilegeNote(const sockets::Snapshot& snap);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_SOCKET_OUTPUT_H_
