// ECS field names, payload escaping, and the JSON lines sink.
#include "store/json_lines.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "store/test_util.h"

namespace portscope::store {
namespace {

using namespace testutil;
using nlohmann::json;

TEST(Ecs, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64(std::string("\0\xff\xfe", 3)), "AP/+");
}

TEST(Ecs, EventHasEcsFieldNamesAndAnEscapedPayload) {
  Event e = MakeEvent(kT0 + 123456, "203.0.113.5", 2244, std::string("\x1b[2J<script>\0\xff", 14));
  e.sport = 51234;
  e.service = "nmsserver";
  e.id = 17;
  EcsOptions o;
  o.hostname = "canary-host";
  json j = json::parse(DumpLine(EventToEcs(e, o)));
  EXPECT_EQ(j["@timestamp"], "2021-01-01T00:00:00.123456Z");
  EXPECT_EQ(j["event"]["kind"], "event");
  EXPECT_EQ(j["event"]["category"], json::array({"network"}));
  EXPECT_EQ(j["event"]["action"], "connect");
  EXPECT_EQ(j["event"]["id"], "17");
  EXPECT_EQ(j["source"]["ip"], "203.0.113.5");
  EXPECT_EQ(j["source"]["port"], 51234);
  EXPECT_EQ(j["destination"]["ip"], "192.0.2.1");
  EXPECT_EQ(j["destination"]["port"], 2244);
  EXPECT_EQ(j["network"]["transport"], "tcp");
  EXPECT_EQ(j["network"]["type"], "ipv4");
  EXPECT_EQ(j["observer"]["hostname"], "canary-host");
  EXPECT_EQ(j["observer"]["name"], "test-sensor");
  EXPECT_EQ(j["portscope"]["service"], "nmsserver");
  EXPECT_EQ(j["portscope"]["tcp_flags"], "SYN");
  const json& p = j["portscope"]["payload"];
  EXPECT_EQ(p["bytes"], 14);
  EXPECT_EQ(p["base64"], Base64(e.payload));
  EXPECT_EQ(p["preview"], "\\x1b[2J<script>\\x00\\xff");
  EXPECT_EQ(p["truncated"], false);
  // No raw control byte anywhere in the line.
  std::string line = DumpLine(EventToEcs(e, o));
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Ecs, PreviewIsCappedAndInvalidUtf8InTextFieldsNeverThrows) {
  Event e = MakeEvent(kT0, "2001:db8::1", 53, std::string(1000, 'x'));
  e.transport = Transport::kUdp;
  e.sensor = "bad\xff\xfe";
  EcsOptions o;
  o.preview_bytes = 10;
  std::string line;
  ASSERT_NO_THROW(line = DumpLine(EventToEcs(e, o)));
  json j = json::parse(line);
  EXPECT_EQ(j["portscope"]["payload"]["preview"], "xxxxxxxxxx");
  EXPECT_EQ(j["portscope"]["payload"]["preview_cut"], true);
  EXPECT_EQ(j["network"]["type"], "ipv6");
  EXPECT_EQ(j["network"]["transport"], "udp");
  EXPECT_FALSE(j["observer"].contains("hostname"));
  EXPECT_FALSE(j["portscope"].contains("tcp_flags"));
  EXPECT_EQ(j["observer"]["name"], "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Ecs, AlertAndSummary) {
  AlertRecord a;
  a.scan_id = 9;
  a.phase = AlertPhase::kStarted;
  a.time_us = kT0;
  a.sensor = "s";
  a.source = Ip("198.51.100.7");
  a.kind = ScanKind::kXmas;
  a.shape = ScanShape::kVertical;
  a.algorithms = {"fast-window", "trw"};
  a.first_seen_us = kT0 - kSecond;
  a.last_seen_us = kT0;
  a.probes = 40;
  a.port_count = 40;
  a.host_count = 1;
  a.ports = {22, 80};
  a.hosts = {Ip("192.0.2.1")};
  a.tool_hint = "likely nmap";
  json j = json::parse(DumpLine(AlertToEcs(a, {})));
  EXPECT_EQ(j["event"]["kind"], "alert");
  EXPECT_EQ(j["event"]["category"], json::array({"intrusion_detection", "network"}));
  EXPECT_EQ(j["event"]["action"], "port-scan-started");
  EXPECT_EQ(j["event"]["start"], "2020-12-31T23:59:59.000000Z");
  EXPECT_EQ(j["source"]["ip"], "198.51.100.7");
  EXPECT_EQ(j["threat"]["technique"]["id"], json::array({"T1046"}));
  const json& s = j["portscope"]["scan"];
  EXPECT_EQ(s["id"], 9);
  EXPECT_EQ(s["kind"], "xmas");
  EXPECT_EQ(s["shape"], "vertical");
  EXPECT_EQ(s["algorithms"], json::array({"fast-window", "trw"}));
  EXPECT_EQ(s["ports"], json::array({22, 80}));
  EXPECT_EQ(s["hosts"], json::array({"192.0.2.1"}));
  EXPECT_EQ(s["tool_hint"], "likely nmap");
  EXPECT_TRUE(s["ended_reason"].is_null());

  Summary sm;
  sm.sensor = "s";
  sm.src = Ip("198.51.100.7");
  sm.transport = Transport::kMixed;
  sm.first_us = kT0;
  sm.last_us = kT0 + kSecond;
  sm.count = 5000;
  sm.ports.Insert(1);
  sm.ports.Insert(2);
  json k = json::parse(DumpLine(EventToEcs(SummaryToEvent(sm), {})));
  EXPECT_EQ(k["event"]["action"], "summary");
  EXPECT_EQ(k["event"]["end"], "2021-01-01T00:00:01.000000Z");
  EXPECT_FALSE(k["network"].contains("transport"));
  EXPECT_FALSE(k["destination"].contains("ip"));  // several addresses
  EXPECT_EQ(k["portscope"]["summary"]["count"], 5000);
  EXPECT_EQ(k["portscope"]["summary"]["distinct_ports"], 2);
  EXPECT_EQ(k["portscope"]["summary"]["ports"], json::array({1, 2}));
  EXPECT_FALSE(k["portscope"].contains("payload"));
}

TEST(JsonLinesSink, WritesOneLinePerRecordAndSummariesWhenFinal) {
  ScratchDir dir;
  std::string path = dir.path("events.jsonl");
  auto sink = JsonLinesSink::Open(path, {});
  ASSERT_TRUE(sink.ok());
  Batch b;
  b.events.push_back(MakeEvent(kT0, "203.0.113.5", 22, "SSH-2.0-x\r\n"));
  b.events.push_back(MakeEvent(kT0 + 1, "203.0.113.5", 23, "\x1b]0;pwned\x07"));
  Summary open;
  open.src = Ip("203.0.113.5");
  open.count = open.count_delta = 3;
  b.summaries.push_back(open);  // not final: not written
  Summary done = open;
  done.final = true;
  b.summaries.push_back(done);
  AlertRecord a;
  a.source = Ip("203.0.113.5");
  b.alerts.push_back(a);
  ASSERT_TRUE((*sink)->Write(b).ok());
  ASSERT_TRUE((*sink)->Write(Batch{}).ok());
  std::string text = ReadAll(path);
  std::vector<std::string> lines;
  for (auto l : Split(text, '\n'))
    if (!l.empty()) lines.emplace_back(l);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(json::parse(lines[0])["portscope"]["payload"]["preview"], "SSH-2.0-x\\x0d\\x0a");
  EXPECT_EQ(json::parse(lines[1])["portscope"]["payload"]["preview"], "\\x1b]0;pwned\\x07");
  EXPECT_EQ(json::parse(lines[2])["event"]["action"], "summary");
  EXPECT_EQ(json::parse(lines[3])["event"]["kind"], "alert");
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  // Appends; reopens after rotation.
  std::rename(path.c_str(), (path + ".1").c_str());
  ASSERT_TRUE((*sink)->Reopen().ok());
  ASSERT_TRUE((*sink)->Write(b).ok());
  EXPECT_EQ(Split(ReadAll(path), '\n').size(), 5u);
  EXPECT_FALSE(JsonLinesSink::Open(dir.path("no/such/dir/x.jsonl"), {}).ok());
}

}  // namespace
}  // namespace portscope::store
