#include "canary/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "canary/records.h"
#include "detect/engine.h"

namespace portscope::canary {
namespace {

namespace tf = packet::tcp_flags;

// epoll tags: fixed sources first, then feeds by index.
constexpr uint64_t kTagListener = 0;
constexpr uint64_t kTagSignal = 1;
constexpr uint64_t kTagTimer = 2;
constexpr uint64_t kTagStop = 3;
constexpr uint64_t kTagFeed = 4;

uint64_t WallUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

Status AddToEpoll(int epoll, int fd, uint64_t tag, const char* what) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return Status::PosixError(std::string("epoll_ctl ") + what, errno);
  return Status::Ok();
}

// A segment of an accepted connection, for the engine: the listener sees the
// connection, not its packets, so the daemon tells the engine what the wire
// carried.
packet::Probe Segment(const Observation& o, uint64_t time_us, bool from_prober, uint8_t flags) {
  packet::Probe p;
  p.time_us = time_us;
  p.transport = packet::Transport::kTcp;
  p.ip_proto = 6;
  p.tcp_flags = flags;
  p.src = from_prober ? o.src : o.dst;
  p.sport = from_prober ? o.sport : o.dport;
  p.dst = from_prober ? o.dst : o.src;
  p.dport = from_prober ? o.dport : o.sport;
  return p;
}

// Every bound port is watched (one probe is an alert), whatever the config
// says; also the ports the kernel chose for a 0.
void AddBound(const std::vector<std::pair<registry::Proto, uint16_t>>& bound, detect::Config* c) {
  for (const auto& [proto, port] : bound)
    (proto == registry::Proto::kTcp ? c->watched_tcp_ports : c->watched_udp_ports).push_back(port);
  // Sorted and unique, so that a reloaded config compares equal when only
  // the order differed (n log n: `--ports 0-65535` binds 65,536 of each).
  for (auto* list : {&c->watched_tcp_ports, &c->watched_udp_ports}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
}

}  // namespace

Daemon::Daemon(DaemonOptions options, std::vector<std::unique_ptr<store::Sink>> sinks)
    : options_(std::move(options)), sinks_(std::move(sinks)) {}

Daemon::~Daemon() {
  if (writer_) (void)writer_->Close();
  listener_.reset();
  for (int fd : {epoll_, signal_fd_, timer_fd_, stop_fd_})
    if (fd >= 0) close(fd);
  // Children started later (tests, --block's nft) must not inherit the mask.
  if (mask_saved_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

Result<std::unique_ptr<Daemon>> Daemon::Create(DaemonOptions options,
                                               std::vector<std::unique_ptr<store::Sink>> sinks) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(options), std::move(sinks)));
  if (Status s = d->Init(); !s.ok()) return s;
  return d;
}

Status Daemon::Init() {
  // Before any thread exists (the writer's starts in Run), so every thread
  // inherits the mask and the signals reach only the signalfd.
  sigset_t set = HandledSignals();
  if (int err = pthread_sigmask(SIG_BLOCK, &set, &old_mask_); err != 0) return Status::PosixError("pthread_sigmask", err);
  mask_saved_ = true;
  // A JSON reader that goes away must cost an error, not the process.
  signal(SIGPIPE, SIG_IGN);

  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) return Status::PosixError("epoll_create1", errno);
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Status::PosixError("signalfd", errno);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return Status::PosixError("timerfd_create", errno);
  const uint32_t ms = std::max<uint32_t>(options_.flush_interval_ms, 10);
  itimerspec its{};
  its.it_interval.tv_sec = ms / 1000;
  its.it_interval.tv_nsec = static_cast<long>(ms % 1000) * 1000000;
  its.it_value = its.it_interval;
  if (timerfd_settime(timer_fd_, 0, &its, nullptr) != 0) return Status::PosixError("timerfd_settime", errno);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) return Status::PosixError("eventfd", errno);
  if (Status s = AddToEpoll(epoll_, signal_fd_, kTagSignal, "signalfd"); !s.ok()) return s;
  if (Status s = AddToEpoll(epoll_, timer_fd_, kTagTimer, "timerfd"); !s.ok()) return s;
  if (Status s = AddToEpoll(epoll_, stop_fd_, kTagStop, "eventfd"); !s.ok()) return s;

  if (options_.seed == 0) {
    std::random_device rd;
    options_.seed = (uint64_t{rd()} << 32) ^ rd();
  }
  if (!options_.listener.tcp_ports.empty() || !options_.listener.udp_ports.empty()) {
    auto l = ConnectListener::Open(options_.listener, this);
    if (!l.ok()) return l.status();
    listener_ = std::move(*l);
    if (Status s = AddToEpoll(epoll_, listener_->fd(), kTagListener, "listener"); !s.ok()) return s;
  }
  NewEngine();

  std::vector<store::Sink*> raw;
  for (auto& s : sinks_) raw.push_back(s.get());
  writer_ = std::make_unique<store::Writer>(options_.writer, std::move(raw));
  return Status::Ok();
}

