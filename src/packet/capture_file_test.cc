// Capture sources and writers: the replay loop over an in-memory fake, pcap
// and pcapng through libpcap, damaged files, a write/read round trip, and the
// real masscan capture in ../shared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet/capture.h"
#include "packet/test_packets.h"

namespace portscope::packet {
namespace {

using testing::Bytes;

/// In-memory CaptureSource: hands out `frames`, then optionally fails.
class FakeSource : public CaptureSource {
 public:
  FakeSource(LinkType link, std::vector<Bytes> frames, std::vector<uint64_t> times,
             std::string fail_at_end = "")
      : link_(link),
        frames_(std::move(frames)),
        times_(std::move(times)),
        fail_(std::move(fail_at_end)) {}
  LinkType link_type() const override { return link_; }
  Result<bool> Next(Frame* frame) override {
    if (next_ == frames_.size()) {
      if (!fail_.empty()) return Status::Corrupt(fail_);
      return false;
    }
    frame->link = link_;
    frame->time_us = times_[next_];
    frame->bytes = std::span<const uint8_t>(frames_[next_].data(), frames_[next_].size());
    frame->wire_len = static_cast<uint32_t>(frames_[next_].size());
    ++next_;
    return true;
  }

 private:
  LinkType link_;
  std::vector<Bytes> frames_;
  std::vector<uint64_t> times_;
  std::string fail_;
  size_t next_ = 0;
};

TEST(ReplayCapture, CountsProbesRejectsBytesAndTimeSpan) {
  FakeSource source(LinkType::kEthernet,
                    {testing::EthernetIpv4Syn(22), Bytes(10, 0), testing::EthernetIpv4Syn(23),
                     testing::Ethernet(0x0806, Bytes(28, 0))},
                    {5'000'000, 4'000'000, 9'500'000, 6'000'000});
  std::vector<uint16_t> ports;
  std::vector<std::string> rejects;
  CaptureReport r = ReplayCapture(source, [&](const Frame&, Reject reject, const Probe& p) {
    if (reject == Reject::kNone) {
      ports.push_back(p.dport);
    } else {
      rejects.emplace_back(RejectName(reject));
    }
  });
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.link_type, LinkType::kEthernet);
  EXPECT_EQ(r.packets, 4u);
  EXPECT_EQ(r.probes, 2u);
  EXPECT_EQ(r.captured_bytes, 60u + 10 + 60 + 42);
  EXPECT_EQ(r.first_time_us, 4'000'000u);
  EXPECT_EQ(r.last_time_us, 9'500'000u);
  EXPECT_EQ(r.span_us(), 5'500'000u);
  EXPECT_EQ(r.rejects.total(), 2u);
  EXPECT_EQ(r.rejects[Reject::kTruncatedEthernet], 1u);
  EXPECT_EQ(r.rejects[Reject::kNotIp], 1u);
  EXPECT_EQ(ports, (std::vector<uint16_t>{22, 23}));
  EXPECT_EQ(rejects, (std::vector<std::string>{"truncated_ethernet", "not_ip"}));
}

TEST(ReplayCapture, DamageEndsTheReplayWithANote) {
  FakeSource source(LinkType::kRaw, {Bytes{0x45}}, {1}, "capture: truncated dump file");
  CaptureReport r = ReplayCapture(source, nullptr);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.note, "capture: truncated dump file");
  EXPECT_EQ(r.packets, 1u);
  EXPECT_EQ(r.rejects[Reject::kTruncatedIpv4], 1u);
}

// The two-thread replay reports what the one-thread replay does and hands
// over every decoded Probe once, in capture order, across many batches.
TEST(ReplayCapture, InBatchesGivesTheSameReportAndProbesInOrder) {
  std::vector<Bytes> frames;
  std::vector<uint64_t> times;
  for (uint32_t i = 0; i < 5000; ++i) {
    frames.push_back(i % 7 == 3 ? Bytes(10, 0) : testing::EthernetIpv4Syn(static_cast<uint16_t>(i)));
    times.push_back(1'000'000 + (i * 7919) % 5000);
  }
  for (const std::string& fail : {std::string(), std::string("capture: truncated dump file")}) {
    FakeSource one(LinkType::kEthernet, frames, times, fail);
    FakeSource two(LinkType::kEthernet, frames, times, fail);
    std::vector<uint16_t> want, got;
    const CaptureReport a = ReplayCapture(one, [&](const Frame&, Reject reject, const Probe& p) {
      if (reject == Reject::kNone) want.push_back(p.dport);
    });
    uint64_t last_progress = 0;
    const CaptureReport b = ReplayCaptureInBatches(
        two,
        [&](std::span<const Probe> probes) {
          for (const Probe& p : probes) {
            EXPECT_TRUE(p.payload.empty());
            got.push_back(p.dport);
          }
        },
        [&](uint64_t bytes) { last_progress = bytes; });
    EXPECT_EQ(got, want);
    EXPECT_EQ(b.packets, a.packets);
    EXPECT_EQ(b.probes, a.probes);
    EXPECT_EQ(b.captured_bytes, a.captured_bytes);
    EXPECT_EQ(b.wire_bytes, a.wire_bytes);
    EXPECT_EQ(b.rejects, a.rejects);
    EXPECT_EQ(b.first_time_us, a.first_time_us);
    EXPECT_EQ(b.last_time_us, a.last_time_us);
    EXPECT_EQ(b.complete, a.complete);
    EXPECT_EQ(b.note, a.note);
    EXPECT_EQ(last_progress, a.captured_bytes + 16 * a.packets);
  }
}

