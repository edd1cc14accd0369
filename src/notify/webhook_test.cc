#include "notify/webhook.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "notify/test_receiver.h"

namespace portscope::notify {
namespace {

using namespace std::chrono_literals;
using store::AlertPhase;

store::AlertRecord Alert(uint64_t scan_id, const char* source, AlertPhase phase, uint64_t probes = 6) {
  store::AlertRecord a;
  a.scan_id = scan_id;
  a.phase = phase;
  a.time_us = 1'790'000'000'000'000 + probes;
  a.sensor = "test";
  a.source = *IpAddress::Parse(source);
  a.kind = store::ScanKind::kSyn;
  a.shape = store::ScanShape::kVertical;
  a.algorithms = {"fast-window"};
  a.probes = probes;
  a.port_count = static_cast<uint32_t>(probes);
  a.host_count = 1;
  if (phase == AlertPhase::kEnded) a.ended_reason = "idle";
  return a;
}

WebhookOptions Options(int port) {
  WebhookOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/hook?k=secret";
  o.initial_backoff_ms = 20;
  o.max_backoff_ms = 100;
  o.timeout_ms = 2000;
  o.drain_ms = 200;
  return o;
}

// A loopback port that was free a moment ago and is closed now: a receiver that is down.
int ClosedPort() {
  TestReceiver probe;
  return probe.port();
}

std::string Phase(const nlohmann::json& j) { return j["portscope"]["scan"]["phase"]; }

TEST(WebhookUrl, ParsesWhatReceiversUse) {
  auto u = WebhookUrl::Parse("https://hooks.slack.com/services/T0/B0/XYZ");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "hooks.slack.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/services/T0/B0/XYZ");
  EXPECT_EQ(u->Redacted(), "https://hooks.slack.com:443/…");  // the secret path never shows
  u = WebhookUrl::Parse("http://[::1]:8080?x=1");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/?x=1");
  u = WebhookUrl::Parse("http://127.0.0.1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/");
}

TEST(WebhookUrl, BadOnesAreClearErrors) {
  for (const char* bad : {"", "ftp://x/", "hooks.slack.com/x", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
                          "http://h:/", "http://h:x/", "http://user:pw@h/", "http://h/a b", "http://h/#frag",
                          "http://[::1/", "http://[1.2.3.4]/", "http://h_h/", "http://h\n/", "https://[::1]x/"}) {
    auto u = WebhookUrl::Parse(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_NE(u.status().message().find("bad webhook URL"), std::string::npos);
    }
  }
  WebhookOptions o;
  o.url = "http://127.0.0.1/";
  o.queue_capacity = 0;
  EXPECT_FALSE(WebhookNotifier::Create(o).ok());
  o.queue_capacity = 1;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(ValidateWebhookOptions(o).ok());  // and http with a CA file
  o.url = "https://127.0.0.1/";
  EXPECT_FALSE(ValidateWebhookOptions(o).ok());
  o.ca_file = "";
  o.initial_backoff_ms = 10;
  o.max_backoff_ms = 5;
  EXPECT_FALSE(ValidateWebhookOptions(o).ok());
}

TEST(Webhook, OneScanGivesOneNotificationAndOneUpdate) {
  TestReceiver rx;
  ASSERT_TRUE(rx.ok());
  auto n = WebhookNotifier::Create(Options(rx.port()));
  ASSERT_TRUE(n.ok()) << n.status().message();
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted, 6));
  for (uint64_t p = 10; p < 200; p += 10) (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kUpdated, p));
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted, 6));  // a repeat says nothing new
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kEnded, 250));
  ASSERT_TRUE((*n)->WaitIdle(5s));
  auto got = rx.json();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Phase(got[0]), "started");
  EXPECT_EQ(Phase(got[1]), "ended");
  EXPECT_EQ(got[1]["portscope"]["scan"]["probes"], 250);
  EXPECT_EQ(got[0]["source"]["ip"], "192.0.2.7");
  EXPECT_EQ(rx.paths()[0], "/hook");
  EXPECT_EQ(rx.content_types()[0], "application/json");
  auto s = (*n)->stats();
  EXPECT_EQ(s.alerts_seen, 22u);
  EXPECT_EQ(s.updates_folded, 19u);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.failed_attempts, 0u);
}

