// Cidr: an address block such as 192.0.2.0/24 or 2001:db8::/32, for filters
// that take "an address or a CIDR". IPv4 blocks are held in the IPv4-mapped
// IPv6 space that IpAddress uses (/24 becomes /120), so one comparison of the
// 16 bytes serves both families.
#ifndef PORTSCOPE_BASE_CIDR_H_
#define PORTSCOPE_BASE_CIDR_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/ip_address.h"

namespace portscope {

class Cidr {
 public:
  /// "192.0.2.7" (a /32), "192.0.2.0/24", "2001:db8::/32", "::1". Host bits
  /// below the prefix are cleared ("192.0.2.7/24" is 192.0.2.0/24); nullopt on
  /// anything else (prefix out of range, junk, spaces).
  static std::optional<Cidr> Parse(std::string_view text);
  /// The block of one address (a /32 or /128).
  static Cidr Host(const IpAddress& a) {
    Cidr c;
    c.first_ = c.last_ = a;
    c.prefix_ = 128;
    return c;
  }

  bool Contains(const IpAddress& a) const { return first_ <= a && a <= last_; }
  /// The lowest and highest address of the block (inclusive).
  const IpAddress& first() const { return first_; }
  const IpAddress& last() const { return last_; }
  /// The prefix length in the address's own family (24 for 192.0.2.0/24).
  int prefix() const { return first_.is_v4() ? prefix_ - 96 : prefix_; }
  /// "192.0.2.0/24", "2001:db8::/32".
  std::string ToString() const;

 private:
  IpAddress first_, last_;
  int prefix_ = 128;  // in the 128-bit space
};

}  // namespace portscope

#endif  // PORTSCOPE_BASE_CIDR_H_
