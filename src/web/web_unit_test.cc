// Unit tests of the web module's pieces that need no server: parsing of
// listen addresses and port paths, the token and Host checks, the route
// table, the metrics exposition, the cache, and the "here" section.
#include <gtest/gtest.h>

#include <thread>

#include "registry/registry.h"
#include "web/auth.h"
#include "web/here.h"
#include "web/lru_cache.h"
#include "web/metrics.h"
#include "web/port_pages.h"
#include "web/router.h"
#include "web/server.h"
#include "web/site.h"

namespace portscope::web {
namespace {

bool Has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

TEST(ParseListenAddress, AcceptsIpLiteralsAndRefusesTheRest) {
  auto a = ParseListenAddress("127.0.0.1:8244");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8244);
  EXPECT_TRUE(a->loopback);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_TRUE(v6->loopback);
  EXPECT_EQ(v6->ToString(), "[::1]:0");
  auto any = ParseListenAddress("0.0.0.0:8244");
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(any->loopback);
  auto lh = ParseListenAddress("localhost:9000");
  ASSERT_TRUE(lh.ok());
  EXPECT_EQ(lh->host, "127.0.0.1");
  for (const char* bad : {"", "8244", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:-1", "::1:8244",
                          "[::1]", "[::1]8244", "[127.0.0.1]:80", "example.com:80", "[::1]:x", "1.2.3.4:80:90"})
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
}

TEST(ParsePortPath, NumbersRangesAndClearErrors) {
  auto one = ParsePortPath("2244", 1024);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->lo, 2244);
  EXPECT_EQ(one->hi, 2244);
  auto range = ParsePortPath("0-1023", 1024);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->hi, 1023);
  EXPECT_TRUE(ParsePortPath("65535", 1024).ok());
  EXPECT_TRUE(Has(ParsePortPath("70000", 1024).status().message(), "above 65535"));
  EXPECT_TRUE(Has(ParsePortPath("abc", 1024).status().message(), "not a port number"));
  EXPECT_TRUE(Has(ParsePortPath("5-2", 1024).status().message(), "backwards"));
  EXPECT_TRUE(Has(ParsePortPath("0-1024", 1024).status().message(), "at most 1,024"));
  for (const char* bad : {"", "-", "1-", "-1", "1--2", "+1", " 1", "1 ", "0x10", "1.5", "1-2-3", "99999999999"})
    EXPECT_FALSE(ParsePortPath(bad, 1024).ok()) << bad;
}

TEST(Authorized, BearerBasicAndQuery) {
  const std::string t = "0123456789abcdefXYZ";
  EXPECT_TRUE(Authorized("", "", std::nullopt));
  EXPECT_FALSE(Authorized(t, "", std::nullopt));
  EXPECT_TRUE(Authorized(t, "Bearer " + t, std::nullopt));
  EXPECT_TRUE(Authorized(t, "bearer  " + t + " ", std::nullopt));
  EXPECT_FALSE(Authorized(t, "Bearer " + t + "x", std::nullopt));
  EXPECT_FALSE(Authorized(t, "Bearer", std::nullopt));
  EXPECT_FALSE(Authorized(t, t, std::nullopt));
  // Basic: any user, the token as the password ("me:0123456789abcdefXYZ").
  EXPECT_TRUE(Authorized(t, "Basic bWU6MDEyMzQ1Njc4OWFiY2RlZlhZWg==", std::nullopt));
  EXPECT_TRUE(Authorized(t, "Basic OjAxMjM0NTY3ODlhYmNkZWZYWVo", std::nullopt));   // ":token", unpadded
  EXPECT_FALSE(Authorized(t, "Basic bWU6d3Jvbmc=", std::nullopt));                 // me:wrong
  EXPECT_FALSE(Authorized(t, "Basic MDEyMzQ1Njc4OWFiY2RlZlhZWg==", std::nullopt));  // no colon
  EXPECT_FALSE(Authorized(t, "Basic !!!!", std::nullopt));
  EXPECT_TRUE(Authorized(t, "", std::string_view(t)));
  // A wrong ?token= is refused even when a header would have been right.
  EXPECT_FALSE(Authorized(t, "Bearer " + t, std::string_view("wrong")));
}

TEST(LoopbackHostAllowed, OnlyLoopbackNames) {
  for (const char* ok : {"", "localhost", "LOCALHOST:8244", "127.0.0.1", "127.0.0.1:8244", "127.1.2.3:1", "[::1]",
                         "[::1]:8244"})
    EXPECT_TRUE(LoopbackHostAllowed(ok)) << ok;
  for (const char* bad : {"evil.example", "evil.example:8244", "localhost.evil.example", "10.0.0.1:8244", "[::2]:1",
                          "127.0.0.1:x", "[::1", "[::1]x", "0.0.0.0:8244"})
    EXPECT_FALSE(LoopbackHostAllowed(bad)) << bad;
}

TEST(Router, MatchesLiteralSegmentsAndPlaceholders) {
  Router r;
  r.Add("/", [](const Request&) { return Response{}; });
  r.Add("/ports/{spec}", [](const Request&) { return Response{}; });
  r.Add("/api/ports/{spec}", [](const Request&) { return Response{}; });
  auto m = r.Find("/ports/2244");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route->pattern, "/ports/{spec}");
  ASSERT_EQ(m->captures.size(), 1u);
  EXPECT_EQ(m->captures[0], "2244");
  EXPECT_EQ(r.Find("/")->route->pattern, "/");
  EXPECT_EQ(r.Find("/api/ports/1-2")->captures[0], "1-2");
  for (const char* none : {"", "/ports", "/ports/", "/ports/1/", "/ports/1/2", "/api/ports", "//", "/x"})
    EXPECT_FALSE(r.Find(none)) << none;
}

