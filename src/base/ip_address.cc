#include "base/ip_address.h"

#include <arpa/inet.h>

#include <random>

namespace portscope {

namespace {
constexpr uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

uint64_t Mix(uint64_t x) {  // the murmur3 finalizer
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
}  // namespace

size_t SeededIpHash::operator()(const IpAddress& a) const {
  uint64_t w[2];
  std::memcpy(w, a.bytes().data(), 16);
  return static_cast<size_t>(Mix(Mix(w[0] ^ seed) ^ w[1] ^ (seed >> 17)));
}

uint64_t RandomHashSeed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

IpAddress IpAddress::V4(uint32_t host_order) {
  const uint8_t b[4] = {static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
                        static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
  return V4(b);
}

IpAddress IpAddress::V6(const uint8_t bytes[16]) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), bytes, 16);
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  uint8_t buf[16];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) != 1) return std::nullopt;
    return V4(buf);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return std::nullopt;
  return V6(buf);
}

bool IpAddress::is_v4() const { return std::memcmp(bytes_.data(), kV4Prefix, 12) == 0; }

uint32_t IpAddress::v4() const {
  return (uint32_t{bytes_[12]} << 24) | (uint32_t{bytes_[13]} << 16) | (uint32_t{bytes_[14]} << 8) |
         bytes_[15];
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[12] == 127;
  static constexpr uint8_t kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(bytes_.data(), kLoop, 16) == 0;
}

bool IpAddress::is_unspecified() const {
  if (is_v4()) return v4() == 0;
  for (uint8_t b : bytes_)
    if (b) return false;
  return true;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  }
  return buf;
}

}  // namespace portscope
