// The web server's vocabulary, free of the HTTP library: a request as a
// handler sees it, the response it returns, and the route table that maps
// path patterns to handlers.
//
// More pages join by registering routes (the canary dashboard will add
// "/canary", "/api/events" and "/api/alerts"); the server applies access
// control, method and size checks, security headers and metrics to every
// route alike, so a handler only turns a request into a response.
#ifndef PORTSCOPE_WEB_ROUTER_H_
#define PORTSCOPE_WEB_ROUTER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portscope::web {

using Params = std::multimap<std::string, std::string>;

struct Request {
  std::string_view method;  // "GET" or "HEAD": the server answers nothing else
  std::string_view path;    // percent-decoded, without the query
  const Params* params = nullptr;  // decoded query parameters; never null when served
  /// Values of the route's {placeholders}, in order.
  std::vector<std::string_view> captures;
  /// The If-None-Match header, for conditional requests of static files.
  std::string_view if_none_match;

  /// The first value of query parameter `name`, if present.
  std::optional<std::string_view> Param(std::string_view name) const;
  /// True for /api/ paths: errors are JSON there, HTML elsewhere.
  bool api() const { return path.starts_with("/api/"); }
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  /// Empty: "no-store" (pages carry live data). Static assets set their own.
  std::string cache_control;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  struct Route {
    std::string pattern;  // e.g. "/ports/{spec}"; also the metrics label
    Handler handler;
    std::vector<std::string> segments;  // the pattern split at '/'
  };
  struct Match {
    const Route* route;
    std::vector<std::string_view> captures;  // views into the matched path
  };

  /// Adds a route. A pattern is a path whose segments are literal or a
  /// {name} placeholder matching one non-empty segment. Routes are tried in
  /// the order added. REQUIRES: not called while requests are served.
  void Add(std::string pattern, Handler handler);
  std::optional<Match> Find(std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

  /// Renders error responses (404, 400, 401, ...) for HTML and /api paths.
  using ErrorPage = std::function<Response(const Request&, int status, std::string_view message)>;
  void SetErrorPage(ErrorPage page) { error_page_ = std::move(page); }
  Response Error(const Request& req, int status, std::string_view message) const;

 private:
  std::vector<Route> routes_;
  ErrorPage error_page_;
};

/// "Not Found" for 404 and the like; "Error" for codes it does not know.
std::string_view StatusText(int status);

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_ROUTER_H_
