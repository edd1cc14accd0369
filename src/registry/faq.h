// Questions people ask about a port, answered from the registry's facts
// alone: every answer restates what a named source says (or RFC 6335), and
// says so plainly when the sources are silent. Used by the web pages.
#ifndef PORTSCOPE_REGISTRY_FAQ_H_
#define PORTSCOPE_REGISTRY_FAQ_H_

#include <string>
#include <vector>

#include "registry/registry.h"

namespace portscope::registry {

struct FaqEntry {
  std::string question;
  std::string answer;
};

/// "Is port N assigned?", "What uses port N?", "Is it safe to block port N?",
/// "Is it safe to open port N?", in that order.
std::vector<FaqEntry> BuildFaq(const Registry& registry, uint16_t port);

}  // namespace portscope::registry

#endif  // PORTSCOPE_REGISTRY_FAQ_H_