TEST(ReplayCapture, InBatchesStopsReadingWhenTheHandlerThrows) {
  std::vector<Bytes> frames(100000, testing::EthernetIpv4Syn(80));
  FakeSource source(LinkType::kEthernet, frames, std::vector<uint64_t>(frames.size(), 1));
  int batches = 0;
  EXPECT_THROW(ReplayCaptureInBatches(source,
                                      [&](std::span<const Probe>) {
                                        if (++batches == 3) throw std::runtime_error("stop");
                                      }),
               std::runtime_error);
  EXPECT_EQ(batches, 3);
}

TEST(CaptureFile, ReadsPcapAndPcapngFromMemory) {
  const std::vector<testing::PcapRecord> records = {
      {1566411407, 841604, testing::EthernetIpv4Syn(697), -1, -1},
      {1566411408, 1, testing::EthernetIpv4Syn(217), -1, -1},
  };
  for (bool ng : {false, true}) {
    const Bytes file = ng ? testing::PcapngFile(1, records) : testing::PcapFile(1, records);
    auto source = OpenCaptureMemory(file);
    ASSERT_TRUE(source.ok()) << source.status().message();
    EXPECT_EQ((*source)->link_type(), LinkType::kEthernet);
    std::vector<uint16_t> ports;
    CaptureReport r = ReplayCapture(**source, [&](const Frame& f, Reject, const Probe& p) {
      EXPECT_EQ(f.bytes.size(), 60u);
      ports.push_back(p.dport);
    });
    EXPECT_TRUE(r.complete) << r.note;
    EXPECT_EQ(r.packets, 2u) << ng;
    EXPECT_EQ(r.probes, 2u);
    EXPECT_EQ(r.first_time_us, 1566411407841604u);
    EXPECT_EQ(r.span_us(), 158397u);
    EXPECT_EQ(ports, (std::vector<uint16_t>{697, 217}));
  }
}

TEST(CaptureFile, SnappedRecordsKeepTheirWireLength) {
  testing::TcpSpec tcp;
  tcp.payload = Bytes(500, 'x');
  const Bytes full = testing::Ipv4({}, testing::Tcp(tcp));
  testing::PcapRecord rec{1, 0, Bytes(full.begin(), full.begin() + 64), -1,
                          static_cast<int>(full.size())};
  const Bytes file = testing::PcapFile(101 /* LINKTYPE_RAW */, {rec}, 64);
  auto source = OpenCaptureMemory(file);
  ASSERT_TRUE(source.ok()) << source.status().message();
  EXPECT_EQ((*source)->link_type(), LinkType::kRaw);  // libpcap maps it to DLT_RAW
  Probe seen;
  CaptureReport r = ReplayCapture(**source, [&](const Frame&, Reject reject, const Probe& p) {
    EXPECT_EQ(reject, Reject::kNone);
    seen = p;
  });
  EXPECT_EQ(r.probes, 1u);
  EXPECT_EQ(r.wire_bytes, full.size());
  EXPECT_EQ(seen.payload_wire_len, 500u);
}

