#include "canary/connect_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace portscope::canary {
namespace {

constexpr uint64_t kSocketTag = 1ull << 63;
constexpr int kMaxEvents = 256;
constexpr int kDatagramBatch = 64;

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

uint64_t WallUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

// Address and port of a sockaddr of either family (IPv4-mapped IPv6 comes out
// as the IPv4 address, which IpAddress stores alike).
void FromSockaddr(const sockaddr_storage& ss, IpAddress* addr, uint16_t* port) {
  if (ss.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    *addr = IpAddress::V4(reinterpret_cast<const uint8_t*>(&s->sin_addr));
    *port = ntohs(s->sin_port);
  } else {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    *addr = IpAddress::V6(s->sin6_addr.s6_addr);
    *port = ntohs(s->sin6_port);
  }
}

void CloseWithReset(int fd) {
  // SO_LINGER 0: close() sends an RST and drops the socket at once, no
  // FIN and no TIME-WAIT on our side.
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

}  // namespace

struct ConnectListener::Socket {
  int fd;
  registry::Proto proto;
  uint16_t port;
};

struct ConnectListener::Conn {
  int fd = -1;
  uint32_t generation = 0;
  bool live = false;
  uint64_t deadline_ms = 0;
  Observation obs;
};

ConnectListener::ConnectListener(const ListenerOptions& options, ObservationSink* sink)
    : options_(options), sink_(sink) {
  if (options_.max_open == 0) options_.max_open = 1;
  ring_.resize(options_.max_open);
  for (Conn& c : ring_) c.obs.payload.reserve(options_.read_bytes);
  buffer_.resize(std::max<size_t>(options_.read_bytes, 1) * kDatagramBatch);
}

ConnectListener::~ConnectListener() {
  for (Conn& c : ring_)
    if (c.live) CloseWithReset(c.fd);
  for (const Socket& s : sockets_) close(s.fd);
  if (epoll_ >= 0) close(epoll_);
}

Result<std::unique_ptr<ConnectListener>> ConnectListener::Open(const ListenerOptions& options,
                                                               ObservationSink* sink) {
  std::unique_ptr<ConnectListener> l(new ConnectListener(options, sink));
  l->epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (l->epoll_ < 0) return Status::PosixError("epoll_create1", errno);
  if (Status s = l->Bind(); !s.ok()) return s;
  return l;
}

Status ConnectListener::Bind() {
  auto bind_one = [&](registry::Proto proto, uint16_t port) -> Status {
    const bool tcp = proto == registry::Proto::kTcp;
    const std::string what = std::to_string(port) + "/" + std::string(registry::ProtoName(proto));
    bool v6 = !options_.bind_address || !options_.bind_address->is_v4();
    int fd = socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && v6 && !options_.bind_address) {  // no IPv6 on this host: IPv4 only
      v6 = false;
      fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) return Status::PosixError("socket for " + what, errno);
    int one = 1, zero = 0;
    // SO_REUSEADDR only lets us bind over TIME-WAIT leftovers; it never
    // takes a port another listener holds (that would need SO_REUSEPORT).
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      if (options_.bind_address) std::memcpy(&a->sin6_addr, options_.bind_address->bytes().data(), 16);
      len = sizeof *a;
      if (!tcp) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
      }
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      if (options_.bind_address) std::memcpy(&a->sin_addr, options_.bind_address->bytes().data() + 12, 4);
      len = sizeof *a;
      if (!tcp) setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      int err = errno;
      close(fd);
      if (err == EADDRINUSE)
        return Status::InvalidArgument("port " + what +
                                       " is already held by another socket (a listener, or connections in TIME-WAIT "
                                       "left by one that did not set SO_REUSEADDR, for up to 60 s); portscope never "
                                       "takes a port in use");
      return Status::PosixError("bind " + what, err);
    }
    if (tcp && listen(fd, options_.backlog) != 0) {
      int err = errno;
      close(fd);
      return Status::PosixError("listen " + what, err);
    }
    if (port == 0) {  // let the kernel choose (tests): learn which
      sockaddr_storage got{};
      socklen_t glen = sizeof got;
      getsockname(fd, reinterpret_cast<sockaddr*>(&got), &glen);
      IpAddress ignored;
      FromSockaddr(got, &ignored, &port);
    }
    sockets_.push_back(Socket{fd, proto, port});
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kSocketTag | (sockets_.size() - 1);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) return Status::PosixError("epoll_ctl " + what, errno);
    return Status::Ok();
  };
  for (uint16_t p : options_.tcp_ports)
    if (Status s = bind_one(registry::Proto::kTcp, p); !s.ok()) return s;
  for (uint16_t p : options_.udp_ports)
    if (Status s = bind_one(registry::Proto::kUdp, p); !s.ok()) return s;
  return Status::Ok();
}

