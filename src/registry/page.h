// The explanatory article about one port (`portscope page`, and later the web
// pages), generated from the registry's facts. Every sentence is built from a
// fact and names its source, or is a general statement backed by RFC 6335;
// where the data is silent the text says so instead of guessing.
#ifndef PORTSCOPE_REGISTRY_PAGE_H_
#define PORTSCOPE_REGISTRY_PAGE_H_

#include <string>
#include <vector>

#include "registry/registry.h"

namespace portscope::registry {

/// A shell command that shows who holds a port on one operating system.
struct HolderCommand {
  std::string os;  // "Linux", "macOS", "Windows"
  std::string command;
  std::string note;  // e.g. "needs root to see other users' processes"
};
/// Commands for `ref`, most useful first; none for an OS without a tool for
/// it, and none for port 0 (kPortZeroHolders says why).
std::vector<HolderCommand> HolderCommands(PortRef ref);
/// What to say of port 0 instead of commands: `sport = :0`, `-iTCP:0` and
/// `findstr :0` match sockets that hold no port yet, or every line.
inline constexpr const char* kPortZeroHolders =
    "nothing can: port 0 is reserved, and a program that binds it is given a free port instead";

struct Paragraph {
  std::string text;
  std::vector<std::string> code;  // command lines shown verbatim after the text
};

struct Section {
  std::string heading;
  std::vector<Paragraph> paragraphs;
};

struct Article {
  uint16_t port;
  std::string title;
  std::vector<Section> sections;
};

Article BuildArticle(const Registry& registry, uint16_t port);

/// "IANA port registry, Wireshark's copy (libwireshark-data 4.0.17, 2024-08-28)";
/// "no source" for null.
std::string SourceLabel(const LayerView* l);

/// "tcp and udp", "tcp, udp and sctp" (or "TCP and UDP" when `upper`).
std::string JoinProtos(const std::vector<Proto>& protos, bool upper = false);

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_PAGE_H_
