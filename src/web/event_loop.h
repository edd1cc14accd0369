// The server's connections: sockets in one epoll set, served by a pool of
// worker threads. Internal to web/ (server.cc); includes cpp-httplib.
//
// cpp-httplib 0.11.4 serves each connection on a thread of its own for as
// long as it stays open, so slow or idle clients hold threads, and 64
// keep-alive clients mean 64 threads, busy or not. Here a connection holds no
// thread while it waits: a worker takes it when epoll
// says it is readable (EPOLLONESHOT: one worker at a time), receives what has
// arrived without blocking, and hands a request to httplib's parser only when
// its whole head (request line and headers) is buffered, so parsing never
// waits on the network. Between requests a worker may stay with an active
// connection for a moment while other workers are free (EventLoop::Serve). The response is gathered in memory and sent without
// blocking; what the socket does not take goes out when it is writable.
// A reaper thread closes connections that stay idle, send a request too
// slowly (408) or do not take their response.
#ifndef PORTSCOPE_WEB_EVENT_LOOP_H_
#define PORTSCOPE_WEB_EVENT_LOOP_H_

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "web/metrics.h"
#include "web/server.h"

namespace portscope::web {

using SteadyTime = std::chrono::steady_clock::time_point;

/// One client connection as an httplib::Stream. Reads come only from bytes
/// already received; writes are gathered until the response is complete.
/// Owned by the EventLoop; used by one thread at a time.
class Connection final : public httplib::Stream {
 public:
  Connection(uint64_t id, int fd, const ServerLimits& limits);
  ~Connection() override;

  bool is_readable() const override { return in_pos_ < in_.size(); }
  bool is_writable() const override { return !write_failed_; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  enum class Fill { kOpen, kEof, kError };
  /// Receives what has arrived, up to just past the head cap; with `wait`,
  /// first waits up to hold_ms for something to arrive.
  Fill Receive(SteadyTime now, bool wait);
  /// A whole request head is buffered, or more than the cap allows.
  bool RequestReady() const;
  bool HasPartialRequest() const { return in_pos_ < in_.size(); }
  void BeginRequest();
  void EndRequest(SteadyTime now);

  enum class Sent { kDone, kBlocked, kError };
  Sent Flush();
  bool HasOutput() const { return out_pos_ < out_.size(); }

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  bool read_failed() const { return read_failed_; }
  bool head_too_large() const { return head_too_large_; }

  // Bookkeeping for the loop and the reaper.
  size_t served = 0;
  bool close_after = false;  // close once the response is out
  bool unread_input = false; // closing with input unread: linger first
  bool lingering = false;    // FIN sent; draining until the client closes
  SteadyTime last_activity;  // last byte received or sent
  SteadyTime request_started;  // first byte of the request being received
  SteadyTime linger_until;

 private:
  const uint64_t id_;
  const int fd_;
  const ServerLimits& limits_;
  std::string in_;
  size_t in_pos_ = 0;    // parser's position in in_
  size_t consumed_ = 0;  // bytes of the current request head read by the parser
  std::string out_;
  size_t out_pos_ = 0;
  bool read_failed_ = false, write_failed_ = false, head_too_large_ = false;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
};

/// The connection the calling thread serves now (null elsewhere): handlers
/// use it to close the connection after a response.
Connection* CurrentConnection();

struct LoopCounters {
  Gauge* active;
  Counter* head_too_large;
  Counter* timed_out;
  Counter* evicted;
};

class EventLoop {
 public:
  /// Parses and answers one request whose head is in `conn`; `last` asks for
  /// "Connection: close". Returns false when the connection must close.
  using ServeRequest = std::function<bool(Connection& conn, bool last, bool* closed)>;

  EventLoop(const ServerLimits& limits, LoopCounters counters, ServeRequest serve);
  ~EventLoop();

  void Start();
  /// Takes a freshly accepted socket. False when the connection cap is
  /// reached and no idle connection can make way: the caller refuses it.
  bool Adopt(int fd);
  /// Finishes the requests being served, closes every connection, joins.
  void Stop();

 private:
  struct Slot {
    std::unique_ptr<Connection> conn;
    bool parked = true;  // in the epoll set, not being served
  };

  void Work();
  void Reap();
  void Serve(Connection* c);
  void Park(Connection* c, uint32_t events);
  void Close(Connection* c);
  // REQUIRES: mu_ held. Removes the connection from the set and the table.
  std::unique_ptr<Connection> Remove(uint64_t id);

  const ServerLimits& limits_;
  const LoopCounters counters_;
  const ServeRequest serve_;
  int epfd_ = -1;
  std::mutex mu_;
  std::unordered_map<uint64_t, Slot> conns_;
  uint64_t next_id_ = 1;
  std::vector<std::thread> workers_;
  std::thread reaper_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> idle_workers_{0};  // workers waiting in epoll_wait
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_EVENT_LOOP_H_