std::vector<std::pair<registry::Proto, uint16_t>> ConnectListener::bound() const {
  std::vector<std::pair<registry::Proto, uint16_t>> out;
  for (const Socket& s : sockets_) out.emplace_back(s.proto, s.port);
  return out;
}

void ConnectListener::AcceptBatch(const Socket& s) {
  for (size_t n = 0; n < options_.accept_batch; ++n) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(s.fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      ++counters_.accept_errors;
      // Out of descriptors: free the oldest so the backlog keeps moving.
      if ((errno == EMFILE || errno == ENFILE) && open_ > 0) {
        ++counters_.closed_for_room;
        Finish(static_cast<uint32_t>(head_), false);
        continue;
      }
      return;
    }
    // The ring is in accept order; when its span is full, the oldest
    // connection (at the head: Finish() keeps the head on a live slot) goes.
    if (span_ == ring_.size()) {
      ++counters_.closed_for_room;
      Finish(static_cast<uint32_t>(head_), false);
    }
    const size_t tail = tail_;
    tail_ = (tail_ + 1) % ring_.size();
    ++span_;
    Conn& c = ring_[tail];
    c.fd = fd;
    c.live = true;
    c.generation = (c.generation + 1) & 0x7FFFFFFF;
    c.deadline_ms = NowMs() + options_.read_ms;
    c.obs.phase = Observation::Phase::kOpened;
    c.obs.time_us = WallUs();
    c.obs.done_us = 0;
    c.obs.proto = registry::Proto::kTcp;
    FromSockaddr(peer, &c.obs.src, &c.obs.sport);
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
    FromSockaddr(local, &c.obs.dst, &c.obs.dport);
    c.obs.payload.clear();
    c.obs.payload_len = 0;
    c.obs.payload_truncated = false;
    c.obs.peer_closed = false;
    ++open_;
    ++counters_.accepted;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = (static_cast<uint64_t>(c.generation) << 32) | tail;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    sink_->OnObservation(c.obs);
  }
}

