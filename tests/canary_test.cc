// Acceptance tests of `portscope canary` (connect mode), running the real
// binary: on loopback, and in two network namespaces this test creates (the
// canary in one, nmap in the other, joined by a veth pair).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "notify/test_receiver.h"
#include "run_binary.h"
#include "store/database.h"
#include "store/json_lines.h"

namespace portscope {
namespace {

using nlohmann::json;
using testing::RunPortscope;
using Clock = std::chrono::steady_clock;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename Pred>
bool WaitFor(Pred done, int seconds = 10) {
  auto until = Clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// A dir the canary can still write after dropping to nobody (the JSON file
// is created anew there after a rename).
std::string CanaryDir(const std::string& name) {
  std::string d = testing::MakeTempDir(name);
  chmod(d.c_str(), 0777);
  return d;
}

// `portscope canary ARGS` in the background (optionally inside a network
// namespace), stdout and stderr to files; killed by PID when destroyed.
class Canary {
 public:
  Canary(const std::vector<std::string>& args, const std::string& dir, const std::string& netns = "")
      : err_(dir + "/canary.stderr") {
    std::string out = dir + "/canary.stdout";
    pid_ = fork();
    if (pid_ == 0) {
      if (!netns.empty()) {
        int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
      }
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<std::string> strings = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/nonexistent-portscope-test-home",
                                          "PORTSCOPE_DATA_DIR=/nonexistent-portscope-test-data"};
      std::vector<char*> envp, argv;
      for (auto& s : strings) envp.push_back(s.data());
      envp.push_back(nullptr);
      std::string bin = PORTSCOPE_BINARY, sub = "canary";
      argv.push_back(bin.data());
      argv.push_back(sub.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execve(bin.c_str(), argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Canary() {
    if (pid_ > 0 && Running()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool WaitReady() {
    return WaitFor([&] { return Has(Slurp(err_), "canary watching") || !Running(); }) && Running();
  }
  bool Running() {
    if (exited_) return false;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return false;
    }
    return true;
  }
  void Signal(int sig) { kill(pid_, sig); }
  // Waits (bounded) for the exit; the exit code, or -signal, or -1000 on timeout.
  int Wait(int seconds = 15) {
    if (!WaitFor([&] { return !Running(); }, seconds)) return -1000;
    return exit_code_;
  }
  std::string err() const { return Slurp(err_); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string err_;
  bool exited_ = false;
  int exit_code_ = 0;
};

json Query(const std::string& what, const std::string& db) {
  auto r = RunPortscope({what, "--json", "--db", db, "--limit", "0"});
  if (r.exit_code != 0) return json::array();
  return json::parse(r.out, nullptr, false);
}

// A free TCP and UDP port that no parallel test's connection can take.
uint16_t FreePort() { return testing::UnusedPort(); }

int ConnectFrom(const char* src, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in s{};
  s.sin_family = AF_INET;
  inet_pton(AF_INET, src, &s.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&s), sizeof s);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// ---------------------------------------------------------------------------
// Loopback.

TEST(CanaryCli, AHeldPortIsRefusedNamingItsHolder) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  std::string dir = CanaryDir("canary-held");
  auto r = RunPortscope({"canary", "--ports", port + "/tcp", "--bind", "127.0.0.1", "--db", dir + "/c.db"});
  close(fd);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "port " + port + "/tcp is already held")) << r.err;
  EXPECT_TRUE(Has(r.err, "never takes a port in use")) << r.err;
  if (geteuid() == 0) {  // as root every holder is named
    EXPECT_TRUE(Has(r.err, "pid " + std::to_string(getpid()))) << r.err;
  }
}

TEST(CanaryCli, BadInputIsAClearErrorNotACrash) {
  std::string dir = CanaryDir("canary-bad");
  auto r = RunPortscope({"canary", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "give the ports to watch")) << r.err;
  r = RunPortscope({"canary", "--ports", "70000", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "out of range")) << r.err;
  r = RunPortscope({"canary", "--ports", "2244/sctp", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 2);
  // Binding port 0 would give a random port: refused in connect mode, alone
  // or in a range; stealth mode sees probes to it without binding.
  for (const char* zero : {"0", "0-5", "2244,0/udp"}) {
    r = RunPortscope({"canary", "--ports", zero, "--check-config", "--db", dir + "/c.db"});
    EXPECT_EQ(r.exit_code, 2) << zero;
    EXPECT_TRUE(Has(r.err, "port 0 cannot be watched in connect mode")) << zero << ": " << r.err;
  }
  r = RunPortscope({"canary", "--stealth", "--ports", "0-5", "--check-config", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "6 tcp (0-5)")) << r.out;
  r = RunPortscope({"canary", "--ports", "2244", "--ignore", "10.0.0.0/33", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "--ignore")) << r.err;
  std::ofstream(dir + "/bad.toml") << "[canary]\nports = \"2244\"\nread_byts = 5\n";
  r = RunPortscope({"canary", "--config", dir + "/bad.toml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "[canary] read_byts: unknown key")) << r.err;
  std::ofstream(dir + "/good.toml") << "[canary]\nports = \"2244,40000-40002/udp\"\n[detect]\nfast_ports = 5\n";
  r = RunPortscope({"canary", "--config", dir + "/good.toml", "--check-config", "--db", dir + "/c.db"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "1 tcp (2244) and 4 udp (2244,40000-40002)")) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/c.db"));  // --check-config opens nothing
  // As root, a --user it cannot become is refused before anything is made.
  if (geteuid() == 0) {
    const std::string port = std::to_string(testing::UnusedPort());
    for (const char* user : {"root", "no-such-user-portscope"}) {
      r = RunPortscope({"canary", "--bind", "127.0.0.1", "--ports", port, "--user", user, "--db", dir + "/u.db",
                        "--json", dir + "/u.json"});
      EXPECT_EQ(r.exit_code, 2) << user << ": " << r.err;
      EXPECT_TRUE(Has(r.err, "--user: ")) << r.err;
      EXPECT_FALSE(std::filesystem::exists(dir + "/u.db")) << user;
      EXPECT_FALSE(std::filesystem::exists(dir + "/u.json")) << user;
    }
  }
}

TEST(CanaryCli, RetentionComesFromTheConfigAndFlags) {
  std::string dir = CanaryDir("canary-retain");
  auto r = RunPortscope({"canary", "--ports", "2244", "--check-config", "--db", dir + "/c.db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "(kept 30 days, 1024 MiB)")) << r.out;
  std::ofstream(dir + "/r.toml") << "[canary]\nports = \"2244\"\nretain_days = 7\nretain_mib = 0\n";
  r = RunPortscope({"canary", "--config", dir + "/r.toml", "--check-config", "--db", dir + "/c.db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "(kept 7 days, no size limit)")) << r.out;
  r = RunPortscope({"canary", "--config", dir + "/r.toml", "--retain-days", "0", "--retain-mib", "64",
                    "--check-config", "--db", dir + "/c.db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "(kept forever, 64 MiB)")) << r.out;
  for (const char* bad : {"--retain-days=40000", "--retain-mib=99999999", "--retain-days=-1", "--retain-mib=x"}) {
    r = RunPortscope({"canary", "--ports", "2244", bad, "--check-config", "--db", dir + "/c.db"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out;
    EXPECT_TRUE(Has(r.err, "retain")) << bad << ": " << r.err;
  }
}

// The ports between "N tcp (" and ")" of a --check-config line, where runs
// of consecutive ports read "A-B".
std::vector<std::string> CheckedTcpPorts(const std::string& out) {
  auto open = out.find("tcp (");
  auto close = out.find(')', open);
  std::vector<std::string> ports;
  if (open == std::string::npos || close == std::string::npos) return ports;
  std::stringstream ss(out.substr(open + 5, close - open - 5));
  for (std::string p; std::getline(ss, p, ',');) {
    const auto dash = p.find('-');
    if (dash == std::string::npos) {
      ports.push_back(p);
      continue;
    }
    for (int port = std::stoi(p.substr(0, dash)); port <= std::stoi(p.substr(dash + 1)); ++port)
      ports.push_back(std::to_string(port));
  }
  return ports;
}

TEST(CanaryCli, UnassignedPortsAreReproducibleAndSkipHeldOnes) {
  std::string dir = CanaryDir("canary-unassigned");
  const std::vector<std::string> args = {"canary", "--unassigned", "8", "--seed", "3", "--check-config",
                                         "--db", dir + "/c.db"};
  // Same seed, same ports, unless something took one of them in between:
  // tests running beside this one bind ports in the same range (UnusedPort),
  // and a held port is rightly skipped. A few tries give a quiet pair.
  auto a = RunPortscope(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  std::string again = RunPortscope(args).out;
  for (int attempt = 1; attempt < 5 && again != a.out; ++attempt) {
    a = RunPortscope(args);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    again = RunPortscope(args).out;
  }
  EXPECT_EQ(again, a.out);
  auto first = CheckedTcpPorts(a.out);
  ASSERT_EQ(first.size(), 8u) << a.out;
  // Something takes one of them: the next choice leaves it out.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(first[0])));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 1) != 0) {
    close(fd);
    GTEST_SKIP() << "port " << first[0] << " is in use here already";
  }
  auto b = RunPortscope(args);
  close(fd);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto second = CheckedTcpPorts(b.out);
  EXPECT_EQ(second.size(), 8u);
  EXPECT_EQ(std::find(second.begin(), second.end(), first[0]), second.end()) << b.out;
}

TEST(CanaryCli, SigtermFlushesWhatIsQueuedAndExitsZero) {
  std::string dir = CanaryDir("canary-term");
  const uint16_t port = FreePort();
  Canary c({"--ports", std::to_string(port) + "/tcp", "--bind", "127.0.0.1", "--db", dir + "/c.db"}, dir);
  ASSERT_TRUE(c.WaitReady()) << c.err();
  // Each connection is closed by the client at once: recorded at once, then
  // SIGTERM before the 500 ms commit interval has passed.
  for (int i = 0; i < 20; ++i) {
    int fd = ConnectFrom("127.0.0.1", port);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  c.Signal(SIGTERM);
  EXPECT_EQ(c.Wait(), 0) << c.err();
  json events = Query("events", dir + "/c.db");
  EXPECT_EQ(events.size(), 20u) << c.err();
  json alerts = Query("alerts", dir + "/c.db");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["portscope"]["scan"]["phase"], "ended");  // the scan was ended on exit
}

TEST(CanaryCli, SighupReopensTheJsonFileAfterARename) {
  std::string dir = CanaryDir("canary-hup");
  const uint16_t port = FreePort();
  const std::string log = dir + "/canary.json";
  std::ofstream(dir + "/c.toml") << "[canary]\nports = \"" << port << "/tcp\"\nbind = \"127.0.0.1\"\n";
  Canary c({"--config", dir + "/c.toml", "--db", dir + "/c.db", "--json", log}, dir);
  ASSERT_TRUE(c.WaitReady()) << c.err();
  close(ConnectFrom("127.0.0.1", port));
  ASSERT_TRUE(WaitFor([&] { return Has(Slurp(log), "\"action\":\"connect\""); })) << c.err();
  std::filesystem::rename(log, log + ".1");  // what logrotate does
  // A bad config on reload keeps the old one and says so.
  std::ofstream(dir + "/c.toml") << "[canary]\nports = \"" << port << "/tcp\"\nbind = \"127.0.0.1\"\n[detec]\n";
  c.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Has(c.err(), "config not reloaded"); })) << c.err();
  EXPECT_TRUE(std::filesystem::exists(log));  // reopened: a new file
  std::ofstream(dir + "/c.toml") << "[canary]\nports = \"" << port << "/tcp\"\nbind = \"127.0.0.1\"\n"
                                 << "ignore = [\"127.0.0.2\"]\n";
  c.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Has(c.err(), "config reloaded"); })) << c.err();
  close(ConnectFrom("127.0.0.2", port));  // now ignored: recorded, no alert
  ASSERT_TRUE(WaitFor([&] { return Has(Slurp(log), "127.0.0.2"); })) << c.err();
  EXPECT_TRUE(Has(Slurp(log + ".1"), "\"action\":\"connect\""));
  EXPECT_FALSE(Has(Slurp(log + ".1"), "127.0.0.2"));
  c.Signal(SIGTERM);
  EXPECT_EQ(c.Wait(), 0) << c.err();
  for (const auto& a : Query("alerts", dir + "/c.db")) EXPECT_NE(a["source"]["ip"], "127.0.0.2");
  EXPECT_EQ(Query("events", dir + "/c.db").size(), 2u);
}

// kill -9 during a connect flood: the database stays consistent and keeps
// every event committed before the kill.
TEST(CanaryCli, KillNineDuringAFloodLosesNothingCommitted) {
  std::string dir = CanaryDir("canary-crash");
  const uint16_t port = FreePort();
  const std::string db = dir + "/c.db";
  Canary c({"--ports", std::to_string(port) + "/tcp", "--bind", "127.0.0.1", "--db", db, "--quiet"}, dir);
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(db + "-wal") || !c.Running(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(c.Running()) << c.err();
  // The flood: 64 sources (so the per-source budget stores rows one by one),
  // bounded by count and time.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> made{0};
  std::thread flood([&] {
    const auto until = Clock::now() + std::chrono::seconds(8);
    for (int i = 0; i < 40000 && !stop && Clock::now() < until; ++i) {
      std::string src = "127.0.1." + std::to_string(1 + i % 64);
      int fd = ConnectFrom(src.c_str(), port);
      if (fd >= 0) {
        close(fd);
        ++made;
      }
    }
  });
  // Read the committed state (read-only) while the flood runs.
  int64_t committed_max = 0, committed_count = 0;
  ASSERT_TRUE(WaitFor([&] {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(h, "SELECT max(id), count(*) FROM events", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        committed_max = sqlite3_column_int64(st, 0);
        committed_count = sqlite3_column_int64(st, 1);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return committed_count >= 1000;
  }));
  c.Signal(SIGKILL);
  EXPECT_EQ(c.Wait(), -SIGKILL);
  stop = true;
  flood.join();
  ASSERT_GT(committed_max, 0);

  // Restart on the same database, then stop it cleanly.
  Canary again({"--ports", std::to_string(port) + "/tcp", "--bind", "127.0.0.1", "--db", db}, dir);
  ASSERT_TRUE(again.WaitReady()) << again.err();
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(), 0) << again.err();

  auto opened = store::Database::Open(db, store::OpenOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto check = (*opened)->CheckIntegrity();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, "ok");
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT count(*) FROM events WHERE id <= ?1", -1, &st, nullptr), SQLITE_OK);
  sqlite3_bind_int64(st, 1, committed_max);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), committed_count);  // every committed event survived
  sqlite3_finalize(st);
  sqlite3_close(h);
  EXPECT_GT(made.load(), static_cast<uint64_t>(committed_count));
}

// ---------------------------------------------------------------------------
// Two network namespaces: the canary in one, the scanner in the other.

class CanaryNetns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || std::system("command -v nmap >/dev/null 2>&1") != 0) return;
    const std::string id = std::to_string(getpid());
    ns_canary_ = new std::string("canary-" + id + "-a");
    ns_scanner_ = new std::string("canary-" + id + "-b");
    const std::string va = "canary" + id + "a", vb = "canary" + id + "b";
    const std::vector<std::string> cmds = {
        "ip netns add " + *ns_canary_,
        "ip netns add " + *ns_scanner_,
        "ip link add " + va + " netns " + *ns_canary_ + " type veth peer name " + vb + " netns " + *ns_scanner_,
        "ip -n " + *ns_canary_ + " addr add 10.201.0.1/24 dev " + va,
        "ip -n " + *ns_scanner_ + " addr add 10.201.0.2/24 dev " + vb,
        "ip -n " + *ns_canary_ + " link set " + va + " up",
        "ip -n " + *ns_scanner_ + " link set " + vb + " up",
        "ip -n " + *ns_canary_ + " link set lo up",
        "ip -n " + *ns_scanner_ + " link set lo up",
        // nmap -sU waits on ICMP port-unreachable for the ports not watched.
        "ip netns exec " + *ns_canary_ + " sysctl -qw net.ipv4.icmp_ratelimit=0",
    };
    for (const auto& cmd : cmds)
      if (std::system((cmd + " 2>/dev/null").c_str()) != 0) {
        setup_error_ = new std::string("failed: " + cmd);
        return;
      }
    ready_ = true;
  }
  static void TearDownTestSuite() {
    if (ns_canary_) std::system(("ip netns del " + *ns_canary_ + " 2>/dev/null").c_str());
    if (ns_scanner_) std::system(("ip netns del " + *ns_scanner_ + " 2>/dev/null").c_str());
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (ip netns, veth); CI runs it as root";
    if (std::system("command -v nmap >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs nmap (scripts/setup installs it)";
    ASSERT_TRUE(ready_) << (setup_error_ ? *setup_error_ : "netns setup failed");
  }

 public:
  int Scanner(const std::string& command) {
    return std::system(("ip netns exec " + *ns_scanner_ + " timeout 120 " + command + " >/dev/null 2>&1").c_str());
  }

 protected:
  static inline std::string* ns_canary_ = nullptr;
  static inline std::string* ns_scanner_ = nullptr;
  static inline std::string* setup_error_ = nullptr;
  static inline bool ready_ = false;
};

constexpr char kPorts[] = "2202,2244,40000-40010";

// The alerts of one source in the JSON file, one object per phase, in order.
std::vector<json> AlertLines(const std::string& log, const std::string& source) {
  std::vector<json> out;
  std::istringstream in(Slurp(log));
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j["event"]["kind"] == "alert" && j["source"]["ip"] == source) out.push_back(j);
  }
  return out;
}

void ExpectScan(const std::string& db, const std::string& log, const std::string& kind) {
  json alerts = Query("alerts", db);
  bool found = false;
  for (const auto& a : alerts)
    if (a["source"]["ip"] == "10.201.0.2" && a["portscope"]["scan"]["kind"] == kind) found = true;
  EXPECT_TRUE(found) << alerts.dump(1);
  // The first alert came within 5 distinct ports.
  auto lines = AlertLines(log, "10.201.0.2");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0]["event"]["action"], "port-scan-started");
  EXPECT_LE(lines[0]["portscope"]["scan"]["port_count"].get<int>(), 5);
}

// Runs nmap with `scan_flag` against the watched ports; the canary's store
// must hold a scan of `kind` from the scanner. Returns the canary's stderr.
std::string ScanAndCheck(CanaryNetns* t, const std::string& name, const std::string& scan_flag,
                         const std::string& kind, const std::string& ns_canary) {
  std::string dir = CanaryDir(name);
  Canary c({"--ports", kPorts, "--db", dir + "/c.db", "--json", dir + "/c.json"}, dir, ns_canary);
  EXPECT_TRUE(c.WaitReady()) << c.err();
  EXPECT_EQ(t->Scanner("nmap " + scan_flag + " -Pn -n --max-retries 1 -p " + kPorts + " 10.201.0.1"), 0);
  EXPECT_TRUE(WaitFor([&] { return Query("alerts", dir + "/c.db").size() >= 1; })) << c.err();
  c.Signal(SIGTERM);
  EXPECT_EQ(c.Wait(), 0) << c.err();
  ExpectScan(dir + "/c.db", dir + "/c.json", kind);
  return c.err() + Slurp(dir + "/c.json");
}

TEST_F(CanaryNetns, NmapConnectScanIsAConnectAlertFromTheScanner) {
  std::string out = ScanAndCheck(this, "canary-sT", "-sT", "connect", *ns_canary_);
  EXPECT_TRUE(Has(out, "portscope: alert started scan 1 from 10.201.0.2: connect")) << out;
  // Every watched TCP port the scan touched is an event from the scanner.
  size_t from_scanner = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    from_scanner += j.is_object() && j["event"]["kind"] == "event" && j["source"]["ip"] == "10.201.0.2" &&
                    j["network"]["transport"] == "tcp";
  }
  EXPECT_EQ(from_scanner, 13u);
}

TEST_F(CanaryNetns, NmapUdpScanIsAUdpAlertFromTheScanner) {
  ScanAndCheck(this, "canary-sU", "-sU", "udp", *ns_canary_);
}

TEST_F(CanaryNetns, FirstProbeIsAnEventAtOnceAndATalkerGetsZeroBytes) {
  std::string dir = CanaryDir("canary-talk");
  Canary c({"--ports", kPorts, "--db", dir + "/c.db", "--read-ms", "1000"}, dir, *ns_canary_);
  ASSERT_TRUE(c.WaitReady()) << c.err();
  // One connect and close: an event and an alert within about a second.
  const auto t0 = Clock::now();
  EXPECT_EQ(Scanner("bash -c 'exec 3<>/dev/tcp/10.201.0.1/2244'"), 0);
  ASSERT_TRUE(WaitFor([&] { return Query("events", dir + "/c.db").size() == 1; }, 5)) << c.err();
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(2500));
  ASSERT_EQ(Query("alerts", dir + "/c.db").size(), 1u);

  // A client that speaks (terminal escapes and HTML) hears nothing back.
  const std::string reply = dir + "/reply";
  const std::string py =
      "import socket,sys\n"
      "s=socket.create_connection(('10.201.0.1',2202),timeout=5)\n"
      "s.sendall(b'GET /\\x1b[2J<script>alert(1)</script> HTTP/1.0\\r\\n\\r\\n')\n"
      "n=0\n"
      "try:\n"
      "  while True:\n"
      "    d=s.recv(4096)\n"
      "    if not d: break\n"
      "    n+=len(d)\n"
      "except ConnectionResetError: pass\n"
      "open(sys.argv[1],'w').write(str(n))\n";
  std::ofstream(dir + "/client.py") << py;
  EXPECT_EQ(Scanner("python3 " + dir + "/client.py " + reply), 0);
  EXPECT_EQ(Slurp(reply), "0");
  ASSERT_TRUE(WaitFor([&] { return Query("events", dir + "/c.db").size() == 2; }, 5)) << c.err();
  c.Signal(SIGTERM);
  EXPECT_EQ(c.Wait(), 0) << c.err();
  const std::string sent = "GET /\x1b[2J<script>alert(1)</script> HTTP/1.0\r\n\r\n";
  bool stored = false;
  for (const auto& e : Query("events", dir + "/c.db"))
    if (e["portscope"]["payload"]["base64"] == store::Base64(sent)) stored = true;
  EXPECT_TRUE(stored);
  auto table = RunPortscope({"events", "--db", dir + "/c.db"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_FALSE(Has(table.out, "\x1b[2J"));  // no raw escape reaches the terminal
  EXPECT_TRUE(Has(table.out, "GET /\\x1b[2J<script>alert(1)</script> HTTP/1.0\\x0d\\x0a")) << table.out;
}

// --block in the namespaces: the real daemon, dropped to nobody, still runs
// nft; the scanner lands in the block set with its timeout and its packets
// are dropped, an allowlisted host that scans too never does.
TEST_F(CanaryNetns, BlockDropsTheScannerButNeverTheAllowlisted) {
  if (std::system("command -v nft >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs nft (scripts/setup installs nftables)";
  const std::string vb = "canary" + std::to_string(getpid()) + "b";
  const std::string in_canary = "ip netns exec " + *ns_canary_ + " ";
  ASSERT_EQ(std::system(("ip -n " + *ns_scanner_ + " addr add 10.201.0.3/24 dev " + vb).c_str()), 0);
  std::string dir = CanaryDir("canary-block");
  {
    Canary c({"--ports", kPorts, "--db", dir + "/c.db", "--block", "--block-timeout", "120", "--allow", "10.201.0.3"},
             dir, *ns_canary_);
    ASSERT_TRUE(c.WaitReady()) << c.err();
    EXPECT_TRUE(Has(c.err(), "as nobody")) << c.err();
    const std::string nmap = "nmap -sT -Pn -n --max-retries 1 -p " + std::string(kPorts) + " ";
    EXPECT_EQ(Scanner(nmap + "-S 10.201.0.3 -e " + vb + " 10.201.0.1"), 0);
    EXPECT_EQ(Scanner(nmap + "10.201.0.1"), 0);
    auto set = [&] {
      std::string out = dir + "/set";
      (void)!std::system((in_canary + "nft list set inet portscope blocked4 >" + out + " 2>&1").c_str());
      return Slurp(out);
    };
    EXPECT_TRUE(WaitFor([&] { return Has(set(), "10.201.0.2"); })) << set() << c.err();
    EXPECT_TRUE(Has(set(), "10.201.0.2 timeout 2m")) << set();
    EXPECT_FALSE(Has(set(), "10.201.0.3")) << set();
    // The scanner's SYNs are dropped now; the allowlisted host still connects.
    EXPECT_NE(Scanner("timeout 3 bash -c 'exec 3<>/dev/tcp/10.201.0.1/2244'"), 0);
    EXPECT_EQ(Scanner("python3 -c \"import socket; s=socket.socket(); s.bind(('10.201.0.3',0)); s.settimeout(3); "
                      "s.connect(('10.201.0.1',2244))\""),
              0);
    EXPECT_EQ(Query("alerts", dir + "/c.db").size(), 2u);  // both alerted: the allowlist only means never blocked
    c.Signal(SIGTERM);
    EXPECT_EQ(c.Wait(), 0) << c.err();
    EXPECT_TRUE(Has(c.err(), "--block: 1 sources blocked, 0 failed, 1 allowlisted")) << c.err();
  }
  std::string tables = dir + "/tables";
  (void)!std::system((in_canary + "nft list tables >" + tables + " 2>&1").c_str());
  EXPECT_FALSE(Has(Slurp(tables), "portscope")) << Slurp(tables);  // removed at exit
  (void)!std::system(("ip -n " + *ns_scanner_ + " addr del 10.201.0.3/24 dev " + vb).c_str());
}

// ---------------------------------------------------------------------------
// --webhook and --block (the webhook runs in portscope-canary-notify, which
// portscope execs): real nmap connect scans of the canary on loopback, from
// two source addresses; the receiver is an httplib server on 127.0.0.1 that
// the test starts.

TEST(CanaryCli, WebhookAndBlockFlagsAreChecked) {
  const std::string port = std::to_string(FreePort());
  auto check = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"canary", "--ports", port, "--bind", "127.0.0.1", "--check-config"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunPortscope(args);
  };
  auto r = check({"--webhook", "ftp://example.com/x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "bad webhook URL")) << r.err;
  r = check({"--webhook", "http://127.0.0.1:9/hook", "--webhook-template", "email"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "not one of generic, slack, teams")) << r.err;
  r = check({"--webhook", "https://hooks.example.com/services/SECRET", "--webhook-template", "slack"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "webhook https://hooks.example.com:443/… (slack, at most 10/min)")) << r.out;
  EXPECT_FALSE(Has(r.out + r.err, "SECRET"));  // the URL's secret path is never shown
  r = check({"--allow", "10.0.0.0/8"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = check({"--block", "--allow", "10.0.0.0/33"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  if (geteuid() == 0) {
    r = check({"--block", "--block-timeout", "600", "--allow", "10.0.0.0/8,192.0.2.1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(Has(r.out, "blocking scanners for 600 s (2 allowed)")) << r.out;
  }
}

class CanaryWebhook : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (nmap -S from a second loopback address); CI runs it as root";
    if (std::system("command -v nmap >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs nmap (scripts/setup installs it)";
    for (int i = 0; i < 4; ++i) ports_ += (i ? "," : "") + std::to_string(FreePort());
  }
  // A connect scan of the watched ports from `source` (a 127.x address).
  int Scan(const std::string& source) {
    return std::system(("timeout 60 nmap -sT -Pn -n --max-retries 1 -S " + source + " -e lo -p " + ports_ +
                        " 127.0.0.1 >/dev/null 2>&1").c_str());
  }
  std::vector<std::string> Args(const std::string& dir, int receiver_port) {
    return {"--ports", ports_, "--bind", "127.0.0.1", "--db", dir + "/c.db", "--webhook",
            "http://127.0.0.1:" + std::to_string(receiver_port) + "/hook"};
  }
  static std::vector<json> From(const std::vector<nlohmann::json>& got, const std::string& source) {
    std::vector<json> out;
    for (const auto& j : got)
      if (j.is_object() && j["source"]["ip"] == source) out.push_back(j);
    return out;
  }
  std::string ports_;
};

TEST_F(CanaryWebhook, OneNotificationPerScanAndAtMostOneUpdate) {
  notify::TestReceiver rx;
  ASSERT_TRUE(rx.ok());
  std::string dir = CanaryDir("canary-webhook");
  Canary c(Args(dir, rx.port()), dir);
  ASSERT_TRUE(c.WaitReady()) << c.err();
  ASSERT_EQ(Scan("127.0.0.1"), 0);
  ASSERT_TRUE(rx.WaitFor(1, std::chrono::seconds(10))) << c.err();
  ASSERT_EQ(Scan("127.0.0.2"), 0);  // a second scanner: its own notification
  ASSERT_TRUE(rx.WaitFor(2, std::chrono::seconds(10))) << c.err();
  ASSERT_EQ(Scan("127.0.0.1"), 0);  // the same scan goes on: nothing new
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(rx.bodies().size(), 2u);
  c.Signal(SIGTERM);  // the scans end: at most one update each
  EXPECT_EQ(c.Wait(), 0) << c.err();
  auto got = rx.json();
  for (const char* source : {"127.0.0.1", "127.0.0.2"}) {
    auto mine = From(got, source);
    ASSERT_GE(mine.size(), 1u) << source;
    ASSERT_LE(mine.size(), 2u) << source;
    EXPECT_EQ(mine[0]["event"]["action"], "port-scan-started");
    EXPECT_EQ(mine[0]["portscope"]["scan"]["kind"], "connect");
    if (mine.size() == 2) {
      EXPECT_EQ(mine[1]["event"]["action"], "port-scan-ended");
    }
  }
  EXPECT_TRUE(Has(c.err(), "--webhook: ")) << c.err();  // the counters at exit
}

TEST_F(CanaryWebhook, ReceiverDownTheCanaryRecordsAndDeliversOnceItIsBack) {
  const int port = FreePort();
  std::string dir = CanaryDir("canary-webhook-down");
  Canary c(Args(dir, port), dir);
  ASSERT_TRUE(c.WaitReady()) << c.err();
  ASSERT_EQ(Scan("127.0.0.3"), 0);
  // Down: the canary records as ever.
  EXPECT_TRUE(WaitFor([&] { return Query("alerts", dir + "/c.db").size() >= 1; })) << c.err();
  EXPECT_GE(Query("events", dir + "/c.db").size(), 4u);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a few failed attempts
  notify::TestReceiver rx(port);
  ASSERT_TRUE(rx.ok()) << "port " << port << " was taken meanwhile";
  ASSERT_TRUE(rx.WaitFor(1, std::chrono::seconds(15))) << c.err();
  auto mine = From(rx.json(), "127.0.0.3");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0]["event"]["action"], "port-scan-started");
  c.Signal(SIGTERM);
  EXPECT_EQ(c.Wait(), 0) << c.err();
  EXPECT_LE(From(rx.json(), "127.0.0.3").size(), 2u);
}

}  // namespace
}  // namespace portscope
