#include "web/layout.h"

#include <fmt/format.h>

#include "base/html.h"
#include "registry/page.h"
#include "web/assets.h"

#ifndef PORTSCOPE_VERSION
#define PORTSCOPE_VERSION "dev"
#endif

namespace portscope::web {

using registry::LayerView;
using registry::SourceKind;

namespace {

std::string_view TagKey(SourceKind k) {
  switch (k) {
    case SourceKind::kIana: return "iana";
    case SourceKind::kNmap: return "nmap";
    case SourceKind::kEtcServices: return "services";
    case SourceKind::kCurated: return "curated";
  }
  return "source";
}

}  // namespace

std::string SourceTagHtml(const LayerView* l) {
  if (!l) return "";
  const std::string_view k = TagKey(l->kind);
  return fmt::format("<a class=\"tag\" href=\"#src-{}\" title=\"{}\">[{}]</a>", k,
                     HtmlEscape(registry::SourceLabel(l)), k);
}

std::string StatusBadge(registry::IanaStatus s) {
  const std::string_view k = registry::IanaStatusKey(s);
  return fmt::format("<span class=\"badge {}\">{}</span>", k, k);
}

std::string ProseHtml(std::string_view text) {
  std::string out;
  bool code = false;
  size_t start = 0;
  for (;;) {
    const size_t tick = text.find('`', start);
    const std::string_view part = text.substr(start, tick == std::string_view::npos ? text.npos : tick - start);
    // An unpaired backtick is shown as it is.
    if (tick == std::string_view::npos && code) out += '`';
    if (code && tick != std::string_view::npos) out += "<code>";
    AppendHtmlEscaped(part, &out);
    if (code && tick != std::string_view::npos) out += "</code>";
    if (tick == std::string_view::npos) break;
    code = !code;
    start = tick + 1;
  }
  return out;
}

Layout::Layout(const registry::Registry& reg) {
  end_ = "</main>\n<footer>\n<p>Every fact on these pages names its source:</p>\n<ul class=\"sources\">\n";
  for (const LayerView* l : reg.layers())
    end_ += fmt::format("<li id=\"src-{}\"><span class=\"tag\">[{}]</span> {}</li>\n", TagKey(l->kind),
                        TagKey(l->kind), HtmlEscape(registry::SourceLabel(l)));
  end_ += "<li>RFC 6335, section 6: the System, User and Dynamic port ranges</li>\n</ul>\n";
  end_ += fmt::format(
      "<p>portscope {} &middot; <a href=\"/\">home</a> &middot; JSON API: "
      "<code>/api/ports/{{n}}</code>, <code>/api/ports/{{a}}-{{b}}</code>, <code>/api/search?q=</code>, "
      "<code>/api/events</code>, <code>/api/alerts</code>, <code>/api/report</code> "
      "&middot; <a href=\"/metrics\">metrics</a></p>\n</footer>\n</body>\n</html>\n",
      PORTSCOPE_VERSION);
}

std::string Layout::Start(const PageMeta& meta) const {
  const std::string_view v = AssetsVersion();
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  AppendHtmlEscaped(meta.title, &out);
  out += "</title>\n";
  if (!meta.description.empty())
    out += "<meta name=\"description\" content=\"" + HtmlEscape(meta.description) + "\">\n";
  out += fmt::format(
      "<link rel=\"stylesheet\" href=\"/static/app.css?v={0}\">\n"
      "<link rel=\"icon\" href=\"/static/favicon.svg?v={0}\" type=\"image/svg+xml\">\n"
      "<script src=\"/static/app.js?v={0}\" defer></script>\n",
      v);
  for (std::string_view css : meta.styles) out += fmt::format("<link rel=\"stylesheet\" href=\"{}?v={}\">\n", css, v);
  for (std::string_view js : meta.scripts) out += fmt::format("<script src=\"{}?v={}\" defer></script>\n", js, v);
  out +=
      "</head>\n<body>\n"
      "<header class=\"top\">\n<a class=\"brand\" href=\"/\">portscope</a>\n"
      "<nav><a href=\"/canary\">canary</a></nav>\n"
      "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">\n"
      "<input type=\"search\" name=\"q\" aria-label=\"Search ports\" maxlength=\"200\" "
      "placeholder=\"port, name, description or RFC\" value=\"";
  AppendHtmlEscaped(meta.search_value, &out);
  out += "\">\n<button type=\"submit\">Search</button>\n</form>\n</header>\n<main>\n";
  return out;
}

}  // namespace portscope::web
