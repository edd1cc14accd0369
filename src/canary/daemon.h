// Daemon: the canary's event loop. It joins the probe feeds (connect-mode
// listeners, and any pollable feed another mode adds, such as a live
// capture) to the detect Engine and the store Writer:
//
//   ConnectListener ──Observation──►┐            ┌──► Writer ──► sinks (SQLite, JSON lines, syslog)
//   packet feed ──OnPacketProbe()──►├─► Daemon ──┤       events and AlertRecords
//                                   │  (Engine)  └──► AlertListeners (stderr line, webhooks, --block)
//   signalfd, timerfd ─────────────►┘
//
// Connect mode: an accepted connection is a probe for the engine at once (so
// the first touch of a watched port alerts at once); its stored event is
// written when the connection is over (the prober closed, read_bytes arrived
// or read_ms passed), so it holds the first bytes the prober sent. A UDP
// datagram is both at once.
//
// Sources in `ignore` are recorded (events) but never reach the engine: they
// never alert and take no detection state.
//
// One thread runs everything (Run); the Writer has its own thread for I/O.
// Signals: Create() blocks SIGTERM, SIGINT and SIGHUP in the calling thread
// before any thread starts (threads inherit the mask), and Run() takes them
// from a signalfd (the destructor restores the mask): SIGTERM/SIGINT end Run() after every open connection is
// reported and the writer flushed; SIGHUP reopens the sinks' files (after
// logrotate) and, when a reload callback is set, applies what it returns.
#ifndef PORTSCOPE_CANARY_DAEMON_H_
#define PORTSCOPE_CANARY_DAEMON_H_

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/cidr.h"
#include "base/status.h"
#include "canary/alert_listener.h"
#include "canary/connect_listener.h"
#include "canary/observation.h"
#include "detect/alert.h"
#include "detect/engine.h"
#include "detect/config.h"
#include "packet/probe.h"
#include "registry/registry.h"
#include "store/sink.h"
#include "store/writer.h"

namespace portscope::canary {

/// What SIGHUP may change without a restart. Ports, the bind address, the
/// read limits, the database and the user need a restart.
struct ReloadableConfig {
  /// Thresholds, capacities and watched ports (every port the listener
  /// bound is watched whatever this says). When they differ from those in use, the
  /// running scans end (reason "finished") and a fresh engine takes over.
  detect::Config detect;
  std::vector<Cidr> ignore;
};

struct DaemonOptions {
  /// Connect mode: bind these ports (TCP and UDP lists). With both lists
  /// empty no listener is opened (a capture feed does the watching).
  ListenerOptions listener;
  ReloadableConfig config;
  /// Written into every event and alert (the hostname by default).
  std::string sensor;
  store::WriterOptions writer;
  /// How often the engine's clock advances without probes (answer timeouts,
  /// scans ending, state expiring).
  uint32_t flush_interval_ms = 1000;
  /// Seeds the engine's keyed hashes (0: a random one).
  uint64_t seed = 0;
  /// Names for stored events' `service` (IANA name of the port); may be null.
  const registry::Registry* registry = nullptr;
  /// SIGHUP: returns the new config (re-read from the config file); an error
  /// keeps the config in use and is reported through `log`. Unset: SIGHUP
  /// only reopens files.
  std::function<Result<ReloadableConfig>()> reload;
  /// Notes for the operator (a failed reload, a sink error); unset: dropped.
  std::function<void(const std::string&)> log;
};

/// Counters of the whole daemon, for messages, /metrics and tests.
struct DaemonStats {
  uint64_t observations = 0;    // from the listeners
  uint64_t packet_probes = 0;   // OnPacketProbe calls
  uint64_t ignored = 0;         // probes from ignored sources (recorded, not detected)
  uint64_t events = 0;          // events handed to the writer (accepted or dropped there)
  uint64_t alerts = 0;          // alerts raised (every phase)
  uint64_t reloads = 0;         // SIGHUPs handled
  uint64_t reload_errors = 0;
};

class Daemon : public ObservationSink, public detect::AlertSink {
 public:
  /// Takes ownership of the sinks (the first is the primary one: the
  /// database). Blocks the signals it handles and binds the listener's ports
  /// (a port already held is an error naming it, and nothing stays bound).
  /// No thread is started before Run (the writer's starts there), so
  /// DropPrivileges between Create and Run covers the whole process.
  static Result<std::unique_ptr<Daemon>> Create(DaemonOptions options,
                                                std::vector<std::unique_ptr<store::Sink>> sinks);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Every alert (each phase) goes to `listener` after it is queued for the
  /// store, in order of registration. REQUIRES: before Run; `listener`
  /// outlives the Daemon.
  void AddAlertListener(AlertListener* listener);

