// Connect mode: real listening sockets on the watched ports, one epoll loop,
// no thread per connection. Every TCP connection is accepted (in batches),
// reported at once, read for at most `read_bytes` bytes or `read_ms`, and
// closed with an RST (SO_LINGER 0). Not one byte is ever written. Every UDP
// datagram is reported with its first bytes and never answered.
//
// Connections held open at once are capped (`max_open`); past the cap the
// oldest is closed and counted. Its state is a preallocated ring, so a flood
// costs no allocation and no growth.
//
// Thread-compatible: Poll()/Run() on one thread.
#ifndef PORTSCOPE_CANARY_CONNECT_LISTENER_H_
#define PORTSCOPE_CANARY_CONNECT_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/ip_address.h"
#include "base/status.h"
#include "canary/observation.h"

namespace portscope::canary {

struct ListenerOptions {
  std::vector<uint16_t> tcp_ports;
  std::vector<uint16_t> udp_ports;
  /// Address to bind; unset: every address, IPv6 and IPv4 (dual stack).
  std::optional<IpAddress> bind_address;
  size_t read_bytes = 256;   // first bytes kept per connection or datagram
  uint32_t read_ms = 2000;   // how long a connection may take to send them
  /// Connections held open at once (one fd each; 256 bytes of buffer each).
  /// All share one read window, so the oldest is also the first due; past the
  /// cap it is closed early and counted in closed_for_room.
  size_t max_open = 4096;
  int backlog = 4096;        // listen(2) backlog; the kernel caps it at somaxconn
  size_t accept_batch = 256; // accepts per listener per wake-up
};

struct ListenerCounters {
  uint64_t accepted = 0;
  uint64_t closed_after_bytes = 0;  // read_bytes reached
  uint64_t closed_after_time = 0;   // read_ms passed
  uint64_t closed_by_peer = 0;      // FIN or RST from the prober
  uint64_t closed_for_room = 0;     // the oldest, closed to stay under max_open
  uint64_t accept_errors = 0;       // EMFILE, ENFILE, ENOBUFS...
  uint64_t datagrams = 0;
  uint64_t payload_bytes = 0;       // bytes kept from probes
};

class ConnectListener {
 public:
  /// Binds every port. A port already held is an error naming it
  /// (EADDRINUSE), and nothing stays bound.
  static Result<std::unique_ptr<ConnectListener>> Open(const ListenerOptions& options,
                                                       ObservationSink* sink);
  ~ConnectListener();
  ConnectListener(const ConnectListener&) = delete;
  ConnectListener& operator=(const ConnectListener&) = delete;

  /// Waits up to `timeout_ms` (or until the next read deadline) and handles
  /// what arrived.
  Status Poll(int timeout_ms);
  /// Polls until `stop` is set, then closes every open connection (reporting
  /// what each had sent).
  Status Run(const std::atomic<bool>& stop);
  /// Closes and reports every open connection now.
  void CloseAll();

  /// For an outer event loop (the Daemon): the listener's epoll descriptor,
  /// readable when Poll(0) has work, and the milliseconds until the next read
  /// deadline (-1: no connection open), when Poll(0) must run even if
  /// nothing is readable.
  int fd() const { return epoll_; }
  int NextDeadlineMs() const;

  const ListenerCounters& counters() const { return counters_; }
  /// The ports bound, in option order (a 0 in the options becomes the port
  /// the kernel chose).
  std::vector<std::pair<registry::Proto, uint16_t>> bound() const;
  size_t open_connections() const { return open_; }

 private:
  struct Conn;
  struct Socket;
  ConnectListener(const ListenerOptions& options, ObservationSink* sink);
  Status Bind();
  void AcceptBatch(const Socket& s);
  void ReadDatagrams(const Socket& s);
  void ReadConn(uint32_t slot);
  void Finish(uint32_t slot, bool by_peer);
  void ExpireDeadlines(uint64_t now_ms);

  ListenerOptions options_;
  ObservationSink* sink_;
  int epoll_ = -1;
  std::vector<Socket> sockets_;
  // Capacity max_open, in accept order: slots [head_, head_ + span_) may be
  // live; head_ is always live while open_ > 0 (Finish() advances it).
  std::vector<Conn> ring_;
  size_t head_ = 0;
  size_t tail_ = 0;
  size_t span_ = 0;
  size_t open_ = 0;
  std::vector<char> buffer_;
  ListenerCounters counters_;
};

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_CONNECT_LISTENER_H_
