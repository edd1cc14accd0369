// make_scan_capture: writes a synthetic pcap of a monitored /16 under port
// scans, for the detect/ benchmarks (bench/analyze.sh) and for comparing the
// analyze path before and after a change. Deterministic for a given seed.
//
// The capture is what a sensor on the border of 198.18.0.0/16 would see, both
// directions, Ethernet/IPv4 (and some IPv6) frames:
//  - clients (60% of the sources) fetching from 64 web servers over TCP with
//    a full handshake, a request, 1-30 response segments of 1448 bytes, ACKs
//    and a FIN exchange; some ask the DNS server over UDP; 5% of them are
//    IPv6 clients of the same servers;
//  - knockers (30%): one to three SYNs each to telnet, SMB or SSH ports of
//    random addresses (the Internet's background radiation; below every
//    threshold);
//  - scanners (10%): one campaign each of a few to thousands of probes,
//    SYN (masscan-, nmap- or zmap-like), connect, FIN/NULL/Xmas, ACK or UDP,
//    vertical, horizontal or block, fast or slow.
// One address in eight of the /16 is a live host; live hosts answer as Linux
// does (SYN-ACK from an open port, RST from a closed one, ICMP port
// unreachable for UDP to a closed port); dark addresses never answer. A
// raw-socket scanner's own kernel resets the SYN-ACKs it did not expect.
//
// Usage:
//   make_scan_capture --out FILE [--packets N | --bytes B] [--sources S]
//                     [--rate PPS] [--snaplen L] [--seed X]
// --packets stops after N frames, --bytes once the file holds B bytes
// (suffixes k, M, G); --rate is frames per second of capture time (default
// 200,000); --snaplen cuts stored frames (the wire length is kept), as
// `tcpdump -s` does. Prints what it wrote.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Randomness (splitmix64: fast, deterministic, good enough for traffic).

struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((Next() >> 32) * n >> 32); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // Geometric-ish count with mean about `mean`, at least 1.
  uint32_t Geometric(double mean) {
    uint32_t n = 1;
    const double p = 1.0 / mean;
    while (!Chance(p) && n < 100000) ++n;
    return n;
  }
};

uint64_t Mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ULL;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dULL;
  return x ^ (x >> 33);
}

// ---------------------------------------------------------------------------
// The monitored network.

constexpr uint32_t kNet = 0xc6120000u;  // 198.18.0.0/16
constexpr uint32_t kDns = kNet | 53;
constexpr int kServers = 64;  // 198.18.0.1 - 198.18.0.64
constexpr uint16_t kCommonPorts[] = {21,   22,   23,   25,   53,   80,   110,  111,  135,  139,  143,  443,
                                     445,  993,  995,  1433, 1723, 2323, 3306, 3389, 5432, 5900, 6379, 8080,
                                     8443, 8888, 9200, 11211, 27017, 37215, 49152, 60001};
constexpr int kCommonCount = sizeof(kCommonPorts) / sizeof(kCommonPorts[0]);

bool Live(uint32_t host) { return (host >> 16) == (kNet >> 16) && (Mix(host) & 7) == 0; }
bool OpenTcp(uint32_t host, uint16_t port) {
  if (!Live(host)) return false;
  if ((host & 0xffff) >= 1 && (host & 0xffff) <= kServers) return port == 80 || port == 443 || port == 22;
  return port == 22 ? (Mix(host * 3) & 1) : (Mix(host ^ (uint64_t{port} << 32)) % 16) == 0;
}
bool OpenUdp(uint32_t host, uint16_t port) { return host == kDns && port == 53; }

// ---------------------------------------------------------------------------
// Frames.

struct V6 {
  uint8_t b[16];
};

struct Endpoint {
  bool v6 = false;
  uint32_t v4 = 0;
  V6 v6addr{};
  uint8_t mac = 0;
};

struct TcpOpts {
  bool mss = false, sack = false, ts = false, ws = false;
};

uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint64_t SumBytes(const uint8_t* p, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) s += uint32_t{p[n - 1]} << 8;
  return s;
}

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

