// KeyedHash: SipHash with a secret 128-bit key, so that a remote sender who
// controls addresses and ports cannot aim many keys at one hash bucket
// (the masscan misc-rstfilter.h approach; its SYN cookies use SipHash too).
//
// detect/ hashes every packet two or three times, so it uses SipHash-1-3,
// the variant Rust's and CPython's hash tables chose for flooding resistance
// at about half the cost of SipHash-2-4. The rounds are template parameters so
// the test can check the code against the published SipHash-2-4 vectors.
//
// The key comes from a seed given by the caller (random in production, fixed in
// tests), expanded with splitmix64. Thread-compatible; immutable after
// construction.
#ifndef PORTSCOPE_DETECT_KEYED_HASH_H_
#define PORTSCOPE_DETECT_KEYED_HASH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/ip_address.h"

namespace portscope::detect {

namespace sip_internal {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
  uint64_t v0, v1, v2, v3;
  State(uint64_t k0, uint64_t k1)
      : v0(k0 ^ 0x736f6d6570736575ULL),
        v1(k1 ^ 0x646f72616e646f6dULL),
        v2(k0 ^ 0x6c7967656e657261ULL),
        v3(k1 ^ 0x7465646279746573ULL) {}
  void Round() {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  }
  template <int kC>
  void Absorb(uint64_t m) {
    v3 ^= m;
    for (int i = 0; i < kC; ++i) Round();
    v0 ^= m;
  }
  template <int kD>
  uint64_t Finish() {
    v2 ^= 0xff;
    for (int i = 0; i < kD; ++i) Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86-64, aarch64)
}

}  // namespace sip_internal

/// SipHash-c-d of `len` bytes under key (k0, k1), as specified by Aumasson and
/// Bernstein (little-endian words, length in the top byte of the last block).
template <int kC, int kD>
uint64_t SipHash(uint64_t k0, uint64_t k1, const uint8_t* data, size_t len) {
  sip_internal::State s(k0, k1);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) s.Absorb<kC>(sip_internal::Load64(data + i));
  uint64_t last = uint64_t{len & 0xff} << 56;
  for (size_t j = 0; i + j < len; ++j) last |= uint64_t{data[i + j]} << (8 * j);
  s.Absorb<kC>(last);
  return s.Finish<kD>();
}

class KeyedHash {
 public:
  explicit KeyedHash(uint64_t seed);

  uint64_t k0() const { return k0_; }
  uint64_t k1() const { return k1_; }

  /// SipHash-1-3 of arbitrary bytes.
  uint64_t Bytes(const uint8_t* data, size_t len) const { return SipHash<1, 3>(k0_, k1_, data, len); }

  /// Of the 16 address bytes. Equal to Bytes() over them.
  uint64_t Address(const IpAddress& a) const {
    sip_internal::State s(k0_, k1_);
    s.Absorb<1>(sip_internal::Load64(a.bytes().data()));
    s.Absorb<1>(sip_internal::Load64(a.bytes().data() + 8));
    s.Absorb<1>(uint64_t{16} << 56);
    return s.Finish<3>();
  }

 private:
  uint64_t k0_;
  uint64_t k1_;
};

/// Address equality as two 64-bit compares: IpAddress's defaulted operator==
/// calls memcmp, which showed as a quarter of the engine's time in profiles.
inline bool SameAddress(const IpAddress& a, const IpAddress& b) {
  const uint8_t* x = a.bytes().data();
  const uint8_t* y = b.bytes().data();
  return ((sip_internal::Load64(x) ^ sip_internal::Load64(y)) | (sip_internal::Load64(x + 8) ^ sip_internal::Load64(y + 8))) == 0;
}

/// A fixed, unkeyed 64-bit finalizer (splitmix64's). Used to combine keyed
/// hashes and to spread already-keyed values; never on raw input alone.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// The hash of an endpoint (address, port, protocol) from the keyed hash of
/// its address. The port and protocol enter through a bijective mix of a
/// value that is already secret, so choosing ports does not let a sender aim
/// at buckets; it saves a SipHash per endpoint.
inline uint64_t EndpointHash(uint64_t address_hash, uint16_t port, uint8_t proto) {
  return Mix64(address_hash + ((uint64_t{port} << 8 | proto) + 1) * 0x9e3779b97f4a7c15ULL);
}

/// IpAddress predicates inline (ip_address.cc's are out of line, and these
/// run several times per packet).
inline bool IsV4(const IpAddress& a) {
  const uint8_t* b = a.bytes().data();
  uint64_t hi;
  uint32_t mid;
  std::memcpy(&hi, b, 8);
  std::memcpy(&mid, b + 8, 4);
  return hi == 0 && mid == 0xffff0000u;  // ::ffff:0:0/96, little-endian load
}
/// The IPv4 address in host order. REQUIRES: IsV4(a).
inline uint32_t V4Bits(const IpAddress& a) {
  const uint8_t* b = a.bytes().data();
  return (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
}

}  // namespace portscope::detect

#endif  // PORTSCOPE_DETECT_KEYED_HASH_H_
