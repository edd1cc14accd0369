// HTTP tests of every route, in process: a real Server on 127.0.0.1 with a
// port the kernel picks, driven by httplib::Client and by raw sockets for the
// requests a well-behaved client never sends.
#include "web/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "base/text.h"
#include "registry/registry.h"
#include "web/site.h"

namespace portscope::web {
namespace {

using nlohmann::json;

bool Has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

// What the "here" section sees in these tests: nmsd holding 2244.
Result<sockets::Snapshot> FakeHere() {
  sockets::Snapshot snap;
  sockets::SocketEntry s;
  s.proto = registry::Proto::kTcp;
  s.local = *IpAddress::Parse("127.0.0.1");
  s.local_port = 2244;
  s.state = sockets::SockState::kListen;
  s.pids = {4242};
  snap.sockets.push_back(s);
  sockets::ProcessInfo p;
  p.pid = 4242;
  p.name = "nmsd";
  p.exe = "/usr/sbin/nmsd";
  p.user = "nms";
  snap.processes[4242] = p;
  snap.privileged = true;
  return snap;
}

class TestServer {
 public:
  explicit TestServer(ServerOptions options = {}, SiteOptions site_options = {}) {
    if (!site_options.here_taker) site_options.here_taker = FakeHere;
    if (options.listen.host.empty() || options.listen.port == kDefaultPort) {
      options.listen.host = options.listen.host.empty() ? "127.0.0.1" : options.listen.host;
      options.listen.port = 0;
    }
    site_ = std::make_unique<Site>(reg_, &metrics_, site_options);
    site_->Register(&router_);
    server_ = std::make_unique<Server>(router_, &metrics_, options);
    bind_ = server_->Bind();
    if (bind_.ok()) thread_ = std::thread([this] { run_ = server_->Run(); });
  }
  ~TestServer() {
    server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  const Status& bind_status() const { return bind_; }
  uint16_t port() const { return server_->port(); }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(10, 0);
    return c;
  }

 private:
  registry::Registry reg_;
  Metrics metrics_;
  Router router_;
  std::unique_ptr<Site> site_;
  std::unique_ptr<Server> server_;
  Status bind_, run_;
  std::thread thread_;
};

// Sends `request` as it is and returns everything the server sends back
// until it closes the connection (or `timeout_ms` passes).
std::string Raw(uint16_t port, const std::string& request, int timeout_ms = 5000) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return "";
  }
  size_t off = 0;
  while (off < request.size()) {
    const ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close before taking it all
    off += static_cast<size_t>(n);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

int StatusOf(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ")) return -1;
  return std::atoi(response.c_str() + 9);
}

class Routes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static httplib::Result Get(const std::string& path, const httplib::Headers& headers = {}) {
    auto c = server_->Client();
    return c.Get(path, headers);
  }
  static TestServer* server_;
};
TestServer* Routes::server_ = nullptr;

TEST_F(Routes, StatusAndContentTypeOfEveryRoute) {
  struct Case {
    std::string path;
    int status;
    std::string type;
  };
  const std::string long_q(201, 'a');
  const std::vector<Case> cases = {
      {"/", 200, "text/html; charset=utf-8"},
      {"/ports/2244", 200, "text/html; charset=utf-8"},
      {"/ports/0", 200, "text/html"},
      {"/ports/65535", 200, "text/html"},
      {"/ports/2200-2250", 200, "text/html"},
      {"/ports/0-1023", 200, "text/html"},
      {"/ports/0-1024", 400, "text/html"},
      {"/ports/70000", 400, "text/html"},
      {"/ports/abc", 400, "text/html"},
      {"/ports/5-2", 400, "text/html"},
      {"/ports/-1", 400, "text/html"},
      {"/ports/%00", 400, "text/html"},
      {"/ports/", 404, "text/html"},
      {"/ports/1/tcp", 404, "text/html"},
      {"/nope", 404, "text/html"},
      {"/search", 200, "text/html"},
      {"/search?q=postgresql", 200, "text/html"},
      {"/search?q=http&proto=udp&limit=3", 200, "text/html"},
      {"/search?q=a&proto=bogus", 400, "text/html"},
      {"/search?q=a&limit=0", 400, "text/html"},
      {"/search?q=a&limit=1001", 400, "text/html"},
      {"/search?q=a&limit=x", 400, "text/html"},
      {"/search?q=" + long_q, 400, "text/html"},
      {"/api/ports/2244", 200, "application/json"},
      {"/api/ports/2240-2250", 200, "application/json"},
      {"/api/ports/70000", 400, "application/json"},
      {"/api/ports/x", 400, "application/json"},
      {"/api/ports/0-65535", 400, "application/json"},
      {"/api/search?q=postgresql", 200, "application/json"},
      {"/api/search?q=zzzzqqqq", 200, "application/json"},
      {"/api/search", 400, "application/json"},
      {"/api/search?q=a&proto=x", 400, "application/json"},
      {"/api/nope", 404, "application/json"},
      {"/metrics", 200, "text/plain; version=0.0.4; charset=utf-8"},
      {"/static/app.js", 200, "text/javascript; charset=utf-8"},
      {"/static/app.css", 200, "text/css; charset=utf-8"},
      {"/static/favicon.svg", 200, "image/svg+xml"},
      {"/static/nope.js", 404, "text/html"},
  };
  for (const Case& c : cases) {
    auto r = Get(c.path);
    ASSERT_TRUE(r) << c.path << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, c.status) << c.path << "\n" << r->body.substr(0, 400);
    EXPECT_TRUE(r->get_header_value("Content-Type").starts_with(c.type))
        << c.path << ": " << r->get_header_value("Content-Type");
    EXPECT_FALSE(r->body.empty()) << c.path;
    EXPECT_FALSE(r->has_header("Content-Encoding")) << c.path;
    if (c.type == "application/json") {
      EXPECT_TRUE(json::accept(r->body)) << c.path;
    }
  }
}

