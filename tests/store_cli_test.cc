// Acceptance tests of `portscope events`, `alerts` and `report` on a
// database this test fills through the store API, running the real binary.
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "run_binary.h"
#include "store/database.h"
#include "store/json_lines.h"
#include "store/time_text.h"

namespace portscope {
namespace {

using nlohmann::json;
using testing::RunPortscope;

constexpr uint64_t kMinute = 60ull * 1000000;
const std::string kHostile = "\x1b[2J<script>alert(1)</script>\r\n";

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

class StoreCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("store-cli"));
    path_ = new std::string(*dir_ + "/canary.db");
    now_ = store::NowUs();
    store::OpenOptions o;
    o.write = true;
    o.create = true;
    o.sensor = "test-canary";
    auto db = store::Database::Open(*path_, o);
    ASSERT_TRUE(db.ok()) << db.status().message();
    store::Batch b;
    auto event = [&](uint64_t t, const char* src, uint16_t dport, store::Transport tr, const char* action,
                     std::string payload) {
      store::Event e;
      e.time_us = t;
      e.sensor = "test-canary";
      e.src = Ip(src);
      e.sport = 40000;
      e.dst = Ip("192.0.2.1");
      e.dport = dport;
      e.transport = tr;
      e.action = action;
      e.payload = std::move(payload);
      b.events.push_back(e);
    };
    // 20 connects to 2244 in the last half hour, one with a hostile payload.
    for (int i = 0; i < 20; ++i)
      event(now_ - 30 * kMinute + static_cast<uint64_t>(i) * kMinute, "203.0.113.5", 2244, store::Transport::kTcp,
            "connect", i == 10 ? kHostile : "GET / HTTP/1.1\r\n");
    // 5 datagrams three hours ago, 3 SYNs two days ago.
    for (int i = 0; i < 5; ++i)
      event(now_ - 180 * kMinute + static_cast<uint64_t>(i), "198.51.100.7", 53, store::Transport::kUdp, "datagram", "dns?");
    for (int i = 0; i < 3; ++i)
      event(now_ - 48 * 60 * kMinute + static_cast<uint64_t>(i), "2001:db8::66", 22, store::Transport::kTcp, "syn", "");
    // 5,000 probes of 203.0.113.5 past its budget, over ports 1000-1999.
    store::Summary s;
    s.sensor = "test-canary";
    s.src = Ip("203.0.113.5");
    s.dst = Ip("192.0.2.1");
    s.bucket_us = (now_ - 20 * kMinute) / kMinute * kMinute;
    s.first_us = s.bucket_us + 1;
    s.last_us = s.bucket_us + 50 * 1000000;
    s.count = s.count_delta = 5000;
    for (uint16_t p = 1000; p < 2000; ++p) s.ports.Insert(p);
    b.summaries.push_back(s);

    store::AlertRecord a;
    a.scan_id = 1;
    a.phase = store::AlertPhase::kStarted;
    a.time_us = now_ - 29 * kMinute;
    a.sensor = "test-canary";
    a.source = Ip("203.0.113.5");
    a.kind = store::ScanKind::kConnect;
    a.shape = store::ScanShape::kVertical;
    a.algorithms = {"fast-window"};
    a.first_seen_us = now_ - 30 * kMinute;
    a.last_seen_us = now_ - 29 * kMinute;
    a.probes = 10;
    a.port_count = 1001;
    a.host_count = 1;
    a.ports = {1000, 1001, 2244};
    a.hosts = {Ip("192.0.2.1")};
    a.evidence = "fast-window: 1001 ports in 60 s \x1b[31m";
    b.alerts.push_back(a);
    a.phase = store::AlertPhase::kEnded;
    a.time_us = now_ - 5 * kMinute;
    a.last_seen_us = now_ - 6 * kMinute;
    a.probes = 5020;
    a.ended_reason = "idle";
    a.tool_hint = "likely masscan: 20 of 20 SYN probes";
    b.alerts.push_back(a);
    store::AlertRecord u;
    u.scan_id = 2;
    u.phase = store::AlertPhase::kStarted;
    u.time_us = now_ - 179 * kMinute;
    u.sensor = "test-canary";
    u.source = Ip("198.51.100.7");
    u.kind = store::ScanKind::kUdp;
    u.shape = store::ScanShape::kSingle;
    u.first_seen_us = now_ - 180 * kMinute;
    u.last_seen_us = now_ - 180 * kMinute + 4;
    u.probes = 5;
    u.port_count = 1;
    u.host_count = 1;
    u.ports = {53};
    b.alerts.push_back(u);
    Status st = (*db)->Write(b);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete path_;
  }
  static testing::RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--db", *path_});
    return RunPortscope(args);
  }
  static size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

  static std::string* dir_;
  static std::string* path_;
  static uint64_t now_;
};

