// HTML for one port (/ports/{n}) and for a range of ports (/ports/{a}-{b}),
// rendered from registry facts. A port page comes in two parts around its
// live "here" section, so the parts can be cached while "here" stays fresh.
#ifndef PORTSCOPE_WEB_PORT_PAGES_H_
#define PORTSCOPE_WEB_PORT_PAGES_H_

#include <cstdint>
#include <string>

#include "registry/registry.h"
#include "web/here.h"
#include "web/layout.h"

namespace portscope::web {

struct PortPageParts {
  std::string head;  // up to where the here section goes
  std::string tail;  // after it, to the end of the document
};

PortPageParts RenderPortPage(const registry::Registry& registry, const Layout& layout, uint16_t port);

/// The "Here, now" section: listening sockets on `port` in `here`, or why
/// that is unknown.
std::string RenderHereSection(const HereSnapshot& here, const registry::Registry& registry, uint16_t port);

/// REQUIRES: lo <= hi; the caller caps the size.
std::string RenderRangePage(const registry::Registry& registry, const Layout& layout, uint16_t lo,
                            uint16_t hi);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_PORT_PAGES_H_
