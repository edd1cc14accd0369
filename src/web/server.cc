// How the caps are enforced with cpp-httplib 0.11.4, which has settings for
// timeouts, keep-alive and body size but none for the size of a request's
// head, the number of its headers, or the number of connections:
//
//  - Server::process_and_close_socket is virtual, and process_request is
//    protected: HttpServer hands each accepted socket to the EventLoop
//    (event_loop.h), which owns connections, threads and timeouts and calls
//    process_request once a request's whole head has arrived. Its stream
//    refuses to read past the head cap; httplib then answers 400, which the
//    error handler turns into 431.
//  - new_task_queue runs httplib's per-connection task on the accept thread
//    itself: the task only hands the socket over (or answers 503 when the
//    connection cap is reached), so no thread waits on a client.
//  - Every request is answered from the pre-routing handler, so httplib's
//    regex routes, file mounts and body reading are never used. Responses go
//    out through a content provider with a known length, which also keeps
//    httplib from compressing them on the fly (brotli at quality 11 would cost
//    milliseconds per page).
#include "web/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "base/ip_address.h"
#include "base/text.h"
#include "web/auth.h"
#include "web/event_loop.h"

#ifndef PORTSCOPE_VERSION
#define PORTSCOPE_VERSION "dev"
#endif

namespace portscope::web {
namespace {

using Clock = std::chrono::steady_clock;

// Every response carries these. The pages load their script and style from
// /static/ only; nothing inline runs, and nothing may frame them.
const httplib::Headers& SecurityHeaders() {
  static const httplib::Headers kHeaders = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
  };
  return kHeaders;
}

// Runs httplib's per-connection task where it is handed over: on the accept
// thread. The task only passes the socket to the EventLoop.
class InlineQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// httplib::Server whose connections the EventLoop serves (see the top of
// this file).
class HttpServer final : public httplib::Server {
 public:
  HttpServer(Counter* accepted, Counter* rejected) : accepted_(accepted), rejected_(rejected) {
    new_task_queue = [] { return new InlineQueue; };
  }
  void set_loop(EventLoop* loop) { loop_ = loop; }

  // Parses and answers the request whose head `conn` holds.
  bool Process(Connection& conn, bool last, bool* closed) {
    return process_request(conn, last, *closed, nullptr);
  }

  // Closes the listening socket: the accept loop ends. Works before Run()
  // started too.
  void Shutdown() {
    const socket_t s = svr_sock_.exchange(INVALID_SOCKET);
    if (s != INVALID_SOCKET) {
      ::shutdown(s, SHUT_RDWR);
      ::close(s);
    }
  }
  // cpp-httplib listens with a backlog of 5; a burst of new connections
  // (a browser, a benchmark) would wait for SYN retransmits.
  void WidenBacklog() {
    const socket_t s = svr_sock_.load();
    if (s != INVALID_SOCKET) ::listen(s, 1024);
  }
  bool stopping() const { return svr_sock_.load() == INVALID_SOCKET; }