TEST(CaptureFile, DamagedFilesAreClearErrorsOrPartialReports) {
  std::vector<testing::PcapRecord> records;
  for (uint16_t port = 1; port <= 3; ++port) {
    records.push_back({1000, port, testing::EthernetIpv4Syn(port), -1, -1});
  }
  const Bytes good = testing::PcapFile(1, records);
  const Bytes good_ng = testing::PcapngFile(1, records);

  // Not a capture at all.
  for (const Bytes& junk : {Bytes{}, Bytes{'h', 'e', 'l', 'l', 'o'}, Bytes(100, 0)}) {
    auto s = OpenCaptureMemory(junk);
    ASSERT_FALSE(s.ok());
    EXPECT_FALSE(s.status().message().empty());
  }
  // A record claiming more bytes than libpcap will ever hold.
  Bytes huge = good;
  huge[24 + 8] = 0xff;
  huge[24 + 9] = 0xff;
  huge[24 + 10] = 0xff;
  auto s = OpenCaptureMemory(huge);
  ASSERT_TRUE(s.ok());
  CaptureReport r = ReplayCapture(**s, nullptr);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.packets, 0u);
  EXPECT_NE(r.note.find("capture in memory"), std::string::npos) << r.note;

  // Every truncation of a pcap and a pcapng file: an open error, or the
  // whole records before the cut and a note when the cut is mid-record.
  for (const Bytes* file : {&good, &good_ng}) {
    for (size_t n = 0; n < file->size(); ++n) {
      const Bytes cut(file->begin(), file->begin() + n);
      auto src = OpenCaptureMemory(cut);
      if (!src.ok()) continue;
      CaptureReport rep = ReplayCapture(**src, nullptr);
      EXPECT_LE(rep.packets, 2u) << n;
      EXPECT_EQ(rep.probes, rep.packets) << n;
      if (file == &good) {
        const size_t whole = (n - 24) / 76;  // 24-byte file header, 16 + 60 per record
        EXPECT_EQ(rep.packets, whole) << n;
        EXPECT_EQ(rep.complete, (n - 24) % 76 == 0) << n << ": " << rep.note;
      }
    }
  }
}

TEST(CaptureFile, LinkTypeDescriptions) {
  EXPECT_EQ(LinkTypeDescription(LinkType::kEthernet), "EN10MB (Ethernet)");
  EXPECT_EQ(LinkTypeDescription(LinkType::kLinuxSll2), "LINUX_SLL2 (Linux cooked v2)");
  EXPECT_EQ(LinkTypeDescription(static_cast<LinkType>(105)), "IEEE802_11 (802.11)");
  EXPECT_EQ(LinkTypeDescription(static_cast<LinkType>(999)), "DLT 999");
}

TEST(CaptureFile, MissingFileIsNotFound) {
  auto s = OpenCaptureFile("/nonexistent/portscope/x.pcap");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound);
  EXPECT_NE(s.status().message().find("/nonexistent/portscope/x.pcap"), std::string::npos);
}

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("portscope_") + std::to_string(getpid()) + "_" + name))
      .string();
}

