// Decoding one captured frame into a Probe.
//
// The decoders read hostile bytes: every read goes through ByteReader, every
// length field is checked against the bytes actually held, and a frame that
// does not make sense becomes a named Reject (packet/reject.h), never an
// assert or an out-of-bounds read. They keep no state across frames, never
// allocate, and are safe to call from several threads at once.
//
// Snap length. A capture may keep only the first bytes of each frame
// (Frame::wire_len > bytes.size()). An IP length field may then exceed the
// bytes held by at most the bytes the capture cut off; the headers up to and
// including the transport header must still be held in full. Without a cut
// (wire_len == bytes.size()) an IP length field larger than the bytes held is
// a reject, and trailing bytes beyond it (Ethernet padding) are ignored.
#ifndef PORTSCOPE_PACKET_DECODE_H_
#define PORTSCOPE_PACKET_DECODE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "packet/probe.h"
#include "packet/reject.h"

namespace portscope::packet {

/// Link types as libpcap reports them (pcap_datalink(), DLT_* values). Any
/// other value is allowed in a LinkType and decodes to kUnsupportedLinktype.
enum class LinkType : uint16_t {
  kNull = 0,           // DLT_NULL: BSD loopback, address family in host order
  kEthernet = 1,       // DLT_EN10MB, with 802.1Q / 802.1ad (QinQ) tags
  kRaw = 12,           // DLT_RAW: IPv4 or IPv6, told by the version nibble
  kLinktypeRaw = 101,  // LINKTYPE_RAW as stored in files; same as kRaw
  kLoop = 108,         // DLT_LOOP: OpenBSD loopback, address family in network order
  kLinuxSll = 113,     // DLT_LINUX_SLL: Linux cooked capture v1
  kIpv4 = 228,         // LINKTYPE_IPV4: IPv4 only
  kIpv6 = 229,         // LINKTYPE_IPV6: IPv6 only
  kLinuxSll2 = 276,    // DLT_LINUX_SLL2: Linux cooked capture v2
};

/// Most 802.1Q / 802.1ad tags walked in one Ethernet frame. QinQ uses two;
/// more than this is reported as kTooManyVlanTags. No memory cost; a lower
/// value rejects odd but real provider stacks.
inline constexpr int kMaxVlanTags = 8;
/// Most IPv6 extension headers walked before the transport header. Real
/// traffic uses at most a handful; long chains hide the ports from firewalls
/// (RFC 7112), so they are reported as kIpv6ExtChainTooLong, not decoded.
inline constexpr int kMaxIpv6ExtHeaders = 8;

/// True for the link types DecodeFrame understands.
bool IsSupportedLinkType(LinkType link);
/// A short name for a link type ("EN10MB", "LINUX_SLL2", ...) or "unsupported".
std::string_view LinkTypeName(LinkType link);

/// One captured frame, as a capture source hands it out. `bytes` is a view
/// into the source's buffer, valid until the source's next read.
struct Frame {
  LinkType link = LinkType::kEthernet;
  uint64_t time_us = 0;            // capture time, microseconds since the Unix epoch
  std::span<const uint8_t> bytes;  // the bytes captured
  uint32_t wire_len = 0;           // the frame's length on the wire; 0 or less
                                   // than bytes.size() means "all captured"
};

/// Decodes `frame` into `*probe`. On success returns Reject::kNone and
/// `*probe` is fully overwritten (time_us from the frame; payload points into
/// frame.bytes). On a reject `*probe` is unspecified.
[[nodiscard]] Reject DecodeFrame(const Frame& frame, Probe* probe);

/// Decodes an IPv4 or IPv6 packet (version nibble first) into `*probe`,
/// leaving probe->time_us alone. `cut` is how many bytes of the packet the
/// capture cut off after `bytes` (0 when fully captured).
[[nodiscard]] Reject DecodeIp(std::span<const uint8_t> bytes, uint32_t cut, Probe* probe);

}  // namespace portscope::packet

#endif  // PORTSCOPE_PACKET_DECODE_H_
