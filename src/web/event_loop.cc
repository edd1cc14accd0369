#include "web/event_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace portscope::web {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

thread_local Connection* t_current = nullptr;

// How long a connection closed with input unread keeps draining it, so the
// client reads our answer before an RST could discard it (what nginx calls a
// lingering close), and how much it drains at most.
constexpr milliseconds kLinger{1000};
constexpr size_t kLingerBytes = 4 * 1024 * 1024;
// How often the reaper looks for connections to close.
constexpr milliseconds kReapEvery{50};

constexpr std::string_view kTimeout =
    "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "X-Content-Type-Options: nosniff\r\nContent-Length: 37\r\nConnection: close\r\n\r\n"
    "the request did not arrive in time\r\n\r\n";

void Describe(int fd, bool peer, std::string* ip, int* port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                     : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) return;
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    *port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    *port = ntohs(a->sin6_port);
  }
  *ip = buf;
}

}  // namespace

Connection* CurrentConnection() { return t_current; }

Connection::Connection(uint64_t id, int fd, const ServerLimits& limits) : id_(id), fd_(fd), limits_(limits) {
  Describe(fd_, true, &remote_ip_, &remote_port_);
  Describe(fd_, false, &local_ip_, &local_port_);
  last_activity = request_started = Clock::now();
}

Connection::~Connection() { ::close(fd_); }

ssize_t Connection::read(char* ptr, size_t size) {
  if (read_failed_) return -1;
  if (consumed_ >= limits_.max_head_bytes) {
    head_too_large_ = read_failed_ = true;
    return -1;
  }
  // Only what has arrived: the loop calls the parser once a whole head is
  // here, so running out means a request the parser reads past (it never
  // reads a body: every request is answered from its head).
  if (in_pos_ >= in_.size()) {
    read_failed_ = true;
    return -1;
  }
  const size_t n = std::min({size, in_.size() - in_pos_, limits_.max_head_bytes - consumed_});
  std::memcpy(ptr, in_.data() + in_pos_, n);
  in_pos_ += n;
  consumed_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t Connection::write(const char* ptr, size_t size) {
  if (write_failed_) return -1;
  out_.append(ptr, size);
  return static_cast<ssize_t>(size);
}

void Connection::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = remote_ip_;
  port = remote_port_;
}

void Connection::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = local_ip_;
  port = local_port_;
}

Connection::Fill Connection::Receive(SteadyTime now, bool wait) {
  char buf[16384];
  size_t drained = 0;
  for (bool first = true;; first = false) {
    // Enough to know the head is over the cap: the rest can wait.
    if (!lingering && in_.size() - in_pos_ > limits_.max_head_bytes) return Fill::kOpen;
    // The socket stays blocking, with SO_RCVTIMEO = hold_ms: a waiting
    // receive is one system call, not a poll and a recv.
    const ssize_t n = recv(fd_, buf, sizeof buf, wait && first ? 0 : MSG_DONTWAIT);
    if (n > 0) {
      if (wait && first) now = Clock::now();
      last_activity = now;
      if (lingering) {
        drained += static_cast<size_t>(n);
        if (drained > kLingerBytes) return Fill::kEof;
        continue;
      }
      if (in_pos_ == in_.size()) request_started = now;
      in_.append(buf, static_cast<size_t>(n));
      // A short read took all there was: save the recv that would say so.
      if (static_cast<size_t>(n) < sizeof buf) return Fill::kOpen;
      continue;
    }
    if (n == 0) return Fill::kEof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Fill::kOpen;
    return Fill::kError;
  }
}

bool Connection::RequestReady() const {
  if (in_pos_ >= in_.size()) return false;
  return in_.size() - in_pos_ > limits_.max_head_bytes ||
         std::string_view(in_).find("\r\n\r\n", in_pos_) != std::string_view::npos;
}

void Connection::BeginRequest() {
  consumed_ = 0;
  read_failed_ = false;
}