void Daemon::NewEngine() {
  if (listener_) AddBound(listener_->bound(), &options_.config.detect);
  engine_ = std::make_unique<detect::Engine>(options_.config.detect, options_.seed);
}

void Daemon::AddAlertListener(AlertListener* listener) { alert_listeners_.push_back(listener); }

Status Daemon::AddFeed(int fd, std::function<Status()> on_readable, std::function<void()> on_tick) {
  if (Status s = AddToEpoll(epoll_, fd, kTagFeed + feeds_.size(), "feed"); !s.ok()) return s;
  feeds_.push_back(Feed{fd, std::move(on_readable), std::move(on_tick)});
  return Status::Ok();
}

std::vector<std::pair<registry::Proto, uint16_t>> Daemon::bound() const {
  return listener_ ? listener_->bound() : std::vector<std::pair<registry::Proto, uint16_t>>{};
}

DaemonStats Daemon::stats() const { return stats_; }
detect::Counters Daemon::engine_counters() const { return engine_->counters(); }
store::WriterStats Daemon::writer_stats() const { return writer_->stats(); }
const ListenerCounters* Daemon::listener_counters() const { return listener_ ? &listener_->counters() : nullptr; }

void Daemon::RequestStop() {
  uint64_t one = 1;
  // Nothing to do on failure: the counter is already non-zero.
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
}

bool Daemon::Ignored(const IpAddress& a) const {
  for (const Cidr& c : options_.config.ignore)
    if (c.Contains(a)) return true;
  return false;
}

std::string Daemon::ServiceName(uint16_t port, registry::Proto proto) {
  if (!options_.registry) return "";
  const uint32_t key = (static_cast<uint32_t>(proto) << 16) | port;
  auto it = service_names_.find(key);
  if (it != service_names_.end()) return it->second;
  std::string name(options_.registry->LookupBrief(registry::PortRef{port, proto}).name);
  // Events come only for watched ports, so the cache stays small.
  service_names_.emplace(key, name);
  return name;
}

void Daemon::Record(store::Event e) {
  e.service = ServiceName(e.dport, e.transport == store::Transport::kUdp ? registry::Proto::kUdp : registry::Proto::kTcp);
  ++stats_.events;
  writer_->Enqueue(std::move(e));
}

void Daemon::OnObservation(const Observation& o) {
  ++stats_.observations;
  const bool ignored = Ignored(o.src);
  if (ignored && o.phase != Observation::Phase::kOpened) ++stats_.ignored;
  switch (o.phase) {
    case Observation::Phase::kOpened:
      // The handshake: the engine learns of the probe now, so a watched port
      // alerts at once; the event waits for the first bytes.
      if (!ignored) {
        engine_->Process(ObservationProbe(o), *this);
        engine_->Process(Segment(o, o.time_us, true, tf::kAck), *this);
      }
      return;
    case Observation::Phase::kClosed:
      if (!ignored) {
        if (!o.payload.empty()) {
          packet::Probe data = Segment(o, o.done_us, true, tf::kAck | tf::kPsh);
          data.payload_wire_len = o.payload_len;
          engine_->Process(data, *this);
        }
        // The prober's FIN (or RST), else our RST.
        engine_->Process(o.peer_closed ? Segment(o, o.done_us, true, tf::kFin | tf::kAck)
                                       : Segment(o, o.done_us, false, tf::kRst | tf::kAck),
                         *this);
      }
      Record(ObservationToEvent(o, options_.sensor));
      return;
    case Observation::Phase::kDatagram:
      if (!ignored) engine_->Process(ObservationProbe(o), *this);
      Record(ObservationToEvent(o, options_.sensor));
      return;
  }
}