TEST_F(Routes, SecurityHeadersOnEveryResponse) {
  for (const std::string path : {"/", "/ports/2244", "/nope", "/ports/abc", "/api/ports/1", "/api/nope",
                                 "/static/app.js", "/metrics"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    const std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_TRUE(Has(csp, "script-src 'self'")) << path << ": " << csp;
    EXPECT_TRUE(Has(csp, "default-src 'none'")) << path;
    EXPECT_TRUE(Has(csp, "frame-ancestors 'none'")) << path;
    EXPECT_FALSE(Has(csp, "unsafe-inline")) << path;
    EXPECT_FALSE(Has(csp, "unsafe-eval")) << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY") << path;
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer") << path;
    EXPECT_FALSE(r->get_header_value("Cache-Control").empty()) << path;
  }
}

TEST_F(Routes, PagesHoldNoInlineScriptStyleOrHandlers) {
  const std::regex script_tag("<script(?![^>]*\\ssrc=\"/static/)[^>]*>", std::regex::icase);
  const std::regex handler_attr("\\son[a-z]+\\s*=", std::regex::icase);
  for (const std::string path : {"/", "/ports/2244", "/ports/31337", "/ports/2240-2250", "/search?q=http", "/nope"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_FALSE(std::regex_search(r->body, script_tag)) << path;
    EXPECT_FALSE(std::regex_search(r->body, handler_attr)) << path;
    EXPECT_FALSE(Has(r->body, " style=")) << path;
    EXPECT_FALSE(Has(r->body, "<style")) << path;
    EXPECT_TRUE(Has(r->body, "<script src=\"/static/app.js?v=")) << path;
  }
}

TEST_F(Routes, PortPageCarriesTheArticleFaqHereAndNeighbours) {
  auto r = Get("/ports/2244");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string& b = r->body;
  EXPECT_TRUE(Has(b, "<h1>Port 2244: nmsserver</h1>")) << b.substr(0, 2000);
  EXPECT_TRUE(Has(b, "NMS Server"));
  EXPECT_TRUE(Has(b, "User Ports"));
  EXPECT_TRUE(Has(b, "[iana]"));
  EXPECT_TRUE(Has(b, "[nmap]"));
  EXPECT_TRUE(Has(b, "ss -tanp &#39;sport = :2244&#39;"));
  EXPECT_TRUE(Has(b, "Get-NetUDPEndpoint -LocalPort 2244"));
  EXPECT_TRUE(Has(b, "Is port 2244 assigned?"));
  EXPECT_TRUE(Has(b, "Yes. IANA assigns port 2244"));
  EXPECT_TRUE(Has(b, "Is it safe to block port 2244?"));
  EXPECT_TRUE(Has(b, "Here, now"));
  EXPECT_TRUE(Has(b, "nmsd"));  // the fake holder
  EXPECT_TRUE(Has(b, "href=\"/ports/2243\""));
  EXPECT_TRUE(Has(b, "href=\"/ports/2245\""));
  EXPECT_FALSE(Has(b, "unassigned"));
  // A port with security notes shows them with their citation.
  auto elite = Get("/ports/31337");
  ASSERT_TRUE(elite);
  EXPECT_TRUE(Has(elite->body, "[curated]"));
  EXPECT_TRUE(Has(elite->body, "class=\"warn\""));
  // The ends of the port space link only inwards.
  auto zero = Get("/ports/0");
  ASSERT_TRUE(zero);
  EXPECT_FALSE(Has(zero->body, "href=\"/ports/-1\""));
  EXPECT_TRUE(Has(zero->body, "href=\"/ports/1\""));
  auto top = Get("/ports/65535");
  ASSERT_TRUE(top);
  EXPECT_FALSE(Has(top->body, "href=\"/ports/65536\""));
}

TEST_F(Routes, HomePageExplainsRangesWithCounts) {
  auto r = Get("/");
  ASSERT_TRUE(r);
  const std::string& b = r->body;
  for (const char* s : {"System Ports", "User Ports", "Dynamic", "0-1023", "1024-49151", "49152-65535", "RFC 6335",
                        "href=\"/ports/2202\"", "href=\"/ports/2244\"", "href=\"/ports/80\"", "TCP assigned"})
    EXPECT_TRUE(Has(b, s)) << s;
  registry::Registry reg;
  const std::string user_tcp = WithCommas(reg.CountAssigned(registry::RangeClass::kUser, registry::Proto::kTcp));
  EXPECT_TRUE(Has(b, "<td class=\"num\">" + user_tcp + "</td>")) << user_tcp;
  EXPECT_TRUE(Has(b, "<td class=\"num\">16,384</td>"));  // the Dynamic range's size
}

TEST_F(Routes, RangePageListsEveryPort) {
  auto r = Get("/ports/2240-2250");
  ASSERT_TRUE(r);
  for (int p = 2240; p <= 2250; ++p) EXPECT_TRUE(Has(r->body, "href=\"/ports/" + std::to_string(p) + "\"")) << p;
  EXPECT_TRUE(Has(r->body, "nmsserver"));
  EXPECT_TRUE(Has(r->body, "href=\"/ports/2229-2239\""));  // previous range of the same size
  EXPECT_TRUE(Has(r->body, "href=\"/ports/2251-2261\""));
  auto bad = Get("/ports/0-5000");
  ASSERT_TRUE(bad);
  EXPECT_TRUE(Has(bad->body, "at most 1,024")) << bad->body;
}

TEST_F(Routes, SearchFindsPostgresqlAndHonoursProtoAndLimit) {
  auto r = Get("/search?q=postgresql");
  ASSERT_TRUE(r);
  EXPECT_TRUE(Has(r->body, "href=\"/ports/5432\"")) << r->body;
  auto api = Get("/api/search?q=postgresql");
  ASSERT_TRUE(api);
  json j = json::parse(api->body);
  ASSERT_TRUE(j.is_array());
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j[0]["port"], 5432);
  EXPECT_EQ(j[0]["match"]["score"], 0);
  auto udp = Get("/api/search?q=dns&proto=udp&limit=3");
  ASSERT_TRUE(udp);
  json u = json::parse(udp->body);
  EXPECT_LE(u.size(), 3u);
  ASSERT_FALSE(u.empty());
  for (const auto& o : u) EXPECT_EQ(o["proto"], "udp");
  auto none = Get("/search?q=zzzzqqqq");
  ASSERT_TRUE(none);
  EXPECT_TRUE(Has(none->body, "Nothing matches"));
  auto by_number = Get("/api/search?q=2244&limit=1");
  ASSERT_TRUE(by_number);
  EXPECT_EQ(json::parse(by_number->body)[0]["port"], 2244);
}

TEST_F(Routes, UntrustedTextIsEscaped) {
  auto r = Get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Has(r->body, "&lt;script&gt;alert(1)&lt;/script&gt;")) << r->body;
  EXPECT_FALSE(Has(r->body, "<script>alert(1)"));
  // Out of an attribute value, too.
  auto attr = Get("/search?q=%22%20autofocus%20onfocus%3D%22alert(1)");
  ASSERT_TRUE(attr);
  EXPECT_TRUE(Has(attr->body, "value=\"&quot; autofocus onfocus=&quot;alert(1)\"")) << attr->body;
  // In error pages and JSON errors.
  auto page = Get("/ports/%3Cb%3Ex%22");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 400);
  EXPECT_FALSE(Has(page->body, "<b>x"));
  EXPECT_TRUE(Has(page->body, "&lt;b&gt;x&quot;")) << page->body;
  auto api = Get("/api/ports/%22%3Cx%3E");
  ASSERT_TRUE(api);
  json j = json::parse(api->body);
  EXPECT_EQ(j["error"]["status"], 400);
  EXPECT_TRUE(Has(j["error"]["message"].get<std::string>(), "\"<x>")) << api->body;
  // Bytes that are not UTF-8 never break the page or the JSON.
  auto bytes = Get("/search?q=%FF%FE%01");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->status, 200);
  EXPECT_TRUE(Has(bytes->body, "\xEF\xBF\xBD"));
  auto api_bytes = Get("/api/ports/%FF");
  ASSERT_TRUE(api_bytes);
  EXPECT_TRUE(json::accept(api_bytes->body)) << api_bytes->body;
}