TEST(Webhook, EachSourceItsOwnNotification) {
  TestReceiver rx;
  ASSERT_TRUE(rx.ok());
  auto n = WebhookNotifier::Create(Options(rx.port()));
  ASSERT_TRUE(n.ok());
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted));
  (*n)->OnAlert(Alert(2, "2001:db8::9", AlertPhase::kStarted));
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kUpdated, 40));
  (*n)->OnAlert(Alert(2, "2001:db8::9", AlertPhase::kUpdated, 40));
  ASSERT_TRUE((*n)->WaitIdle(5s));
  auto got = rx.json();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["source"]["ip"], "192.0.2.7");
  EXPECT_EQ(got[1]["source"]["ip"], "2001:db8::9");
}

TEST(Webhook, ReceiverDownThenUpGetsWhatWasQueued) {
  int port = ClosedPort();
  ASSERT_GT(port, 0);
  auto n = WebhookNotifier::Create(Options(port));
  ASSERT_TRUE(n.ok());
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted));
  (*n)->OnAlert(Alert(2, "192.0.2.8", AlertPhase::kStarted));
  auto until = std::chrono::steady_clock::now() + 5s;
  while ((*n)->stats().failed_attempts < 3 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  auto s = (*n)->stats();
  ASSERT_GE(s.failed_attempts, 3u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.queue_depth, 2u);
  EXPECT_FALSE(s.last_error.empty());
  TestReceiver rx(port);
  ASSERT_TRUE(rx.ok()) << "port " << port << " was taken meanwhile";
  ASSERT_TRUE((*n)->WaitIdle(5s));
  auto got = rx.json();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["source"]["ip"], "192.0.2.7");  // in order
  EXPECT_EQ(got[1]["source"]["ip"], "192.0.2.8");
  EXPECT_EQ((*n)->stats().delivered, 2u);
}

TEST(Webhook, ServerErrorsAreRetriedAndRefusalsDropped) {
  TestReceiver rx;
  ASSERT_TRUE(rx.ok());
  rx.set_status(503);
  auto n = WebhookNotifier::Create(Options(rx.port()));
  ASSERT_TRUE(n.ok());
  (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted));
  auto until = std::chrono::steady_clock::now() + 5s;
  while (rx.requests() < 3 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  rx.set_status(400);  // now the receiver refuses it for good
  ASSERT_TRUE((*n)->WaitIdle(5s));
  auto s = (*n)->stats();
  EXPECT_GE(s.failed_attempts, 3u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.last_error, "HTTP 400");
  rx.set_status(200);
  (*n)->OnAlert(Alert(2, "192.0.2.8", AlertPhase::kStarted));  // and the queue moves on
  ASSERT_TRUE((*n)->WaitIdle(5s));
  ASSERT_EQ(rx.json().size(), 1u);
  EXPECT_EQ(rx.json()[0]["source"]["ip"], "192.0.2.8");
}