// "-" reads standard input. Run in a death-test child, whose stdin can be
// replaced without touching the test runner's.
TEST(CaptureFile, DashReadsStandardInput) {
  const std::string path = TempPath("stdin.pcap");
  const Bytes file = testing::PcapFile(1, {{7, 0, testing::EthernetIpv4Syn(25), -1, -1},
                                           {8, 0, testing::EthernetIpv4Syn(26), -1, -1}});
  FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(std::fwrite(file.data(), 1, file.size(), out), file.size());
  ASSERT_EQ(std::fclose(out), 0);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (std::freopen(path.c_str(), "rb", stdin) == nullptr) std::_Exit(3);
        // The threadsafe style re-runs this test in the child, which wrote
        // its own file under its own pid: unlink it (stdin holds it open).
        std::remove(path.c_str());
        auto source = OpenCaptureFile("-");
        if (!source.ok()) std::_Exit(2);
        CaptureReport r = ReplayCapture(**source, nullptr);
        std::_Exit(r.complete && r.probes == 2 && r.span_us() == 1000000 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  std::filesystem::remove(path);
}

TEST(CaptureWriter, RoundTripKeepsBytesTimesAndWireLengths) {
  const std::string path = TempPath("roundtrip.pcap");
  std::vector<Bytes> frames;
  for (uint16_t port = 0; port < 50; ++port) frames.push_back(testing::EthernetIpv4Syn(port));
  testing::Ipv6Spec v6;
  v6.next = 17;
  frames.push_back(
      testing::Ethernet(0x86dd, testing::Ipv6(v6, testing::Udp(1, 53, Bytes(300, 'q')))));
  {
    auto w = OpenPcapWriter(path, LinkType::kEthernet, 200);
    ASSERT_TRUE(w.ok()) << w.status().message();
    for (size_t i = 0; i < frames.size(); ++i) {
      Frame f;
      f.link = LinkType::kEthernet;
      f.time_us = 1566411407000000 + i * 1001;
      f.bytes = std::span<const uint8_t>(frames[i].data(), frames[i].size());
      f.wire_len = static_cast<uint32_t>(frames[i].size());
      ASSERT_TRUE((*w)->Write(f).ok());
    }
    Frame other;
    other.link = LinkType::kRaw;
    EXPECT_FALSE((*w)->Write(other).ok());
    EXPECT_FALSE(std::filesystem::exists(path)) << "visible before Close";
    ASSERT_TRUE((*w)->Close().ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));

  auto source = OpenCaptureFile(path);
  ASSERT_TRUE(source.ok()) << source.status().message();
  size_t i = 0;
  CaptureReport r = ReplayCapture(**source, [&](const Frame& f, Reject reject, const Probe& p) {
    ASSERT_LT(i, frames.size());
    EXPECT_EQ(reject, Reject::kNone) << i;
    EXPECT_EQ(f.time_us, 1566411407000000 + i * 1001);
    EXPECT_EQ(f.wire_len, frames[i].size());
    const size_t kept = std::min<size_t>(frames[i].size(), 200);  // the writer's snaplen
    EXPECT_EQ(Bytes(f.bytes.begin(), f.bytes.end()),
              Bytes(frames[i].begin(), frames[i].begin() + kept))
        << i;
    if (i < 50) {
      EXPECT_EQ(p.dport, i);
    }
    ++i;
  });
  EXPECT_TRUE(r.complete) << r.note;
  EXPECT_EQ(r.packets, frames.size());
  EXPECT_EQ(r.probes, frames.size());
  std::filesystem::remove(path);
}

TEST(CaptureWriter, AbandonedWriterLeavesNothingAndBadPathsFail) {
  const std::string path = TempPath("abandoned.pcap");
  {
    auto w = OpenPcapWriter(path, LinkType::kRaw);
    ASSERT_TRUE(w.ok());
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  EXPECT_FALSE(OpenPcapWriter("/nonexistent/dir/x.pcap", LinkType::kRaw).ok());
  EXPECT_FALSE(OpenPcapWriter(path, LinkType::kRaw, 0).ok());
}

// The real capture in ../shared: masscan 1.0.4 scanning TCP ports 0-1000 of
// one host, 802.1Q-tagged Ethernet. Figures checked by hand against
// `tcpdump -nr` (1,005 lines; 1,001 "Flags [S]"; 4 "Flags [R]" to ports 80
// and 443, twice each; one source 172.31.15.102.51406; TTL 252, i.e. 255
// less 3 hops, from masscan's own stack, except the two window-0 RSTs with
// TTL 61, i.e. 64 less 3: the scanning host's kernel resetting SYN-ACKs it
// never asked for).
TEST(CaptureFile, MasscanReplay) {
  const std::string path =
      std::string(PORTSCOPE_SHARED_DIR) + "/data/pcaps/masscan_tcp_0-1000.pcap";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared capture at " << path;
  auto source = OpenCaptureFile(path);
  ASSERT_TRUE(source.ok()) << source.status().message();

  uint64_t syns = 0, rsts = 0, other = 0, ttl252 = 0;
  std::set<uint16_t> syn_ports;
  std::set<IpAddress> sources, targets;
  std::set<uint16_t> sports;
  CaptureReport r = ReplayCapture(**source, [&](const Frame&, Reject reject, const Probe& p) {
    if (reject != Reject::kNone) return;
    sources.insert(p.src);
    targets.insert(p.dst);
    sports.insert(p.sport);
    if (p.ttl == 252) ++ttl252;
    if (p.transport == Transport::kTcp && p.tcp_flags == tcp_flags::kSyn) {
      ++syns;
      syn_ports.insert(p.dport);
      EXPECT_EQ(p.window, 1024);
      EXPECT_EQ(p.tcp_option_count, 0);
      EXPECT_EQ(p.payload_wire_len, 0u);  // 6 bytes of Ethernet padding are not payload
    } else if (p.transport == Transport::kTcp && p.tcp_flags == tcp_flags::kRst) {
      ++rsts;
      EXPECT_TRUE(p.dport == 80 || p.dport == 443) << p.dport;
      EXPECT_EQ(p.ttl, p.window == 0 ? 61 : 252) << p.window;
    } else {
      ++other;
    }
  });
  EXPECT_TRUE(r.complete) << r.note;
  EXPECT_EQ(r.link_type, LinkType::kEthernet);
  EXPECT_EQ(r.packets, 1005u);
  EXPECT_EQ(r.captured_bytes, 1005u * 64);
  EXPECT_EQ(r.wire_bytes, 1005u * 64);
  EXPECT_EQ(r.probes, 1005u);
  EXPECT_EQ(r.rejects.total(), 0u);
  EXPECT_EQ(r.first_time_us, 1566411407841604u);  // 2019-08-21 18:16:47.841604 UTC
  EXPECT_EQ(r.last_time_us, 1566411417888982u);
  EXPECT_EQ(r.span_us(), 10047378u);
  EXPECT_EQ(syns, 1001u);
  EXPECT_EQ(rsts, 4u);
  EXPECT_EQ(other, 0u);
  EXPECT_EQ(ttl252, 1003u);
  EXPECT_EQ(syn_ports.size(), 1001u);
  EXPECT_EQ(*syn_ports.begin(), 0);
  EXPECT_EQ(*syn_ports.rbegin(), 1000);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources.begin()->ToString(), "172.31.15.102");
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets.begin()->ToString(), "198.124.152.15");
  EXPECT_EQ(sports, (std::set<uint16_t>{51406}));
}

}  // namespace
}  // namespace portscope::packet