TEST_F(Routes, OnlyGetAndHead) {
  auto c = server_->Client();
  auto head = c.Head("/ports/2244");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_GT(std::stoul(head->get_header_value("Content-Length")), 1000u);
  std::vector<httplib::Result> others;
  others.push_back(c.Post("/", "x=1", "application/x-www-form-urlencoded"));
  others.push_back(c.Put("/api/ports/1", "{}", "application/json"));
  others.push_back(c.Patch("/ports/1", "x", "text/plain"));
  others.push_back(c.Delete("/ports/1"));
  others.push_back(c.Options("/"));
  for (const auto& r : others) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD");
  }
  EXPECT_EQ(StatusOf(Raw(server_->port(), "BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")), 400);
}

TEST_F(Routes, OversizedAndMalformedRequests) {
  const uint16_t port = server_->port();
  // A body announced on a read-only server: refused before it is read.
  EXPECT_EQ(StatusOf(Raw(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10485760\r\n\r\n" +
                                   std::string(256 * 1024, 'x'))),
            413);
  EXPECT_EQ(StatusOf(Raw(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n0\r\n\r\n")),
            413);
  auto c = server_->Client();
  // The body never comes: the server must answer from the headers alone.
  auto big = c.Get("/", httplib::Headers{{"Content-Length", "100000"}});
  ASSERT_TRUE(big) << httplib::to_string(big.error());
  EXPECT_EQ(big->status, 413);
  // Request head over 16 KiB, too many headers, an over-long URI, garbage.
  EXPECT_EQ(StatusOf(Raw(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: " + std::string(20000, 'a') + "\r\n\r\n")),
            431);
  std::string many = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(StatusOf(Raw(port, many + "\r\n")), 431);
  EXPECT_EQ(StatusOf(Raw(port, "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")), 414);
  EXPECT_EQ(StatusOf(Raw(port, "HELLO\r\n\r\n")), 400);
  EXPECT_EQ(StatusOf(Raw(port, std::string("\0\1\2\r\n\r\n", 7))), 400);
  // Still serving afterwards.
  auto ok = c.Get("/api/ports/22");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Routes, KeepAliveServesPipelinedRequests) {
  const std::string r = Raw(server_->port(),
                            "GET /api/ports/22 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                            "GET /api/ports/23 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  size_t first = r.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(r.find("HTTP/1.1 200", first + 1), std::string::npos) << r.substr(0, 500);
  EXPECT_TRUE(Has(r, "\"port\":23"));
}

TEST_F(Routes, HostHeaderMustNameLoopback) {
  auto evil = Get("/api/ports/22", {{"Host", "evil.example"}});
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 403);
  auto evil_port = Get("/", {{"Host", "evil.example:" + std::to_string(server_->port())}});
  ASSERT_TRUE(evil_port);
  EXPECT_EQ(evil_port->status, 403);
  auto local = Get("/", {{"Host", "localhost:" + std::to_string(server_->port())}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
}

TEST_F(Routes, StaticFilesAreVersionedAndConditional) {
  auto r = Get("/static/app.js");
  ASSERT_TRUE(r);
  const std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_TRUE(Has(r->body, "textContent"));
  auto again = Get("/static/app.js", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto home = Get("/");
  ASSERT_TRUE(home);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(home->body, m, std::regex("/static/app\\.css\\?v=([0-9a-f]+)")));
  auto versioned = Get("/static/app.css?v=" + m[1].str());
  ASSERT_TRUE(versioned);
  EXPECT_TRUE(Has(versioned->get_header_value("Cache-Control"), "immutable"));
  EXPECT_TRUE(Has(versioned->body, "prefers-color-scheme"));
}

// A strict reader of the Prometheus text format (0.0.4): every line is a
// HELP, a TYPE or a sample; every sample belongs to a family typed before
// it; histograms have ordered cumulative buckets ending in +Inf == _count.
void CheckPrometheusText(const std::string& text, std::map<std::string, double>* samples) {
  const std::regex help("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*");
  const std::regex type("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
  const std::regex sample(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\[\\\\\"n])*\""
      "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\[\\\\\"n])*\")*)?\\})? "
      "(-?[0-9.]+(e[-+]?[0-9]+)?|\\+Inf|-Inf|NaN)");
  std::map<std::string, std::string> types;
  ASSERT_TRUE(text.ends_with("\n"));
  size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    std::smatch m;
    if (line.starts_with("# HELP")) {
      EXPECT_TRUE(std::regex_match(line, help)) << line_no << ": " << line;
    } else if (line.starts_with("# TYPE")) {
      ASSERT_TRUE(std::regex_match(line, m, type)) << line_no << ": " << line;
      EXPECT_TRUE(types.emplace(m[1], m[2]).second) << "TYPE twice: " << line;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << line_no << ": " << line;
      std::string family = m[1];
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        if (!types.count(family) && family.ends_with(suffix)) family.resize(family.size() - std::strlen(suffix));
      EXPECT_TRUE(types.count(family)) << "sample before its TYPE: " << line;
      const std::string v = line.substr(line.rfind(' ') + 1);
      (*samples)[line.substr(0, line.rfind(' '))] = v == "+Inf" ? INFINITY : std::stod(v);
    }
  }
}

TEST_F(Routes, MetricsParseAsPrometheusTextAndCountRequests) {
  ASSERT_TRUE(Get("/ports/2244"));
  ASSERT_TRUE(Get("/ports/abc"));
  ASSERT_TRUE(Get("/nope"));
  auto r = Get("/metrics");
  ASSERT_TRUE(r);
  std::map<std::string, double> s;
  CheckPrometheusText(r->body, &s);
  EXPECT_GE((s["portscope_http_requests_total{route=\"/ports/{spec}\",status=\"200\"}"]), 1);
  EXPECT_GE((s["portscope_http_requests_total{route=\"/ports/{spec}\",status=\"400\"}"]), 1);
  EXPECT_GE((s["portscope_http_requests_total{route=\"none\",status=\"404\"}"]), 1);
  EXPECT_EQ((s["portscope_build_info{version=\"0.1.0\",httplib=\"0.11.4\"}"]), 1);
  EXPECT_GT((s["portscope_registry_records{kind=\"iana\",type=\"services\"}"]), 5000);
  EXPECT_GE((s["portscope_http_connections_total"]), 1);
  EXPECT_EQ((s["portscope_http_request_duration_seconds_bucket{route=\"/ports/{spec}\",le=\"+Inf\"}"]),
            (s["portscope_http_request_duration_seconds_count{route=\"/ports/{spec}\"}"]));
  // Buckets are cumulative, in the order written.
  double last = -1;
  size_t buckets = 0;
  const std::string prefix = "portscope_http_request_duration_seconds_bucket{route=\"/ports/{spec}\",le=";
  for (size_t pos = r->body.find(prefix); pos != std::string::npos; pos = r->body.find(prefix, pos + 1)) {
    const size_t eol = r->body.find('\n', pos);
    const double v = std::stod(r->body.substr(r->body.rfind(' ', eol) + 1, eol));
    EXPECT_GE(v, last);
    last = v;
    ++buckets;
  }
  EXPECT_EQ(buckets, Metrics::DurationBuckets().size() + 1);
  EXPECT_TRUE(Has(r->body, "# TYPE portscope_web_cache_hits_total counter"));
  EXPECT_TRUE(Has(r->body, "portscope_registry_source_info{kind=\"iana\""));
}

TEST(Server, TokenGuardsEveryRoute) {
  ServerOptions o;
  o.token = "s3cret-token-0123456789";
  TestServer server(o);
  ASSERT_TRUE(server.bind_status().ok()) << server.bind_status().message();
  auto c = server.Client();
  for (const char* path : {"/", "/ports/2244", "/api/ports/2244", "/metrics", "/static/app.js", "/nope"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"portscope\"") << path;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate", 1), "Basic realm=\"portscope\", charset=\"UTF-8\"") << path;
    EXPECT_FALSE(Has(r->body, "nmsserver")) << path;
  }
  auto wrong = c.Get("/api/ports/2244", {{"Authorization", "Bearer s3cret-token-012345678X"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto bearer = c.Get("/api/ports/2244", {{"Authorization", "Bearer " + o.token}});
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200);
  auto metrics = c.Get("/metrics", {{"Authorization", "Bearer " + o.token}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  // A browser is offered Basic; any user name, the token as the password.
  auto challenge = c.Get("/ports/2244");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->get_header_value_count("WWW-Authenticate"), 2u);
  c.set_basic_auth("anyone", o.token.c_str());
  auto basic = c.Get("/ports/2244");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 200);
  EXPECT_TRUE(Has(basic->body, "nmsserver"));
  auto other = server.Client();
  other.set_basic_auth("anyone", "not-the-token-at-all");
  auto wrong_basic = other.Get("/");
  ASSERT_TRUE(wrong_basic);
  EXPECT_EQ(wrong_basic->status, 401);
  auto query = other.Get("/api/ports/22?token=" + o.token);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 200);
  auto bad_query = server.Client().Get("/?token=nope");
  ASSERT_TRUE(bad_query);
  EXPECT_EQ(bad_query->status, 401);
}

TEST(Server, NonLoopbackAddressNeedsAToken) {
  ServerOptions o;
  o.listen = *ParseListenAddress("0.0.0.0:0");
  {
    TestServer server(o);
    EXPECT_FALSE(server.bind_status().ok());
    EXPECT_TRUE(Has(server.bind_status().message(), "without a token")) << server.bind_status().message();
  }
  o.token = "short";
  {
    TestServer server(o);
    EXPECT_FALSE(server.bind_status().ok());
  }
  o.token = "s3cret-token-0123456789";
  TestServer server(o);
  EXPECT_TRUE(server.bind_status().ok()) << server.bind_status().message();
  // With a token, any Host is fine (the token is what guards).
  auto r = server.Client().Get("/", {{"Host", "portscope.example"}, {"Authorization", "Bearer " + o.token}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Server, PortInUseIsAClearError) {
  TestServer first;
  ASSERT_TRUE(first.bind_status().ok());
  ServerOptions o;
  o.listen.host = "127.0.0.1";
  o.listen.port = first.port();
  Metrics metrics;
  Router router;
  Server second(router, &metrics, o);
  Status s = second.Bind();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Has(s.message(), "in use")) << s.message();
}

TEST(Server, ServesIpv6Loopback) {
  ServerOptions o;
  o.listen = *ParseListenAddress("[::1]:0");
  TestServer server(o);
  if (!server.bind_status().ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.bind_status().message();
  httplib::Client c("::1", server.port());
  auto r = c.Get("/api/ports/2244");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
}

int ConnectTo(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  return fd;
}

TEST(Server, ExcessConnectionsGet503) {
  ServerOptions o;
  o.limits.max_connections = 3;
  TestServer server(o);
  ASSERT_TRUE(server.bind_status().ok());
  // Three connections that have not sent a request yet fill the cap (and
  // are not idle keep-alive connections that could make way)...
  std::vector<int> idle = {ConnectTo(server.port()), ConnectTo(server.port()), ConnectTo(server.port())};
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // ...so a fourth is answered 503 at once.
  const auto start = std::chrono::steady_clock::now();
  const std::string busy = Raw(server.port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 2000);
  EXPECT_EQ(StatusOf(busy), 503) << busy;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  for (int fd : idle) close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = server.Client().Get("/api/ports/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Server, IdleKeepAliveConnectionsMakeWayAtTheCap) {
  ServerOptions o;
  o.limits.max_connections = 2;
  o.limits.hold_ms = 0;  // park at once: only parked connections can make way
  TestServer server(o);
  ASSERT_TRUE(server.bind_status().ok());
  // Two keep-alive clients, idle after one request, fill the cap.
  std::vector<std::unique_ptr<httplib::Client>> idle;
  for (int i = 0; i < 2; ++i) {
    idle.push_back(std::make_unique<httplib::Client>("127.0.0.1", server.port()));
    idle.back()->set_keep_alive(true);
    ASSERT_TRUE(idle.back()->Get("/api/ports/1"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // > busy_idle_ms
  // A third is served: the one idle longest makes way.
  auto r = server.Client().Get("/api/ports/2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Server, SlowClientsHoldNoThread) {
  ServerOptions o;
  o.limits.worker_threads = 1;
  TestServer server(o);
  ASSERT_TRUE(server.bind_status().ok());
  // Half-sent requests on many connections...
  std::vector<int> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(ConnectTo(server.port()));
    (void)!send(slow.back(), "GET /api/ports/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow:", 48, MSG_NOSIGNAL);
  }
  // ...do not keep the one worker from others.
  auto r = server.Client().Get("/api/ports/2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (int fd : slow) close(fd);
}

TEST(Server, LargeResponsesToSlowReadersArrive) {
  TestServer server;
  const int fd = ConnectTo(server.port());
  const std::string req = "GET /api/ports/0-1023 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the socket buffers fill
  std::string got;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(StatusOf(got), 200);
  EXPECT_TRUE(json::accept(got.substr(body + 4))) << got.size();
  EXPECT_GT(got.size(), 1000000u);
}

TEST(Server, SlowRequestsTimeOut) {
  ServerOptions o;
  o.limits.request_timeout_ms = 300;
  TestServer server(o);
  ASSERT_TRUE(server.bind_status().ok());
  const int fd = ConnectTo(server.port());
  const auto start = std::chrono::steady_clock::now();
  std::string got;
  (void)!send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
  for (int i = 0; i < 20 && got.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (void)!send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_EQ(StatusOf(got), 408) << got;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Server, StopsPromptlyWithIdleKeepAliveConnections) {
  auto server = std::make_unique<TestServer>();
  auto c = server->Client();
  c.set_keep_alive(true);
  ASSERT_TRUE(c.Get("/api/ports/1"));  // leaves an idle keep-alive connection
  const auto start = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Site, HereCanBeTurnedOffAndUnknownIsSaid) {
  SiteOptions off;
  off.show_here = false;
  TestServer no_here({}, off);
  auto r = no_here.Client().Get("/ports/2244");
  ASSERT_TRUE(r);
  EXPECT_FALSE(Has(r->body, "Here, now"));
  SiteOptions failing;
  failing.here_taker = []() -> Result<sockets::Snapshot> { return Status::IoError("no netlink here"); };
  TestServer unknown({}, failing);
  auto u = unknown.Client().Get("/ports/2244");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status, 200);
  EXPECT_TRUE(Has(u->body, "unknown (the socket table could not be read: no netlink here)")) << u->body;
}

}  // namespace
}  // namespace portscope::web
