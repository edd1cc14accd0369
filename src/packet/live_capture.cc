#include "packet/live_capture.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>

#include "packet/capture.h"
#include "packet/libpcap_loader.h"

namespace portscope::packet {
namespace {

// Largest headers in front of the payload: a cooked v2 header (20) or an
// Ethernet header with two VLAN tags (22), IPv6 with a few extension headers
// (40 + 8 x 16), a TCP header with every option (60). Frames longer than the
// snap length still decode (decode.h, "Snap length"); this only decides how
// much payload is kept.
constexpr uint32_t kHeaderRoom = 256;

// Runs of consecutive ports, sorted and without duplicates.
std::vector<std::pair<uint16_t, uint16_t>> Runs(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::vector<std::pair<uint16_t, uint16_t>> runs;
  for (uint16_t p : ports) {
    if (!runs.empty() && runs.back().second + 1 == p)
      runs.back().second = p;
    else
      runs.emplace_back(p, p);
  }
  return runs;
}

std::string ProtoTerm(const char* proto, const std::vector<uint16_t>& ports, size_t max_terms) {
  auto runs = Runs(ports);
  if (runs.empty()) return "";
  if (runs.size() > max_terms) runs = {{runs.front().first, runs.back().second}};
  std::string s = std::string("(") + proto + " and (";
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i) s += " or ";
    const auto& [lo, hi] = runs[i];
    s += lo == hi ? "dst port " + std::to_string(lo)
                  : "dst portrange " + std::to_string(lo) + "-" + std::to_string(hi);
  }
  return s + "))";
}

std::string PcapError(const PcapApi* api, pcap_t* p) { return api->geterr(p); }

// What one pcap_dispatch call passes to OnFrame.
struct DispatchPass {
  LiveCapture* self;
  size_t count;  // probes in the batch so far
};

}  // namespace

std::string WatchedPortsFilter(const std::vector<uint16_t>& tcp_ports, const std::vector<uint16_t>& udp_ports,
                               size_t max_terms) {
  std::string tcp = ProtoTerm("tcp", tcp_ports, max_terms);
  std::string udp = ProtoTerm("udp", udp_ports, max_terms);
  if (tcp.empty()) return udp;
  if (udp.empty()) return tcp;
  return tcp + " or " + udp;
}

LiveCapture::LiveCapture(const LiveCaptureOptions& options)
    : options_(options), tcp_watched_(65536, 0), udp_watched_(65536, 0) {
  for (uint16_t p : options_.tcp_ports) tcp_watched_[p] = 1;
  for (uint16_t p : options_.udp_ports) udp_watched_[p] = 1;
  batch_.resize(options_.batch);
  arena_.resize(size_t{options_.batch} * options_.payload_bytes);
}

LiveCapture::~LiveCapture() {
  if (pcap_) LoadPcap()->close(pcap_);
}