void Daemon::OnPacketProbe(const packet::Probe& probe) {
  ++stats_.packet_probes;
  if (Ignored(probe.src)) ++stats_.ignored;
  else engine_->Process(probe, *this);
  const bool watched = engine_->IsWatched(probe.transport, probe.dport);
  if (watched) Record(PacketToEvent(probe, options_.sensor, options_.listener.read_bytes));
}

void Daemon::OnAlert(const detect::Alert& alert) {
  ++stats_.alerts;
  last_scan_id_ = std::max(last_scan_id_, scan_id_base_ + alert.scan_id);
  store::AlertRecord record = ToAlertRecord(alert, options_.sensor, scan_id_base_, WallUs());
  writer_->Enqueue(record);
  for (AlertListener* l : alert_listeners_) l->OnAlert(record);
}

void Daemon::Tick() {
  uint64_t expirations;
  while (read(timer_fd_, &expirations, sizeof expirations) > 0) {
  }
  engine_->Flush(WallUs(), *this);
  for (const Feed& f : feeds_)
    if (f.on_tick) f.on_tick();
}

void Daemon::Reload() {
  ++stats_.reloads;
  if (Status s = writer_->Reopen(); !s.ok() && options_.log) options_.log("SIGHUP: reopening files: " + s.message());
  if (!options_.reload) return;
  auto fresh = options_.reload();
  if (!fresh.ok()) {
    ++stats_.reload_errors;
    if (options_.log) options_.log("SIGHUP: config not reloaded, the previous one stays in use: " + fresh.status().message());
    return;
  }
  options_.config.ignore = std::move(fresh->ignore);
  if (listener_) AddBound(listener_->bound(), &fresh->detect);
  if (!(fresh->detect == options_.config.detect)) {
    // New thresholds: the running scans end under the old ones, and scan ids
    // continue after theirs.
    engine_->Finish(*this);
    scan_id_base_ = last_scan_id_;
    options_.config.detect = std::move(fresh->detect);
    NewEngine();
  }
  if (options_.log) options_.log("SIGHUP: files reopened, config reloaded");
}

Status Daemon::HandleSignals(bool* stop) {
  signalfd_siginfo info;
  for (;;) {
    ssize_t n = read(signal_fd_, &info, sizeof info);
    if (n < 0) {
      if (errno == EAGAIN) return Status::Ok();
      if (errno == EINTR) continue;
      return Status::PosixError("read signalfd", errno);
    }
    if (n != sizeof info) return Status::Ok();
    if (info.ssi_signo == SIGHUP) Reload();
    else *stop = true;  // SIGTERM, SIGINT
  }
}

Status Daemon::Run() {
  writer_->Start();
  Status result;
  bool stop = false;
  epoll_event events[32];
  while (!stop) {
    const int timeout = listener_ ? listener_->NextDeadlineMs() : -1;
    int n = epoll_wait(epoll_, events, 32, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = Status::PosixError("epoll_wait", errno);
      break;
    }
    // A timeout means a read deadline is due: the listener closes those.
    bool poll_listener = n == 0 && listener_;
    for (int i = 0; i < n && result.ok(); ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kTagListener) {
        poll_listener = true;
      } else if (tag == kTagSignal) {
        result = HandleSignals(&stop);
      } else if (tag == kTagTimer) {
        Tick();
      } else if (tag == kTagStop) {
        stop = true;
      } else if (tag - kTagFeed < feeds_.size()) {
        result = feeds_[tag - kTagFeed].on_readable();
      }
    }
    if (!result.ok()) break;
    if (poll_listener)
      if (Status s = listener_->Poll(0); !s.ok()) {
        result = s;
        break;
      }
  }
  // Connections the kernel completed before the stop are accepted and
  // recorded too (bounded: a flood that goes on cannot hold the exit).
  if (listener_ && result.ok()) {
    for (int round = 0; round < 64; ++round) {
      const uint64_t before = listener_->counters().accepted + listener_->counters().datagrams;
      if (Status s = listener_->Poll(0); !s.ok()) break;
      if (listener_->counters().accepted + listener_->counters().datagrams == before) break;
    }
  }
  // What the open connections sent so far is recorded; running scans end.
  if (listener_) listener_->CloseAll();
  engine_->Finish(*this);
  Status closed = writer_->Close();
  return result.ok() ? closed : result;
}

}  // namespace portscope::canary
