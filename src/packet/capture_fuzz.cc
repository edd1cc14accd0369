// libFuzzer target: arbitrary bytes as a pcap or pcapng file, read as
// OpenCaptureMemory does (the in-place classic pcap reader, else libpcap
// through fmemopen) and every frame decoded by ReplayCapture. Traps when the
// report disagrees with what the handler saw, a Probe's payload is outside
// its frame, or the in-place reader and libpcap disagree on a frame or on
// where and how the file is damaged.
// Build and run: scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <string>

#include "packet/capture.h"
#include "packet/pcap_reader.h"

using portscope::packet::CaptureReport;
using portscope::packet::Frame;
using portscope::packet::OpenCaptureMemory;
using portscope::packet::Probe;
using portscope::packet::Reject;

namespace {

// Frames and the final outcome of a source, as text (the message without the
// source's name, which differs).
std::string Transcript(portscope::packet::CaptureSource& source) {
  std::string out;
  Frame frame;
  while (true) {
    auto next = source.Next(&frame);
    if (!next.ok()) {
      const std::string m = next.status().message();
      const size_t colon = m.find(": ");
      return out + "error" + (colon == std::string::npos ? m : m.substr(colon)) + "\n";
    }
    if (!*next) return out + "end\n";
    out += std::to_string(frame.time_us) + " " + std::to_string(frame.wire_len) + " ";
    out.append(reinterpret_cast<const char*>(frame.bytes.data()), frame.bytes.size());
    out += "\n";
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  if (portscope::packet::internal::FastPcapFormat(bytes)) {
    auto ours = OpenCaptureMemory(bytes);
    auto theirs = portscope::packet::internal::OpenLibpcapMemory(bytes, "libpcap");
    if (!ours.ok() || !theirs.ok() || Transcript(**ours) != Transcript(**theirs)) std::abort();
  }
  auto source = OpenCaptureMemory(std::span<const uint8_t>(data, size));
  if (!source.ok()) return 0;
  uint64_t frames = 0, probes = 0;
  CaptureReport report =
      ReplayCapture(**source, [&](const Frame& frame, Reject reject, const Probe& probe) {
        ++frames;
        if (reject != Reject::kNone) return;
        ++probes;
        const uint8_t* begin = frame.bytes.data();
        const uint8_t* end = begin + frame.bytes.size();
        if (!probe.payload.empty() &&
            (probe.payload.data() < begin || probe.payload.data() + probe.payload.size() > end)) {
          std::abort();
        }
      });
  if (report.packets != frames || report.probes != probes ||
      report.probes + report.rejects.total() != report.packets) {
    std::abort();
  }
  return 0;
}
