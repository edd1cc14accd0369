#include "notify/templates.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/json_lines.h"

namespace portscope::notify {
namespace {

using nlohmann::json;

store::AlertRecord Sample() {
  store::AlertRecord a;
  a.scan_id = 7;
  a.phase = store::AlertPhase::kStarted;
  a.time_us = 1'790'000'000'000'000;
  a.sensor = "s1 <&>";
  a.source = *IpAddress::Parse("192.0.2.7");
  a.kind = store::ScanKind::kSyn;
  a.shape = store::ScanShape::kVertical;
  a.algorithms = {"fast-window", "trw"};
  a.first_seen_us = a.time_us - 1000;
  a.last_seen_us = a.time_us;
  a.probes = 6;
  a.port_count = 6;
  a.host_count = 1;
  a.ports = {22, 80, 443, 2202, 2244, 8080};
  a.hosts = {*IpAddress::Parse("198.51.100.1")};
  a.evidence = "fast-window: 6 ports";
  a.tool_hint = "likely nmap -sS: <b>";
  return a;
}

TEST(Templates, Names) {
  for (Template t : {Template::kGeneric, Template::kSlack, Template::kTeams})
    EXPECT_EQ(ParseTemplate(TemplateName(t)), t);
  EXPECT_FALSE(ParseTemplate("Slack").has_value());
  EXPECT_FALSE(ParseTemplate("").has_value());
}

TEST(Templates, GenericIsTheSchemaOfAlertsJson) {
  auto a = Sample();
  EXPECT_EQ(RenderAlert(Template::kGeneric, a), store::DumpLine(store::AlertToEcs(a, store::EcsOptions{})));
  json j = json::parse(RenderAlert(Template::kGeneric, a));
  EXPECT_EQ(j["source"]["ip"], "192.0.2.7");
  EXPECT_EQ(j["event"]["action"], "port-scan-started");
  EXPECT_EQ(j["portscope"]["scan"]["ports"].size(), 6u);
}

TEST(Templates, SlackHasTextAndEscapedBlocks) {
  json j = json::parse(RenderAlert(Template::kSlack, Sample()));
  ASSERT_TRUE(j["text"].is_string());
  std::string text = j["text"];
  EXPECT_NE(text.find("syn scan (vertical) from 192.0.2.7"), std::string::npos) << text;
  EXPECT_NE(text.find("6 probes to 6 ports on 1 host (started)"), std::string::npos) << text;
  // Slack's markup characters never pass raw.
  EXPECT_NE(text.find("s1 &lt;&amp;&gt;"), std::string::npos) << text;
  std::string all = j.dump();
  EXPECT_EQ(all.find("<b>"), std::string::npos);
  ASSERT_EQ(j["blocks"].size(), 2u);
  EXPECT_EQ(j["blocks"][0]["type"], "section");
  EXPECT_LE(j["blocks"][1]["fields"].size(), 10u);
  EXPECT_NE(all.find("2202,2244"), std::string::npos);
}

TEST(Templates, TeamsIsAnAdaptiveCardMessage) {
  json j = json::parse(RenderAlert(Template::kTeams, Sample()));
  EXPECT_EQ(j["type"], "message");
  ASSERT_EQ(j["attachments"].size(), 1u);
  EXPECT_EQ(j["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
  const json& card = j["attachments"][0]["content"];
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["body"][0]["type"], "TextBlock");
  EXPECT_EQ(card["body"][1]["type"], "FactSet");
  bool saw_source = false;
  for (const auto& f : card["body"][1]["facts"])
    if (f["title"] == "Source") saw_source = f["value"] == "192.0.2.7";
  EXPECT_TRUE(saw_source);
}

TEST(Templates, EndedSaysWhy) {
  auto a = Sample();
  a.phase = store::AlertPhase::kEnded;
  a.ended_reason = "idle";
  EXPECT_NE(AlertHeadline(a).find("(ended, idle)"), std::string::npos) << AlertHeadline(a);
  json j = json::parse(RenderAlert(Template::kGeneric, a));
  EXPECT_EQ(j["portscope"]["scan"]["ended_reason"], "idle");
}

TEST(Templates, DigestInEveryTemplate) {
  Digest d;
  d.sensor = "s1";
  d.held = 5;
  d.scans_started = 4;
  d.scans_ended = 1;
  d.first_us = 1'790'000'000'000'000;
  d.last_us = d.first_us + 5'000'000;
  d.sources = {*IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("2001:db8::2")};
  d.sources_unlisted = 3;
  json g = json::parse(RenderDigest(Template::kGeneric, d));
  EXPECT_EQ(g["event"]["action"], "port-scan-digest");
  EXPECT_EQ(g["portscope"]["digest"]["held"], 5);
  EXPECT_EQ(g["portscope"]["digest"]["sources"][1], "2001:db8::2");
  EXPECT_EQ(g["portscope"]["digest"]["sources_unlisted"], 3);
  std::string headline = DigestHeadline(d);
  EXPECT_NE(headline.find("held back 5 notifications (4 new scans, 1 scan end)"), std::string::npos) << headline;
  EXPECT_NE(headline.find("192.0.2.1, 2001:db8::2 and 3 notifications from other sources"), std::string::npos) << headline;
  json s = json::parse(RenderDigest(Template::kSlack, d));
  EXPECT_EQ(s["text"], headline);
  json t = json::parse(RenderDigest(Template::kTeams, d));
  EXPECT_EQ(t["summary"], headline);
}

}  // namespace
}  // namespace portscope::notify