// Builds one frame into `buf` (large enough for 14 + 40 + 60 + 1448 bytes).
class FrameBuilder {
 public:
  // Ethernet + IP header for `l4_len` bytes of transport; returns the offset
  // of the transport header.
  size_t Ip(uint8_t* buf, const Endpoint& src, const Endpoint& dst, uint8_t proto, size_t l4_len, uint8_t ttl,
            uint16_t ip_id) {
    for (int i = 0; i < 6; ++i) buf[i] = static_cast<uint8_t>(0x02 + (i == 5 ? dst.mac : 0));
    for (int i = 0; i < 6; ++i) buf[6 + i] = static_cast<uint8_t>(0x04 + (i == 5 ? src.mac : 0));
    uint8_t* ip = buf + 14;
    if (!src.v6) {
      Put16(buf + 12, 0x0800);
      ip[0] = 0x45;
      ip[1] = 0;
      Put16(ip + 2, static_cast<uint16_t>(20 + l4_len));
      Put16(ip + 4, ip_id);
      Put16(ip + 6, 0x4000);  // don't fragment
      ip[8] = ttl;
      ip[9] = proto;
      Put16(ip + 10, 0);
      Put32(ip + 12, src.v4);
      Put32(ip + 16, dst.v4);
      Put16(ip + 10, Fold(SumBytes(ip, 20)));
      pseudo_ = (src.v4 >> 16) + (src.v4 & 0xffff) + (dst.v4 >> 16) + (dst.v4 & 0xffff) + proto + l4_len;
      return 34;
    }
    Put16(buf + 12, 0x86dd);
    Put32(ip, 0x60000000u);
    Put16(ip + 4, static_cast<uint16_t>(l4_len));
    ip[6] = proto;
    ip[7] = ttl;
    std::memcpy(ip + 8, src.v6addr.b, 16);
    std::memcpy(ip + 24, dst.v6addr.b, 16);
    pseudo_ = SumBytes(ip + 8, 32) + proto + l4_len;
    return 54;
  }

  // A TCP segment; returns the frame length.
  size_t Tcp(uint8_t* buf, const Endpoint& src, uint16_t sport, const Endpoint& dst, uint16_t dport, uint32_t seq,
             uint32_t ack, uint8_t flags, uint16_t window, const TcpOpts& o, size_t payload, uint8_t ttl,
             uint16_t ip_id) {
    uint8_t opts[40];
    size_t n = 0;
    if (o.mss) {
      opts[n++] = 2, opts[n++] = 4, opts[n++] = 0x05, opts[n++] = 0xb4;
    }
    // Linux's layout (tcp_options_write), as tests/captures/benign.pcap shows
    // it: SACK-permitted shares a word with the timestamps, or else two NOPs
    // do; without timestamps, two NOPs precede SACK-permitted.
    if (o.ts) {
      if (o.sack) {
        opts[n++] = 4, opts[n++] = 2;
      } else {
        opts[n++] = 1, opts[n++] = 1;
      }
      opts[n++] = 8, opts[n++] = 10;
      Put32(opts + n, seq ^ 0x5a5a5a5a);
      Put32(opts + n + 4, ack);
      n += 8;
    } else if (o.sack) {
      opts[n++] = 1, opts[n++] = 1, opts[n++] = 4, opts[n++] = 2;
    }
    if (o.ws) opts[n++] = 1, opts[n++] = 3, opts[n++] = 3, opts[n++] = 7;
    while (n % 4) opts[n++] = 1;
    const size_t l4 = 20 + n + payload;
    const size_t off = Ip(buf, src, dst, 6, l4, ttl, ip_id);
    uint8_t* t = buf + off;
    Put16(t, sport);
    Put16(t + 2, dport);
    Put32(t + 4, seq);
    Put32(t + 8, ack);
    t[12] = static_cast<uint8_t>(((20 + n) / 4) << 4);
    t[13] = flags;
    Put16(t + 14, window);
    Put16(t + 16, 0);
    Put16(t + 18, 0);
    std::memcpy(t + 20, opts, n);
    for (size_t i = 0; i < payload; ++i) t[20 + n + i] = static_cast<uint8_t>('a' + (i + seq) % 26);
    Put16(t + 16, Fold(pseudo_ + SumBytes(t, l4)));
    return off + l4;
  }

