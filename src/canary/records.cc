#include "canary/records.h"

#include <algorithm>

namespace portscope::canary {
namespace {

namespace tf = packet::tcp_flags;

// detect/ and store/ name their enums alike; map by name so that a value
// added to one without the other shows up as kMixed/kSingle, not as a
// different kind.
store::ScanKind StoreKind(detect::ScanKind k) {
  return store::ParseScanKind(detect::ScanKindName(k)).value_or(store::ScanKind::kMixed);
}

store::ScanShape StoreShape(detect::ScanShape s) {
  return store::ParseScanShape(detect::ScanShapeName(s)).value_or(store::ScanShape::kSingle);
}

store::AlertPhase StorePhase(detect::AlertPhase p) {
  return store::ParseAlertPhase(detect::AlertPhaseName(p)).value_or(store::AlertPhase::kUpdated);
}

// What the probe's flags say: "syn", or the stealth class ("fin", "null",
// "xmas", "ack", "maimon"), else "tcp".
std::string TcpAction(uint8_t flags) {
  if ((flags & (tf::kFin | tf::kSyn | tf::kRst | tf::kPsh | tf::kAck | tf::kUrg)) == tf::kSyn) return "syn";
  const detect::ProbeClass cls = detect::TcpFlagsClass(flags);
  return cls == detect::ProbeClass::kOddFlags ? "tcp" : std::string(detect::ProbeClassName(cls));
}

}  // namespace

store::AlertRecord ToAlertRecord(const detect::Alert& a, std::string_view sensor, uint64_t scan_id_base,
                                 uint64_t now_us) {
  store::AlertRecord r;
  r.scan_id = scan_id_base + a.scan_id;
  r.phase = StorePhase(a.phase);
  r.time_us = now_us;
  r.sensor = std::string(sensor);
  r.source = a.source;
  r.kind = StoreKind(a.kind);
  r.shape = StoreShape(a.shape);
  for (auto alg : {detect::Algorithm::kFastWindow, detect::Algorithm::kSlowWindow, detect::Algorithm::kTrw,
                   detect::Algorithm::kWatchedPort})
    if (a.fired(alg)) r.algorithms.emplace_back(detect::AlgorithmName(alg));
  r.first_seen_us = a.first_seen_us;
  r.last_seen_us = a.last_seen_us;
  r.probes = a.probes;
  r.port_count = a.ports_at_least;
  r.host_count = a.hosts_at_least;
  // The store keeps the scan's lowest kMaxAlertPorts ports. During OnAlert
  // the engine's bitmap of every port is there to read them from, so that
  // nmap's default scan (1,000 ports in 636 runs) is stored whole.
  if (!a.port_bitmap.empty()) {
    r.ports = detect::BitmapPorts(a.port_bitmap, store::kMaxAlertPorts);
  } else {
    // Without it, the lists: the lowest ports one by one (kAlertPorts) and as
    // runs (kAlertPortRanges), both prefixes of the scan's ascending ports,
    // so their union is one too.
    r.ports.assign(a.ports.begin(), a.ports.begin() + a.ports_listed);
    for (int i = 0; i < a.port_ranges_listed && r.ports.size() < 2 * store::kMaxAlertPorts; ++i) {
      const detect::Alert::PortRange& run = a.port_ranges[static_cast<size_t>(i)];
      for (uint32_t p = run.first; p <= run.last && r.ports.size() < 2 * store::kMaxAlertPorts; ++p)
        r.ports.push_back(static_cast<uint16_t>(p));
    }
    std::sort(r.ports.begin(), r.ports.end());
    r.ports.erase(std::unique(r.ports.begin(), r.ports.end()), r.ports.end());
    if (r.ports.size() > store::kMaxAlertPorts) r.ports.resize(store::kMaxAlertPorts);
  }
  r.hosts.assign(a.hosts.begin(), a.hosts.begin() + a.hosts_listed);
  r.evidence = detect::DescribeEvidence(a);
  r.tool_hint = detect::DescribeHint(a);
  if (a.phase == detect::AlertPhase::kEnded) {
    // "finished": for the canary, it stopped (or its thresholds were
    // reloaded) while the scan ran.
    r.ended_reason = std::string(detect::EndReasonName(a.end_reason));
  }
  return r;
}

namespace {

// An event's who, where and when; UDP ones are datagrams, TCP ones get their
// flags and action from the caller.
template <typename From>
store::Event EventOf(const From& f, std::string_view sensor, bool udp) {
  store::Event e;
  e.time_us = f.time_us;
  e.sensor = std::string(sensor);
  e.src = f.src;
  e.sport = f.sport;
  e.dst = f.dst;
  e.dport = f.dport;
  e.transport = udp ? store::Transport::kUdp : store::Transport::kTcp;
  if (udp) e.action = "datagram";
  return e;
}

}  // namespace

store::Event ObservationToEvent(const Observation& o, std::string_view sensor) {
  store::Event e = EventOf(o, sensor, o.proto == registry::Proto::kUdp);
  if (e.transport == store::Transport::kTcp) {
    e.tcp_flags = tf::kSyn;
    e.action = "connect";
  }
  e.payload = o.payload;
  e.payload_truncated = o.payload_truncated;
  return e;
}

store::Event PacketToEvent(const packet::Probe& p, std::string_view sensor, size_t max_payload) {
  store::Event e = EventOf(p, sensor, p.transport == packet::Transport::kUdp);
  if (e.transport == store::Transport::kTcp) {
    e.tcp_flags = p.tcp_flags;
    e.action = TcpAction(p.tcp_flags);
  }
  const size_t kept = std::min(p.payload.size(), max_payload);
  e.payload.assign(reinterpret_cast<const char*>(p.payload.data()), kept);
  e.payload_truncated = p.payload_wire_len > kept;
  return e;
}

packet::Probe ObservationProbe(const Observation& o) {
  packet::Probe p;
  p.time_us = o.time_us;
  p.src = o.src;
  p.dst = o.dst;
  p.sport = o.sport;
  p.dport = o.dport;
  p.transport = o.proto == registry::Proto::kUdp ? packet::Transport::kUdp : packet::Transport::kTcp;
  p.ip_proto = o.proto == registry::Proto::kUdp ? 17 : 6;
  if (p.transport == packet::Transport::kTcp) {
    p.tcp_flags = tf::kSyn;
    // A completed handshake means a full TCP stack made the SYN (connect(),
    // never a raw-socket scanner's bare SYN): mark it as an OS SYN so the
    // engine classes the probe as a connect.
    p.timestamps = true;
  } else {
    p.payload = {reinterpret_cast<const uint8_t*>(o.payload.data()), o.payload.size()};
    p.payload_wire_len = o.payload_len;
  }
  return p;
}

}  // namespace portscope::canary
