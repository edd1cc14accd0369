#include "detect/keyed_hash.h"

namespace portscope::detect {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): spreads a 64-bit seed into the two
// key words, so that nearby seeds (1, 2, ...) give unrelated keys.
uint64_t SplitMix(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  return Mix64(state);
}

}  // namespace

KeyedHash::KeyedHash(uint64_t seed) {
  uint64_t state = seed;
  // Odd, so that multiplying by a key word is a bijection on its low half.
  for (uint64_t& k : k_) k = SplitMix(state) | 1;
}

uint64_t KeyedHash::Bytes(const uint8_t* data, size_t len) const {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) acc = Block(acc, hash_internal::Load64(data + i), hash_internal::Load64(data + i + 8));
  if (i < len) {
    uint8_t last[16] = {};
    std::memcpy(last, data + i, len - i);
    acc = Block(acc, hash_internal::Load64(last), hash_internal::Load64(last + 8));
  }
  return Finish(acc, len);
}

}  // namespace portscope::detect
