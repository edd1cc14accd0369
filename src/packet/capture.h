// Capture files in and out: a CaptureSource hands out frames (from a pcap or
// pcapng file through libpcap, or from memory in tests), ReplayCapture decodes
// them and reports what it read, and a CaptureWriter saves frames to a pcap
// file.
//
// libpcap sits behind these interfaces (capture_file.cc) so that tests and
// callers that already hold frames use the same path without files.
// Sources and writers are single-threaded objects.
#ifndef PORTSCOPE_PACKET_CAPTURE_H_
#define PORTSCOPE_PACKET_CAPTURE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"
#include "packet/decode.h"
#include "packet/probe.h"
#include "packet/reject.h"

namespace portscope::packet {

/// A stream of captured frames.
class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  /// The link type of the frames, known before the first one is read.
  virtual LinkType link_type() const = 0;
  /// Reads the next frame into `*frame` and returns true, or returns false at
  /// the clean end of the input. A damaged input is a failed Status; the
  /// frames read before it were good. `frame->bytes` stays valid until the
  /// next call.
  virtual Result<bool> Next(Frame* frame) = 0;
};

/// What a replay read. Times are the earliest and latest frame timestamps
/// (a capture need not be in time order).
struct CaptureReport {
  LinkType link_type = LinkType::kEthernet;
  uint64_t packets = 0;         // frames read
  uint64_t captured_bytes = 0;  // bytes held in the capture
  uint64_t wire_bytes = 0;      // bytes the frames had on the wire
  uint64_t probes = 0;          // frames that decoded into a Probe
  RejectCounters rejects;       // frames that did not, by reason
  uint64_t first_time_us = 0;
  uint64_t last_time_us = 0;
  /// False when the input ended in damage (e.g. a truncated file): the
  /// counts cover the frames before it and `note` says what happened.
  bool complete = true;
  std::string note;

  uint64_t span_us() const { return last_time_us - first_time_us; }
};

/// Called for every frame read: `reject` is Reject::kNone when `probe` holds
/// the decoded frame; otherwise `probe` is unspecified. Both references are
/// valid only during the call.
using FrameHandler = std::function<void(const Frame& frame, Reject reject, const Probe& probe)>;

/// Reads `source` to its end, decoding every frame and calling `handler` (if
/// set) for each. Never fails: damage ends the replay with complete == false.
CaptureReport ReplayCapture(CaptureSource& source, const FrameHandler& handler);

/// Called with the next Probes decoded, in capture order. The span is valid
/// only during the call, and the Probes' payload views are empty (the frames
/// they came from are gone by then; payload_wire_len is kept).
using ProbeBatchHandler = std::function<void(std::span<const Probe> probes)>;
/// Called now and then with the bytes read so far (records included).
using ReplayProgress = std::function<void(uint64_t bytes_read)>;

/// ReplayCapture's work on two threads: a thread of its own reads `source`
/// and decodes the frames into batches of Probes while the calling thread
/// hands the previous batches to `handler`, so that reading and decoding
/// overlap with what the handler does. Frames that do not decode are only
/// counted. Returns the same report as ReplayCapture; `progress` (if set) is
/// called on the reading thread. Memory is a fixed ring of batches (about
/// 1 MB), whatever the capture's size. `source` must not be used elsewhere
/// until this returns; if `handler` throws, reading stops and the exception
/// propagates.
CaptureReport ReplayCaptureInBatches(CaptureSource& source, const ProbeBatchHandler& handler,
                                     const ReplayProgress& progress = nullptr);

/// Opens a pcap or pcapng file for reading; "-" reads standard input.
/// Timestamps are delivered in microseconds whatever the file's precision.
Result<std::unique_ptr<CaptureSource>> OpenCaptureFile(const std::string& path);

/// Reads a pcap or pcapng file held in memory (through fmemopen, so libpcap
/// parses it exactly as a file). REQUIRES: `bytes` outlives the source.
Result<std::unique_ptr<CaptureSource>> OpenCaptureMemory(std::span<const uint8_t> bytes);

/// libpcap's name and description of any link type, e.g. "EN10MB (Ethernet)"
/// or "IEEE802_11 (802.11)"; "DLT 999" for one libpcap does not know.
std::string LinkTypeDescription(LinkType link);

/// Saves frames of one link type to a pcap file.
class CaptureWriter {
 public:
  virtual ~CaptureWriter() = default;
  /// Appends one frame. Its link type must be the writer's.
  virtual Status Write(const Frame& frame) = 0;
  /// Flushes and closes the file, making it appear at its path. A writer
  /// destroyed without Close() leaves nothing behind.
  virtual Status Close() = 0;
};

/// Writes a pcap file (microsecond timestamps) at `path`, through a
/// temporary `path.partial` renamed on Close(); "-" writes standard output.
/// Frames longer than `snaplen` (1 to 262144) are cut to it, keeping their
/// wire length.
Result<std::unique_ptr<CaptureWriter>> OpenPcapWriter(const std::string& path, LinkType link,
                                                      uint32_t snaplen = 262144);

}  // namespace portscope::packet

#endif  // PORTSCOPE_PACKET_CAPTURE_H_
