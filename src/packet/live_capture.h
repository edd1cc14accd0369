// Live capture for the canary's stealth mode: libpcap (loaded by
// libpcap_loader) on one interface, a BPF filter on the watched destination
// ports, inbound only, non-blocking, with a descriptor for the caller's epoll
// loop. Each Dispatch() hands the decoded probes of one batch, with the first
// bytes of their payloads, to a handler.
//
// The packet socket sees a frame before netfilter does, so probes that the
// canary's nftables table drops are still captured (live_capture_test.cc
// checks it).
//
// Needs CAP_NET_RAW to open; not after. Single-threaded object.
#ifndef PORTSCOPE_PACKET_LIVE_CAPTURE_H_
#define PORTSCOPE_PACKET_LIVE_CAPTURE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "packet/decode.h"
#include "packet/probe.h"
#include "packet/reject.h"

struct pcap;  // libpcap's handle (pcap_t), kept out of this header
struct pcap_pkthdr;

namespace portscope::packet {

struct LiveCaptureOptions {
  /// "any" (every interface, Linux cooked headers, which the decoders read)
  /// or an interface name.
  std::string interface = "any";
  std::vector<uint16_t> tcp_ports;  // destination ports to capture
  std::vector<uint16_t> udp_ports;
  /// Payload bytes kept per probe; the snap length is this plus room for the
  /// largest link, IP and TCP headers.
  uint32_t payload_bytes = 256;
  /// Kernel ring size. At ~600 bytes a slot, 32 MiB holds ~55,000 frames:
  /// half a second of a 100,000 packets/s flood while the reader is busy.
  uint32_t buffer_bytes = 32u << 20;
  /// Only packets the host receives (PCAP_D_IN); a scanner on this host
  /// probing elsewhere is not the canary's business.
  bool inbound_only = true;
  /// Most frames handled per Dispatch() (also the batch size).
  uint32_t batch = 256;
};

/// What the capture has seen. `received`, `dropped` and `if_dropped` are
/// libpcap's counters (pcap_stats: on Linux, frames that passed the kernel
/// filter, frames the ring had no room for, and the interface's drops where
/// known; on loopback `received` counts each packet's outgoing copy too,
/// which inbound_only then skips); the rest are counted here.
struct LiveCaptureStats {
  uint64_t received = 0;
  uint64_t dropped = 0;
  uint64_t if_dropped = 0;
  uint64_t frames = 0;         // frames read from the ring
  uint64_t probes = 0;         // decoded into a probe of a watched port
  uint64_t not_watched = 0;    // decoded, but not to a watched port (filter envelope)
  uint64_t payload_cut = 0;    // probes whose payload was longer than payload_bytes
  RejectCounters rejects;
};

/// Called once per batch. Probes' payload views point into a buffer of the
/// capture's and are valid only during the call.
using LiveProbeBatchHandler = std::function<void(std::span<const Probe> probes)>;

class LiveCapture {
 public:
  /// Opens and activates the capture. Errors name the interface and the
  /// cause (no such interface, no CAP_NET_RAW, interface down, bad filter).
  /// REQUIRES: at least one port.
  static Result<std::unique_ptr<LiveCapture>> Open(const LiveCaptureOptions& options);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  /// Readable when frames wait (for epoll/poll).
  int fd() const { return fd_; }
  LinkType link_type() const { return link_; }
  /// The BPF filter in use, as libpcap's expression.
  const std::string& filter() const { return filter_; }

  /// Reads what waits (never blocks), at most `options.batch` frames per
  /// handler call and `max_batches` calls; returns the frames read (0: none
  /// waiting).
  Result<uint64_t> Dispatch(const LiveProbeBatchHandler& handler, int max_batches = 16);
  /// libpcap's counters and ours.
  Result<LiveCaptureStats> Stats() const;

 private:
  explicit LiveCapture(const LiveCaptureOptions& options);
  static void OnFrame(unsigned char* user, const ::pcap_pkthdr* header, const unsigned char* bytes);
  bool Watched(const Probe& p) const;

  LiveCaptureOptions options_;
  ::pcap* pcap_ = nullptr;
  int fd_ = -1;
  LinkType link_ = LinkType::kEthernet;
  std::string filter_;
  std::vector<uint8_t> tcp_watched_;  // 65536 flags each
  std::vector<uint8_t> udp_watched_;
  std::vector<Probe> batch_;          // capacity options_.batch, reused
  std::vector<uint8_t> arena_;        // batch * payload_bytes
  LiveCaptureStats stats_;
};

/// The BPF expression for these destination ports: runs of consecutive ports
/// become portranges; past `max_terms` runs, one range from the lowest to the
/// highest port (the capture then checks each port itself). Exposed for tests.
std::string WatchedPortsFilter(const std::vector<uint16_t>& tcp_ports, const std::vector<uint16_t>& udp_ports,
                               size_t max_terms = 64);

}  // namespace portscope::packet

#endif  // PORTSCOPE_PACKET_LIVE_CAPTURE_H_
