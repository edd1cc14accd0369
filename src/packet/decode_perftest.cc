// Decode throughput from memory, one core: how many frames per second
// DecodeFrame turns into Probes. Not a ctest; run by hand:
//   build/src/packet/decode_perftest [seconds-per-case]
//
// Each case decodes a ring of 4,096 distinct synthetic frames (different
// sources and ports, like a scan) laid out back to back in one buffer, so
// the figure includes walking memory, not just one cached frame.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "packet/decode.h"
#include "packet/test_packets.h"

namespace portscope::packet {
namespace {

using testing::Bytes;

struct Case {
  const char* name;
  LinkType link;
  Bytes (*make)(uint32_t i);
};

Bytes EthIpv4Syn(uint32_t i) {
  return testing::EthernetIpv4Syn(static_cast<uint16_t>(i * 7919), 0xc0000200u + (i & 0xff));
}

Bytes EthVlanIpv4Syn(uint32_t i) {
  testing::Ipv4Spec ip;
  ip.src[3] = static_cast<uint8_t>(i);
  testing::TcpSpec tcp;
  tcp.dport = static_cast<uint16_t>(i * 7919);
  tcp.options = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
  return testing::Ethernet(0x0800, testing::Ipv4(ip, testing::Tcp(tcp)), {0x8100}, 60);
}

Bytes EthIpv6Syn(uint32_t i) {
  testing::Ipv6Spec ip;
  ip.src[15] = static_cast<uint8_t>(i);
  testing::TcpSpec tcp;
  tcp.dport = static_cast<uint16_t>(i * 7919);
  return testing::Ethernet(0x86dd, testing::Ipv6(ip, testing::Tcp(tcp)));
}

void Run(const Case& c, double seconds) {
  constexpr uint32_t kFrames = 4096;
  Bytes buffer;
  std::vector<std::pair<size_t, size_t>> spans;
  for (uint32_t i = 0; i < kFrames; ++i) {
    Bytes f = c.make(i);
    spans.emplace_back(buffer.size(), f.size());
    testing::Append(buffer, f);
  }
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < kFrames; ++i) {
    Frame f;
    f.link = c.link;
    f.time_us = i;
    f.bytes = std::span<const uint8_t>(buffer.data() + spans[i].first, spans[i].second);
    f.wire_len = static_cast<uint32_t>(spans[i].second);
    frames.push_back(f);
  }

  using Clock = std::chrono::steady_clock;
  Probe probe;
  uint64_t decoded = 0, rejected = 0, checksum = 0;
  const auto start = Clock::now();
  auto now = start;
  do {
    for (int round = 0; round < 64; ++round) {
      for (const Frame& f : frames) {
        if (DecodeFrame(f, &probe) == Reject::kNone) {
          ++decoded;
          checksum += probe.dport + probe.ttl;  // keeps the work observable
        } else {
          ++rejected;
        }
      }
    }
    now = Clock::now();
  } while (std::chrono::duration<double>(now - start).count() < seconds);
  const double elapsed = std::chrono::duration<double>(now - start).count();
  const double per_second = static_cast<double>(decoded + rejected) / elapsed;
  std::printf("%-28s %8.1f M frames/s  %6.1f ns/frame  (%llu frames, %llu rejected, sum %llu)\n",
              c.name, per_second / 1e6, 1e9 / per_second,
              static_cast<unsigned long long>(decoded + rejected),
              static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(checksum));
}

}  // namespace
}  // namespace portscope::packet

int main(int argc, char** argv) {
  using namespace portscope::packet;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const Case cases[] = {
      {"ethernet/ipv4/tcp-syn+mss", LinkType::kEthernet, EthIpv4Syn},
      {"ethernet/vlan/ipv4/tcp+4opt", LinkType::kEthernet, EthVlanIpv4Syn},
      {"ethernet/ipv6/tcp-syn", LinkType::kEthernet, EthIpv6Syn},
  };
  for (const Case& c : cases) Run(c, seconds > 0 ? seconds : 2.0);
  return 0;
}