void ConnectListener::ReadConn(uint32_t slot) {
  Conn& c = ring_[slot];
  const size_t want = options_.read_bytes - c.obs.payload.size();
  if (want == 0) {
    c.obs.payload_truncated = true;
    ++counters_.closed_after_bytes;
    Finish(slot, false);
    return;
  }
  char buf[4096];
  ssize_t n = recv(c.fd, buf, std::min(want, sizeof buf), 0);
  if (n > 0) {
    c.obs.payload.append(buf, static_cast<size_t>(n));
    c.obs.payload_len += static_cast<uint32_t>(n);
    counters_.payload_bytes += static_cast<uint64_t>(n);
    if (c.obs.payload.size() >= options_.read_bytes) {
      c.obs.payload_truncated = true;  // it may have had more to say
      ++counters_.closed_after_bytes;
      Finish(slot, false);
    }
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  ++counters_.closed_by_peer;
  Finish(slot, true);  // 0: FIN; <0: reset or error
}

void ConnectListener::Finish(uint32_t slot, bool by_peer) {
  Conn& c = ring_[slot];
  if (!c.live) return;
  epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  CloseWithReset(c.fd);
  c.live = false;
  c.fd = -1;
  --open_;
  c.obs.phase = Observation::Phase::kClosed;
  c.obs.done_us = WallUs();
  c.obs.peer_closed = by_peer;
  sink_->OnObservation(c.obs);
  // Advance the head over finished slots so the ring's span stays short.
  while (span_ > 0 && !ring_[head_].live) {
    head_ = (head_ + 1) % ring_.size();
    --span_;
  }
}

void ConnectListener::ExpireDeadlines(uint64_t now_ms) {
  // Deadlines grow in accept order, so the oldest live connection is next.
  while (open_ > 0) {
    if (ring_[head_].deadline_ms > now_ms) return;
    ++counters_.closed_after_time;
    Finish(static_cast<uint32_t>(head_), false);
  }
}

void ConnectListener::ReadDatagrams(const Socket& s) {
  mmsghdr msgs[kDatagramBatch];
  iovec iov[kDatagramBatch];
  sockaddr_storage peers[kDatagramBatch];
  alignas(cmsghdr) char control[kDatagramBatch][128];
  const size_t cap = std::max<size_t>(options_.read_bytes, 1);
  for (int i = 0; i < kDatagramBatch; ++i) {
    iov[i] = {buffer_.data() + i * cap, cap};
    msgs[i].msg_hdr = msghdr{};
    msgs[i].msg_hdr.msg_name = &peers[i];
    msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  // MSG_TRUNC in the flags makes msg_len the datagram's real length.
  int n = recvmmsg(s.fd, msgs, kDatagramBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
  if (n <= 0) return;
  const uint64_t now = WallUs();
  for (int i = 0; i < n; ++i) {
    Observation o;
    o.phase = Observation::Phase::kDatagram;
    o.time_us = now;
    o.proto = registry::Proto::kUdp;
    FromSockaddr(peers[i], &o.src, &o.sport);
    o.dport = s.port;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        o.dst = IpAddress::V4(reinterpret_cast<const uint8_t*>(&info.ipi_addr));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        o.dst = IpAddress::V6(info.ipi6_addr.s6_addr);
      }
    }
    o.payload_len = msgs[i].msg_len;
    size_t kept = std::min<size_t>(msgs[i].msg_len, cap);
    if (options_.read_bytes == 0) kept = 0;
    o.payload.assign(buffer_.data() + i * cap, kept);
    o.payload_truncated = msgs[i].msg_len > kept;
    ++counters_.datagrams;
    counters_.payload_bytes += kept;
    sink_->OnObservation(o);
  }
}

Status ConnectListener::Poll(int timeout_ms) {
  uint64_t now = NowMs();
  ExpireDeadlines(now);
  if (open_ > 0) {
    const uint64_t next = ring_[head_].deadline_ms;
    int until = static_cast<int>(next > now ? next - now : 0);
    if (timeout_ms < 0 || until < timeout_ms) timeout_ms = until;
  }
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epoll_, events, kMaxEvents, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return Status::Ok();
    return Status::PosixError("epoll_wait", errno);
  }
  for (int i = 0; i < n; ++i) {
    uint64_t tag = events[i].data.u64;
    if (tag & kSocketTag) {
      const Socket& s = sockets_[tag & ~kSocketTag];
      if (s.proto == registry::Proto::kTcp) AcceptBatch(s);
      else ReadDatagrams(s);
      continue;
    }
    uint32_t slot = static_cast<uint32_t>(tag & 0xFFFFFFFF);
    uint32_t gen = static_cast<uint32_t>(tag >> 32);
    if (slot >= ring_.size() || !ring_[slot].live || ring_[slot].generation != gen) continue;  // stale
    ReadConn(slot);
  }
  ExpireDeadlines(NowMs());
  return Status::Ok();
}

int ConnectListener::NextDeadlineMs() const {
  if (open_ == 0) return -1;
  const uint64_t now = NowMs();
  const uint64_t next = ring_[head_].deadline_ms;
  return static_cast<int>(next > now ? next - now : 0);
}

Status ConnectListener::Run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    if (Status s = Poll(200); !s.ok()) return s;
  }
  CloseAll();
  return Status::Ok();
}

void ConnectListener::CloseAll() {
  for (uint32_t slot = 0; slot < ring_.size(); ++slot)
    if (ring_[slot].live) Finish(slot, false);
}

}  // namespace portscope::canary