 private:
  bool process_and_close_socket(socket_t sock) override {
    accepted_->Add();
    if (loop_ && loop_->Adopt(sock)) return true;
    rejected_->Add();
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "X-Content-Type-Options: nosniff\r\nContent-Length: 38\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "too many connections; try again soon\r\n";
    (void)!send(sock, kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    // Take in the request the client sends right after connecting (briefly:
    // this runs on the accept loop), so that closing with it unread does not
    // reset the connection and lose the 503.
    ::shutdown(sock, SHUT_WR);
    char buf[4096];
    pollfd p{sock, POLLIN, 0};
    while (poll(&p, 1, kRejectLingerMs) > 0 && recv(sock, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    ::close(sock);
    return false;
  }

  static constexpr int kRejectLingerMs = 20;
  Counter* accepted_;
  Counter* rejected_;
  EventLoop* loop_ = nullptr;
};

// Sends `body` through a content provider of known length: no copy per write
// and no on-the-fly compression (see the top of this file).
void SetBody(httplib::Response& res, std::string body, const std::string& content_type) {
  if (body.empty()) return;
  auto shared = std::make_shared<const std::string>(std::move(body));
  res.set_content_provider(shared->size(), content_type,
                           [shared](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(shared->data() + offset, length);
                           });
}

}  // namespace

std::string ListenAddress::ToString() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::string shown = EscapeForTerminal(text);
  std::string_view host, port;
  if (text.starts_with("[")) {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos)
      return Status::InvalidArgument("--listen '" + shown + "': write an IPv6 address as [ADDR]:PORT, e.g. [::1]:8244");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return Status::InvalidArgument("--listen '" + shown +
                                     "': expected ADDR:PORT, e.g. 127.0.0.1:8244 or [::1]:8244");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto p = ParseUint(port, 65535);
  if (!p) return Status::InvalidArgument("--listen '" + shown + "': the port must be a number from 0 to 65535");
  ListenAddress a;
  a.port = static_cast<uint16_t>(*p);
  if (EqualsIgnoreCase(host, "localhost")) {
    a.host = "127.0.0.1";
    a.loopback = true;
    return a;
  }
  auto ip = IpAddress::Parse(host);
  if (!ip || (text.starts_with("[") == ip->is_v4()))
    return Status::InvalidArgument("--listen '" + shown + "': '" + EscapeForTerminal(host) +
                                   "' is not an IP address (host names are not looked up)");
  a.host = ip->ToString();
  a.loopback = ip->is_loopback();
  return a;
}

class Server::Impl {
 public:
  Impl(const Router& router, Metrics* metrics, ServerOptions options)
      : router_(router),
        metrics_(metrics),
        options_(std::move(options)),
        accepted_(metrics->AddCounter("portscope_http_connections_total", "Connections accepted.")),
        rejected_(metrics->AddCounter("portscope_http_connections_rejected_total",
                                      "Connections answered 503 at the connection cap, none idle enough to make way.")),
        http_(accepted_, rejected_),
        loop_(options_.limits,
              {metrics->AddGauge("portscope_http_connections_active", "Connections open now."),
               metrics->AddCounter("portscope_http_requests_head_too_large_total",
                                   "Requests whose line and headers exceeded the cap (431)."),
               metrics->AddCounter("portscope_http_requests_timed_out_total",
                                   "Requests that did not arrive whole in time (408)."),
               metrics->AddCounter("portscope_http_connections_evicted_total",
                                   "Idle keep-alive connections closed at the cap to make way for a new one.")},
              [this](Connection& conn, bool last, bool* closed) { return http_.Process(conn, last, closed); }) {
    http_.set_loop(&loop_);
    metrics->AddGauge("portscope_build_info", "portscope's version and the HTTP library's (value 1).",
                      {{"version", PORTSCOPE_VERSION}, {"httplib", CPPHTTPLIB_VERSION}})
        ->Set(1);
    metrics->AddGauge("portscope_process_start_time_seconds", "When the server started, in seconds since the epoch.")
        ->Set(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count());
    http_.set_default_headers(SecurityHeaders());
    http_.set_socket_options([](socket_t sock) {
      // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would
      // let a second server bind the same port and take half the connections.
      int one = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    });
    http_.set_keep_alive_max_count(std::max<size_t>(1, options_.limits.keep_alive_max_requests));
    http_.set_keep_alive_timeout(std::max(1, options_.limits.keep_alive_timeout_ms / 1000));
    http_.set_read_timeout(options_.limits.io_timeout_ms / 1000, (options_.limits.io_timeout_ms % 1000) * 1000);
    http_.set_write_timeout(options_.limits.io_timeout_ms / 1000, (options_.limits.io_timeout_ms % 1000) * 1000);
    http_.set_payload_max_length(options_.limits.max_body_bytes);
    http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      Dispatch(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    http_.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) { return LibraryError(req, res); }));
    http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
    });
  }

  Status Bind() {
    const ListenAddress& a = options_.listen;
    if (!a.loopback && options_.token.size() < kMinTokenLength)
      return Status::InvalidArgument("refusing to listen on " + a.ToString() +
                                     " without a token: anything but a loopback address needs --token-file "
                                     "(or --listen 127.0.0.1:" + std::to_string(a.port) + ")");
    if (Status probe = Probe(a); !probe.ok()) return probe;
    if (a.port == 0) {
      const int port = http_.bind_to_any_port(a.host);
      if (port <= 0) return Status::IoError("cannot listen on " + a.ToString());
      port_ = static_cast<uint16_t>(port);
    } else {
      if (!http_.bind_to_port(a.host, a.port)) return Status::IoError("cannot listen on " + a.ToString());
      port_ = a.port;
    }
    http_.WidenBacklog();
    return Status::Ok();
  }

  Status Run() {
    loop_.Start();
    const bool clean = http_.listen_after_bind() || http_.stopping();
    loop_.Stop();
    if (!clean) return Status::IoError("the server stopped accepting connections on " + options_.listen.ToString());
    return Status::Ok();
  }

  void Stop() { http_.Shutdown(); }
  uint16_t port() const { return port_; }

 private:
  // A bind of our own first, for an error message that says why (cpp-httplib
  // only says that it failed).
  static Status Probe(const ListenAddress& a) {
    const bool v6 = a.host.find(':') != std::string::npos;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::PosixError("socket", errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r;
    if (v6) {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(a.port);
      inet_pton(AF_INET6, a.host.c_str(), &sa.sin6_addr);
      r = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    } else {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(a.port);
      inet_pton(AF_INET, a.host.c_str(), &sa.sin_addr);
      r = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
    const int err = errno;
    ::close(fd);
    if (r != 0) return Status::PosixError("cannot listen on " + a.ToString(), err);
    return Status::Ok();
  }

  // Every request is answered here (see the top of the file).
  void Dispatch(const httplib::Request& hreq, httplib::Response& hres) {
    const auto start = Clock::now();
    const std::string if_none_match = hreq.get_header_value("If-None-Match");
    Request req;
    req.method = hreq.method;
    req.path = hreq.path;
    req.params = &hreq.params;
    req.if_none_match = if_none_match;
    std::string_view route = "none";
    Response res = Decide(hreq, req, &route);
    hres.status = res.status;
    hres.set_header("Cache-Control", res.cache_control.empty() ? "no-store" : res.cache_control);
    for (const auto& [k, v] : res.headers) hres.set_header(k, v);
    if (Connection* conn = CurrentConnection(); conn && conn->close_after) hres.set_header("Connection", "close");
    SetBody(hres, std::move(res.body), res.content_type);
    metrics_->ObserveRequest(route, res.status,
                             std::chrono::duration<double>(Clock::now() - start).count());
  }

  Response Decide(const httplib::Request& hreq, const Request& req, std::string_view* route) {
    const ServerLimits& lim = options_.limits;
    if (options_.listen.loopback && !LoopbackHostAllowed(hreq.get_header_value("Host")))
      return router_.Error(req, 403,
                           "this server answers only to its loopback address (Host: localhost, 127.0.0.1 or "
                           "[::1]); other names are refused to keep web pages elsewhere from reading it");
    // httplib adds four headers of its own (REMOTE_ADDR and the like).
    Connection* conn = CurrentConnection();
    if (hreq.headers.size() > lim.max_headers + 4) {
      if (conn) conn->close_after = true;
      return router_.Error(req, 431, "too many header fields (at most " + std::to_string(lim.max_headers) + ")");
    }
    const bool has_body = hreq.has_header("Transfer-Encoding") ||
                          (hreq.has_header("Content-Length") && hreq.get_header_value("Content-Length") != "0");
    if (has_body && conn) conn->close_after = conn->unread_input = true;  // its body stays unread
    if (hreq.method != "GET" && hreq.method != "HEAD") {
      Response r = router_.Error(req, 405, "this server is read-only: it answers GET and HEAD only");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    if (has_body) {
      const auto length = ParseUint(hreq.get_header_value("Content-Length"), UINT32_MAX);
      if (!length || *length > lim.max_body_bytes)
        return router_.Error(req, 413,
                             lim.max_body_bytes == 0
                                 ? std::string("requests to this server carry no body")
                                 : "a request body may hold at most " + std::to_string(lim.max_body_bytes) + " bytes");
    }
    if (!Authorized(options_.token, hreq.get_header_value("Authorization"), req.Param("token"))) {
      Response r = router_.Error(req, 401,
                                 "this server needs its token: send `Authorization: Bearer TOKEN`, or in a "
                                 "browser give any user name and the token as the password");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"portscope\"");
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"portscope\", charset=\"UTF-8\"");
      return r;
    }
    auto match = router_.Find(req.path);
    if (!match) return router_.Error(req, 404, "there is no page at this address");
    *route = match->route->pattern;
    Request routed = req;
    routed.captures = std::move(match->captures);
    try {
      return match->route->handler(routed);
    } catch (const std::exception&) {
      return router_.Error(req, 500, "the page could not be rendered");
    }
  }

  // Errors httplib answers itself (a malformed request line, an over-long
  // URI, a head over the cap) get a status that says why, and a body.
  httplib::Server::HandlerResponse LibraryError(const httplib::Request& hreq, httplib::Response& res) {
    if (res.content_length_ > 0 || !res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    Connection* conn = CurrentConnection();
    if (conn && conn->head_too_large()) {
      res.status = 431;
      message = "the request line and headers exceed " + std::to_string(options_.limits.max_head_bytes) + " bytes";
    } else if (res.status == 414) {
      message = "the request line is too long";
    } else {
      message = "the request could not be understood";
    }
    if (conn) conn->close_after = conn->unread_input = true;
    Request req;
    req.method = hreq.method;
    req.path = hreq.path;
    Response r = router_.Error(req, res.status, message);
    res.set_header("Cache-Control", "no-store");
    SetBody(res, std::move(r.body), r.content_type);
    metrics_->ObserveRequest("none", res.status, 0);
    return httplib::Server::HandlerResponse::Handled;
  }

  const Router& router_;
  Metrics* metrics_;
  const ServerOptions options_;
  Counter* accepted_;
  Counter* rejected_;
  HttpServer http_;
  EventLoop loop_;  // after http_: destroyed first, so no worker outlives it
  uint16_t port_ = 0;
};

Server::Server(const Router& router, Metrics* metrics, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, metrics, std::move(options))) {}
Server::~Server() = default;
Status Server::Bind() { return impl_->Bind(); }
uint16_t Server::port() const { return impl_->port(); }
Status Server::Run() { return impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace portscope::web
