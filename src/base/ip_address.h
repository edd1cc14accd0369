// IpAddress: an IPv4 or IPv6 address as 16 bytes (IPv4 as ::ffff:a.b.c.d),
// cheap to copy, compare and hash; shared by sockets/, packet/, detect/.
#ifndef PORTSCOPE_BASE_IP_ADDRESS_H_
#define PORTSCOPE_BASE_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace portscope {

class IpAddress {
 public:
  IpAddress() = default;  // :: (IPv6 unspecified)
  /// From 4 bytes in network order.
  static IpAddress V4(const uint8_t bytes[4]);
  static IpAddress V4(uint32_t host_order);
  /// From 16 bytes in network order.
  static IpAddress V6(const uint8_t bytes[16]);
  /// Parses dotted IPv4 or RFC 4291 text IPv6; nullopt on anything else.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const;
  bool is_loopback() const;
  bool is_unspecified() const;  // 0.0.0.0 or ::
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  /// The IPv4 address in host order. REQUIRES: is_v4().
  uint32_t v4() const;
  /// "192.0.2.1", "2001:db8::1" (RFC 5952 form).
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

// Inline: the decoders build two addresses per packet.
inline IpAddress IpAddress::V4(const uint8_t bytes[4]) {
  static constexpr uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};  // ::ffff:0:0/96
  IpAddress a;
  std::memcpy(a.bytes_.data(), kV4Prefix, 12);
  std::memcpy(a.bytes_.data() + 12, bytes, 4);
  return a;
}

/// A hash of the address keyed by `seed`, for hash maps whose keys someone
/// else chooses (probe sources): with a random seed nobody can pick
/// addresses that share a bucket. Not cryptographic; seed-dependent.
struct SeededIpHash {
  uint64_t seed = 0;
  size_t operator()(const IpAddress& a) const;
};

/// A seed for SeededIpHash from the system's random source.
uint64_t RandomHashSeed();

}  // namespace portscope

#endif  // PORTSCOPE_BASE_IP_ADDRESS_H_
