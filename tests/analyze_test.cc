// Acceptance tests of `portscope analyze` on the team's own captures
// (tests/captures/, made by make-captures.sh in network namespaces: real nmap
// and masscan scans, and benign HTTP and DNS traffic) and on a masscan
// capture made elsewhere (../shared/data/pcaps).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "base/text.h"
#include "packet/test_packets.h"
#include "run_binary.h"

namespace portscope {
namespace {

using nlohmann::json;
using testing::RunPortscope;

const std::string kCaptures = std::string(PORTSCOPE_SOURCE_DIR) + "/tests/captures/";

struct Expected {
  std::string file, source, kind;
  int distinct_ports = 0;
};

std::vector<Expected> LoadExpected() {
  std::vector<Expected> out;
  std::ifstream in(kCaptures + "expected.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto f = Split(line, '\t');
    if (f.size() < 5) continue;
    Expected e{std::string(f[0]), std::string(f[1]), std::string(f[2]), std::stoi(std::string(f[3]))};
    out.push_back(e);
  }
  return out;
}

TEST(Analyze, EveryScanInTheTeamsCapturesIsFoundWithItsSourceAndTypeAndBenignTrafficIsNot) {
  auto expected = LoadExpected();
  ASSERT_GE(expected.size(), 11u);
  for (const Expected& e : expected) {
    auto r = RunPortscope({"analyze", "--json", kCaptures + e.file});
    ASSERT_EQ(r.exit_code, 0) << e.file << ": " << r.err;
    json j = json::parse(r.out);
    EXPECT_GT(j["summary"]["probes"].get<int>(), 0) << e.file;
    EXPECT_TRUE(j["summary"]["two_way"].get<bool>()) << e.file;
    if (e.kind == "none") {
      EXPECT_TRUE(j["alerts"].empty()) << e.file << ": " << j["alerts"].dump();
      continue;
    }
    ASSERT_EQ(j["alerts"].size(), 1u) << e.file << ": " << j["alerts"].dump();
    const json& a = j["alerts"][0];
    EXPECT_EQ(a["source"], e.source) << e.file;
    EXPECT_EQ(a["kind"], e.kind) << e.file;
    EXPECT_EQ(a["host_count"], 1) << e.file;
    // Every port the scanner probed, open ones included (answered on the
    // scan's own host: nmap -sU's 53).
    EXPECT_EQ(a["port_count"].get<int>(), e.distinct_ports) << e.file << ": " << a["port_ranges"].dump();
    for (const char* k : {"ports", "hosts", "first_seen", "last_seen", "probes", "algorithm", "shape"})
      EXPECT_TRUE(a.contains(k)) << k;
  }
}

TEST(Analyze, ToolHintsNameMasscanAndNmapAsLikely) {
  auto m = json::parse(RunPortscope({"analyze", "--json", kCaptures + "masscan-syn.pcap"}).out);
  EXPECT_TRUE(m["alerts"][0]["likely"].get<std::string>().starts_with("likely masscan")) << m["alerts"][0]["likely"];
  auto n = json::parse(RunPortscope({"analyze", "--json", kCaptures + "nmap-sS.pcap"}).out);
  EXPECT_TRUE(n["alerts"][0]["likely"].get<std::string>().starts_with("likely nmap")) << n["alerts"][0]["likely"];
  auto t = json::parse(RunPortscope({"analyze", "--json", kCaptures + "nmap-sT.pcap"}).out);
  EXPECT_TRUE(t["alerts"][0]["likely"].is_null());  // a connect scan uses the OS's own SYNs
}

TEST(Analyze, TheSharedMasscanCaptureIsOneSynScanOver1001Ports) {
  std::string shared = testing::SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared not found";
  auto r = RunPortscope({"analyze", "--json", shared + "/data/pcaps/masscan_tcp_0-1000.pcap"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["summary"]["packets"], 1005);
  EXPECT_EQ(j["summary"]["sources"], 1);
  ASSERT_EQ(j["alerts"].size(), 1u);
  const json& a = j["alerts"][0];
  EXPECT_EQ(a["source"], "172.31.15.102");
  EXPECT_EQ(a["kind"], "syn");
  EXPECT_EQ(a["port_count"], 1001);
  EXPECT_EQ(a["port_ranges"], json::array({"0-1000"}));
  EXPECT_TRUE(a["port_ranges_complete"].get<bool>());
  EXPECT_EQ(a["host_count"], 1);
  EXPECT_EQ(a["hosts"][0], "198.124.152.15");
  EXPECT_EQ(a["ended"], "finished");  // end of input, as docs/json.md says
  // Its first probe is the capture's first packet, to the microsecond.
  EXPECT_EQ(a["first_seen"], j["summary"]["first_seen"]);
  EXPECT_EQ(a["first_seen"], "2019-08-21T18:16:47.841604Z");
  // The table says the same in words.
  auto t = RunPortscope({"analyze", shared + "/data/pcaps/masscan_tcp_0-1000.pcap"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("\n    ports 0-1000\n"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("6 ports on 1 host (6 targets)"), std::string::npos) << t.out;
}

TEST(Analyze, SeveralFilesAndStdinAndAHumanSummary) {
  std::string bytes = testing::ReadFileOrDie(kCaptures + "nmap-sX.pcap");
  auto s = RunPortscope({"analyze", "--json", "-"}, {}, bytes);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(json::parse(s.out)["alerts"][0]["kind"], "xmas");
  auto two = RunPortscope({"analyze", kCaptures + "benign.pcap", kCaptures + "nmap-sN.pcap"});
  ASSERT_EQ(two.exit_code, 0);
  EXPECT_NE(two.out.find("null"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("both directions seen"), std::string::npos);
  EXPECT_NE(two.out.find("rejected frames: 2 not_ip"), std::string::npos) << two.out;  // nmap's ARP
}

TEST(Analyze, WatchedPortsAlertOnOneTouchAndThresholdsComeFromFlagsOrConfig) {
  // The benign capture's HTTP client becomes an event when port 80 is a canary port.
  auto w = json::parse(RunPortscope({"analyze", "--json", "--watch", "80/tcp", kCaptures + "benign.pcap"}).out);
  ASSERT_FALSE(w["alerts"].empty());
  EXPECT_EQ(w["alerts"][0]["algorithm"], "watched-port");
  std::string dir = testing::MakeTempDir("analyze-config");
  std::ofstream(dir + "/c.toml") << "[detect]\nfast_ports = 16\nslow_ports = 16\ntrw = false\n";
  auto c = json::parse(RunPortscope({"analyze", "--json", "--config", dir + "/c.toml", kCaptures + "nmap-T1.pcap"}).out);
  EXPECT_TRUE(c["alerts"].empty());  // 5 ports cannot reach 16
}

TEST(Analyze, BadInputIsExit2WithOneMessage) {
  std::string dir = testing::MakeTempDir("analyze-bad");
  std::ofstream(dir + "/not.pcap") << "this is not a capture\n";
  std::ofstream(dir + "/bad.toml") << "[detect]\nfast_portz = 3\n";
  std::ofstream(dir + "/broken.toml") << "[detect\n";
  struct Case {
    std::vector<std::string> args;
    std::string want;
  } cases[] = {
      {{"analyze", "/nonexistent.pcap"}, "/nonexistent.pcap"},
      {{"analyze", dir + "/not.pcap"}, "not.pcap"},
      {{"analyze", "--config", dir + "/bad.toml", kCaptures + "benign.pcap"}, "unknown key"},
      {{"analyze", "--config", dir + "/broken.toml", kCaptures + "benign.pcap"}, "broken.toml:"},
      {{"analyze", "--fast-window", "5x", kCaptures + "benign.pcap"}, "bad duration"},
      {{"analyze", "--watch", "99999", kCaptures + "benign.pcap"}, "out of range"},
      {{"analyze"}, "files is required"},
  };
  for (const auto& c : cases) {
    auto r = RunPortscope(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.want), std::string::npos) << r.err;
    // Named once: "portscope: /x.pcap: /x.pcap: ..." was said of every file.
    EXPECT_EQ(r.err.find(c.want), r.err.rfind(c.want)) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

// Memory stays bounded when every packet starts a scan (a touch of a --watch
// port is one): the first 100,000 scans are listed, the rest counted.
TEST(Analyze, ScansPastTheListCapAreCountedNotKept) {
  constexpr uint32_t kScans = 100'000 + 40;
  std::vector<packet::testing::PcapRecord> records;
  records.reserve(kScans);
  for (uint32_t i = 0; i < kScans; ++i)  // one new source a second: within the alert rate limit
    records.push_back({1700000000 + i, 0, packet::testing::EthernetIpv4Syn(2244, 0x0a000000 + i), -1, -1});
  const packet::testing::Bytes file = packet::testing::PcapFile(1, records);
  std::string dir = testing::MakeTempDir("analyze-cap");
  std::ofstream(dir + "/many.pcap", std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  auto r = RunPortscope({"analyze", "--watch", "2244", dir + "/many.pcap"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Each of the last 40 scans sent "started" and "ended".
  EXPECT_NE(r.out.find("the first 100,000 scans are listed; 80 alerts of later scans were counted, not kept"),
            std::string::npos) << r.out.substr(0, 2000);
  size_t rows = 0;
  for (size_t at = r.out.find("\n10."); at != std::string::npos; at = r.out.find("\n10.", at + 1)) ++rows;
  EXPECT_EQ(rows, 100'000u);
}

// The alert rate limit (scanlogd's, for live logs) holds back scans past a
// burst of 100; analyze says how many and why, and --no-rate-limit lists all.
TEST(Analyze, ScansHeldBackByTheRateLimitAreSaidAndNoRateLimitListsThem) {
  std::vector<packet::testing::PcapRecord> records;
  for (uint32_t i = 0; i < 300; ++i)  // 300 sources touch a watched port within 0.3 s
    records.push_back({1700000000, 1000 * i, packet::testing::EthernetIpv4Syn(2244, 0x0a000000 + i), -1, -1});
  const packet::testing::Bytes file = packet::testing::PcapFile(1, records);
  std::string dir = testing::MakeTempDir("analyze-rate");
  std::ofstream(dir + "/burst.pcap", std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  auto limited = RunPortscope({"analyze", "--json", "--watch", "2244", dir + "/burst.pcap"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  json j = json::parse(limited.out);
  const size_t listed = j["alerts"].size();
  EXPECT_GE(listed, 100u);
  EXPECT_LT(listed, 110u);
  EXPECT_EQ(j["summary"]["alerts_dropped"].get<size_t>(), 300 - listed);
  auto table = RunPortscope({"analyze", "--watch", "2244", dir + "/burst.pcap"});
  EXPECT_NE(table.out.find(std::to_string(300 - listed) + " scans not reported: the alert rate limit held them back"),
            std::string::npos) << table.out.substr(0, 600);
  EXPECT_EQ(table.out.find("state was full"), std::string::npos) << table.out.substr(0, 600);

  auto all = RunPortscope({"analyze", "--json", "--no-rate-limit", "--watch", "2244", dir + "/burst.pcap"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  j = json::parse(all.out);
  EXPECT_EQ(j["alerts"].size(), 300u);
  EXPECT_EQ(j["summary"]["alerts_dropped"].get<int>(), 0);
}

// An alert's own list holds 16 runs of ports; analyze lists every run (up to
// 1,024 a scan) from the engine's bitmap: a scan of 1,000 ports with gaps
// between them (as nmap's default scan, 636 runs) is listed whole.
TEST(Analyze, EveryRunOfPortsIsListedUpTo1024) {
  auto scan = [](uint32_t ports) {
    std::vector<packet::testing::PcapRecord> records;
    for (uint32_t i = 0; i < ports; ++i)
      records.push_back({1700000000, 2000 * i, packet::testing::EthernetIpv4Syn(static_cast<uint16_t>(1000 + 3 * i), 0x0a000001), -1, -1});
    const packet::testing::Bytes file = packet::testing::PcapFile(1, records);
    std::string dir = testing::MakeTempDir("analyze-runs");
    std::ofstream(dir + "/runs.pcap", std::ios::binary)
        .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    auto r = RunPortscope({"analyze", "--json", dir + "/runs.pcap"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  };
  json j = scan(1000);
  ASSERT_EQ(j["alerts"].size(), 1u) << j.dump();
  const json& a = j["alerts"][0];
  EXPECT_EQ(a["port_count"].get<int>(), 1000);
  ASSERT_EQ(a["port_ranges"].size(), 1000u);
  EXPECT_EQ(a["port_ranges"][0], "1000");
  EXPECT_EQ(a["port_ranges"][999], "3997");
  EXPECT_TRUE(a["port_ranges_complete"].get<bool>());
  EXPECT_EQ(a["ports"].size(), 32u);  // the lowest ports, one by one, stay capped

  j = scan(1100);
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["port_count"].get<int>(), 1100);
  EXPECT_EQ(j["alerts"][0]["port_ranges"].size(), 1024u);
  EXPECT_FALSE(j["alerts"][0]["port_ranges_complete"].get<bool>());
}

TEST(Analyze, ATruncatedCaptureReportsWhatItReadAndExitsAsBadInput) {
  std::string bytes = testing::ReadFileOrDie(kCaptures + "nmap-sS.pcap");
  std::string dir = testing::MakeTempDir("analyze-cut");
  std::ofstream(dir + "/cut.pcap", std::ios::binary) << bytes.substr(0, bytes.size() * 2 / 3 + 7);
  auto r = RunPortscope({"analyze", "--json", dir + "/cut.pcap"});
  // The report of what was read, then exit 2 (bad input), as for any damaged file.
  ASSERT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("incomplete: " + dir + "/cut.pcap: truncated dump file"), std::string::npos) << r.err;
  json j = json::parse(r.out);
  EXPECT_FALSE(j["summary"]["complete"].get<bool>());
  ASSERT_EQ(j["summary"]["notes"].size(), 1u);
  const std::string note = j["summary"]["notes"][0].get<std::string>();
  EXPECT_EQ(note.find(dir + "/cut.pcap: "), 0u) << note;
  EXPECT_EQ(note.find("cut.pcap"), note.rfind("cut.pcap")) << note;
  EXPECT_GT(j["summary"]["packets"].get<int>(), 100);
  // The table says the same, once, on its "incomplete:" line.
  auto t = RunPortscope({"analyze", dir + "/cut.pcap"});
  ASSERT_EQ(t.exit_code, 2) << t.err;
  EXPECT_NE(t.out.find("incomplete: " + dir + "/cut.pcap: truncated dump file"), std::string::npos) << t.out;
  // With a whole file before it, both are reported (the scanner is the same:
  // one scan) and the exit status still says that one input was damaged.
  auto both = RunPortscope({"analyze", "--json", kCaptures + "nmap-sU.pcap", dir + "/cut.pcap"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  json jb = json::parse(both.out);
  EXPECT_GT(jb["summary"]["packets"].get<int>(), j["summary"]["packets"].get<int>() + 60);
  ASSERT_EQ(jb["alerts"].size(), 1u);
  EXPECT_GT(jb["alerts"][0]["class_counts"]["udp"].get<int>(), 0);
  EXPECT_EQ(RunPortscope({"analyze", kCaptures + "nmap-sU.pcap"}).exit_code, 0);
}


// A file's size bounds the probes it holds, and so the tables it can fill:
// a small capture gets small tables and the same result as through standard
// input, whose size is unknown (full tables).
TEST(Analyze, ASmallFileGetsTablesSizedForItAndTheSameResult) {
  for (const char* name : {"benign.pcap", "nmap-sS.pcap", "nmap-T1.pcap"}) {
    const std::string path = kCaptures + name;
    auto file = RunPortscope({"analyze", "--json", path});
    auto piped = RunPortscope({"analyze", "--json", "-"}, {}, testing::ReadFileOrDie(path));
    ASSERT_EQ(file.exit_code, 0) << file.err;
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    json a = json::parse(file.out);
    json b = json::parse(piped.out);
    const uint64_t file_tables = a["summary"]["table_bytes"].get<uint64_t>();
    const uint64_t piped_tables = b["summary"]["table_bytes"].get<uint64_t>();
    for (json* j : {&a, &b}) {
      (*j)["summary"].erase("files");
      (*j)["summary"].erase("table_bytes");
    }
    EXPECT_EQ(a, b) << name;
    // What the tables hold (the summary says): a few megabytes, not 73.
    EXPECT_LT(file_tables, 20'000'000) << name;  // 15 MB for benign.pcap, 1 MB for nmap-T1.pcap
    EXPECT_GT(piped_tables, 70'000'000) << name;
  }
}

}  // namespace
}  // namespace portscope