void Connection::EndRequest(SteadyTime now) {
  in_.erase(0, in_pos_);
  in_pos_ = 0;
  if (!in_.empty()) request_started = now;  // the next request has begun to arrive
}

Connection::Sent Connection::Flush() {
  while (out_pos_ < out_.size()) {
    const ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      last_activity = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Sent::kBlocked;
    write_failed_ = true;
    return Sent::kError;
  }
  out_.clear();
  out_pos_ = 0;
  return Sent::kDone;
}

EventLoop::EventLoop(const ServerLimits& limits, LoopCounters counters, ServeRequest serve)
    : limits_(limits), counters_(counters), serve_(std::move(serve)) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
}

EventLoop::~EventLoop() {
  Stop();
  if (epfd_ >= 0) ::close(epfd_);
}

void EventLoop::Start() {
  const size_t n = std::max<size_t>(1, limits_.worker_threads);
  for (size_t i = 0; i < n; ++i) workers_.emplace_back([this] { Work(); });
  reaper_ = std::thread([this] { Reap(); });
}

void EventLoop::Stop() {
  stopping_ = true;
  for (auto& t : workers_) t.join();
  workers_.clear();
  if (reaper_.joinable()) reaper_.join();
  std::vector<std::unique_ptr<Connection>> dead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint64_t> ids;
    for (const auto& [id, slot] : conns_) ids.push_back(id);
    for (uint64_t id : ids) dead.push_back(Remove(id));
  }
}

bool EventLoop::Adopt(int fd) {
  if (epfd_ < 0) return false;
  // Blocking, with a receive timeout of hold_ms: every other call on the
  // socket passes MSG_DONTWAIT (Connection::Receive).
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval hold{limits_.hold_ms / 1000, (limits_.hold_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &hold, sizeof hold);
  std::unique_ptr<Connection> evicted;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  if (conns_.size() >= limits_.max_connections) {
    // Make way: close the keep-alive connection idle longest, if it has
    // been idle a while; otherwise refuse the newcomer.
    const auto now = Clock::now();
    const Connection* oldest = nullptr;
    for (const auto& [id, slot] : conns_) {
      const Connection* c = slot.conn.get();
      if (!slot.parked || c->served == 0 || c->HasPartialRequest() || c->HasOutput() || c->lingering) continue;
      if (!oldest || c->last_activity < oldest->last_activity) oldest = c;
    }
    if (!oldest || now - oldest->last_activity < milliseconds(limits_.busy_idle_ms)) return false;
    evicted = Remove(oldest->id());
    counters_.evicted->Add();
  }
  const uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = id;
  // A worker woken by this before the entry below exists waits for mu_.
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;  // the caller closes fd
  conns_.emplace(id, Slot{std::make_unique<Connection>(id, fd, limits_), true});
  counters_.active->Add(1);
  return true;
}

std::unique_ptr<Connection> EventLoop::Remove(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return nullptr;
  std::unique_ptr<Connection> conn = std::move(it->second.conn);
  epoll_ctl(epfd_, EPOLL_CTL_DEL, conn->fd(), nullptr);
  conns_.erase(it);
  counters_.active->Add(-1);
  return conn;
}

void EventLoop::Park(Connection* c, uint32_t events) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = conns_.find(c->id());
  if (it == conns_.end()) return;
  it->second.parked = true;
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.u64 = c->id();
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd(), &ev);
}

void EventLoop::Close(Connection* c) {
  std::unique_ptr<Connection> dead;
  std::lock_guard<std::mutex> lock(mu_);
  dead = Remove(c->id());
}

void EventLoop::Work() {
  while (!stopping_.load()) {
    epoll_event ev;
    idle_workers_.fetch_add(1);
    const int n = epoll_wait(epfd_, &ev, 1, 100);
    idle_workers_.fetch_sub(1);
    if (n != 1) continue;
    Connection* c = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = conns_.find(ev.data.u64);
      if (it == conns_.end() || !it->second.parked) continue;  // closed meanwhile
      it->second.parked = false;
      c = it->second.conn.get();
    }
    Serve(c);
  }
}

