#include "base/cidr.h"

#include <array>

#include "base/text.h"

namespace portscope {

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  std::string_view addr_text = text;
  std::optional<uint32_t> bits;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr_text = text.substr(0, slash);
    bits = ParseUint(text.substr(slash + 1), 128);
    if (!bits) return std::nullopt;
  }
  auto addr = IpAddress::Parse(addr_text);
  if (!addr) return std::nullopt;
  // An IPv4 address written as text is IPv4 ("::ffff:1.2.3.4/24" would be
  // ambiguous, so the prefix counts in the family the text was written in).
  bool v4_text = addr_text.find(':') == std::string_view::npos;
  uint32_t max = v4_text ? 32 : 128;
  uint32_t prefix = bits.value_or(max);
  if (prefix > max) return std::nullopt;
  if (v4_text) prefix += 96;

  Cidr c;
  c.prefix_ = static_cast<int>(prefix);
  std::array<uint8_t, 16> lo = addr->bytes(), hi = addr->bytes();
  for (int i = 0; i < 16; ++i) {
    int keep = static_cast<int>(prefix) - 8 * i;  // bits of this byte inside the prefix
    uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    lo[i] = static_cast<uint8_t>(lo[i] & mask);
    hi[i] = static_cast<uint8_t>(hi[i] | static_cast<uint8_t>(~mask));
  }
  c.first_ = IpAddress::V6(lo.data());
  c.last_ = IpAddress::V6(hi.data());
  return c;
}

std::string Cidr::ToString() const { return first_.ToString() + "/" + std::to_string(prefix()); }

}  // namespace portscope
