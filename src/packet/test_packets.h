// Test helpers: assemble frames header by header, and pcap files record by
// record, so tests state their packets field by field instead of as hex.
// For tests, the perftest and seed generation only; allocates freely.
#ifndef PORTSCOPE_PACKET_TEST_PACKETS_H_
#define PORTSCOPE_PACKET_TEST_PACKETS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "packet/probe.h"

namespace portscope::packet::testing {

using Bytes = std::vector<uint8_t>;

inline void Put8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void Put32(Bytes& b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
inline void Put32Le(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void Put16Le(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
inline void Append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline Bytes Cat(Bytes a, const Bytes& b) {
  Append(a, b);
  return a;
}

// ---- transport ----

struct TcpSpec {
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint32_t seq = 0x01020304;
  uint32_t ack = 0;
  uint8_t flags = tcp_flags::kSyn;
  uint16_t window = 1024;
  Bytes options;  // padded to 4 bytes with end-of-list
  Bytes payload;
  int data_offset = -1;  // in 32-bit words; -1 computes it
};

inline Bytes Tcp(const TcpSpec& s) {
  Bytes opts = s.options;
  while (opts.size() % 4) opts.push_back(0);
  Bytes b;
  Put16(b, s.sport);
  Put16(b, s.dport);
  Put32(b, s.seq);
  Put32(b, s.ack);
  const int words = s.data_offset >= 0 ? s.data_offset : static_cast<int>(5 + opts.size() / 4);
  Put8(b, static_cast<uint8_t>(words << 4));
  Put8(b, s.flags);
  Put16(b, s.window);
  Put16(b, 0);  // checksum: the decoders do not verify it
  Put16(b, 0);  // urgent pointer
  Append(b, opts);
  Append(b, s.payload);
  return b;
}

inline Bytes Udp(uint16_t sport, uint16_t dport, const Bytes& payload, int length = -1) {
  Bytes b;
  Put16(b, sport);
  Put16(b, dport);
  Put16(b, static_cast<uint16_t>(length >= 0 ? length : static_cast<int>(8 + payload.size())));
  Put16(b, 0);
  Append(b, payload);
  return b;
}

/// ICMP or ICMPv6: type, code, checksum 0, four zero bytes, then `body`.
inline Bytes Icmp(uint8_t type, uint8_t code, const Bytes& body) {
  Bytes b(8 + body.size(), 0);
  b[0] = type;
  b[1] = code;
  std::copy(body.begin(), body.end(), b.begin() + 8);
  return b;
}

// ---- IP ----

struct Ipv4Spec {
  uint8_t proto = 6;
  std::array<uint8_t, 4> src = {192, 0, 2, 1};
  std::array<uint8_t, 4> dst = {198, 51, 100, 7};
  uint8_t ttl = 64;
  uint16_t id = 0x1234;
  uint16_t flags_offset = 0;  // DF 0x4000, MF 0x2000, offset in 8-byte units
  Bytes options;              // padded to 4 bytes with end-of-list
  int total_length = -1;      // -1 computes it
  int ihl = -1;               // in 32-bit words; -1 computes it
  uint8_t version = 4;
};

inline Bytes Ipv4(const Ipv4Spec& s, const Bytes& payload) {
  Bytes opts = s.options;
  while (opts.size() % 4) opts.push_back(0);
  const int ihl = s.ihl >= 0 ? s.ihl : static_cast<int>(5 + opts.size() / 4);
  const int total =
      s.total_length >= 0 ? s.total_length : static_cast<int>(20 + opts.size() + payload.size());
  Bytes b;
  Put8(b, static_cast<uint8_t>((s.version << 4) | (ihl & 0x0f)));
  Put8(b, 0);
  Put16(b, static_cast<uint16_t>(total));
  Put16(b, s.id);
  Put16(b, s.flags_offset);
  Put8(b, s.ttl);
  Put8(b, s.proto);
  Put16(b, 0);
  b.insert(b.end(), s.src.begin(), s.src.end());
  b.insert(b.end(), s.dst.begin(), s.dst.end());
  Append(b, opts);
  // Header checksum, so the bytes look right in tcpdump.
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < b.size(); i += 2) sum += (uint32_t{b[i]} << 8) | b[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[10] = static_cast<uint8_t>(~sum >> 8);
  b[11] = static_cast<uint8_t>(~sum);
  Append(b, payload);
  return b;
}

struct Ipv6Spec {
  uint8_t next = 6;
  std::array<uint8_t, 16> src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::array<uint8_t, 16> dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  uint8_t hop_limit = 64;
  int payload_length = -1;  // -1 computes it
  uint8_t version = 6;
};

/// `payload` includes any extension headers.
inline Bytes Ipv6(const Ipv6Spec& s, const Bytes& payload) {
  Bytes b;
  Put32(b, uint32_t{s.version} << 28);
  Put16(b, static_cast<uint16_t>(s.payload_length >= 0 ? s.payload_length
                                                       : static_cast<int>(payload.size())));
  Put8(b, s.next);
  Put8(b, s.hop_limit);
  b.insert(b.end(), s.src.begin(), s.src.end());
  b.insert(b.end(), s.dst.begin(), s.dst.end());
  Append(b, payload);
  return b;
}

/// Hop-by-hop, routing or destination options: (units + 1) * 8 bytes, PadN.
inline Bytes Ipv6Ext(uint8_t next, uint8_t units = 0) {
  Bytes b((size_t{units} + 1) * 8, 0);
  b[0] = next;
  b[1] = units;
  return b;
}
/// Fragment header; `offset` in 8-byte units.
inline Bytes Ipv6Frag(uint8_t next, uint16_t offset, bool more) {
  Bytes b = {next, 0};
  Put16(b, static_cast<uint16_t>((offset << 3) | (more ? 1 : 0)));
  Put32(b, 0xabcdef01);
  return b;
}
/// Authentication header: (len + 2) * 4 bytes.
inline Bytes Ipv6Ah(uint8_t next, uint8_t len = 4) {
  Bytes b((size_t{len} + 2) * 4, 0);
  b[0] = next;
  b[1] = len;
  return b;
}

// ---- link ----

/// Ethernet with optional tags (each a TPID such as 0x8100 and a TCI).
inline Bytes Ethernet(uint16_t ethertype, const Bytes& payload,
                      const std::vector<uint16_t>& tag_tpids = {}, size_t pad_to = 0) {
  Bytes b = {0x40, 0x7c, 0x7d, 0xb1, 0xe9, 0xb7, 0x00, 0x24, 0x38, 0x98, 0xcb, 0x00};
  for (size_t i = 0; i < tag_tpids.size(); ++i) {
    Put16(b, tag_tpids[i]);
    Put16(b, static_cast<uint16_t>(100 + i));  // VLAN id
  }
  Put16(b, ethertype);
  Append(b, payload);
  if (b.size() < pad_to) b.resize(pad_to, 0);
  return b;
}

inline Bytes LinuxSll(uint16_t protocol, const Bytes& payload) {
  Bytes b;
  Put16(b, 0);  // PACKET_HOST
  Put16(b, 1);  // ARPHRD_ETHER
  Put16(b, 6);  // address length
  Bytes addr = {0, 0x24, 0x38, 0x98, 0xcb, 0, 0, 0};
  Append(b, addr);
  Put16(b, protocol);
  Append(b, payload);
  return b;
}

inline Bytes LinuxSll2(uint16_t protocol, const Bytes& payload) {
  Bytes b;
  Put16(b, protocol);
  Put16(b, 0);  // reserved
  Put32(b, 2);  // interface index
  Put16(b, 1);  // ARPHRD_ETHER
  Put8(b, 0);   // PACKET_HOST
  Put8(b, 6);   // address length
  Bytes addr = {0, 0x24, 0x38, 0x98, 0xcb, 0, 0, 0};
  Append(b, addr);
  Append(b, payload);
  return b;
}

/// DLT_NULL (host order, little-endian unless `big_endian`) or DLT_LOOP (big).
inline Bytes Loopback(uint32_t family, const Bytes& payload, bool big_endian) {
  Bytes b;
  if (big_endian) {
    Put32(b, family);
  } else {
    Put32Le(b, family);
  }
  Append(b, payload);
  return b;
}

/// A typical scanner SYN: Ethernet, IPv4 (TTL 52), TCP with MSS 1460.
inline Bytes EthernetIpv4Syn(uint16_t dport, uint32_t src_host = 0xc0000201) {
  Ipv4Spec ip;
  ip.ttl = 52;
  ip.src = {static_cast<uint8_t>(src_host >> 24), static_cast<uint8_t>(src_host >> 16),
            static_cast<uint8_t>(src_host >> 8), static_cast<uint8_t>(src_host)};
  TcpSpec tcp;
  tcp.dport = dport;
  tcp.options = {2, 4, 0x05, 0xb4};
  return Ethernet(0x0800, Ipv4(ip, Tcp(tcp)), {}, 60);
}

// ---- pcap files (little-endian, microsecond, version 2.4) ----

struct PcapRecord {
  uint32_t sec = 0;
  uint32_t usec = 0;
  Bytes bytes;
  int caplen = -1;  // -1: bytes.size()
  int len = -1;     // -1: bytes.size()
};

inline Bytes PcapFile(uint32_t linktype, const std::vector<PcapRecord>& records,
                      uint32_t snaplen = 65535) {
  Bytes b;
  Put32Le(b, 0xa1b2c3d4);
  Put16Le(b, 2);
  Put16Le(b, 4);
  Put32Le(b, 0);  // thiszone
  Put32Le(b, 0);  // sigfigs
  Put32Le(b, snaplen);
  Put32Le(b, linktype);
  for (const PcapRecord& r : records) {
    Put32Le(b, r.sec);
    Put32Le(b, r.usec);
    Put32Le(b, static_cast<uint32_t>(r.caplen >= 0 ? r.caplen : static_cast<int>(r.bytes.size())));
    Put32Le(b, static_cast<uint32_t>(r.len >= 0 ? r.len : static_cast<int>(r.bytes.size())));
    Append(b, r.bytes);
  }
  return b;
}

/// pcapng: section header, one interface (microsecond resolution), one
/// enhanced packet block per record.
inline Bytes PcapngFile(uint16_t linktype, const std::vector<PcapRecord>& records) {
  Bytes b;
  Put32Le(b, 0x0a0d0d0a);  // section header block
  Put32Le(b, 28);
  Put32Le(b, 0x1a2b3c4d);
  Put16Le(b, 1);
  Put16Le(b, 0);
  Put32Le(b, 0xffffffff);  // section length unknown (64-bit -1)
  Put32Le(b, 0xffffffff);
  Put32Le(b, 28);
  Put32Le(b, 1);  // interface description block
  Put32Le(b, 20);
  Put16Le(b, linktype);
  Put16Le(b, 0);
  Put32Le(b, 262144);
  Put32Le(b, 20);
  for (const PcapRecord& r : records) {
    const size_t padded = (r.bytes.size() + 3) / 4 * 4;
    const uint32_t total = static_cast<uint32_t>(32 + padded);
    const uint64_t ts = uint64_t{r.sec} * 1000000 + r.usec;
    Put32Le(b, 6);  // enhanced packet block
    Put32Le(b, total);
    Put32Le(b, 0);  // interface id
    Put32Le(b, static_cast<uint32_t>(ts >> 32));
    Put32Le(b, static_cast<uint32_t>(ts));
    Put32Le(b, static_cast<uint32_t>(r.bytes.size()));
    Put32Le(b, static_cast<uint32_t>(r.len >= 0 ? r.len : static_cast<int>(r.bytes.size())));
    Append(b, r.bytes);
    b.resize(b.size() + (padded - r.bytes.size()), 0);
    Put32Le(b, total);
  }
  return b;
}

}  // namespace portscope::packet::testing

#endif  // PORTSCOPE_PACKET_TEST_PACKETS_H_