TEST(Webhook, RateCapHoldsBackIntoOneDigest) {
  TestReceiver rx;
  ASSERT_TRUE(rx.ok());
  auto o = Options(rx.port());
  o.rate_limit = 2;
  o.rate_window_ms = 800;
  auto n = WebhookNotifier::Create(o);
  ASSERT_TRUE(n.ok());
  auto start = std::chrono::steady_clock::now();
  for (uint64_t id = 1; id <= 6; ++id)
    (*n)->OnAlert(Alert(id, ("192.0.2." + std::to_string(id)).c_str(), AlertPhase::kStarted));
  (*n)->OnAlert(Alert(1, "192.0.2.1", AlertPhase::kEnded));  // behind the held ones
  (*n)->OnAlert(Alert(5, "192.0.2.5", AlertPhase::kEnded));  // its start was held: no message of its own
  ASSERT_TRUE(rx.WaitFor(2, 2s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(rx.bodies().size(), 2u);  // the cap holds
  ASSERT_TRUE((*n)->WaitIdle(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 700ms);  // the digest waited for room
  auto got = rx.json();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]["source"]["ip"], "192.0.2.1");
  EXPECT_EQ(got[1]["source"]["ip"], "192.0.2.2");
  const auto& d = got[2]["portscope"]["digest"];
  EXPECT_EQ(got[2]["event"]["action"], "port-scan-digest");
  EXPECT_EQ(d["held"], 6);  // starts of 3, 4, 5, 6 and the ends of 1 and 5
  EXPECT_EQ(d["scans_started"], 4);
  EXPECT_EQ(d["scans_ended"], 2);
  EXPECT_EQ(d["sources"].size(), 5u);  // .3 to .6, and .1 for its end
  auto s = (*n)->stats();
  EXPECT_EQ(s.held_by_rate_cap, 6u);
  EXPECT_EQ(s.digests_queued, 1u);
  // Room again: the next scan is a notification of its own.
  std::this_thread::sleep_for(850ms);
  (*n)->OnAlert(Alert(7, "192.0.2.70", AlertPhase::kStarted));
  ASSERT_TRUE((*n)->WaitIdle(5s));
  ASSERT_EQ(rx.json().size(), 4u);
  EXPECT_EQ(rx.json()[3]["source"]["ip"], "192.0.2.70");
}

TEST(Webhook, FullQueueDropsAndCounts) {
  int port = ClosedPort();
  ASSERT_GT(port, 0);
  auto o = Options(port);
  o.queue_capacity = 3;
  o.rate_limit = 0;
  auto n = WebhookNotifier::Create(o);
  ASSERT_TRUE(n.ok());
  for (uint64_t id = 1; id <= 10; ++id) (*n)->OnAlert(Alert(id, "192.0.2.7", AlertPhase::kStarted));
  auto s = (*n)->stats();
  EXPECT_EQ(s.queued, 3u);
  EXPECT_EQ(s.dropped_queue_full, 7u);
  EXPECT_EQ(s.queue_depth, 3u);
}

TEST(Webhook, TemplatesReachTheReceiver) {
  TestReceiver rx;
  ASSERT_TRUE(rx.ok());
  for (Template t : {Template::kSlack, Template::kTeams}) {
    auto o = Options(rx.port());
    o.format = t;
    auto n = WebhookNotifier::Create(o);
    ASSERT_TRUE(n.ok());
    (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted));
    ASSERT_TRUE((*n)->WaitIdle(5s));
  }
  auto got = rx.json();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0]["text"].is_string());
  EXPECT_EQ(got[1]["type"], "message");
}

// https to a server with a certificate the test makes (openssl CLI).
TEST(Webhook, HttpsWithTheReceiversCertificate) {
  if (system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl command (apt-get install openssl)";
  auto dir = std::filesystem::temp_directory_path() / ("portscope-notify-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                    key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(system(cmd.c_str()), 0);
  {
    TestReceiver rx(0, cert, key);
    ASSERT_TRUE(rx.ok());
    auto o = Options(rx.port());
    o.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/hook";
    o.ca_file = cert;
    auto n = WebhookNotifier::Create(o);
    ASSERT_TRUE(n.ok()) << n.status().message();
    (*n)->OnAlert(Alert(1, "192.0.2.7", AlertPhase::kStarted));
    ASSERT_TRUE((*n)->WaitIdle(5s)) << (*n)->stats().last_error;
    ASSERT_EQ(rx.json().size(), 1u);
    EXPECT_EQ(rx.json()[0]["source"]["ip"], "192.0.2.7");

    // Without that CA the certificate is not trusted: nothing is delivered.
    o.ca_file = "";
    auto untrusted = WebhookNotifier::Create(o);
    ASSERT_TRUE(untrusted.ok());
    (*untrusted)->OnAlert(Alert(2, "192.0.2.8", AlertPhase::kStarted));
    auto until = std::chrono::steady_clock::now() + 5s;
    while ((*untrusted)->stats().failed_attempts < 1 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    EXPECT_GE((*untrusted)->stats().failed_attempts, 1u);
    EXPECT_EQ((*untrusted)->stats().delivered, 0u);
    EXPECT_EQ(rx.json().size(), 1u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace portscope::notify
