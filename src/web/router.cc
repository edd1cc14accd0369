#include "web/router.h"

#include <fmt/format.h>

#include "base/text.h"

namespace portscope::web {

std::optional<std::string_view> Request::Param(std::string_view name) const {
  if (!params) return std::nullopt;
  auto it = params->find(std::string(name));
  if (it == params->end()) return std::nullopt;
  return std::string_view(it->second);
}

void Router::Add(std::string pattern, Handler handler) {
  std::vector<std::string> segments;
  for (auto s : Split(pattern, '/')) segments.emplace_back(s);
  routes_.push_back({std::move(pattern), std::move(handler), std::move(segments)});
}

std::optional<Router::Match> Router::Find(std::string_view path) const {
  const auto want = Split(path, '/');
  for (const Route& r : routes_) {
    const auto& have = r.segments;
    if (have.size() != want.size()) continue;
    Match m{&r, {}};
    bool ok = true;
    for (size_t i = 0; i < have.size() && ok; ++i) {
      if (have[i].size() > 2 && have[i].front() == '{' && have[i].back() == '}') {
        ok = !want[i].empty();
        m.captures.push_back(want[i]);
      } else {
        ok = have[i] == want[i];
      }
    }
    if (ok) return m;
  }
  return std::nullopt;
}

Response Router::Error(const Request& req, int status, std::string_view message) const {
  if (error_page_) return error_page_(req, status, message);
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = fmt::format("{} {}\n{}\n", status, StatusText(status), message);
  return r;
}

std::string_view StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Error";
}

}  // namespace portscope::web