  size_t Udp(uint8_t* buf, const Endpoint& src, uint16_t sport, const Endpoint& dst, uint16_t dport, size_t payload,
             uint8_t ttl, uint16_t ip_id) {
    const size_t l4 = 8 + payload;
    const size_t off = Ip(buf, src, dst, 17, l4, ttl, ip_id);
    uint8_t* u = buf + off;
    Put16(u, sport);
    Put16(u + 2, dport);
    Put16(u + 4, static_cast<uint16_t>(l4));
    Put16(u + 6, 0);
    for (size_t i = 0; i < payload; ++i) u[8 + i] = static_cast<uint8_t>(i * 7 + sport);
    uint16_t c = Fold(pseudo_ + SumBytes(u, l4));
    Put16(u + 6, c == 0 ? 0xffff : c);
    return off + l4;
  }

  // ICMP port unreachable from `from` about the UDP datagram orig -> to.
  size_t PortUnreachable(uint8_t* buf, const Endpoint& from, const Endpoint& orig, uint16_t osport, uint16_t odport,
                         size_t opayload) {
    uint8_t quote[28];
    Endpoint o = orig;
    quote[0] = 0x45;
    quote[1] = 0;
    Put16(quote + 2, static_cast<uint16_t>(28 + opayload));
    Put16(quote + 4, 0x1234);
    Put16(quote + 6, 0);
    quote[8] = 50;
    quote[9] = 17;
    Put16(quote + 10, 0);
    Put32(quote + 12, o.v4);
    Put32(quote + 16, from.v4);
    Put16(quote + 10, Fold(SumBytes(quote, 20)));
    Put16(quote + 20, osport);
    Put16(quote + 22, odport);
    Put16(quote + 24, static_cast<uint16_t>(8 + opayload));
    Put16(quote + 26, 0);
    const size_t l4 = 8 + sizeof quote;
    const size_t off = Ip(buf, from, orig, 1, l4, 64, 0);
    uint8_t* c = buf + off;
    c[0] = 3;
    c[1] = 3;
    Put16(c + 2, 0);
    Put32(c + 4, 0);
    std::memcpy(c + 8, quote, sizeof quote);
    Put16(c + 2, Fold(SumBytes(c, l4)));
    return off + l4;
  }

 private:
  uint64_t pseudo_ = 0;
};

// ---------------------------------------------------------------------------
// Output: a plain pcap file, microsecond timestamps, Ethernet.

class PcapOut {
 public:
  PcapOut(FILE* f, uint32_t snaplen) : f_(f), snaplen_(snaplen) {
    buf_.reserve(1 << 20);
    uint8_t h[24];
    uint32_t magic = 0xa1b2c3d4u;
    std::memcpy(h, &magic, 4);
    const uint16_t major = 2, minor = 4;
    std::memcpy(h + 4, &major, 2);
    std::memcpy(h + 6, &minor, 2);
    std::memset(h + 8, 0, 8);
    std::memcpy(h + 16, &snaplen_, 4);
    const uint32_t link = 1;
    std::memcpy(h + 20, &link, 4);
    buf_.insert(buf_.end(), h, h + 24);
  }
  void Write(uint64_t time_us, const uint8_t* frame, size_t len) {
    const uint32_t caplen = static_cast<uint32_t>(std::min<size_t>(len, snaplen_));
    uint32_t rec[4] = {static_cast<uint32_t>(time_us / 1000000), static_cast<uint32_t>(time_us % 1000000), caplen,
                       static_cast<uint32_t>(len)};
    const uint8_t* r = reinterpret_cast<const uint8_t*>(rec);
    buf_.insert(buf_.end(), r, r + 16);
    buf_.insert(buf_.end(), frame, frame + caplen);
    bytes_ += 16 + caplen;
    ++frames_;
    if (buf_.size() >= (1 << 20) - 2048) Flush();
  }
  bool Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) return false;
    buf_.clear();
    return true;
  }
  uint64_t bytes() const { return bytes_ + 24; }
  uint64_t frames() const { return frames_; }

 private:
  FILE* f_;
  uint32_t snaplen_;
  std::vector<uint8_t> buf_;
  uint64_t bytes_ = 0;
  uint64_t frames_ = 0;
};

// ---------------------------------------------------------------------------
// Sessions: each a small state machine that emits its packets in time order;
// a heap interleaves them.

enum class Kind : uint8_t { kWeb, kDns, kKnock, kScan };
enum class Probe : uint8_t { kMasscan, kNmapSyn, kZmap, kConnect, kFin, kNull, kXmas, kAck, kUdp };

