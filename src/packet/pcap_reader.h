// The classic pcap file format read without libpcap (internal to packet/).
//
// libpcap's reader costs about 500 instructions a frame (two freads per
// record, a copy into its buffer, pcap_next_ex's bookkeeping); on captures of
// small frames that is more than decoding the frame. This reader walks the
// records in place: a file is read in large blocks with read(2) and frames
// point into the block, a capture in memory is not copied at all.
//
// It takes only files whose meaning is certain: native byte order (the
// little-endian magic a1b2c3d4 or, nanosecond timestamps, a1b23c4d), version
// 2.4, and a link type numbered the same in libpcap's LINKTYPE_ and DLT_
// spaces. Anything else (pcapng, byte-swapped or older files, other link
// types, a file header cut short) goes to libpcap as before. For the files it
// takes it behaves as libpcap 1.10 does, frame for frame and message for
// message: the snapshot length from the file header (0 or above 262144 means
// 262144), a record longer than 262144 bytes is an error, one longer than the
// snapshot length is cut to it, timestamps are signed 32-bit seconds and
// fractions (as in libpcap's struct pcap_timeval), and a record cut short
// says "truncated dump file; ...". capture_file_test.cc checks this against
// libpcap on damaged and hostile files.
#ifndef PORTSCOPE_PACKET_PCAP_READER_H_
#define PORTSCOPE_PACKET_PCAP_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "packet/capture.h"

namespace portscope::packet::internal {

inline constexpr size_t kPcapFileHeader = 24;

/// What the file header says, for a file this reader takes.
struct PcapFormat {
  LinkType link = LinkType::kEthernet;
  uint32_t snapshot = 0;  // records longer than this are cut to it
  uint32_t stated_snapshot = 0;  // as the file states it, for libpcap's error wording
  bool nanoseconds = false;
};

/// The format of a classic pcap file from its first kPcapFileHeader bytes,
/// or nullopt when libpcap should read it.
std::optional<PcapFormat> FastPcapFormat(std::span<const uint8_t> header);

/// Reads the records of `bytes`, a whole pcap file (header included) of
/// `format`, in place. REQUIRES: `bytes` outlives the source.
std::unique_ptr<CaptureSource> NewPcapMemorySource(std::span<const uint8_t> bytes, const PcapFormat& format,
                                                   std::string name);

/// libpcap's reader over a capture in memory, whatever its format (what
/// OpenCaptureMemory uses for the files this reader does not take; tests
/// compare the two).
Result<std::unique_ptr<CaptureSource>> OpenLibpcapMemory(std::span<const uint8_t> bytes, const std::string& name);

/// Reads the records from `fd`, a regular file of `format` positioned just
/// after its file header. Takes ownership of `fd`.
std::unique_ptr<CaptureSource> NewPcapFileSource(int fd, const PcapFormat& format, std::string name);

}  // namespace portscope::packet::internal

#endif  // PORTSCOPE_PACKET_PCAP_READER_H_