Result<std::unique_ptr<LiveCapture>> LiveCapture::Open(const LiveCaptureOptions& options) {
  if (options.tcp_ports.empty() && options.udp_ports.empty())
    return Status::InvalidArgument("live capture: no ports to watch");
  if (options.interface.empty()) return Status::InvalidArgument("live capture: empty interface name");
  if (options.batch == 0) return Status::InvalidArgument("live capture: batch must be at least 1");
  if (options.payload_bytes > 65535) return Status::InvalidArgument("live capture: payload_bytes above 65535");
  std::string why;
  const PcapApi* api = LoadPcap(&why);
  if (!api) return Status::IoError(why);

  std::unique_ptr<LiveCapture> c(new LiveCapture(options));
  const std::string& ifname = options.interface;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  c->pcap_ = api->create(ifname.c_str(), errbuf);
  if (!c->pcap_) return Status::IoError("cannot capture on '" + ifname + "': " + errbuf);
  pcap_t* p = c->pcap_;
  if (api->set_snaplen(p, static_cast<int>(options.payload_bytes + kHeaderRoom)) != 0 ||
      api->set_promisc(p, 0) != 0 || api->set_immediate_mode(p, 1) != 0 ||
      api->set_buffer_size(p, static_cast<int>(std::min<uint32_t>(options.buffer_bytes, 1u << 30))) != 0)
    return Status::IoError("cannot set up capture on '" + ifname + "': " + PcapError(api, p));

  int rc = api->activate(p);
  if (rc < 0) {
    std::string detail = PcapError(api, p);
    std::string what = api->statustostr(rc);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) return Status::NotFound("no interface '" + ifname + "' to capture on");
    if (rc == PCAP_ERROR_PERM_DENIED)
      return Status::IoError("capture on '" + ifname +
                             "' needs CAP_NET_RAW (run as root or give portscope the capability): " + detail);
    if (rc == PCAP_ERROR_IFACE_NOT_UP) return Status::IoError("interface '" + ifname + "' is down");
    return Status::IoError("cannot capture on '" + ifname + "': " + what + (detail.empty() ? "" : ": " + detail));
  }
  // rc > 0 is a warning (e.g. promiscuous mode not supported): carry on.

  c->link_ = static_cast<LinkType>(api->datalink(p));
  if (!IsSupportedLinkType(c->link_))
    return Status::InvalidArgument("interface '" + ifname + "' has link type " + LinkTypeDescription(c->link_) +
                                   ", which portscope does not decode");
  if (options.inbound_only && api->setdirection(p, PCAP_D_IN) != 0)
    return Status::IoError("cannot capture inbound only on '" + ifname + "': " + PcapError(api, p));

  c->filter_ = WatchedPortsFilter(options.tcp_ports, options.udp_ports);
  // PCAP_D_IN is applied by libpcap after the kernel queued the frame, so on
  // loopback the outgoing copy of each packet crosses the ring too (and
  // counts in `received`). The kernel-side "inbound" filter qualifier would
  // avoid that, but on lo it also lost locally sent TCP SYNs (tried,
  // live_capture_test.cc caught it), so direction stays libpcap's.
  bpf_program program{};
  if (api->compile(p, &program, c->filter_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    return Status::InvalidArgument("bad capture filter '" + c->filter_ + "': " + PcapError(api, p));
  int set = api->setfilter(p, &program);
  api->freecode(&program);
  if (set != 0) return Status::IoError("cannot install the capture filter: " + PcapError(api, p));

  if (api->setnonblock(p, 1, errbuf) != 0) return Status::IoError(std::string("cannot make capture non-blocking: ") + errbuf);
  c->fd_ = api->get_selectable_fd(p);
  if (c->fd_ < 0) return Status::IoError("capture on '" + ifname + "' has no selectable descriptor");
  return c;
}

bool LiveCapture::Watched(const Probe& p) const {
  if (p.transport == Transport::kTcp) return tcp_watched_[p.dport] != 0;
  if (p.transport == Transport::kUdp) return udp_watched_[p.dport] != 0;
  return false;
}

// One frame from pcap_dispatch: decode it and, when it is a probe of a
// watched port, copy it and its first payload bytes into the batch (the
// frame's slot in the ring is handed back to the kernel after this returns).
void LiveCapture::OnFrame(unsigned char* user, const pcap_pkthdr* header, const unsigned char* bytes) {
  auto* pass = reinterpret_cast<DispatchPass*>(user);
  LiveCapture& c = *pass->self;
  ++c.stats_.frames;
  Frame frame;
  frame.link = c.link_;
  frame.time_us = static_cast<uint64_t>(header->ts.tv_sec) * 1000000u + static_cast<uint64_t>(header->ts.tv_usec);
  frame.bytes = std::span<const uint8_t>(bytes, header->caplen);
  frame.wire_len = header->len;
  Probe& probe = c.batch_[pass->count];
  Reject r = DecodeFrame(frame, &probe);
  if (r != Reject::kNone) {
    c.stats_.rejects.Add(r);
    return;
  }
  if (!c.Watched(probe)) {
    ++c.stats_.not_watched;
    return;
  }
  size_t keep = std::min<size_t>(probe.payload.size(), c.options_.payload_bytes);
  if (probe.payload.size() > keep || probe.payload_wire_len > keep) ++c.stats_.payload_cut;
  uint8_t* slot = c.arena_.data() + pass->count * c.options_.payload_bytes;
  if (keep) std::memcpy(slot, probe.payload.data(), keep);
  probe.payload = std::span<const uint8_t>(slot, keep);
  ++c.stats_.probes;
  ++pass->count;
}

Result<uint64_t> LiveCapture::Dispatch(const LiveProbeBatchHandler& handler, int max_batches) {
  const PcapApi* api = LoadPcap();
  uint64_t frames = 0;
  for (int b = 0; b < max_batches; ++b) {
    DispatchPass pass{this, 0};
    int n = api->dispatch(pcap_, static_cast<int>(options_.batch), &LiveCapture::OnFrame,
                          reinterpret_cast<unsigned char*>(&pass));
    if (n < 0) return Status::IoError("capture on '" + options_.interface + "' failed: " + api->geterr(pcap_));
    if (pass.count && handler) handler(std::span<const Probe>(batch_.data(), pass.count));
    frames += static_cast<uint64_t>(n);
    if (n < static_cast<int>(options_.batch)) break;  // the ring is empty
  }
  return frames;
}

Result<LiveCaptureStats> LiveCapture::Stats() const {
  pcap_stat ps{};
  const PcapApi* api = LoadPcap();
  if (api->stats(pcap_, &ps) != 0) return Status::IoError("capture statistics: " + std::string(api->geterr(pcap_)));
  LiveCaptureStats s = stats_;
  s.received = ps.ps_recv;
  s.dropped = ps.ps_drop;
  s.if_dropped = ps.ps_ifdrop;
  return s;
}

}  // namespace portscope::packet
