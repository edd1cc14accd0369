// Human and JSON renderings of registry facts. Owns wording and layout only;
// every fact comes from registry/.
#ifndef PORTSCOPE_CLI_OUTPUT_H_
#define PORTSCOPE_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/page.h"
#include "registry/registry.h"
#include "report/port_json.h"

namespace portscope::cli {

struct Style {
  bool color = false;
  std::string bold(std::string_view s) const;
  std::string dim(std::string_view s) const;
  std::string red(std::string_view s) const;
  std::string green(std::string_view s) const;
  std::string yellow(std::string_view s) const;
};

/// Short tag for a source in human output, e.g. "[iana]".
std::string SourceTag(const registry::LayerView* l);
// The JSON objects and source titles live in report/ (shared with web/).
using report::PortJson;
using report::SourceJson;
using report::SourceTitle;

/// `here`: what holds the port on this machine now (empty: not looked at).
std::string RenderCard(const registry::PortFacts& f, const Style& style, const std::string& here = {});
/// One line per source tag used, printed once after the cards.
std::string RenderLegend(const std::vector<const registry::LayerView*>& used, const Style& style);
std::string RenderArticle(const registry::Article& a, const Style& style, size_t width);

}  // namespace portscope::cli

#endif  // PORTSCOPE_CLI_OUTPUT_H_