TEST(Metrics, ExpositionEscapesAndGroupsFamilies) {
  Metrics m;
  m.AddCounter("portscope_test_total", "A \\ help\nline", {{"k", "a\"b\\c\nd"}})->Add(3);
  m.AddCounter("portscope_test_total", "A \\ help\nline", {{"k", "other"}})->Add(1);
  m.AddGauge("portscope_test_gauge", "g")->Set(-2);
  m.AddCollector([](Exposition* e) {
    e->Header("portscope_collected", "from a collector", "gauge");
    e->Sample("portscope_collected", {}, 1.5);
  });
  m.ObserveRequest("/ports/{spec}", 200, 0.0003);
  m.ObserveRequest("/ports/{spec}", 200, 7.0);
  m.ObserveRequest("/ports/{spec}", 404, 20.0);
  const std::string t = m.Render();
  EXPECT_TRUE(Has(t, "# HELP portscope_test_total A \\\\ help\\nline\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_test_total{k=\"a\\\"b\\\\c\\nd\"} 3\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_test_total{k=\"other\"} 1\n")) << t;
  EXPECT_EQ(t.find("# TYPE portscope_test_total"), t.rfind("# TYPE portscope_test_total"));
  EXPECT_TRUE(Has(t, "portscope_test_gauge -2\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_collected 1.5\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_http_requests_total{route=\"/ports/{spec}\",status=\"200\"} 2\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_http_request_duration_seconds_bucket{route=\"/ports/{spec}\",le=\"0.0005\"} 1\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_http_request_duration_seconds_bucket{route=\"/ports/{spec}\",le=\"10\"} 2\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_http_request_duration_seconds_bucket{route=\"/ports/{spec}\",le=\"+Inf\"} 3\n")) << t;
  EXPECT_TRUE(Has(t, "portscope_http_request_duration_seconds_count{route=\"/ports/{spec}\"} 3\n")) << t;
}

TEST(LruCache, EvictsTheLeastRecentlyUsedAndCounts) {
  LruCache<int, std::string> c(2);
  c.Put(1, "one");
  c.Put(2, "two");
  ASSERT_TRUE(c.Get(1));  // 1 is now the most recent
  auto kept = c.Get(2);
  c.Put(3, "three");      // 2 was used after 1, so 1 goes
  EXPECT_FALSE(c.Get(1));
  EXPECT_EQ(*c.Get(2), "two");
  EXPECT_EQ(*c.Get(3), "three");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.evictions(), 1u);
  EXPECT_EQ(c.misses(), 1u);
  c.Put(4, "four");  // evicts 2, which `kept` still holds
  EXPECT_EQ(*kept, "two");
}

TEST(HereSource, TakesOneSnapshotPerTtlAndReportsFailure) {
  int taken = 0;
  HereSource ok(std::chrono::milliseconds(60000), [&]() -> Result<sockets::Snapshot> {
    ++taken;
    return sockets::Snapshot{};
  });
  auto a = ok.Get();
  auto b = ok.Get();
  EXPECT_EQ(a, b);
  EXPECT_EQ(taken, 1);
  EXPECT_TRUE(a->status.ok());

  HereSource failing(std::chrono::milliseconds(0), []() -> Result<sockets::Snapshot> {
    return Status::IoError("netlink: permission denied");
  });
  auto f = failing.Get();
  EXPECT_FALSE(f->status.ok());
  EXPECT_EQ(failing.failures(), 1u);
  registry::Registry reg;
  const std::string html = RenderHereSection(*f, reg, 2244);
  EXPECT_TRUE(Has(html, "unknown")) << html;
  EXPECT_TRUE(Has(html, "netlink: permission denied")) << html;
}

TEST(HereSource, ConcurrentRequestsShareOneRefresh) {
  std::atomic<int> taken{0};
  HereSource src(std::chrono::milliseconds(60000), [&]() -> Result<sockets::Snapshot> {
    ++taken;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return sockets::Snapshot{};
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { EXPECT_TRUE(src.Get()); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(taken.load(), 1);
}

TEST(RenderHereSection, ListsHoldersWithProcessesEscaped) {
  registry::Registry reg;
  HereSnapshot here;
  here.taken = std::chrono::system_clock::now();
  sockets::SocketEntry s;
  s.proto = registry::Proto::kTcp;
  s.local = *IpAddress::Parse("127.0.0.1");
  s.local_port = 2244;
  s.state = sockets::SockState::kListen;
  s.pids = {4242};
  here.snapshot.sockets.push_back(s);
  sockets::ProcessInfo p;
  p.pid = 4242;
  p.name = "<nmsd>";
  p.exe = "/usr/sbin/nmsd";
  p.user = "nms";
  here.snapshot.processes[4242] = p;
  here.snapshot.privileged = false;
  const std::string html = RenderHereSection(here, reg, 2244);
  EXPECT_TRUE(Has(html, "127.0.0.1:2244")) << html;
  EXPECT_TRUE(Has(html, "&lt;nmsd&gt;")) << html;
  EXPECT_FALSE(Has(html, "<nmsd>")) << html;
  EXPECT_TRUE(Has(html, "pid 4242")) << html;
  EXPECT_TRUE(Has(html, "LISTEN")) << html;
  EXPECT_TRUE(Has(html, "other users' processes are hidden")) << html;
  EXPECT_TRUE(Has(RenderHereSection(here, reg, 2245), "Nothing on the machine")) ;
}

}  // namespace
}  // namespace portscope::web
