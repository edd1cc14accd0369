// kill -9 in the middle of writing: the database stays consistent and holds
// every event the writer had reported committed.
//
// A child process writes numbered events as fast as the writer takes them and
// prints its committed count to a pipe after every change; the test SIGKILLs
// it at a random moment, reopens the file and checks. Three rounds on the same
// file, each appending to what the previous crash left.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "store/database.h"
#include "store/test_util.h"
#include "store/writer.h"

namespace portscope::store {
namespace {

using namespace testutil;

[[noreturn]] void ChildWrites(const std::string& path, uint64_t first_seq, int out_fd) {
  OpenOptions oo;
  oo.write = true;
  oo.create = true;
  oo.retention.max_age_s = 0;
  auto db = Database::Open(path, oo);
  if (!db.ok()) _exit(2);
  WriterOptions o;
  o.budget.events_per_interval = 0;
  o.commit_interval_ms = 20;
  o.queue_capacity = 20000;
  Writer w(o, {db->get()});
  w.Start();
  uint64_t reported = 0;
  for (uint64_t seq = first_seq;; ++seq) {
    Event e = MakeEvent(kT0 + seq, "203.0.113.1", static_cast<uint16_t>(seq % 65536),
                        "seq=" + std::to_string(seq) + std::string(seq % 97, '\xff'));
    // Retry rather than drop, so that committed N means the first N events.
    while (!w.Enqueue(e)) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (seq % 64 == 0) {
      uint64_t committed = w.stats().events_committed;
      if (committed != reported) {
        reported = committed;
        std::string line = std::to_string(committed) + "\n";
        if (write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(3);
      }
    }
  }
}

TEST(Crash, KillNineLosesNothingCommittedAndLeavesAConsistentFile) {
  ScratchDir dir;
  std::string path = dir.path("crash.db");
  std::mt19937 rng(12345);
  uint64_t seq = 0;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildWrites(path, seq, fds[1]);
    }
    close(fds[1]);
    // Read reports until enough is committed, then a little more, then kill.
    uint64_t last = 0;
    std::string buf;
    auto read_some = [&](int timeout_ms) {
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fds[0], &set);
      timeval tv{0, timeout_ms * 1000};
      if (select(fds[0] + 1, &set, nullptr, nullptr, &tv) <= 0) return true;
      char chunk[4096];
      ssize_t n = read(fds[0], chunk, sizeof chunk);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        last = std::stoull(buf.substr(0, nl));
        buf.erase(0, nl + 1);
      }
      return true;
    };
    auto start = std::chrono::steady_clock::now();
    while (last < 20000 && std::chrono::steady_clock::now() - start < std::chrono::seconds(30))
      if (!read_some(100)) break;
    ASSERT_GE(last, 20000u) << "the child did not get going";
    auto extra = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(rng));
    auto until = std::chrono::steady_clock::now() + extra;
    while (std::chrono::steady_clock::now() < until) read_some(5);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited by itself: " << status;
    while (read_some(10)) {
    }
    close(fds[0]);

    // Reopen as a reader would after the crash.
    auto db = Database::Open(path, OpenOptions{});
    ASSERT_TRUE(db.ok()) << db.status().message();
    auto check = (*db)->CheckIntegrity();
    ASSERT_TRUE(check.ok()) << check.status().message();
    EXPECT_EQ(*check, "ok");
    EventQuery reported;
    reported.since_us = kT0 + seq;
    reported.until_us = kT0 + seq + last - 1;
    EXPECT_EQ(*(*db)->CountEvents(reported), last) << "round " << round;
    uint64_t total = *(*db)->CountEvents({});
    EXPECT_GE(total, seq + last);
    // Every row that is there is whole.
    uint64_t bad = 0, n = 0;
    Status st = (*db)->ForEachEvent({}, [&](Event& e) {
      uint64_t s = e.time_us - kT0;
      if (e.payload != "seq=" + std::to_string(s) + std::string(s % 97, '\xff') || e.dport != s % 65536) ++bad;
      ++n;
      return true;
    });
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(n, total);
    // The rows are the first `total` numbers: nothing missing in the middle.
    EventQuery tail;
    tail.limit = 1;
    EXPECT_EQ((*(*db)->QueryEvents(tail))[0].time_us, kT0 + total - 1);
    std::printf("round %d: %llu reported committed, %llu in the file\n", round,
                static_cast<unsigned long long>(seq + last), static_cast<unsigned long long>(total));
    seq = total;
  }
}

}  // namespace
}  // namespace portscope::store