std::string* StoreCli::dir_ = nullptr;
std::string* StoreCli::path_ = nullptr;
uint64_t StoreCli::now_ = 0;

TEST_F(StoreCli, EventsTableEscapesPayloadsAndShowsSummaries) {
  auto r = Run({"events"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), 1u + 29);
  EXPECT_TRUE(Has(r.out, "PAYLOAD")) << r.out;
  EXPECT_TRUE(Has(r.out, "\\x1b[2J<script>alert(1)</script>\\x0d\\x0a")) << r.out;
  EXPECT_FALSE(Has(r.out, "\x1b")) << "a raw escape reached the terminal";
  EXPECT_FALSE(Has(r.out, "\r"));
  EXPECT_TRUE(Has(r.out, "203.0.113.5:40000")) << r.out;
  EXPECT_TRUE(Has(r.out, "192.0.2.1:2244/tcp")) << r.out;
  EXPECT_TRUE(Has(r.out, "nmsserver")) << r.out;                       // IANA name of 2244
  EXPECT_TRUE(Has(r.out, "[2001:db8::66]:40000")) << r.out;
  EXPECT_TRUE(Has(r.out, "5,000 probes past the budget")) << r.out;
  EXPECT_TRUE(Has(r.out, "1,000 ports")) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(StoreCli, EventsFilters) {
  auto since = Run({"events", "--since", "1h"});
  ASSERT_EQ(since.exit_code, 0) << since.err;
  EXPECT_EQ(Lines(since.out), 1u + 21);
  EXPECT_EQ(Lines(Run({"events", "--since", "1d"}).out), 1u + 26);
  EXPECT_EQ(Lines(Run({"events", "--source", "198.51.100.0/24"}).out), 1u + 5);
  EXPECT_EQ(Lines(Run({"events", "--source", "2001:db8::/32"}).out), 1u + 3);
  EXPECT_EQ(Lines(Run({"events", "--source", "203.0.113.5"}).out), 1u + 21);
  EXPECT_EQ(Lines(Run({"events", "--port", "53"}).out), 1u + 5);
  EXPECT_EQ(Lines(Run({"events", "--port", "1500"}).out), 1u + 1);  // inside the summary
  EXPECT_EQ(Lines(Run({"events", "--kind", "datagram"}).out), 1u + 5);
  EXPECT_EQ(Lines(Run({"events", "--kind", "summary"}).out), 1u + 1);
  EXPECT_EQ(Lines(Run({"events", "--transport", "udp"}).out), 1u + 5);
  // Connects at 30..11 minutes ago: since 16m keeps those at 15..11.
  EXPECT_EQ(Lines(Run({"events", "--source", "203.0.113.0/24", "--port", "2244", "--since", "16m"}).out), 1u + 5);

  auto none = Run({"events", "--source", "10.0.0.0/8"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  EXPECT_TRUE(Has(none.err, "no events from 10.0.0.0/8 in " + *path_)) << none.err;

  auto limited = Run({"events", "--limit", "5"});
  ASSERT_EQ(limited.exit_code, 0);
  EXPECT_EQ(Lines(limited.out), 1u + 5);
  EXPECT_TRUE(Has(limited.err, "showing the newest 5 of 29 rows")) << limited.err;
}

TEST_F(StoreCli, EventsJsonIsEcsWithBase64AndEscapedPreview) {
  auto r = Run({"events", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j.size(), 29u);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  size_t hostile = 0, summaries = 0;
  for (const auto& e : j) {
    EXPECT_EQ(e["event"]["kind"], "event");
    EXPECT_EQ(e["observer"]["name"], "test-canary");
    if (e["event"]["action"] == "summary") {
      ++summaries;
      EXPECT_EQ(e["portscope"]["summary"]["count"], 5000);
      EXPECT_EQ(e["portscope"]["summary"]["distinct_ports"], 1000);
      continue;
    }
    EXPECT_TRUE(e["source"].contains("ip"));
    if (e["portscope"]["payload"]["base64"] == store::Base64(kHostile)) {
      ++hostile;
      EXPECT_EQ(e["portscope"]["payload"]["preview"], "\\x1b[2J<script>alert(1)</script>\\x0d\\x0a");
      EXPECT_EQ(e["portscope"]["payload"]["bytes"], kHostile.size());
      EXPECT_EQ(e["destination"]["port"], 2244);
      EXPECT_EQ(e["network"]["transport"], "tcp");
    }
  }
  EXPECT_EQ(hostile, 1u);
  EXPECT_EQ(summaries, 1u);
  // Oldest first.
  EXPECT_EQ(j[0]["source"]["ip"], "2001:db8::66");

  auto empty = Run({"events", "--json", "--port", "9"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(json::parse(empty.out), json::array());
}

TEST_F(StoreCli, AlertsOneRowPerScan) {
  auto r = Run({"alerts"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "STARTED")) << r.out;
  EXPECT_TRUE(Has(r.out, "203.0.113.5")) << r.out;
  EXPECT_TRUE(Has(r.out, "ended (idle)")) << r.out;
  EXPECT_TRUE(Has(r.out, "likely masscan: 20 of 20 SYN probes")) << r.out;
  EXPECT_TRUE(Has(r.out, "198.51.100.7")) << r.out;
  EXPECT_TRUE(Has(r.out, "active")) << r.out;
  EXPECT_TRUE(Has(r.out, "5,020")) << r.out;
  EXPECT_TRUE(Has(r.out, "1000-1001,2244,...")) << r.out;  // the stored lowest ports as runs; the scan has more
  EXPECT_EQ(Lines(r.out), 1u + 2 + 1);  // header, two scans, one hint line

  auto v = Run({"alerts", "--verbose", "--kind", "connect"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_TRUE(Has(v.out, "evidence: fast-window: 1001 ports in 60 s \\x1b[31m")) << v.out;
  EXPECT_FALSE(Has(v.out, "\x1b"));
  EXPECT_TRUE(Has(v.out, "hosts: 192.0.2.1")) << v.out;
  EXPECT_FALSE(Has(v.out, "198.51.100.7"));

  EXPECT_EQ(Lines(Run({"alerts", "--active"}).out), 1u + 1);
  // The newest scan has ended: --limit must count active scans only.
  auto newest = Run({"alerts", "--active", "--limit", "1"});
  ASSERT_EQ(newest.exit_code, 0) << newest.err;
  EXPECT_TRUE(Has(newest.out, "198.51.100.7")) << newest.out;
  EXPECT_EQ(Lines(newest.out), 1u + 1);
  EXPECT_EQ(Lines(Run({"alerts", "--kind", "udp"}).out), 1u + 1);
  EXPECT_EQ(Lines(Run({"alerts", "--port", "2244"}).out), 1u + 1 + 1);
  EXPECT_EQ(Lines(Run({"alerts", "--since", "1h"}).out), 1u + 1 + 1);
  EXPECT_EQ(Run({"alerts", "--kind", "xmas"}).exit_code, 1);

  auto j = Run({"alerts", "--json"});
  ASSERT_EQ(j.exit_code, 0);
  json arr = json::parse(j.out);
  ASSERT_EQ(arr.size(), 2u);
  const json& scan = arr[1]["portscope"]["scan"];
  EXPECT_EQ(arr[1]["event"]["kind"], "alert");
  EXPECT_EQ(arr[1]["event"]["action"], "port-scan-ended");
  EXPECT_EQ(scan["kind"], "connect");
  EXPECT_EQ(scan["phase"], "ended");
  EXPECT_EQ(scan["probes"], 5020);
  EXPECT_EQ(scan["started"], store::FormatRfc3339(now_ - 29 * kMinute));
  EXPECT_EQ(scan["ports"], json::array({1000, 1001, 2244}));
  EXPECT_EQ(arr[0]["portscope"]["scan"]["kind"], "udp");
}

TEST_F(StoreCli, ReportTopListsScanTypesAndTimeline) {
  auto r = Run({"report"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "5,025 probes from 2 sources")) << r.out;
  EXPECT_TRUE(Has(r.out, "Top sources")) << r.out;
  EXPECT_TRUE(Has(r.out, "2244/tcp     nmsserver")) << r.out;
  EXPECT_TRUE(Has(r.out, "53/udp       domain")) << r.out;
  EXPECT_TRUE(Has(r.out, "Scan types")) << r.out;
  EXPECT_TRUE(Has(r.out, "likely masscan: 1 scan\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "  connect       1 scan        5,020 probes\n")) << r.out;  // "1 scan", not "1 scans"
  EXPECT_TRUE(Has(r.out, "Timeline (probes per 1h00m)")) << r.out;
  EXPECT_TRUE(Has(r.out, "\u2588")) << r.out;  // a full block in the bars
  EXPECT_FALSE(Has(r.out, "2001:db8::66")) << "two days old";
  EXPECT_FALSE(Has(r.out, "\x1b")) << "no colour off a terminal";

  auto j = Run({"report", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json rep = json::parse(j.out);
  EXPECT_EQ(rep["totals"]["probes"], 5025);
  EXPECT_EQ(rep["totals"]["events_stored"], 25);
  EXPECT_EQ(rep["totals"]["probes_summarized"], 5000);
  EXPECT_EQ(rep["totals"]["scans"], 2);
  EXPECT_EQ(rep["top_sources"][0]["ip"], "203.0.113.5");
  EXPECT_EQ(rep["top_sources"][0]["probes"], 5020);
  EXPECT_EQ(rep["top_sources"][0]["ports"], 1001);
  EXPECT_EQ(rep["top_ports"][0]["port"], 2244);
  EXPECT_EQ(rep["top_ports"][0]["service"], "nmsserver");
  EXPECT_EQ(rep["top_ports"][0]["iana_status"], "assigned");
  ASSERT_EQ(rep["timeline"]["buckets"].size(), 24u);
  uint64_t sum = 0;
  for (const auto& b : rep["timeline"]["buckets"]) sum += b["probes"].get<uint64_t>();
  EXPECT_EQ(sum, 5025u);
  EXPECT_EQ(rep["timeline"]["bucket_seconds"], 3600);
  EXPECT_EQ(rep["database"], *path_);

  auto week = Run({"report", "--since", "7d", "--json"});
  EXPECT_EQ(json::parse(week.out)["totals"]["probes"], 5028);
}

TEST_F(StoreCli, BadInputExitsTwo) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"events", "--since", "yesterday"},
           {"events", "--since", "2026-13-01"},
           {"events", "--until", "10x"},
           {"events", "--source", "10.0.0.0/33"},
           {"events", "--source", "example.com"},
           {"events", "--port", "70000"},
           {"events", "--port", "-1"},
           {"events", "--transport", "sctp"},
           {"alerts", "--kind", "weird"},
           {"events", "--kind", "weird"},
           {"events", "--since", "1h", "--until", "2h"},
           {"alerts", "--since", "2026-01-02", "--until", "2026-01-01"},
           {"alerts", "--since", "5 minutes"},
           {"report", "--since", "soon"},
           {"report", "--top", "0"},
       }) {
    auto r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << " " << args[2] << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "portscope: ")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  auto r = Run({"events", "--since", "yesterday"});
  EXPECT_TRUE(Has(r.err, "--since: bad time 'yesterday': use a span back from now such as 10m")) << r.err;
  r = Run({"events", "--source", "10.0.0.0/33"});
  EXPECT_TRUE(Has(r.err, "not an address or a CIDR block")) << r.err;
}

TEST(StoreCliNoDatabase, MissingDatabaseSaysWhereAndHow) {
  std::string dir = testing::MakeTempDir("store-cli-missing");
  std::string path = dir + "/none.db";
  for (const char* cmd : {"events", "alerts", "report"}) {
    auto r = RunPortscope({cmd, "--db", path});
    EXPECT_EQ(r.exit_code, 1) << cmd << r.err;
    EXPECT_EQ(r.err, "portscope: no canary database at " + path +
                         " (start `portscope canary` first, or give --db FILE)\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  // The default path comes from $PORTSCOPE_DB, else XDG_STATE_HOME.
  auto env = RunPortscope({"events"}, {{"PORTSCOPE_DB", dir + "/env.db"}});
  EXPECT_TRUE(Has(env.err, "no canary database at " + dir + "/env.db")) << env.err;
  auto xdg = RunPortscope({"report"}, {{"XDG_STATE_HOME", dir + "/state"}});
  if (geteuid() == 0) {
    if (!std::filesystem::exists("/var/lib/portscope/canary.db")) {
      EXPECT_TRUE(Has(xdg.err, "no canary database at /var/lib/portscope/canary.db")) << xdg.err;
    }
  } else {
    EXPECT_TRUE(Has(xdg.err, "no canary database at " + dir + "/state/portscope/canary.db")) << xdg.err;
  }
  std::filesystem::remove_all(dir);
}

TEST(StoreCliNoDatabase, DamagedOrForeignFilesAreRefusedClearly) {
  std::string dir = testing::MakeTempDir("store-cli-damaged");
  std::string garbage = dir + "/garbage.db";
  std::ofstream(garbage) << std::string(10000, 'x');
  auto r = RunPortscope({"events", "--db", garbage});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(Has(r.err, garbage + " is not a usable portscope canary database")) << r.err;
  EXPECT_TRUE(Has(r.err, ".recover")) << r.err;
  EXPECT_EQ(testing::ReadFileOrDie(garbage), std::string(10000, 'x'));  // untouched

  auto d = RunPortscope({"report", "--db", dir});
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_TRUE(Has(d.err, "is a directory")) << d.err;

  // An empty file (a canary that never wrote) is an empty database.
  std::string empty = dir + "/empty.db";
  std::ofstream(empty).close();
  auto e = RunPortscope({"events", "--db", empty});
  EXPECT_EQ(e.exit_code, 1) << e.err;
  EXPECT_TRUE(Has(e.err, "no events in " + empty)) << e.err;
  auto rep = RunPortscope({"report", "--db", empty, "--json"});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_EQ(RunPortscope({"alerts", "--db", empty}).exit_code, 1);
  // Commands that only read leave it as it is: no schema, no WAL.
  EXPECT_EQ(std::filesystem::file_size(empty), 0u);
  EXPECT_FALSE(std::filesystem::exists(empty + "-wal"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace portscope
