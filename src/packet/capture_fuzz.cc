// libFuzzer target: arbitrary bytes as a pcap or pcapng file, read through
// libpcap (fmemopen + pcap_fopen_offline, as OpenCaptureMemory does) and
// every frame decoded by ReplayCapture. Traps when the report disagrees with
// what the handler saw or a Probe's payload is outside its frame.
// Build and run: scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet/capture.h"

using portscope::packet::CaptureReport;
using portscope::packet::Frame;
using portscope::packet::OpenCaptureMemory;
using portscope::packet::Probe;
using portscope::packet::Reject;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
