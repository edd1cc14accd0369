// The web pages' static files (src/web/assets/), compiled into the binary by
// tools/embed_assets.cc at build time.
#ifndef PORTSCOPE_WEB_ASSETS_H_
#define PORTSCOPE_WEB_ASSETS_H_

#include <span>
#include <string_view>

namespace portscope::web {

struct Asset {
  std::string_view path;          // URL path, e.g. "/static/app.js"
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;          // quoted hash of the body
};

std::span<const Asset> Assets();
/// A short hash of every asset: pages link "/static/app.css?v=VERSION", so a
/// new build is never served a stale cached copy.
std::string_view AssetsVersion();

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_ASSETS_H_
