// Acceptance tests of `portscope serve` as a user runs it: the real binary
// (which execs portscope-serve), on a port the kernel picks, stopped by
// SIGTERM; its JSON API against the CLI's --json.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "run_binary.h"
#include "store/test_util.h"
#include "store/time_text.h"

namespace portscope {
namespace {

using nlohmann::json;
using testing::RunPortscope;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

// `portscope serve ARGS` in the background; the URL it prints on stdout.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      std::vector<std::string> all = {PORTSCOPE_BINARY, "serve"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      char home[] = "HOME=/nonexistent-portscope-test-home";
      char data[] = "PORTSCOPE_DATA_DIR=/nonexistent-portscope-test-data";
      char* envp[] = {home, data, nullptr};
      execve(PORTSCOPE_BINARY, argv.data(), envp);
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    // The first line on stdout names the URL.
    std::string line;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    const size_t at = line.find("http://127.0.0.1:");
    if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + 17);
  }
  ~ServeProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }
  int port() const { return port_; }
  httplib::Client Client() const { return httplib::Client("127.0.0.1", port_); }

  // SIGTERM, then the exit status (-1 if it had to be killed) and stderr.
  std::pair<int, std::string> Terminate(std::chrono::milliseconds* took) {
    const auto start = std::chrono::steady_clock::now();
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::string err;
    char buf[4096];
    ssize_t n;
    while ((n = read(err_, buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
    if (!reaped_) return {-1, err};
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  int port_ = 0;
  bool reaped_ = false;
};

json WithoutHere(json arr) {
  for (auto& o : arr) o.erase("here");
  return arr;
}

TEST(Serve, ApiEqualsTheCliJsonAndSigtermStopsCleanly) {
  ServeProcess serve({"--listen", "127.0.0.1:0"});
  ASSERT_GT(serve.port(), 0) << "no URL printed";
  auto c = serve.Client();

  auto api = c.Get("/api/ports/2244");
  ASSERT_TRUE(api);
  ASSERT_EQ(api->status, 200);
  auto cli = RunPortscope({"--json", "2244"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const json cli_json = json::parse(cli.out);
  ASSERT_TRUE(cli_json[0].contains("here"));  // the CLI's extra field, which the API leaves out
  EXPECT_EQ(json::parse(api->body), WithoutHere(cli_json));
  EXPECT_EQ(json::parse(api->body)[0]["iana"]["services"][0]["name"], "nmsserver");

  auto range = c.Get("/api/ports/2240-2250");
  ASSERT_TRUE(range);
  auto cli_range = RunPortscope({"--json", "2240-2250"});
  ASSERT_EQ(cli_range.exit_code, 0);
  EXPECT_EQ(json::parse(range->body), WithoutHere(json::parse(cli_range.out)));

  auto search = c.Get("/api/search?q=postgresql");
  ASSERT_TRUE(search);
  auto cli_search = RunPortscope({"search", "--json", "postgresql"});
  ASSERT_EQ(cli_search.exit_code, 0);
  EXPECT_EQ(json::parse(search->body), json::parse(cli_search.out));

  auto page = c.Get("/ports/2244");
  ASSERT_TRUE(page);
  EXPECT_TRUE(Has(page->body, "nmsserver"));
  EXPECT_TRUE(Has(page->body, "Here, now"));

  std::chrono::milliseconds took{};
  auto [code, err] = serve.Terminate(&took);
  EXPECT_EQ(code, 0) << err;
  EXPECT_TRUE(Has(err, "stopped")) << err;
  EXPECT_LT(took.count(), 3000);
}

// The canary's JSON: /api/events, /api/alerts and /api/report against
// `portscope events|alerts|report --json` over the same database.
TEST(Serve, CanaryApiEqualsTheCliJson) {
  const std::string dir = testing::MakeTempDir("serve-canary");
  const std::string db_path = dir + "/canary.db";
  {
    auto db = store::testutil::OpenForWriting(db_path);
    ASSERT_TRUE(db);
    const uint64_t now = store::NowUs();
    store::Batch b;
    b.events.push_back(store::testutil::MakeEvent(now - 600000000, "203.0.113.7", 2244, "<script>alert(1)</script>"));
    b.events.push_back(store::testutil::MakeEvent(now - 300000000, "198.51.100.2", 22, std::string("\x00\xff", 2)));
    store::AlertRecord a;
    a.scan_id = 1;
    a.time_us = a.first_seen_us = a.last_seen_us = now - 300000000;
    a.source = store::testutil::Ip("203.0.113.7");
    a.kind = store::ScanKind::kSyn;
    a.probes = 1;
    a.ports = {2244};
    b.alerts.push_back(a);
    ASSERT_TRUE(db->Write(b).ok());
  }
  ServeProcess serve({"--listen", "127.0.0.1:0", "--db", db_path});
  ASSERT_GT(serve.port(), 0);
  auto c = serve.Client();
  for (const auto& [path, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"/api/events", {"events", "--json"}},
           {"/api/events?source=203.0.113.0/24&since=1h&port=2244", {"events", "--json", "--source", "203.0.113.0/24", "--since", "1h", "--port", "2244"}},
           {"/api/alerts", {"alerts", "--json"}},
           {"/api/alerts?kind=syn", {"alerts", "--json", "--kind", "syn"}}}) {
    auto api = c.Get(path);
    ASSERT_TRUE(api) << path;
    ASSERT_EQ(api->status, 200) << path << ": " << api->body;
    std::vector<std::string> full = args;
    full.insert(full.end(), {"--db", db_path});
    auto cli = RunPortscope(full);
    ASSERT_EQ(cli.exit_code, 0) << path << ": " << cli.err;
    EXPECT_EQ(json::parse(api->body), json::parse(cli.out)) << path;
  }
  auto api = c.Get("/api/report?since=2h&top=5");
  ASSERT_TRUE(api);
  auto cli = RunPortscope({"report", "--json", "--since", "2h", "--top", "5", "--db", db_path});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json a = json::parse(api->body), b = json::parse(cli.out);
  // The window ends at each one's "now"; everything else is the same.
  for (json* j : {&a, &b}) {
    j->erase("since");
    j->erase("until");
    for (auto& bucket : (*j)["timeline"]["buckets"]) bucket.erase("start");
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["totals"]["probes"], 2);

  auto dash = c.Get("/canary");
  ASSERT_TRUE(dash);
  EXPECT_EQ(dash->status, 200);
  EXPECT_TRUE(Has(dash->body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}

TEST(Serve, TokenFromAFile) {
  const std::string dir = testing::MakeTempDir("serve-token");
  const std::string token = "t0ken-for-the-serve-test-123";
  std::ofstream(dir + "/token") << token << "\n";
  ServeProcess serve({"--listen", "127.0.0.1:0", "--token-file", dir + "/token"});
  ASSERT_GT(serve.port(), 0);
  auto c = serve.Client();
  auto denied = c.Get("/api/ports/22");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  auto ok = c.Get("/api/ports/22", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(Serve, RefusesUnsafeOrBadOptions) {
  auto open = RunPortscope({"serve", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_TRUE(Has(open.err, "refusing to listen on 0.0.0.0:0 without a token")) << open.err;
  auto v6 = RunPortscope({"serve", "--listen", "[::]:0"});
  EXPECT_EQ(v6.exit_code, 2) << v6.err;
  auto missing = RunPortscope({"serve", "--listen", "0.0.0.0:0", "--token-file", "/nonexistent/token"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(Has(missing.err, "cannot read the token file")) << missing.err;
  const std::string dir = testing::MakeTempDir("serve-short");
  std::ofstream(dir + "/token") << "short\n";
  auto weak = RunPortscope({"serve", "--listen", "0.0.0.0:0", "--token-file", dir + "/token"});
  EXPECT_EQ(weak.exit_code, 2);
  EXPECT_TRUE(Has(weak.err, "at least 16")) << weak.err;
  for (const char* bad : {"nonsense", "example.com:80", "127.0.0.1:99999", "[::1]"}) {
    auto r = RunPortscope({"serve", "--listen", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "--listen")) << r.err;
  }
  auto help = RunPortscope({"serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Has(help.out, "--token-file")) << help.out;
  auto top = RunPortscope({"--help"});
  EXPECT_TRUE(Has(top.out, "serve")) << top.out;
}

}  // namespace
}  // namespace portscope