struct Session {
  uint64_t next_us = 0;
  Kind kind = Kind::kWeb;
  Probe probe = Probe::kMasscan;
  Endpoint client;  // the initiator
  Endpoint server;  // current target (scanners change it per probe)
  uint16_t cport = 0, sport = 0;
  uint32_t step = 0;        // position in the exchange
  uint32_t remaining = 0;   // response segments (web) or probes (scan, knock)
  uint32_t rtt_us = 0;
  uint32_t gap_us = 0;      // between probes
  uint32_t cseq = 0, sseq = 0;
  uint8_t ttl = 64;
  uint8_t shape = 0;        // scanners: 0 vertical, 1 horizontal, 2 block
  uint32_t base_host = 0;   // scanners: first target
  uint16_t base_port = 0;
  uint32_t index = 0;       // probes sent
  // Pending answer of the last probe (scanners): sent before the next probe.
  uint8_t answer = 0;       // 0 none, else an Answer
  uint64_t answer_us = 0;
  uint64_t probe_due = 0;   // when the next probe goes out
};

enum Answer : uint8_t { kNoAnswer, kSynAckThenRst, kRstAck, kIcmp, kUdpReply, kRst, kConnectOpen };

struct Later {
  uint64_t t;
  uint32_t id;
  bool operator>(const Later& o) const { return t != o.t ? t > o.t : id > o.id; }
};

struct Options {
  std::string out;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint32_t sources = 100000;
  uint64_t rate = 200000;
  uint32_t snaplen = 262144;
  uint64_t seed = 1;
};

uint64_t ParseSize(const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end && *end) {
    switch (*end) {
      case 'k': case 'K': v *= 1e3; break;
      case 'M': v *= 1e6; break;
      case 'G': v *= 1e9; break;
      default: break;
    }
  }
  return static_cast<uint64_t>(v);
}

class Generator {
 public:
  explicit Generator(const Options& o, PcapOut& out) : o_(o), out_(out), rng_{o.seed * 0x2545f4914f6cdd1dULL + 7} {
    clients_ = o.sources * 6 / 10;
    knockers_ = o.sources * 3 / 10;
    scanners_ = o.sources - clients_ - knockers_;
    now_ = 1735689600ull * 1000000;  // 2025-01-01T00:00:00Z
    next_arrival_ = start_ = now_;
    used_.assign(o.sources, false);
  }

  uint32_t distinct_sources() const { return distinct_; }
  uint64_t span_us() const { return now_ - start_; }

  void Run() {
    while (!Done()) {
      // New sessions arrive at a rate that keeps the frame rate near --rate:
      // about 10 frames a session, faster while the frames written fall
      // behind rate x elapsed time, slower while they run ahead.
      while (heap_.empty() || next_arrival_ <= heap_.top().t) {
        Start(next_arrival_);
        const double due = static_cast<double>(o_.rate) * static_cast<double>(next_arrival_ - start_ + 1) / 1e6;
        const double pace = std::clamp((static_cast<double>(out_.frames()) + 1) / (due + 1), 0.5, 2.0);
        next_arrival_ += static_cast<uint64_t>(pace * 10e6 / static_cast<double>(o_.rate) * 2 * rng_.Unit()) + 1;
      }
      const Later l = heap_.top();
      heap_.pop();
      now_ = std::max(now_, l.t);
      Session& s = sessions_[l.id];
      if (Step(s)) {
        heap_.push({s.next_us, l.id});
      } else {
        free_.push_back(l.id);
      }
    }
  }

 private:
  bool Done() const {
    if (o_.packets != 0 && out_.frames() >= o_.packets) return true;
    return o_.bytes != 0 && out_.bytes() >= o_.bytes;
  }

