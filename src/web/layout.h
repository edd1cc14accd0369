// The frame every HTML page shares (head, header with the search box, footer
// naming the data sources) and small fragments the pages have in common.
// Everything that comes from a source file or a request is escaped here or by
// the caller with HtmlEscape; nothing inline is scripted or styled (the
// Content-Security-Policy allows neither).
#ifndef PORTSCOPE_WEB_LAYOUT_H_
#define PORTSCOPE_WEB_LAYOUT_H_

#include <string>
#include <string_view>
#include <vector>

#include "registry/registry.h"

namespace portscope::web {

struct PageMeta {
  std::string title;          // plain text; escaped by the layout
  std::string description;    // plain text for <meta name=description>; may be empty
  std::string search_value;   // pre-fills the header's search box
  /// More /static/ files this page loads (after app.css and app.js), linked
  /// with the assets' version.
  std::vector<std::string_view> styles = {}, scripts = {};
};

class Layout {
 public:
  /// REQUIRES: `registry` outlives the Layout.
  explicit Layout(const registry::Registry& registry);
  /// Doctype to the opening <main>.
  std::string Start(const PageMeta& meta) const;
  /// Closing </main>, footer, end of document.
  const std::string& End() const { return end_; }

 private:
  std::string end_;
};

/// "[iana]" linking to the source's entry in the footer.
std::string SourceTagHtml(const registry::LayerView* l);
/// <span class="badge assigned">assigned</span> and the like.
std::string StatusBadge(registry::IanaStatus s);
/// Escaped text in which `code spans` become <code> elements.
std::string ProseHtml(std::string_view text);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_LAYOUT_H_