  /// A pollable feed (e.g. a live capture's fd): `on_readable` runs on the
  /// daemon's thread whenever `fd` is readable (level-triggered) and
  /// typically calls OnPacketProbe for each packet it decodes. A non-ok
  /// Status from it ends Run() with that Status. `on_tick`, if set, runs
  /// once per flush interval (e.g. to read capture drop counters).
  /// REQUIRES: before Run; fd stays open until the Daemon is destroyed.
  Status AddFeed(int fd, std::function<Status()> on_readable, std::function<void()> on_tick = {});

  /// One decoded packet (stealth mode, or any capture): goes to the engine
  /// (unless its source is ignored), and, when it is a probe of a watched
  /// port (TCP or UDP destination port in the engine's watched lists), to the
  /// store as an event holding the first bytes of `probe.payload` (up to
  /// ListenerOptions::read_bytes). The payload is copied; the view may be
  /// reused once this returns. Call on the daemon's thread.
  void OnPacketProbe(const packet::Probe& probe);

  /// Runs the loop until SIGTERM/SIGINT or RequestStop(), then reports every
  /// open connection, finishes the engine's running scans and closes the
  /// writer (everything queued is written). Returns the first fatal error
  /// (a feed's, epoll's), or the writer's last error on close.
  Status Run();
  /// Makes Run() return as SIGTERM would. Thread-safe and signal-safe.
  void RequestStop();

  /// The ports bound (a 0 in the options becomes the port the kernel chose).
  std::vector<std::pair<registry::Proto, uint16_t>> bound() const;
  DaemonStats stats() const;
  /// The detection engine's counters (sources evicted, flows dropped, ...).
  detect::Counters engine_counters() const;
  store::WriterStats writer_stats() const;
  const ListenerCounters* listener_counters() const;

  // ObservationSink and detect::AlertSink: called from the loop.
  void OnObservation(const Observation& o) override;
  void OnAlert(const detect::Alert& alert) override;

 private:
  struct Feed {
    int fd;
    std::function<Status()> on_readable;
    std::function<void()> on_tick;
  };
  Daemon(DaemonOptions options, std::vector<std::unique_ptr<store::Sink>> sinks);
  Status Init();
  void NewEngine();
  Status HandleSignals(bool* stop);
  void Reload();
  void Tick();
  bool Ignored(const IpAddress& a) const;
  std::string ServiceName(uint16_t port, registry::Proto proto);
  void Record(store::Event e);

  DaemonOptions options_;
  std::vector<std::unique_ptr<store::Sink>> sinks_;
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<detect::Engine> engine_;
  std::unique_ptr<ConnectListener> listener_;
  std::vector<AlertListener*> alert_listeners_;
  std::vector<Feed> feeds_;
  std::unordered_map<uint32_t, std::string> service_names_;  // (proto << 16 | port), watched ports only
  uint64_t scan_id_base_ = 0;  // keeps scan ids unique in this run across engine rebuilds
  uint64_t last_scan_id_ = 0;
  int epoll_ = -1;
  int signal_fd_ = -1;
  int timer_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: RequestStop
  sigset_t old_mask_;  // restored by the destructor
  bool mask_saved_ = false;
  DaemonStats stats_;
};

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_DAEMON_H_
