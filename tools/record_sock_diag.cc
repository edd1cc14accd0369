// Records real sock_diag replies as test fixtures (src/sockets/testdata/).
// It opens sockets of its own with known ports, dumps TCP and UDP over IPv4
// and IPv6 through netlink exactly as the socket table does, writes every
// reply datagram to DIR/<family>-<proto>-<n>.bin, and writes DIR/expected.tsv
// with the sockets it created (proto, family, local, port, remote, rport,
// state, inode), which the tests must find in the recording.
//   build/src/sockets/record_sock_diag DIR
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "sockets/inet_diag.h"

using namespace portscope;
using namespace portscope::sockets;

static uint64_t InodeOf(int fd) {
  struct stat st;
  fstat(fd, &st);
  return st.st_ino;
}

static int Bound(int family, int type, const char* addr, uint16_t* port, bool v6only = false) {
  int fd = socket(family, type, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &s->sin_addr);
    len = sizeof *s;
  } else {
    int v = v6only;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    inet_pton(AF_INET6, addr, &s->sin6_addr);
    len = sizeof *s;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) { perror("bind"); _exit(1); }
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                  : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return fd;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: record_sock_diag DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  FILE* expected = std::fopen((dir + "/expected.tsv").c_str(), "w");
  if (!expected) { perror(dir.c_str()); return 1; }
  std::fprintf(expected, "# proto\tfamily\tlocal\tport\tremote\trport\tstate\tinode\n");
  uint16_t p;
  int l4 = Bound(AF_INET, SOCK_STREAM, "127.0.0.1", &p);
  listen(l4, 16);
  std::fprintf(expected, "tcp\tinet\t127.0.0.1\t%u\t0.0.0.0\t0\tLISTEN\t%lu\n", p, InodeOf(l4));
  uint16_t lp = p;
  int l6 = Bound(AF_INET6, SOCK_STREAM, "::", &p, false);
  listen(l6, 16);
  std::fprintf(expected, "tcp\tinet6\t::\t%u\t::\t0\tLISTEN\t%lu\n", p, InodeOf(l6));
  int u4 = Bound(AF_INET, SOCK_DGRAM, "127.0.0.1", &p);
  std::fprintf(expected, "udp\tinet\t127.0.0.1\t%u\t0.0.0.0\t0\tUNCONN\t%lu\n", p, InodeOf(u4));
  int u6 = Bound(AF_INET6, SOCK_DGRAM, "::1", &p, true);
  std::fprintf(expected, "udp\tinet6\t::1\t%u\t::\t0\tUNCONN\t%lu\n", p, InodeOf(u6));
  uint16_t cp;
  int c = Bound(AF_INET, SOCK_STREAM, "127.0.0.1", &cp);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(lp);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) { perror("connect"); return 1; }
  int a = accept(l4, nullptr, nullptr);
  std::fprintf(expected, "tcp\tinet\t127.0.0.1\t%u\t127.0.0.1\t%u\tESTAB\t%lu\n", cp, lp, InodeOf(c));
  std::fprintf(expected, "tcp\tinet\t127.0.0.1\t%u\t127.0.0.1\t%u\tESTAB\t%lu\n", lp, cp, InodeOf(a));
  std::fclose(expected);

  mnl_socket* nl = mnl_socket_open(NETLINK_SOCK_DIAG);
  mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
  uint32_t seq = 1;
  for (auto proto : {registry::Proto::kTcp, registry::Proto::kUdp}) {
    for (uint8_t family : {AF_INET, AF_INET6}) {
      DiagRequest req{family, proto, kAllStates, std::nullopt, seq++};
      auto msg = BuildDiagRequest(req);
      mnl_socket_sendto(nl, msg.data(), msg.size());
      std::vector<uint8_t> buf(64 * 1024);
      for (int n = 0;; ++n) {
        ssize_t got = mnl_socket_recvfrom(nl, buf.data(), buf.size());
        if (got <= 0) return 1;
        std::string name = dir + "/" + (family == AF_INET ? "inet" : "inet6") + "-" +
                           std::string(registry::ProtoName(proto)) + "-" + std::to_string(n) + ".bin";
        FILE* f = std::fopen(name.c_str(), "wb");
        std::fwrite(buf.data(), 1, static_cast<size_t>(got), f);
        std::fclose(f);
        std::vector<SocketEntry> sink;
        auto progress = ParseDiagReply({buf.data(), static_cast<size_t>(got)}, req, &sink);
        if (!progress.ok() || *progress != DumpProgress::kMore) break;
      }
    }
  }
  mnl_socket_close(nl);
  for (int fd : {l4, l6, u4, u6, c, a}) close(fd);
  return 0;
}
