// HTML for the home page, the search page and error pages.
#ifndef PORTSCOPE_WEB_PAGES_H_
#define PORTSCOPE_WEB_PAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/registry.h"
#include "web/layout.h"

namespace portscope::web {

/// Figures the home page shows, computed once at start-up.
struct HomeStats {
  struct RangeRow {
    registry::RangeClass range;
    uint32_t size;
    uint32_t assigned_tcp, assigned_udp;
  };
  std::vector<RangeRow> ranges;
  struct PortName {
    uint16_t port;
    registry::Proto proto;
    std::string name;
  };
  std::vector<PortName> top_tcp, top_udp;  // nmap's most often open, by rank
  std::vector<PortName> asked;             // ports people look up (2202, 2244, ...)
};
HomeStats ComputeHomeStats(const registry::Registry& registry);

std::string RenderHomePage(const registry::Registry& registry, const Layout& layout, const HomeStats& stats);

struct SearchQuery {
  std::string text;  // as typed; may be empty (the page then shows only the form)
  std::optional<registry::Proto> proto;
  size_t limit = 20;
};
std::string RenderSearchPage(const Layout& layout, const SearchQuery& q,
                             const std::vector<registry::SearchHit>& hits);

std::string RenderErrorPage(const Layout& layout, int status, std::string_view message);

/// What a search score means, for people: "exact name or port", ...
std::string_view MatchKind(int score);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_PAGES_H_
