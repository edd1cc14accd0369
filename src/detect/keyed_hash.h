// KeyedHash: the hash behind every table index in detect/, keyed with a
// secret so that a remote sender who controls addresses and ports cannot aim
// many keys at one bucket run (the masscan misc-rstfilter.h idea).
//
// Why a folded multiply and not SipHash. The tables need flooding resistance,
// not a PRF: no hash value ever leaves the process, and the attacker sees at
// most the timing of his own packets. What he must not be able to do is build
// a set of addresses that collide whatever the key (as one can for
// MurmurHash, CityHash or an AES round used as a hash). Here each 16-byte
// block is XORed with two 64-bit key words and the halves are multiplied into
// 128 bits, whose halves are XORed ("folded"); a second fold with two more
// key words finishes. Every output bit depends on every input bit through key
// material the sender does not know, there is no input that cancels the key
// other than guessing it (a block word equal to a key word), and the key
// words are odd, so the multiply by them loses nothing. This is the
// construction of wyhash and foldhash, whose authors describe it as
// "minimally DoS-resistant": resistant to an attacker who cannot observe
// hash values, which is this one. It costs two multiplies where SipHash-1-3
// cost about 140 instructions, and detect/ hashes every packet's source (and
// destination, when it changes).
//
// What a successful attacker would gain is bounded anyway: a lookup reads at
// most kMaxProbeDistance buckets, and an insert that finds no free bucket
// within them is dropped and counted (limits.h).
//
// The key comes from a seed given by the caller (random in production, fixed
// in tests), expanded with splitmix64. Thread-compatible; immutable after
// construction.
#ifndef PORTSCOPE_DETECT_KEYED_HASH_H_
#define PORTSCOPE_DETECT_KEYED_HASH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/ip_address.h"

namespace portscope::detect {

namespace hash_internal {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86-64, aarch64)
}

__extension__ typedef unsigned __int128 Uint128;  // GCC and Clang; __extension__ for -Wpedantic

/// The 128-bit product of a and b, its halves XORed.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  const Uint128 p = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

}  // namespace hash_internal

class KeyedHash {
 public:
  explicit KeyedHash(uint64_t seed);

  /// Of arbitrary bytes: 16-byte blocks (the last zero-padded) folded in
  /// turn, then the length.
  uint64_t Bytes(const uint8_t* data, size_t len) const;

  /// Of the 16 address bytes. Equal to Bytes() over them.
  uint64_t Address(const IpAddress& a) const {
    const uint8_t* b = a.bytes().data();
    return Finish(Block(0, hash_internal::Load64(b), hash_internal::Load64(b + 8)), 16);
  }

 private:
  uint64_t Block(uint64_t acc, uint64_t lo, uint64_t hi) const {
    return hash_internal::Fold(lo ^ k_[0] ^ acc, hi ^ k_[1]);
  }
  uint64_t Finish(uint64_t acc, size_t len) const { return hash_internal::Fold(acc ^ k_[2] ^ len, k_[3]); }

  uint64_t k_[4];
};

/// Address equality as two 64-bit compares: IpAddress's defaulted operator==
/// calls memcmp, which showed as a quarter of the engine's time in profiles.
inline bool SameAddress(const IpAddress& a, const IpAddress& b) {
  const uint8_t* x = a.bytes().data();
  const uint8_t* y = b.bytes().data();
  return ((hash_internal::Load64(x) ^ hash_internal::Load64(y)) | (hash_internal::Load64(x + 8) ^ hash_internal::Load64(y + 8))) ==
         0;
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
/// its address: the address hash XORed with a constant per (port, protocol)
/// (Fibonacci hashing spreads them over the high bits). Two ports of one host
/// never share the top 32 bits (the contact ring's target tags); the result
/// stays as secret as the address hash, and FlowHash mixes it. No second
/// keyed hash per endpoint.
inline uint64_t EndpointHash(uint64_t address_hash, uint16_t port, uint8_t proto) {
  return address_hash ^ ((uint64_t{port} << 8 | proto) + 1) * 0x9e3779b97f4a7c15ULL;
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
