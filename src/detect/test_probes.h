// Synthetic probes for detect/ tests and the benchmark: each function builds
// the Probe a decoder would produce for one packet of a well-known kind, with
// the header details the engine looks at (flags, window, options, IP ID).
#ifndef PORTSCOPE_DETECT_TEST_PROBES_H_
#define PORTSCOPE_DETECT_TEST_PROBES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "detect/alert.h"
#include "packet/probe.h"

namespace portscope::detect::testing {

namespace tf = packet::tcp_flags;

inline constexpr uint64_t kT0 = 1'700'000'000'000'000;  // an arbitrary epoch in microseconds
inline constexpr uint64_t kMs = 1000;
inline constexpr uint64_t kSec = 1'000'000;

inline IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

/// A bare TCP segment: no options, window 0 unless set by the caller.
inline packet::Probe Tcp(uint64_t t, const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport,
                         uint8_t flags) {
  packet::Probe p;
  p.time_us = t;
  p.src = src;
  p.dst = dst;
  p.sport = sport;
  p.dport = dport;
  p.transport = packet::Transport::kTcp;
  p.ttl = 64;
  p.tcp_flags = flags;
  p.window = 1024;
  return p;
}

/// nmap -sS: window 1024, MSS 1460 only, random IP ID.
inline packet::Probe NmapSyn(uint64_t t, const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport) {
  packet::Probe p = Tcp(t, src, sport, dst, dport, tf::kSyn);
  p.window = 1024;
  p.mss = 1460;
  p.tcp_option_count = 1;
  p.ip_id = static_cast<uint16_t>(dport * 7919 + 12345);
  p.ttl = 41;
  return p;
}

/// masscan: window 1024, no options, IP ID = (dst ^ dport ^ seq) & 0xffff.
inline packet::Probe MasscanSyn(uint64_t t, const IpAddress& src, const IpAddress& dst, uint16_t dport) {
  packet::Probe p = Tcp(t, src, 61000, dst, dport, tf::kSyn);
  p.window = 1024;
  p.seq = 0x9e3779b9u * (dport + 1u);
  p.ip_id = static_cast<uint16_t>(dst.v4() ^ dport ^ p.seq);
  p.ttl = 255;
  return p;
}

/// A Linux client's connect(): window 64240, MSS, SACK, timestamps, NOP, WS.
inline packet::Probe LinuxSyn(uint64_t t, const IpAddress& src, uint16_t sport, const IpAddress& dst,
                              uint16_t dport) {
  packet::Probe p = Tcp(t, src, sport, dst, dport, tf::kSyn);
  p.window = 64240;
  p.mss = 1460;
  p.sack_permitted = true;
  p.timestamps = true;
  p.wscale = 7;
  p.tcp_option_count = 5;
  p.ip_id = static_cast<uint16_t>(sport * 31);
  return p;
}

inline packet::Probe SynAck(uint64_t t, const IpAddress& server, uint16_t sport, const IpAddress& client,
                            uint16_t cport) {
  packet::Probe p = Tcp(t, server, sport, client, cport, tf::kSyn | tf::kAck);
  p.window = 65160;
  p.mss = 1460;
  p.tcp_option_count = 1;
  return p;
}

/// An established-connection segment from a Linux stack (timestamps on).
inline packet::Probe Segment(uint64_t t, const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport,
                             uint8_t flags, uint32_t payload_len) {
  packet::Probe p = Tcp(t, src, sport, dst, dport, flags);
  p.window = 502;
  p.timestamps = true;
  p.tcp_option_count = 3;
  p.payload_wire_len = payload_len;
  return p;
}

inline packet::Probe Udp(uint64_t t, const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport,
                         uint32_t payload_len) {
  packet::Probe p;
  p.time_us = t;
  p.src = src;
  p.dst = dst;
  p.sport = sport;
  p.dport = dport;
  p.transport = packet::Transport::kUdp;
  p.ttl = 64;
  p.payload_wire_len = payload_len;
  return p;
}

/// ICMP port unreachable (type 3 code 3) from `from`, quoting the datagram
/// orig_src:orig_sport -> orig_dst:orig_dport.
inline packet::Probe PortUnreachable(uint64_t t, const IpAddress& from, const IpAddress& orig_src,
                                     uint16_t orig_sport, const IpAddress& orig_dst, uint16_t orig_dport,
                                     packet::Transport quoted = packet::Transport::kUdp) {
  packet::Probe p;
  p.time_us = t;
  p.src = from;
  p.dst = orig_src;
  p.transport = from.is_v4() ? packet::Transport::kIcmp : packet::Transport::kIcmpv6;
  p.icmp_type = from.is_v4() ? 3 : 1;
  p.icmp_code = from.is_v4() ? 3 : 4;
  p.quoted_valid = true;
  p.quoted_transport = quoted;
  p.quoted_src = orig_src;
  p.quoted_dst = orig_dst;
  p.quoted_sport = orig_sport;
  p.quoted_dport = orig_dport;
  return p;
}

/// Collects alerts; Summaries() gives one line per alert for failure output.
class CollectingSink : public AlertSink {
 public:
  // The bitmap is a view valid only during the call: its ports are copied
  // into bitmap_ports (same index as alerts) and the kept alert's view cleared.
  void OnAlert(const Alert& a) override {
    bitmap_ports.push_back(BitmapPorts(a.port_bitmap, 65536));
    alerts.push_back(a);
    alerts.back().port_bitmap = {};
  }
  std::vector<Alert> Phase(AlertPhase phase) const {
    std::vector<Alert> out;
    for (const Alert& a : alerts) {
      if (a.phase == phase) out.push_back(a);
    }
    return out;
  }
  std::vector<Alert> started() const { return Phase(AlertPhase::kStarted); }
  std::vector<Alert> ended() const { return Phase(AlertPhase::kEnded); }
  std::string Summaries() const {
    std::string s;
    for (const Alert& a : alerts) s += Summarize(a) + "\n";
    return s;
  }
  std::vector<Alert> alerts;
  std::vector<std::vector<uint16_t>> bitmap_ports;
};

}  // namespace portscope::detect::testing

#endif  // PORTSCOPE_DETECT_TEST_PROBES_H_
