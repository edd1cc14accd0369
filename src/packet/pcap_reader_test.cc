// The in-place pcap reader against libpcap itself: for well-formed, odd,
// damaged and randomly mutated files, in memory and on disk, both must hand
// out the same frames (time, bytes, wire length) and fail with the same
// message at the same record.
#include "packet/pcap_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "packet/capture.h"
#include "packet/test_packets.h"

namespace portscope::packet {
namespace {

using testing::Bytes;
using testing::Put32Le;

// Everything a source hands out, as text, up to its end or failure. The
// source's name is cut from messages, so a file and memory compare equal.
std::string Transcript(CaptureSource& source, const std::string& name) {
  std::string out = "link " + std::to_string(static_cast<int>(source.link_type())) + "\n";
  Frame frame;
  for (int i = 0; i < 100000; ++i) {
    Result<bool> next = source.Next(&frame);
    if (!next.ok()) {
      std::string m = next.status().message();
      if (m.rfind(name + ": ", 0) == 0) m = m.substr(name.size() + 2);
      return out + "error " + m + "\n";
    }
    if (!*next) return out + "end\n";
    uint64_t fnv = 0xcbf29ce484222325ULL;  // FNV-1a of the frame's bytes
    for (uint8_t b : frame.bytes) fnv = (fnv ^ b) * 0x100000001b3ULL;
    out += std::to_string(frame.time_us) + " " + std::to_string(frame.wire_len) + " " +
           std::to_string(frame.bytes.size()) + " " + std::to_string(static_cast<int>(frame.link)) + " " +
           std::to_string(fnv) + "\n";
  }
  return out + "too long\n";
}

std::string Libpcap(const Bytes& file) {
  auto s = internal::OpenLibpcapMemory(file, "x");
  return s.ok() ? Transcript(**s, "x") : "open error\n";
}

std::string Ours(const Bytes& file) {
  auto s = OpenCaptureMemory(file);
  return s.ok() ? Transcript(**s, "capture in memory") : "open error\n";
}

Bytes Header(uint32_t magic, uint32_t snaplen, uint32_t linktype, uint16_t major = 2, uint16_t minor = 4) {
  Bytes b;
  Put32Le(b, magic);
  testing::Put16Le(b, major);
  testing::Put16Le(b, minor);
  Put32Le(b, 0);
  Put32Le(b, 0);
  Put32Le(b, snaplen);
  Put32Le(b, linktype);
  return b;
}

void Record(Bytes& b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len, uint8_t fill) {
  Put32Le(b, sec);
  Put32Le(b, frac);
  Put32Le(b, caplen);
  Put32Le(b, len);
  for (uint32_t i = 0; i < caplen; ++i) b.push_back(static_cast<uint8_t>(fill + i));
}

// A file of odd but valid records: timestamps past 2038 and negative
// fractions (signed in libpcap's struct), snapped frames, frames longer than
// the snapshot length, an empty frame.
Bytes OddFile(uint32_t magic, uint32_t snaplen, uint32_t linktype) {
  Bytes b = Header(magic, snaplen, linktype);
  Record(b, 1700000000, 123456, 60, 60, 1);
  Record(b, 0x80000001u, 999999, 40, 1500, 2);
  Record(b, 5, 0xfffffff0u, 30, 20, 3);
  Record(b, 0xffffffffu, 1999999999, 0, 0, 4);
  Record(b, 7, 1, 100, 100, 5);
  Record(b, 8, 2, 70, 70, 6);
  return b;
}

TEST(PcapReader, TakesOnlyNativeVersion24FilesOfIdentityLinkTypes) {
  using internal::FastPcapFormat;
  EXPECT_TRUE(FastPcapFormat(Header(0xa1b2c3d4u, 65535, 1)));
  EXPECT_TRUE(FastPcapFormat(Header(0xa1b23c4du, 65535, 276)));
  EXPECT_FALSE(FastPcapFormat(Header(0xd4c3b2a1u, 65535, 1)));       // byte-swapped
  EXPECT_FALSE(FastPcapFormat(Header(0xa1b2cd34u, 65535, 1)));       // Kuznetzov
  EXPECT_FALSE(FastPcapFormat(Header(0xa1b2c3d4u, 65535, 1, 2, 3)));  // lengths maybe swapped
  EXPECT_FALSE(FastPcapFormat(Header(0xa1b2c3d4u, 65535, 101)));     // LINKTYPE_RAW is DLT 12
  EXPECT_FALSE(FastPcapFormat(Header(0xa1b2c3d4u, 65535, 1 | 0x04000000u)));
  EXPECT_FALSE(FastPcapFormat(Bytes(23, 0)));
  EXPECT_EQ(FastPcapFormat(Header(0xa1b2c3d4u, 0, 1))->snapshot, 262144u);
  EXPECT_EQ(FastPcapFormat(Header(0xa1b2c3d4u, 300000, 1))->snapshot, 262144u);
}

TEST(PcapReader, SameFramesAsLibpcapOnOddFiles) {
  for (uint32_t magic : {0xa1b2c3d4u, 0xa1b23c4du}) {
    for (uint32_t snaplen : {0u, 50u, 65u, 65535u, 300000u}) {
      for (uint32_t link : {0u, 1u, 113u, 228u, 276u}) {
        const Bytes file = OddFile(magic, snaplen, link);
        const std::string want = Libpcap(file);
        EXPECT_EQ(Ours(file), want) << magic << " " << snaplen << " " << link;
        // Every truncation, including mid-header and mid-frame cuts.
        for (size_t n = 24; n < file.size(); ++n) {
          const Bytes cut(file.begin(), file.begin() + static_cast<long>(n));
          ASSERT_EQ(Ours(cut), Libpcap(cut)) << magic << " " << snaplen << " " << link << " cut at " << n;
        }
      }
    }
  }
}

TEST(PcapReader, SameErrorsAsLibpcapOnHugeRecords) {
  for (uint32_t snaplen : {65535u, 262144u, 0u}) {
    for (uint32_t caplen : {262144u, 262145u, 70000u, 0x7fffffffu, 0xffffffffu}) {
      Bytes file = Header(0xa1b2c3d4u, snaplen, 1);
      Record(file, 1, 2, 10, 10, 9);
      Put32Le(file, 3);
      Put32Le(file, 4);
      Put32Le(file, caplen);
      Put32Le(file, caplen);
      for (int i = 0; i < 100; ++i) file.push_back(static_cast<uint8_t>(i));
      EXPECT_EQ(Ours(file), Libpcap(file)) << snaplen << " " << caplen;
    }
  }
}

TEST(PcapReader, SameAsLibpcapOnRandomDamage) {
  std::mt19937 rng(20261122);
  const Bytes base = OddFile(0xa1b2c3d4u, 80, 1);
  for (int trial = 0; trial < 3000; ++trial) {
    Bytes file = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Mostly the record headers, where the lengths are.
      const size_t at = 24 + rng() % (file.size() - 24);
      file[at] = static_cast<uint8_t>(rng());
    }
    if (rng() % 3 == 0) file.resize(24 + rng() % (file.size() - 24));
    ASSERT_EQ(Ours(file), Libpcap(file)) << "trial " << trial;
  }
}

// From a file on disk: records crossing the reader's 1 MiB blocks, frames of
// every size up to the largest, a frame cut to the snapshot length whose
// discarded tail crosses a block, and the end of the file mid-record.
TEST(PcapReader, FilesReadInBlocksGiveTheSameFramesAsLibpcap) {
  Bytes file = Header(0xa1b2c3d4u, 200000, 1);
  std::mt19937 rng(7);
  uint32_t sec = 1;
  while (file.size() < (size_t{5} << 20)) {
    const uint32_t r = rng() % 100;
    const uint32_t caplen = r < 80 ? 40 + rng() % 1500 : r < 98 ? rng() % 70000 : 150000 + rng() % 112144;
    Record(file, sec++, rng() % 1000000, caplen, caplen + rng() % 3, static_cast<uint8_t>(rng()));
  }
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("portscope_pcap_reader_" + std::to_string(getpid()) + ".pcap"))
                               .string();
  for (size_t cut : {file.size(), file.size() - 1000}) {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(file.data(), 1, cut, f), cut);
    ASSERT_EQ(std::fclose(f), 0);
    auto ours = OpenCaptureFile(path);
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    const Bytes held(file.begin(), file.begin() + static_cast<long>(cut));
    EXPECT_EQ(Transcript(**ours, path), Libpcap(held)) << cut;
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace portscope::packet
