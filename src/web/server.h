// The HTTP server behind `portscope serve`: cpp-httplib underneath, with
// what a server reachable by others needs on top, applied to every route of
// a Router alike:
//  - binds 127.0.0.1 by default; any other address needs a token (auth.h),
//    and a loopback server refuses Host names that are not loopback;
//  - read-only: GET and HEAD, anything else 405; request bodies 413;
//  - caps: request line + headers bytes, header count, time to receive a
//    request, open connections (idle ones make way, else 503 at once),
//    requests per connection, idle keep-alive; a pool of threads serves
//    every connection from one epoll set, so slow or idle clients hold no
//    thread (event_loop.h);
//  - security headers on every response (CSP without inline script, nosniff,
//    Referrer-Policy, X-Frame-Options DENY);
//  - metrics per route and status, and for connections.
// The HTTP library stays inside server.cc.
#ifndef PORTSCOPE_WEB_SERVER_H_
#define PORTSCOPE_WEB_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "web/metrics.h"
#include "web/router.h"

namespace portscope::web {

inline constexpr uint16_t kDefaultPort = 8244;

struct ListenAddress {
  std::string host;  // an IP literal, without brackets
  uint16_t port = kDefaultPort;
  bool loopback = true;
  /// "127.0.0.1:8244", "[::1]:8244".
  std::string ToString() const;
};
/// "ADDR:PORT" with an IPv4 literal, "[V6]:PORT", or "localhost:PORT"
/// (127.0.0.1). Port 0 picks a free port. Host names are refused: the server
/// binds what the user wrote, not what a resolver says today.
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct ServerLimits {
  /// Threads that serve requests. A connection holds one only while it is
  /// being answered, or for up to `hold_ms` after an answer while other
  /// threads are free (so a client that asks again at once finds its thread
  /// awake); waiting, idle or slow connections hold none (event_loop.h).
  /// 64 threads cost ~64 x 8 MiB of address space, but only the stack pages
  /// they touch.
  size_t worker_threads = 64;
  int hold_ms = 100;
  /// Connections open at once. At the cap, the keep-alive connection idle
  /// longest (at least `busy_idle_ms`) is closed to make way, else the new
  /// one is answered 503. cpp-httplib 0.11.4 answers 500 on descriptors
  /// above 1023 (select), which keeps this well below 1,024.
  size_t max_connections = 512;
  /// Request line and headers together. 16 KiB holds any browser request;
  /// more is answered 431 (an over-long request line 414).
  size_t max_head_bytes = 16 * 1024;
  /// Header fields per request (431 beyond).
  size_t max_headers = 64;
  /// A request body larger than this is answered 413 without being read; the
  /// server is read-only, so 0: no request carries one.
  size_t max_body_bytes = 0;
  /// A request must arrive whole within this time from its first byte (408).
  int request_timeout_ms = 10000;
  /// A new connection that sends nothing, or a client that takes none of its
  /// response, for this long is closed.
  int io_timeout_ms = 5000;
  /// How long an idle keep-alive connection is kept.
  int keep_alive_timeout_ms = 5000;
  /// At the connection cap, an idle keep-alive connection this old makes way.
  int busy_idle_ms = 100;
  /// Requests served on one connection before it is closed.
  size_t keep_alive_max_requests = 1000;
};

struct ServerOptions {
  ListenAddress listen;
  /// Required (at least kMinTokenLength characters) unless listen.loopback.
  std::string token;
  ServerLimits limits;
};

class Server {
 public:
  /// REQUIRES: `router` and `metrics` outlive the Server; no routes are added
  /// once Run() has started.
  Server(const Router& router, Metrics* metrics, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listening socket. Fails for a non-loopback address without a
  /// token, or when the address cannot be bound (in use, not this machine's).
  Status Bind();
  /// The bound port (the one picked when the address gave port 0).
  uint16_t port() const;
  /// Serves until Stop(). REQUIRES: Bind() succeeded.
  Status Run();
  /// Stops accepting, lets requests in flight finish, and makes Run() return
  /// once every connection is closed. Thread-safe; not async-signal-safe.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_SERVER_H_