  Endpoint External(uint32_t index, bool v6) {
    if (!used_[index]) {
      used_[index] = true;
      ++distinct_;
    }
    Endpoint e;
    e.mac = 1;
    if (!v6) {
      // Spread over many /8s outside the monitored net, one per index.
      e.v4 = 0x0b000000u + index * 167u;
      return e;
    }
    e.v6 = true;
    const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0x00, 0x00};
    std::memcpy(e.v6addr.b, prefix, 8);
    const uint64_t low = Mix(index);
    std::memcpy(e.v6addr.b + 8, &low, 8);
    return e;
  }
  static Endpoint Inside(uint32_t host) {
    Endpoint e;
    e.v4 = host;
    e.mac = 2;
    return e;
  }
  static Endpoint InsideV6(uint32_t host) {
    Endpoint e;
    e.v6 = true;
    const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00};
    std::memcpy(e.v6addr.b, prefix, 8);
    std::memset(e.v6addr.b + 8, 0, 6);
    e.v6addr.b[14] = static_cast<uint8_t>(host >> 8);
    e.v6addr.b[15] = static_cast<uint8_t>(host);
    e.mac = 2;
    return e;
  }

  void Start(uint64_t t) {
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<uint32_t>(sessions_.size());
      sessions_.emplace_back();
    }
    Session& s = sessions_[id];
    s = Session{};
    s.next_us = t;
    ++started_;
    const double r = rng_.Unit();
    if (r < 0.55) {  // web client
      // Half the connections come from a few heavy clients, half from any.
      const double u = rng_.Unit();
      const uint32_t c = static_cast<uint32_t>(clients_ * (rng_.Chance(0.5) ? u : u * u));
      const bool v6 = c % 20 == 0;
      s.kind = Kind::kWeb;
      s.client = External(c, v6);
      const uint32_t server = kNet | (1 + rng_.Below(kServers));
      s.server = v6 ? InsideV6(server) : Inside(server);
      s.sport = rng_.Chance(0.8) ? 443 : 80;
      s.cport = static_cast<uint16_t>(32768 + rng_.Below(28000));
      s.remaining = rng_.Geometric(6);
      s.rtt_us = 2000 + rng_.Below(78000);
      s.cseq = static_cast<uint32_t>(rng_.Next());
      s.sseq = static_cast<uint32_t>(rng_.Next());
    } else if (r < 0.65) {  // DNS client
      const uint32_t c = rng_.Below(clients_);
      s.kind = Kind::kDns;
      s.client = External(c, false);
      s.server = Inside(kDns);
      s.sport = 53;
      s.cport = static_cast<uint16_t>(32768 + rng_.Below(28000));
      s.rtt_us = 1000 + rng_.Below(20000);
    } else if (r < 0.985) {  // knocker
      s.kind = Kind::kKnock;
      s.client = External(clients_ + rng_.Below(knockers_), false);
      s.remaining = 1 + rng_.Below(3);
      s.gap_us = 500000 + rng_.Below(3000000);
      static constexpr uint16_t kKnockPorts[] = {23, 2323, 445, 22};
      s.sport = kKnockPorts[rng_.Below(4)];
      s.probe = Probe::kMasscan;
      s.ttl = static_cast<uint8_t>(40 + rng_.Below(20));
      s.cport = static_cast<uint16_t>(1024 + rng_.Below(60000));
    } else {  // scanner campaign
      s.kind = Kind::kScan;
      const uint32_t which = rng_.Below(scanners_);
      s.client = External(clients_ + knockers_ + which, false);
      const double k = rng_.Unit();
      s.probe = k < 0.30   ? Probe::kMasscan
                : k < 0.55 ? Probe::kNmapSyn
                : k < 0.62 ? Probe::kZmap
                : k < 0.72 ? Probe::kConnect
                : k < 0.76 ? Probe::kFin
                : k < 0.79 ? Probe::kNull
                : k < 0.82 ? Probe::kXmas
                : k < 0.86 ? Probe::kAck
                           : Probe::kUdp;
      // Heavy-tailed campaign sizes: most are small, a few are huge.
      const double u = rng_.Unit();
      s.remaining = u < 0.6 ? 5 + rng_.Below(40) : u < 0.95 ? 50 + rng_.Below(500) : 1000 + rng_.Below(20000);
      // Most scan fast (0.1-20 ms between probes), some slowly (1-20 s).
      s.gap_us = rng_.Chance(0.9) ? 100 + rng_.Below(20000) : 1000000 + rng_.Below(19000000);
      s.shape = static_cast<uint8_t>(rng_.Below(3));
      s.base_host = kNet | rng_.Below(65536);
      s.base_port = kCommonPorts[rng_.Below(kCommonCount)];
      s.cport = static_cast<uint16_t>(32768 + rng_.Below(28000));
      s.ttl = static_cast<uint8_t>(s.probe == Probe::kMasscan ? 250 : 40 + rng_.Below(20));
      s.rtt_us = 1000 + rng_.Below(100000);
    }
    heap_.push({s.next_us, id});
  }

  void Emit(uint64_t t, size_t len) {
    out_.Write(t, buf_, len);
  }

  // One packet of a web session; false when the session is over.
  bool StepWeb(Session& s) {
    const uint64_t t = s.next_us;
    const TcpOpts syn_opts{true, true, true, true};
    const TcpOpts ts{false, false, true, false};
    const uint16_t id = static_cast<uint16_t>(rng_.Next());
    using F = flags;
    switch (s.step) {
      case 0:
        Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq, 0, F::kSyn, 64240, syn_opts, 0, 52, id));
        s.next_us = t + s.rtt_us;
        break;
      case 1:
        Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, s.sseq, s.cseq + 1, F::kSyn | F::kAck, 65160,
                        syn_opts, 0, 64, 0));
        s.next_us = t + s.rtt_us;
        break;
      case 2:
        Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, s.sseq + 1, F::kAck, 502, ts, 0, 52,
                        id));
        s.next_us = t + 50 + rng_.Below(500);
        break;
      case 3: {
        const size_t req = 200 + rng_.Below(500);
        Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, s.sseq + 1, F::kAck | F::kPsh, 502,
                        ts, req, 52, id));
        s.cseq += static_cast<uint32_t>(req);
        s.next_us = t + s.rtt_us;
        break;
      }
      default: {
        // Response segments, the client ACKing every second one, then the close.
        const uint32_t k = s.step - 4;
        const uint32_t segments = s.remaining;
        const uint32_t per = 3;  // segment, segment, ack
        const uint32_t body = (segments + 1) / 2 * per;
        if (k < body) {
          const uint32_t pair = k / per, pos = k % per;
          if (pos < 2) {
            const uint32_t seg = pair * 2 + pos;
            if (seg >= segments) {
              s.next_us = t + 1;
              break;
            }
            const size_t len = seg + 1 == segments ? 100 + rng_.Below(1348) : 1448;
            Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, s.sseq + 1, s.cseq + 1, F::kAck, 509, ts, len,
                            64, 0));
            s.sseq += static_cast<uint32_t>(len);
            s.next_us = t + 20 + rng_.Below(200);
          } else {
            Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, s.sseq + 1, F::kAck, 502, ts, 0,
                            52, id));
            s.next_us = t + 100 + rng_.Below(1000);
          }
          break;
        }
        switch (k - body) {
          case 0:
            Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, s.sseq + 1, F::kFin | F::kAck,
                            502, ts, 0, 52, id));
            s.next_us = t + s.rtt_us;
            break;
          case 1:
            Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, s.sseq + 1, s.cseq + 2, F::kFin | F::kAck,
                            509, ts, 0, 64, 0));
            s.next_us = t + s.rtt_us;
            break;
          default:
            Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 2, s.sseq + 2, F::kAck, 502, ts, 0,
                            52, id));
            return false;
        }
      }
    }
    ++s.step;
    return true;
  }

  bool StepDns(Session& s) {
    const uint64_t t = s.next_us;
    if (s.step == 0) {
      Emit(t, fb_.Udp(buf_, s.client, s.cport, s.server, 53, 30 + rng_.Below(30), 52, static_cast<uint16_t>(rng_.Next())));
      s.next_us = t + s.rtt_us;
      ++s.step;
      return true;
    }
    Emit(t, fb_.Udp(buf_, s.server, 53, s.client, s.cport, 80 + rng_.Below(300), 64, 0));
    return false;
  }

  // The next target of a scanner.
  void Aim(Session& s) {
    const uint32_t i = s.index;
    uint32_t host = s.base_host;
    uint16_t port = s.base_port;
    switch (s.shape) {
      case 0:  // vertical: one host, many ports
        port = s.probe == Probe::kUdp ? static_cast<uint16_t>(1 + (s.base_port + i) % 1024)
                                      : static_cast<uint16_t>(1 + (s.base_port + i * 7) % 65535);
        break;
      case 1:  // horizontal: one port over the /16
        host = kNet | static_cast<uint32_t>(Mix(s.base_host + i) & 0xffff);
        break;
      default:  // block: common ports on a run of hosts
        host = kNet | ((s.base_host + i / kCommonCount) & 0xffff);
        port = kCommonPorts[i % kCommonCount];
        break;
    }
    s.server = Inside(host);
    s.sport = port;
  }

  // Sends a probe of a scanner (or knocker) and decides its answer.
  void SendProbe(Session& s, uint64_t t) {
    using F = flags;
    const uint32_t host = s.server.v4;
    const bool live = Live(host);
    const bool open = OpenTcp(host, s.sport);
    const uint32_t seq = static_cast<uint32_t>(rng_.Next());
    s.cseq = seq;
    size_t len = 0;
    uint8_t answer = kNoAnswer;
    switch (s.probe) {
      case Probe::kMasscan: {
        const uint16_t id = static_cast<uint16_t>(host ^ s.sport ^ seq);
        len = fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, seq, 0, F::kSyn, 1024, TcpOpts{}, 0, s.ttl, id);
        answer = open ? kSynAckThenRst : live ? kRstAck : kNoAnswer;
        break;
      }
      case Probe::kNmapSyn:
        len = fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, seq, 0, F::kSyn, 1024, TcpOpts{true}, 0, s.ttl,
                      static_cast<uint16_t>(rng_.Next()));
        answer = open ? kSynAckThenRst : live ? kRstAck : kNoAnswer;
        break;
      case Probe::kZmap:
        len = fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, seq, 0, F::kSyn, 65535, TcpOpts{}, 0, s.ttl, 54321);
        answer = open ? kSynAckThenRst : live ? kRstAck : kNoAnswer;
        break;
      case Probe::kConnect:
        s.cport = static_cast<uint16_t>(32768 + rng_.Below(28000));
        len = fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, seq, 0, F::kSyn, 64240, TcpOpts{true, true, true, true},
                      0, s.ttl, static_cast<uint16_t>(rng_.Next()));
        answer = open ? kConnectOpen : live ? kRstAck : kNoAnswer;
        break;
      case Probe::kFin:
      case Probe::kNull:
      case Probe::kXmas: {
        const uint8_t fl = s.probe == Probe::kFin ? F::kFin : s.probe == Probe::kNull ? 0 : (F::kFin | F::kPsh | F::kUrg);
        len = fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, seq, 0, fl, 1024, TcpOpts{}, 0, s.ttl,
                      static_cast<uint16_t>(rng_.Next()));
        answer = live && !open ? kRstAck : kNoAnswer;
        break;
      }
      case Probe::kAck:
        len = fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, seq, static_cast<uint32_t>(rng_.Next()), F::kAck, 1024,
                      TcpOpts{}, 0, s.ttl, static_cast<uint16_t>(rng_.Next()));
        answer = live ? kRst : kNoAnswer;
        break;
      case Probe::kUdp:
        len = fb_.Udp(buf_, s.client, s.cport, s.server, s.sport, 0, s.ttl, static_cast<uint16_t>(rng_.Next()));
        answer = OpenUdp(host, s.sport) ? kUdpReply : live ? kIcmp : kNoAnswer;
        break;
    }
    Emit(t, len);
    s.answer = answer;
    s.answer_us = t + s.rtt_us;
    s.step = 0;
  }

  // Sends the pending answer's next packet; false when it is complete.
  bool SendAnswer(Session& s, uint64_t t) {
    using F = flags;
    const TcpOpts mss{true};
    switch (s.answer) {
      case kSynAckThenRst:
        if (s.step == 0) {
          Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, s.sseq, s.cseq + 1, F::kSyn | F::kAck, 64240,
                          mss, 0, 64, 0));
          s.answer_us = t + 200;
          s.step = 1;
          return true;
        }
        Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, 0, F::kRst, 0, TcpOpts{}, 0, 64, 0));
        return false;
      case kConnectOpen:
        if (s.step == 0) {
          Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, s.sseq, s.cseq + 1, F::kSyn | F::kAck, 64240,
                          TcpOpts{true, true, true, true}, 0, 64, 0));
          s.answer_us = t + 200;
          s.step = 1;
          return true;
        }
        if (s.step == 1) {
          Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, s.sseq + 1, F::kAck, 502,
                          TcpOpts{false, false, true, false}, 0, s.ttl, 0));
          s.answer_us = t + 100;
          s.step = 2;
          return true;
        }
        Emit(t, fb_.Tcp(buf_, s.client, s.cport, s.server, s.sport, s.cseq + 1, s.sseq + 1, F::kRst | F::kAck, 502,
                        TcpOpts{}, 0, s.ttl, 0));
        return false;
      case kRstAck:
        Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, 0, s.cseq + 1, F::kRst | F::kAck, 0, TcpOpts{}, 0,
                        64, 0));
        return false;
      case kRst:
        Emit(t, fb_.Tcp(buf_, s.server, s.sport, s.client, s.cport, 0, 0, F::kRst, 0, TcpOpts{}, 0, 64, 0));
        return false;
      case kIcmp:
        Emit(t, fb_.PortUnreachable(buf_, s.server, s.client, s.cport, s.sport, 0));
        return false;
      case kUdpReply:
        Emit(t, fb_.Udp(buf_, s.server, s.sport, s.client, s.cport, 100, 64, 0));
        return false;
      default:
        return false;
    }
  }

  bool StepScan(Session& s) {
    const uint64_t t = s.next_us;
    if (s.answer != kNoAnswer && s.answer_us <= t) {
      if (!SendAnswer(s, t)) s.answer = kNoAnswer;
    } else {
      if (s.index == s.remaining) return s.answer != kNoAnswer ? (s.next_us = s.answer_us, true) : false;
      if (s.kind == Kind::kScan) {
        Aim(s);
      } else {
        s.server = Inside(kNet | rng_.Below(65536));
      }
      SendProbe(s, t);
      ++s.index;
      s.sseq = static_cast<uint32_t>(rng_.Next());
      s.probe_due = t + (s.kind == Kind::kScan ? s.gap_us : s.gap_us + rng_.Below(s.gap_us));
    }
    // The next event: the pending answer or the next probe, whichever first.
    if (s.answer != kNoAnswer && (s.answer_us <= s.probe_due || s.index == s.remaining)) {
      s.next_us = s.answer_us;
    } else if (s.index == s.remaining) {
      return false;
    } else {
      // A probe due before the answer: the answer is dropped (answers of
      // fast scans overlap, and the session follows one at a time).
      s.answer = kNoAnswer;
      s.next_us = s.probe_due;
    }
    return true;
  }

  bool Step(Session& s) {
    switch (s.kind) {
      case Kind::kWeb: return StepWeb(s);
      case Kind::kDns: return StepDns(s);
      case Kind::kKnock:
      case Kind::kScan: return StepScan(s);
    }
    return false;
  }

  struct flags {
    static constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20;
  };

  const Options& o_;
  PcapOut& out_;
  Rng rng_;
  FrameBuilder fb_;
  uint8_t buf_[2048];
  uint32_t clients_, knockers_, scanners_;
  uint64_t now_ = 0;
  uint64_t next_arrival_ = 0;
  uint64_t start_ = 0;
  uint64_t started_ = 0;
  std::vector<Session> sessions_;
  std::vector<bool> used_;
  uint32_t distinct_ = 0;
  std::vector<uint32_t> free_;
  std::priority_queue<Later, std::vector<Later>, std::greater<Later>> heap_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "make_scan_capture: %s needs a value\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--out") o.out = v;
    else if (a == "--packets") o.packets = ParseSize(v);
    else if (a == "--bytes") o.bytes = ParseSize(v);
    else if (a == "--sources") o.sources = static_cast<uint32_t>(ParseSize(v));
    else if (a == "--rate") o.rate = ParseSize(v);
    else if (a == "--snaplen") o.snaplen = static_cast<uint32_t>(ParseSize(v));
    else if (a == "--seed") o.seed = ParseSize(v);
    else {
      std::fprintf(stderr, "make_scan_capture: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (o.out.empty() || (o.packets == 0 && o.bytes == 0) || o.sources < 10 || o.rate == 0 || o.snaplen < 64 ||
      o.snaplen > 262144) {
    std::fprintf(stderr,
                 "usage: make_scan_capture --out FILE (--packets N | --bytes B) [--sources S] [--rate PPS] "
                 "[--snaplen 64-262144] [--seed X]\n");
    return 2;
  }
  FILE* f = o.out == "-" ? stdout : std::fopen(o.out.c_str(), "wb");
  if (f == nullptr) {
    std::perror(o.out.c_str());
    return 1;
  }
  PcapOut out(f, o.snaplen);
  Generator g(o, out);
  g.Run();
  if (!out.Flush() || (f != stdout && std::fclose(f) != 0)) {
    std::perror(o.out.c_str());
    return 1;
  }
  std::fprintf(stderr, "make_scan_capture: %" PRIu64 " frames, %" PRIu64 " bytes, %u sources, %.1f s to %s\n",
               out.frames(), out.bytes(), g.distinct_sources(), static_cast<double>(g.span_us()) / 1e6, o.out.c_str());
  return 0;
}