// Runs on one worker with `c` to itself (unparked) until it is parked again
// or closed; after either, `c` belongs to others.
//
// Between requests the worker stays with the connection for up to hold_ms
// while other workers are free: a client that sends its next request at
// once (a page's assets, a script, a benchmark) is answered by a thread that
// is already awake, and threads sleep on their own sockets, as in a
// thread-per-connection server. A connection that goes quiet, or arrives
// while no other worker is free, is parked and holds no thread.
void EventLoop::Serve(Connection* c) {
  t_current = c;
  const size_t max_requests = std::max<size_t>(1, limits_.keep_alive_max_requests);
  for (;;) {
    const auto now = Clock::now();
    if (c->HasOutput()) {
      const Connection::Sent sent = c->Flush();
      if (sent == Connection::Sent::kBlocked) {
        Park(c, EPOLLOUT);
        break;
      }
      if (sent == Connection::Sent::kError) {
        Close(c);
        break;
      }
    }
    if (c->close_after && !c->lingering) {
      if (!c->unread_input) {
        Close(c);
        break;
      }
      ::shutdown(c->fd(), SHUT_WR);
      c->lingering = true;
      c->linger_until = now + kLinger;
    }
    if (c->lingering) {
      if (c->Receive(now, false) == Connection::Fill::kOpen) Park(c, EPOLLIN);
      else Close(c);
      break;
    }
    if (!c->RequestReady()) {
      // Between requests, while other workers are free, wait here up to
      // hold_ms for the next one; a request arriving piecemeal waits parked.
      const bool hold = limits_.hold_ms > 0 && !c->HasPartialRequest() && idle_workers_.load() > 0 &&
                        !stopping_.load();
      const Connection::Fill fill = c->Receive(now, hold);
      if (!c->RequestReady()) {
        if (fill != Connection::Fill::kOpen) {
          Close(c);
        } else {
          Park(c, EPOLLIN);
        }
        break;
      }
    }
    c->BeginRequest();
    bool closed = false;
    const bool last = c->served + 1 >= max_requests || stopping_.load();
    const bool ok = serve_(*c, last, &closed);
    ++c->served;
    c->EndRequest(Clock::now());
    if (c->head_too_large()) counters_.head_too_large->Add();
    if (c->read_failed() || c->head_too_large()) c->unread_input = true;
    if (!ok || closed || last || c->read_failed()) c->close_after = true;
  }
  t_current = nullptr;
}

void EventLoop::Reap() {
  while (!stopping_.load()) {
    std::this_thread::sleep_for(kReapEvery);
    const auto now = Clock::now();
    std::vector<std::unique_ptr<Connection>> dead;
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint64_t> expired;
    for (const auto& [id, slot] : conns_) {
      if (!slot.parked) continue;  // a worker has it
      const Connection* c = slot.conn.get();
      bool close;
      if (c->lingering) {
        close = now > c->linger_until;
      } else if (c->HasOutput()) {  // the client does not take its response
        close = now - c->last_activity > milliseconds(limits_.io_timeout_ms);
      } else if (c->HasPartialRequest()) {
        close = now - c->request_started > milliseconds(limits_.request_timeout_ms);
        if (close) {
          (void)!send(c->fd(), kTimeout.data(), kTimeout.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          counters_.timed_out->Add();
        }
      } else if (c->served == 0) {  // connected, and said nothing
        close = now - c->last_activity > milliseconds(limits_.io_timeout_ms);
      } else {
        close = now - c->last_activity > milliseconds(limits_.keep_alive_timeout_ms);
      }
      if (close) expired.push_back(id);
    }
    for (uint64_t id : expired) dead.push_back(Remove(id));
  }
}

}  // namespace portscope::web
